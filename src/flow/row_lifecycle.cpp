#include "avara_onboard/flow/row_lifecycle.hpp"

#include "avara_onboard/util/time_format.hpp"

namespace avara::flow {

using report::Status;

namespace {
Request first_request(Operation op) noexcept {
    switch (op) {
        case Operation::invite:
            return Request::invite;
        case Operation::update:
            return Request::update;
        case Operation::revoke:
            return Request::revoke;
        case Operation::reactivate:
            return Request::reactivate;
    }
    return Request::invite;
}
}  // namespace

const char* to_string(Request r) noexcept {
    switch (r) {
        case Request::invite:
            return "invite";
        case Request::lookup:
            return "lookup";
        case Request::update:
            return "update";
        case Request::revoke:
            return "revoke";
        case Request::reactivate:
            return "reactivate";
    }
    return "unknown";
}

const char* to_string(Step s) noexcept {
    switch (s) {
        case Step::acquire_slot:
            return "acquire_slot";
        case Step::send:
            return "send";
        case Step::wait:
            return "wait";
        case Step::finish:
            return "finish";
    }
    return "unknown";
}

RowLifecycle::RowLifecycle(const RetryPolicy& policy, std::uint64_t row, std::uint64_t line,
                           std::string email, Operation operation, FollowUp follow_up)
    : retry_(policy), operation_(operation), follow_up_(follow_up), request_(first_request(operation)) {
    result_.row = row;
    result_.line = line;
    result_.email = std::move(email);
}

RowAction RowLifecycle::start() noexcept {
    step_ = Step::acquire_slot;
    return RowAction{Step::acquire_slot};
}

RowAction RowLifecycle::on_slot() noexcept {
    step_ = Step::send;
    return RowAction{step_};
}

RowAction RowLifecycle::on_wait_over() noexcept {
    step_ = Step::acquire_slot;
    return RowAction{Step::acquire_slot};
}

RowAction RowLifecycle::finish(Status status, std::string error) {
    step_ = Step::finish;
    result_.status = status;
    result_.error = std::move(error);
    result_.attempts = sent_;
    return RowAction{Step::finish};
}

RowAction RowLifecycle::on_stop() {
    if (request_ == Request::lookup)
        return finish(Status::exists, "user id not looked up: the run stopped");
    if (sent_ == 0) {
        settlement_ = Settlement::leave_for_resume;  // no line: --resume sends it
        return finish(Status::failed, "");
    }
    return finish(Status::failed, last_problem_ + "; the run stopped before the next retry");
}

RowAction RowLifecycle::on_reply(const RequestOutcome& outcome, std::chrono::system_clock::time_point now,
                                 double jitter) {
    if (outcome.left_machine)
        ++sent_;
    if (request_ == Request::lookup)
        return on_lookup_reply(outcome);
    return on_change_reply(outcome, now, jitter);
}

RowAction RowLifecycle::on_fatal_tls(const RequestOutcome& outcome) {
    abort_ = outcome.tls_failure == TlsFailure::certificate
                 ? make_error(ErrorKind::tls, "TLS certificate verification failed: " + outcome.problem +
                                                  " (pass the server's CA with --ca-file)")
                 : make_error(ErrorKind::tls, "TLS handshake failed, and no retry can mend it: " +
                                                  outcome.problem + " (is the base URL an HTTPS API?)");
    if (sent_ == 0)
        settlement_ = Settlement::leave_for_resume;
    return finish(Status::failed, outcome.problem);
}

RowAction RowLifecycle::on_change_reply(const RequestOutcome& outcome,
                                        std::chrono::system_clock::time_point now, double jitter) {
    RowAction fed;
    const auto* reply = std::get_if<HttpReply>(&outcome.attempt);
    if (reply == nullptr && outcome.tls_failure != TlsFailure::none)
        return on_fatal_tls(outcome);
    last_problem_ = outcome.problem;
    if (reply != nullptr) {
        result_.http_status = static_cast<unsigned>(reply->status);
        fed.feedback = reply->status == 429 ? Feedback::throttled : Feedback::accepted;
    }
    const Decision d = retry_.on_outcome(outcome.attempt, now, jitter);
    if (d.throttled)
        fed.server_wait = d.delay;
    return act_on(d, outcome, fed);
}

RowAction RowLifecycle::next_request(Request r, RowAction fed) {
    request_ = r;
    step_ = Step::acquire_slot;  // the next request takes a slot like any other
    fed.step = Step::acquire_slot;
    return fed;
}

RowAction RowLifecycle::on_success(const RequestOutcome& outcome, RowAction fed) {
    switch (request_) {
        case Request::invite:
            result_.user_id = outcome.user_id.value_or("");
            fed.step =
                finish(Status::invited, outcome.user_id ? "" : "the server's reply held no userId").step;
            return fed;
        case Request::reactivate:
            if (follow_up_ == FollowUp::update)
                return next_request(Request::update, fed);
            fed.step = finish(Status::reactivated, "").step;
            return fed;
        case Request::update:
            fed.step =
                finish(operation_ == Operation::reactivate ? Status::reactivated : Status::updated, "").step;
            return fed;
        case Request::revoke:
            fed.step = finish(Status::revoked, "").step;
            return fed;
        case Request::lookup:
            break;  // answered by on_lookup_reply
    }
    return fed;
}

RowAction RowLifecycle::act_on(const Decision& d, const RequestOutcome& outcome, RowAction fed) {
    RowAction next = fed;
    switch (d.action) {
        case Action::invited:
            return on_success(outcome, fed);
        case Action::exists:
            if (request_ == Request::invite)
                return next_request(Request::lookup, fed);
            next.step = finish(Status::rejected, outcome.problem).step;  // a conflict on a change: final
            break;
        case Action::rejected:
            next.step = finish(Status::rejected, outcome.problem).step;
            break;
        case Action::abort_auth:
            abort_ = make_error(ErrorKind::auth, "the server refused the API key (" + outcome.problem +
                                                     "); no new requests were started");
            next.step = finish(Status::failed,
                               "authentication refused (" + outcome.problem + "); fix the key, then --resume")
                            .step;
            return next;
        case Action::give_up: {
            const unsigned tries = static_cast<unsigned>(retry_.attempts());
            next.step = finish(Status::failed, outcome.problem + " (gave up after " + std::to_string(tries) +
                                                   (tries == 1 ? " attempt)" : " attempts)"))
                            .step;
            break;
        }
        case Action::abort_wait: {
            const auto when = text::format_wall_time(d.resume_at);
            abort_ = make_error(ErrorKind::interrupted,
                                "the server asked for a pause of " +
                                    text::format_duration(static_cast<double>(d.delay.count()) / 1000.0) +
                                    ", longer than --max-wait; it will accept requests again at " + when +
                                    "; then run again with --resume");
            next.step =
                finish(Status::failed, outcome.problem + "; the server asked to wait until " + when).step;
            return next;
        }
        case Action::retry:
            step_ = Step::wait;
            next.step = Step::wait;
            next.delay = d.delay;
            return next;
    }
    if (operation_ == Operation::revoke && !abort_) {
        abort_ = make_error(ErrorKind::interrupted,
                            "revocations stopped at the first one that did not succeed (" + result_.email +
                                ": " + outcome.problem + "); no further user was revoked");
    }
    return next;
}

RowAction RowLifecycle::on_lookup_reply(const RequestOutcome& outcome) {
    RowAction fed;
    const auto* reply = std::get_if<HttpReply>(&outcome.attempt);
    if (reply != nullptr) {
        fed.feedback = reply->status == 429 ? Feedback::throttled : Feedback::accepted;
        if (reply->status == 429)
            fed.server_wait = std::chrono::seconds(1);
    }
    std::string note;
    if (reply == nullptr || reply->status / 100 != 2) {
        note = "user id lookup failed: " + outcome.problem;
    } else if (outcome.user_id) {
        result_.user_id = *outcome.user_id;
    } else {
        note = "user id lookup found no user with this email";
    }
    fed.step = finish(Status::exists, std::move(note)).step;
    return fed;
}

}  // namespace avara::flow
