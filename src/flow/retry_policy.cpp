#include "avara_onboard/flow/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "avara_onboard/flow/retry_after.hpp"

namespace avara::flow {

namespace {

using std::chrono::milliseconds;

RetryParams sanitized(RetryParams p) noexcept {
    p.max_retries = std::max(p.max_retries, 0);
    p.max_wait = std::max(p.max_wait, milliseconds{0});
    p.base_delay = std::max(p.base_delay, milliseconds{0});
    p.max_delay = std::max(p.max_delay, milliseconds{0});
    return p;
}

// retry-after-ms wins over Retry-After, as in the official SDKs; an unreadable one is skipped, not fatal.
std::optional<milliseconds> server_wait(const HttpReply& reply, std::chrono::system_clock::time_point now) {
    if (auto ms = parse_retry_after_ms(reply.retry_after_ms))
        return ms;
    return parse_retry_after(reply.retry_after, now);
}

}  // namespace

const char* to_string(Action a) noexcept {
    switch (a) {
        case Action::invited:
            return "invited";
        case Action::exists:
            return "exists";
        case Action::rejected:
            return "rejected";
        case Action::abort_auth:
            return "abort_auth";
        case Action::retry:
            return "retry";
        case Action::give_up:
            return "give_up";
        case Action::abort_wait:
            return "abort_wait";
    }
    return "unknown";
}

RetryPolicy::RetryPolicy(RetryParams params) noexcept : params_(sanitized(params)) {}

milliseconds RetryPolicy::backoff(int retry, double jitter) const noexcept {
    // 2^62 ms is far past any cap; stopping there keeps ldexp's result finite and meaningful.
    const int exponent = std::clamp(retry, 1, 63) - 1;
    const double uncapped = std::ldexp(static_cast<double>(params_.base_delay.count()), exponent);
    const double capped = std::min(uncapped, static_cast<double>(params_.max_delay.count()));
    // NaN fails both comparisons and lands on 0, i.e. no jitter.
    const double u = jitter >= 0.0 ? std::min(jitter, 1.0) : 0.0;
    const double factor = 1.0 - 0.25 * u;
    return milliseconds{static_cast<milliseconds::rep>(capped * factor)};
}

Decision RetryPolicy::decide(const AttemptOutcome& outcome, int attempts_made,
                             std::chrono::system_clock::time_point now, double jitter) const noexcept {
    Decision d;
    std::optional<milliseconds> requested;
    if (const auto* reply = std::get_if<HttpReply>(&outcome)) {
        const int status = reply->status;
        d.throttled = status == 429;
        if (status >= 200 && status <= 299) {
            d.action = Action::invited;
            return d;
        }
        // 409 and 401/403 carry meaning for the whole import; a retry hint cannot change that.
        if (status == 409) {
            d.action = Action::exists;
            return d;
        }
        if (status == 401 || status == 403) {
            d.action = Action::abort_auth;
            return d;
        }
        const bool transient = status == 408 || status == 429 || status >= 500;
        requested = server_wait(*reply, now);
        const bool retryable = parse_should_retry(reply->x_should_retry).value_or(transient);
        if (!retryable) {
            d.action = transient ? Action::give_up : Action::rejected;
            if (transient && requested) {
                d.delay = *requested;
                d.server_requested = true;
            }
            return d;
        }
        if (requested && *requested > params_.max_wait) {
            // Checked before the retry budget: the server is closed to every row, not just this one,
            // so giving up on this row and carrying on would only burn the others' attempts.
            d.action = Action::abort_wait;
            d.delay = *requested;
            d.server_requested = true;
            d.resume_at = now + *requested;
            return d;
        }
    }

    const int attempt = std::max(attempts_made, 1);
    if (requested) {
        d.delay = *requested;
        d.server_requested = true;
    } else {
        d.delay = backoff(attempt, jitter);
    }
    d.action = attempt - 1 >= params_.max_retries ? Action::give_up : Action::retry;
    return d;
}

Decision RowRetry::on_outcome(const AttemptOutcome& outcome, std::chrono::system_clock::time_point now,
                              double jitter) noexcept {
    ++attempts_;
    return policy_->decide(outcome, attempts_, now, jitter);
}

}  // namespace avara::flow
