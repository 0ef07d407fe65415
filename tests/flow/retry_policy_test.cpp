#include "avara_onboard/flow/retry_policy.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace avara;
using namespace std::chrono;
using namespace std::chrono_literals;
using flow::Action;

namespace {

const system_clock::time_point now = sys_days{2025y / March / 1} + 12h;
// The largest jitter draw below 1: the smallest factor, just above 0.75.
const double jitter_max = std::nextafter(1.0, 0.0);

flow::HttpReply reply(int status, std::string_view should = {}, std::string_view ms = {},
                      std::string_view after = {}) {
    return flow::HttpReply{status, should, ms, after};
}

flow::Decision first(const flow::AttemptOutcome& outcome,
                     const flow::RetryPolicy& policy = flow::RetryPolicy{}) {
    return policy.decide(outcome, 1, now, 0.0);
}

}  // namespace

TEST_SUITE_BEGIN("flow");

TEST_CASE("flow::RetryPolicy classifies every status class") {
    for (int status : {200, 201, 204, 299}) {
        CAPTURE(status);
        CHECK(first(reply(status)).action == Action::invited);
    }
    CHECK(first(reply(409)).action == Action::exists);
    CHECK(first(reply(401)).action == Action::abort_auth);
    CHECK(first(reply(403)).action == Action::abort_auth);
    for (int status : {400, 404, 405, 410, 413, 422, 451, 499, 302, 304, 100}) {
        CAPTURE(status);
        const auto d = first(reply(status));
        CHECK(d.action == Action::rejected);
        CHECK(d.delay == 0ms);
    }
    for (int status : {408, 429, 500, 502, 503, 504, 599}) {
        CAPTURE(status);
        const auto d = first(reply(status));
        CHECK(d.action == Action::retry);
        CHECK(d.delay == 500ms);
        CHECK_FALSE(d.server_requested);
        CHECK(d.throttled == (status == 429));
    }
    SUBCASE("transport failures are retried with backoff") {
        const auto d = first(flow::TransportFailure{});
        CHECK(d.action == Action::retry);
        CHECK(d.delay == 500ms);
        CHECK_FALSE(d.server_requested);
        CHECK_FALSE(d.throttled);
    }
}

TEST_CASE("flow::RetryPolicy obeys x-should-retry") {
    SUBCASE("true forces a retry of an otherwise final 4xx") {
        const auto d = first(reply(400, "true"));
        CHECK(d.action == Action::retry);
        CHECK(d.delay == 500ms);
        CHECK(first(reply(422, " TRUE ", {}, "3")).delay == 3s);
    }
    SUBCASE("false forbids retrying a transient failure: the row fails") {
        CHECK(first(reply(503, "false")).action == Action::give_up);
        CHECK(first(reply(408, "false")).action == Action::give_up);
        const auto d = first(reply(429, "false", {}, "7"));
        CHECK(d.action == Action::give_up);
        CHECK(d.throttled);  // the run still slows down
        CHECK(d.server_requested);
        CHECK(d.delay == 7s);
    }
    SUBCASE("false on a 4xx keeps it rejected") {
        CHECK(first(reply(400, "false")).action == Action::rejected);
    }
    SUBCASE("any other value is no opinion") {
        CHECK(first(reply(400, "maybe")).action == Action::rejected);
        CHECK(first(reply(503, "1")).action == Action::retry);
    }
    SUBCASE("outcomes with a meaning of their own are not overridden") {
        CHECK(first(reply(201, "true")).action == Action::invited);
        CHECK(first(reply(409, "true")).action == Action::exists);
        CHECK(first(reply(401, "true")).action == Action::abort_auth);
        CHECK(first(reply(403, "true")).action == Action::abort_auth);
    }
}

TEST_CASE("flow::RetryPolicy honours server-requested waits") {
    SUBCASE("retry-after-ms") {
        const auto d = first(reply(429, {}, "1500"));
        CHECK(d.action == Action::retry);
        CHECK(d.delay == 1500ms);
        CHECK(d.server_requested);
        CHECK(d.throttled);
    }
    SUBCASE("retry-after-ms wins over Retry-After") {
        CHECK(first(reply(503, {}, "250", "10")).delay == 250ms);
    }
    SUBCASE("garbage retry-after-ms falls through to Retry-After") {
        CHECK(first(reply(503, {}, "soon", "10")).delay == 10s);
    }
    SUBCASE("Retry-After in seconds") {
        const auto d = first(reply(503, {}, {}, "4"));
        CHECK(d.delay == 4s);
        CHECK(d.server_requested);
        CHECK_FALSE(d.throttled);
    }
    SUBCASE("Retry-After as each of the three date forms") {
        CHECK(first(reply(429, {}, {}, "Sat, 01 Mar 2025 12:00:42 GMT")).delay == 42s);
        CHECK(first(reply(429, {}, {}, "Saturday, 01-Mar-25 12:00:42 GMT")).delay == 42s);
        CHECK(first(reply(429, {}, {}, "Sat Mar  1 12:00:42 2025")).delay == 42s);
    }
    SUBCASE("a date in the past is a server-requested zero wait") {
        const auto d = first(reply(429, {}, {}, "Sat, 01 Mar 2025 11:00:00 GMT"));
        CHECK(d.action == Action::retry);
        CHECK(d.delay == 0ms);
        CHECK(d.server_requested);
    }
    SUBCASE("negative values are clamped to no wait") {
        CHECK(first(reply(429, {}, "-100")).delay == 0ms);
        CHECK(first(reply(429, {}, {}, "-100")).delay == 0ms);
    }
    SUBCASE("garbage everywhere falls back to backoff") {
        const auto d = first(reply(503, {}, "x", "in a while"));
        CHECK(d.action == Action::retry);
        CHECK(d.delay == 500ms);
        CHECK_FALSE(d.server_requested);
    }
    SUBCASE("a server wait is not jittered") {
        CHECK(flow::RetryPolicy{}.decide(reply(503, {}, {}, "4"), 1, now, jitter_max).delay == 4s);
    }
}

