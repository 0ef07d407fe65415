#pragma once
// What to do after one attempt of an invite request: the contract's outcome table as a pure function.
// Like Boost.MySQL's sans-io connection node, this holds no socket, timer or clock: the I/O shell
// passes in the outcome, the wall-clock "now" (only to compare HTTP dates) and a jitter draw, and
// gets back an action plus the delay to sleep. Tests step it attempt by attempt on fake time.
#include <chrono>
#include <string_view>
#include <variant>

namespace avara::flow {

// No answer came back: connect error, TLS error other than a certificate failure (that aborts the run
// and never reaches the policy), timeout, or the connection closed before a response.
struct TransportFailure {};

// An HTTP response. Header values are the raw strings; an empty view means the header was absent
// (Beast returns an empty view for a missing field, and an empty value says nothing anyway).
// The views are only read during the call.
struct HttpReply {
    int status = 0;
    std::string_view x_should_retry;
    std::string_view retry_after_ms;
    std::string_view retry_after;
};

using AttemptOutcome = std::variant<TransportFailure, HttpReply>;

enum class Action {
    invited,     // 2xx
    exists,      // 409: the user is already there, an outcome and never retried
    rejected,    // other 4xx (and stray 1xx/3xx): the server's answer is final for this row
    abort_auth,  // 401, 403: the run stops, no new requests
    retry,       // 408, 429, 5xx, transport failure (x-should-retry may force or forbid it)
    give_up,     // a retryable outcome with no retry left or a retry forbidden: the row is `failed`
    abort_wait,  // the server asked for a wait over max_wait: the run stops until `resume_at`
};
const char* to_string(Action a) noexcept;

struct Decision {
    Action action = Action::give_up;
    // retry: how long to wait before the next attempt. give_up, abort_wait: the wait a retry would
    // have needed (so a 429 can still pause the run). Zero otherwise.
    std::chrono::milliseconds delay{0};
    // The delay came from retry-after-ms / Retry-After rather than our own backoff.
    bool server_requested = false;
    // The outcome was a 429: the caller slows the whole run (RateLimiter::on_throttled), whatever the action.
    bool throttled = false;
    // abort_wait only: when the server will accept requests again (now + the requested wait).
    std::chrono::system_clock::time_point resume_at{};
};

struct RetryParams {
    int max_retries = 5;  // retries after the first attempt; negative counts as 0
    std::chrono::milliseconds max_wait = std::chrono::seconds(300);
    std::chrono::milliseconds base_delay = std::chrono::milliseconds(500);
    std::chrono::milliseconds max_delay = std::chrono::seconds(8);
};

class RetryPolicy {
  public:
    explicit RetryPolicy(RetryParams params = {}) noexcept;

    // Classifies the outcome of attempt number `attempts_made` (1 for the first request of a row).
    // `jitter` is a uniform draw in [0, 1) (values outside are clamped); it only shapes our own backoff.
    Decision decide(const AttemptOutcome& outcome, int attempts_made,
                    std::chrono::system_clock::time_point now, double jitter) const noexcept;

    // Our own wait before retry number `retry` (1-based): base x 2^(retry-1), capped at max_delay, times
    // a factor 1 - jitter/4 in (0.75, 1], as the official SDKs do. Truncated to whole milliseconds.
    std::chrono::milliseconds backoff(int retry, double jitter) const noexcept;

    const RetryParams& params() const noexcept { return params_; }

  private:
    RetryParams params_;
};

// The per-row state: counts attempts so the caller cannot get the arithmetic wrong.
//     RowRetry row(policy);
//     for (;;) {
//         ...acquire a slot, send...
//         const Decision d = row.on_outcome(outcome, system_clock::now(), uniform_0_1(rng));
//         if (d.throttled) limiter.on_throttled(steady_clock::now(), d.delay);
//         if (d.action != Action::retry) break;  // row.attempts() goes in the report
//         co_await sleep_for(d.delay);
//     }
class RowRetry {
  public:
    explicit RowRetry(const RetryPolicy& policy) noexcept : policy_(&policy) {}

    // Records one more attempt and decides what follows it.
    Decision on_outcome(const AttemptOutcome& outcome, std::chrono::system_clock::time_point now,
                        double jitter) noexcept;
    int attempts() const noexcept { return attempts_; }

  private:
    const RetryPolicy* policy_;
    int attempts_ = 0;
};

}  // namespace avara::flow
