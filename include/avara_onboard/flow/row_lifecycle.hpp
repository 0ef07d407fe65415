#pragma once
// The life of one change to the server (a roster row's invite, or a sync's update, revoke or
// reactivate), as a pure state machine in the manner of Boost.MySQL's
// sansio_connection_node: the I/O shell (send/run_engine) tells it what happened, it answers with the
// next action, and the shell carries that action out. No socket, timer or clock lives here: the shell
// passes the wall-clock "now" (only to read HTTP dates) and a jitter draw, so tests step a row action by
// action through every outcome of the contract's table.
//
//            start                      on_slot                      on_reply
//   (new) ---------> acquire_slot ----------------> send(request()) --------------> finish
//                        ^                                   |  429/5xx/408/transport  (invited, updated,
//                        |          on_wait_over             v                          rejected, failed...)
//                        +------------------------------- wait (no request slot held)
//
//   invite:     a 409 goes on to acquire_slot -> send(lookup) -> finish (exists)
//   reactivate: with FollowUp::update, a 2xx goes on to acquire_slot -> send(update) -> finish
//   revoke:     anything but a 2xx also stops the run: revocations stop at the first sign of trouble
//
// on_stop() may be called instead of carrying out acquire_slot or wait (never while a request is in
// flight: a request that left gets its answer, within --timeout). A row that never sent a request is
// then left for --resume; one that did is reported `failed` with what it last saw.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "avara_onboard/flow/rate_limiter.hpp"
#include "avara_onboard/flow/retry_policy.hpp"
#include "avara_onboard/report/row_result.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::flow {

enum class TlsFailure {
    none,         // not a TLS failure, or one a retry may mend (a reset or timeout in the handshake)
    certificate,  // the server's chain or name did not verify
    protocol      // no protocol version or cipher in common, or an answer that is not TLS at all
};

// What one request came back with.
struct RequestOutcome {
    // An HttpReply (its views are read only during the call) or a TransportFailure.
    AttemptOutcome attempt = TransportFailure{};
    // Whether the request left this machine (false for a refused connection or a failed handshake).
    bool left_machine = true;
    // A transport failure that no retry can mend stops the run.
    TlsFailure tls_failure = TlsFailure::none;
    // One line for the report: the server's message, or the transport failure.
    std::string problem;
    // The userId of a 2xx invite reply, or the id a lookup found.
    std::optional<std::string> user_id;
};

// What a row is there to do.
enum class Operation { invite, update, revoke, reactivate };
enum class FollowUp { none, update };  // reactivate only: PATCH the changed fields afterwards

// The request send() carries out.
enum class Request {
    invite,     // POST /v1/viewer/users
    lookup,     // GET /v1/viewer/users?email= (after a 409)
    update,     // PATCH /v1/viewer/users/{userId}
    revoke,     // POST /v1/viewer/users/revoke-access
    reactivate  // POST /v1/viewer/users/reactivate
};
const char* to_string(Request r) noexcept;

enum class Step {
    acquire_slot,  // wait for the rate limiter and a free connection, then call on_slot()
    send,          // carry out request(), then call on_reply()
    wait,          // sleep `delay` holding no request slot, then call on_wait_over()
    finish,        // done: settlement(), take_result(), abort()
};
const char* to_string(Step s) noexcept;

struct RowAction {
    Step step = Step::finish;
    std::chrono::milliseconds delay{0};  // Step::wait only
    Feedback feedback = Feedback::none;  // after on_reply only: what the rate limiter learns
    std::chrono::milliseconds server_wait{0};
};

enum class Settlement {
    report,           // the row's line goes in the report now
    leave_for_resume  // nothing was sent: no line, so --resume sends it
};

class RowLifecycle {
  public:
    // The policy must outlive the row.
    RowLifecycle(const RetryPolicy& policy, std::uint64_t row, std::uint64_t line, std::string email,
                 Operation operation = Operation::invite, FollowUp follow_up = FollowUp::none);

    RowAction start() noexcept;
    RowAction on_slot() noexcept;
    RowAction on_reply(const RequestOutcome& outcome, std::chrono::system_clock::time_point now,
                       double jitter);
    RowAction on_wait_over() noexcept;
    RowAction on_stop();

    Step step() const noexcept { return step_; }
    Request request() const noexcept { return request_; }
    // Requests of this row that left the machine so far.
    unsigned requests_sent() const noexcept { return sent_; }
    // Valid once step() is finish.
    Settlement settlement() const noexcept { return settlement_; }
    report::RowResult& result() noexcept { return result_; }
    // Set when this row's outcome stops the whole run (401/403, TLS, a wait over --max-wait).
    const std::optional<Error>& abort() const noexcept { return abort_; }
    const std::string& email() const noexcept { return result_.email; }
    // What the last request came back with, for a log line.
    const std::string& last_problem() const noexcept { return last_problem_; }

  private:
    RowAction finish(report::Status status, std::string error);
    RowAction on_change_reply(const RequestOutcome& outcome, std::chrono::system_clock::time_point now,
                              double jitter);
    RowAction on_lookup_reply(const RequestOutcome& outcome);
    RowAction on_success(const RequestOutcome& outcome, RowAction fed);
    RowAction next_request(Request r, RowAction fed);
    RowAction on_fatal_tls(const RequestOutcome& outcome);
    RowAction act_on(const Decision& d, const RequestOutcome& outcome, RowAction with_feedback);

    RowRetry retry_;
    report::RowResult result_;
    Operation operation_;
    FollowUp follow_up_;
    Request request_;
    Step step_ = Step::acquire_slot;
    unsigned sent_ = 0;
    Settlement settlement_ = Settlement::report;
    std::string last_problem_;
    std::optional<Error> abort_;
};

}  // namespace avara::flow