TEST_CASE("flow::RetryPolicy aborts on a wait over max_wait, with the resume time") {
    const flow::RetryPolicy policy;  // max_wait 300 s
    SUBCASE("one second over") {
        const auto d = policy.decide(reply(429, {}, {}, "301"), 1, now, 0.0);
        CHECK(d.action == Action::abort_wait);
        CHECK(d.resume_at == now + 301s);
        CHECK(d.delay == 301s);
        CHECK(d.server_requested);
        CHECK(d.throttled);
    }
    SUBCASE("exactly max_wait is still waited for") {
        const auto d = policy.decide(reply(429, {}, {}, "300"), 1, now, 0.0);
        CHECK(d.action == Action::retry);
        CHECK(d.delay == 300s);
    }
    SUBCASE("in milliseconds") {
        const auto d = policy.decide(reply(503, {}, "300001"), 1, now, 0.0);
        CHECK(d.action == Action::abort_wait);
        CHECK(d.resume_at == now + 300001ms);
    }
    SUBCASE("a date an hour away resumes at that date") {
        const auto d = policy.decide(reply(503, {}, {}, "Sat, 01 Mar 2025 13:00:00 GMT"), 1, now, 0.0);
        CHECK(d.action == Action::abort_wait);
        CHECK(d.resume_at == sys_days{2025y / March / 1} + 13h);
    }
    SUBCASE("an absurd wait is clamped, still an abort") {
        const auto d = policy.decide(reply(429, {}, {}, "99999999999999999999"), 1, now, 0.0);
        CHECK(d.action == Action::abort_wait);
        CHECK(d.resume_at == now + 24h);
    }
    SUBCASE("even on the last attempt: the server is closed for every row") {
        const auto d = policy.decide(reply(429, {}, {}, "600"), 6, now, 0.0);
        CHECK(d.action == Action::abort_wait);
    }
    SUBCASE("a lower max_wait") {
        const flow::RetryPolicy strict({.max_wait = 10s});
        CHECK(strict.decide(reply(429, {}, {}, "10"), 1, now, 0.0).action == Action::retry);
        CHECK(strict.decide(reply(429, {}, {}, "11"), 1, now, 0.0).action == Action::abort_wait);
    }
    SUBCASE("our own backoff never aborts, whatever the cap") {
        const flow::RetryPolicy slow({.max_retries = 20, .max_wait = 1s, .max_delay = 8s});
        CHECK(slow.decide(flow::TransportFailure{}, 10, now, 0.0).action == Action::retry);
    }
}

TEST_CASE("flow::RetryPolicy backoff doubles from 0.5 s to the 8 s cap with jitter") {
    const flow::RetryPolicy policy({.max_retries = 10});
    SUBCASE("jitter 0: the full delay") {
        const std::vector<milliseconds> expected = {500ms, 1s, 2s, 4s, 8s, 8s, 8s, 8s, 8s, 8s};
        for (int attempt = 1; attempt <= 10; ++attempt) {
            CAPTURE(attempt);
            const auto d = policy.decide(flow::TransportFailure{}, attempt, now, 0.0);
            CHECK(d.action == Action::retry);
            CHECK(d.delay == expected[static_cast<std::size_t>(attempt - 1)]);
        }
    }
    SUBCASE("jitter just below 1: three quarters") {
        const std::vector<milliseconds> expected = {375ms, 750ms, 1500ms, 3s, 6s, 6s};
        for (int attempt = 1; attempt <= 6; ++attempt) {
            CAPTURE(attempt);
            CHECK(policy.decide(reply(503), attempt, now, jitter_max).delay ==
                  expected[static_cast<std::size_t>(attempt - 1)]);
        }
    }
    SUBCASE("in between") {
        CHECK(policy.backoff(1, 0.5) == 437ms);  // 500 x 0.875 = 437.5, truncated
        CHECK(policy.backoff(4, 0.5) == 3500ms);
    }
    SUBCASE("out-of-range draws are clamped") {
        CHECK(policy.backoff(1, -1.0) == 500ms);
        CHECK(policy.backoff(1, 5.0) == 375ms);
        CHECK(policy.backoff(1, std::numeric_limits<double>::quiet_NaN()) == 500ms);
    }
    SUBCASE("huge retry numbers stay at the cap") {
        CHECK(policy.backoff(1000, 0.0) == 8s);
        CHECK(policy.backoff(std::numeric_limits<int>::max(), 0.0) == 8s);
        CHECK(policy.backoff(0, 0.0) == 500ms);
    }
    SUBCASE("base and cap overridable") {
        const flow::RetryPolicy fast({.base_delay = 10ms, .max_delay = 40ms});
        CHECK(fast.backoff(1, 0.0) == 10ms);
        CHECK(fast.backoff(2, 0.0) == 20ms);
        CHECK(fast.backoff(3, 0.0) == 40ms);
        CHECK(fast.backoff(4, 0.0) == 40ms);
        CHECK(fast.backoff(4, jitter_max) == 30ms);
    }
}

TEST_CASE("flow::RetryPolicy gives up when retries are exhausted") {
    SUBCASE("default: five retries after the first attempt") {
        const flow::RetryPolicy policy;
        for (int attempt = 1; attempt <= 5; ++attempt) {
            CAPTURE(attempt);
            CHECK(policy.decide(reply(503), attempt, now, 0.0).action == Action::retry);
        }
        const auto d = policy.decide(reply(503), 6, now, 0.0);
        CHECK(d.action == Action::give_up);
        CHECK_FALSE(d.throttled);
    }
    SUBCASE("a 429 that runs out still asks the run to slow down") {
        const flow::RetryPolicy policy({.max_retries = 1});
        const auto d = policy.decide(reply(429, {}, {}, "2"), 2, now, 0.0);
        CHECK(d.action == Action::give_up);
        CHECK(d.throttled);
        CHECK(d.delay == 2s);
    }
    SUBCASE("zero retries, and negative counts as zero") {
        CHECK(flow::RetryPolicy({.max_retries = 0}).decide(flow::TransportFailure{}, 1, now, 0.0).action ==
              Action::give_up);
        CHECK(flow::RetryPolicy({.max_retries = -3}).decide(flow::TransportFailure{}, 1, now, 0.0).action ==
              Action::give_up);
    }
    SUBCASE("a forced retry has the same budget") {
        const flow::RetryPolicy policy({.max_retries = 2});
        CHECK(policy.decide(reply(400, "true"), 2, now, 0.0).action == Action::retry);
        CHECK(policy.decide(reply(400, "true"), 3, now, 0.0).action == Action::give_up);
    }
}

TEST_CASE("flow::RowRetry steps one row attempt by attempt") {
    SUBCASE("mixed failures, then success") {
        const flow::RetryPolicy policy;
        flow::RowRetry row(policy);
        auto d = row.on_outcome(reply(503), now, 0.0);
        CHECK(d.action == Action::retry);
        CHECK(d.delay == 500ms);
        d = row.on_outcome(reply(429, {}, {}, "2"), now, 0.0);
        CHECK(d.action == Action::retry);
        CHECK(d.delay == 2s);
        CHECK(d.throttled);
        d = row.on_outcome(flow::TransportFailure{}, now, 0.0);
        CHECK(d.action == Action::retry);
        CHECK(d.delay == 2s);  // the third attempt's backoff: 0.5 s x 2^2
        d = row.on_outcome(reply(201), now, 0.0);
        CHECK(d.action == Action::invited);
        CHECK(row.attempts() == 4);
    }
    SUBCASE("every attempt fails") {
        const flow::RetryPolicy policy({.max_retries = 3});
        flow::RowRetry row(policy);
        std::vector<Action> actions;
        std::vector<milliseconds> delays;
        for (;;) {
            const auto d = row.on_outcome(reply(502), now, 0.0);
            actions.push_back(d.action);
            delays.push_back(d.delay);
            if (d.action != Action::retry)
                break;
        }
        CHECK(actions == std::vector<Action>{Action::retry, Action::retry, Action::retry, Action::give_up});
        CHECK(delays == std::vector<milliseconds>{500ms, 1s, 2s, 4s});
        CHECK(row.attempts() == 4);
    }
    SUBCASE("a final answer ends the row at once") {
        const flow::RetryPolicy policy;
        flow::RowRetry row(policy);
        CHECK(row.on_outcome(reply(422), now, 0.0).action == Action::rejected);
        CHECK(row.attempts() == 1);
    }
}

TEST_CASE("flow::to_string names every action") {
    CHECK(std::string_view(flow::to_string(Action::invited)) == "invited");
    CHECK(std::string_view(flow::to_string(Action::exists)) == "exists");
    CHECK(std::string_view(flow::to_string(Action::rejected)) == "rejected");
    CHECK(std::string_view(flow::to_string(Action::abort_auth)) == "abort_auth");
    CHECK(std::string_view(flow::to_string(Action::retry)) == "retry");
    CHECK(std::string_view(flow::to_string(Action::give_up)) == "give_up");
    CHECK(std::string_view(flow::to_string(Action::abort_wait)) == "abort_wait");
}

TEST_SUITE_END();
