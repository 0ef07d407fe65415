#include "avara_onboard/flow/rate_limiter.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "avara_onboard/util/error.hpp"

using namespace avara;
using namespace std::chrono_literals;
using flow::RateLimiter;

namespace {

// Fake time: any fixed point of the steady clock will do; nothing here reads a clock.
const RateLimiter::time_point t0 = RateLimiter::time_point{} + 1000h;

flow::RateLimiterParams at_rate(double rate) {
    flow::RateLimiterParams p;
    p.rate = rate;
    return p;
}

// Sends `count` requests back to back, each as soon as its slot comes, and reports success for each:
// how a run behaves while the limiter is the bottleneck. Returns the time of the last send.
RateLimiter::time_point run_flat_out(RateLimiter& limiter, RateLimiter::time_point from, int count) {
    RateLimiter::time_point now = from;
    for (int i = 0; i < count; ++i) {
        now = std::max(now, limiter.acquire(now));
        limiter.on_success(now);
    }
    return now;
}

// The contract's smoothness bound: within any closed window [s, s + T] starting at a slot, at most
// floor(T * rate) + 1 slots.
void check_window_bound(const std::vector<RateLimiter::time_point>& slots, double rate) {
    for (auto window : {1ms, 50ms, 142ms, 143ms, 500ms, 1000ms, 3300ms, 10000ms}) {
        const double seconds = std::chrono::duration<double>(window).count();
        const auto allowed = static_cast<std::size_t>(std::floor(seconds * rate)) + 1;
        for (std::size_t i = 0; i < slots.size(); ++i) {
            std::size_t in_window = 0;
            for (std::size_t j = i; j < slots.size() && slots[j] <= slots[i] + window; ++j)
                ++in_window;
            CAPTURE(window.count());
            CAPTURE(i);
            REQUIRE(in_window <= allowed);
        }
    }
}

}  // namespace

TEST_SUITE_BEGIN("flow");

TEST_CASE("flow::RateLimiter spaces slots 1/R apart with a burst of 1") {
    RateLimiter limiter(at_rate(10));
    CHECK(limiter.current_rate() == 10.0);
    CHECK(limiter.acquire(t0) == t0);
    CHECK(limiter.acquire(t0) == t0 + 100ms);
    CHECK(limiter.acquire(t0) == t0 + 200ms);
    CHECK(limiter.acquire(t0 + 150ms) == t0 + 300ms);
    SUBCASE("a caller arriving after the next slot goes at once") {
        CHECK(limiter.acquire(t0 + 450ms) == t0 + 450ms);
        CHECK(limiter.acquire(t0 + 460ms) == t0 + 550ms);
    }
    SUBCASE("idle time does not bank a burst") {
        CHECK(limiter.acquire(t0 + 10s) == t0 + 10s);
        CHECK(limiter.acquire(t0 + 10s) == t0 + 10s + 100ms);
        CHECK(limiter.acquire(t0 + 10s) == t0 + 10s + 200ms);
    }
    SUBCASE("an awkward rate rounds the interval up, never down") {
        RateLimiter three(at_rate(3));
        CHECK(three.acquire(t0) == t0);
        CHECK(three.acquire(t0) == t0 + 333333334ns);
    }
}

TEST_CASE("flow::RateLimiter serves many callers in order") {
    RateLimiter limiter(at_rate(4));
    std::vector<RateLimiter::time_point> slots;
    for (int i = 0; i < 50; ++i)
        slots.push_back(limiter.acquire(t0 + std::chrono::milliseconds(i)));
    for (std::size_t i = 0; i < slots.size(); ++i) {
        CAPTURE(i);
        CHECK(slots[i] == t0 + 250ms * static_cast<int>(i));
    }
}

TEST_CASE("flow::RateLimiter never lets more than floor(T*R)+1 start in a window") {
    constexpr double rate = 7;
    RateLimiter limiter(at_rate(rate));
    std::vector<RateLimiter::time_point> slots;
    // A fixed pseudo-random arrival pattern: bursts of callers, gaps, throttles and recoveries.
    std::uint32_t state = 12345;
    auto next = [&state] {
        state = state * 1664525u + 1013904223u;
        return state >> 8;
    };
    RateLimiter::time_point now = t0;
    for (int i = 0; i < 600; ++i) {
        const auto r = next();
        if (r % 5 == 0)
            now += std::chrono::milliseconds(r % 2000);  // sometimes idle
        if (r % 97 == 0)
            limiter.on_throttled(now, std::chrono::milliseconds(r % 3000));
        const auto slot = limiter.acquire(now);
        REQUIRE(slot >= now);
        if (!slots.empty())
            REQUIRE(slot >= slots.back());
        slots.push_back(slot);
        if (r % 3 == 0)
            limiter.on_success(slot);
        REQUIRE(limiter.current_rate() <= rate);
        REQUIRE(limiter.current_rate() > 0);
    }
    check_window_bound(slots, rate);
}

TEST_CASE("flow::RateLimiter with rate 0 is unlimited until a 429") {
    RateLimiter limiter(at_rate(0));
    CHECK(limiter.current_rate() == 0.0);
    for (int i = 0; i < 1000; ++i)
        REQUIRE(limiter.acquire(t0) == t0);
    CHECK(limiter.acquire(t0 + 5ms) == t0 + 5ms);
    limiter.on_success(t0 + 5ms);
    CHECK(limiter.current_rate() == 0.0);
}

TEST_CASE("flow::RateLimiter pauses everyone on a 429") {
    RateLimiter limiter(at_rate(10));
    const auto a = limiter.acquire(t0);  // sends at t0
    const auto b = limiter.acquire(t0);
    const auto c = limiter.acquire(t0);
    CHECK(a == t0);
    CHECK(b == t0 + 100ms);
    CHECK(c == t0 + 200ms);

    // a's answer is a 429 asking for 2 s, before b and c were due.
    limiter.on_throttled(t0 + 50ms, 2s);
    CHECK(limiter.paused_until() == t0 + 2050ms);
    CHECK(limiter.current_rate() == 5.0);

    // b and c wake at their slots, find the run paused, and get new slots after it, still in order
    // and spaced at the lowered rate; a newcomer queues behind them.
    const auto b2 = limiter.admit(b);
    const auto c2 = limiter.admit(c);
    const auto d = limiter.acquire(t0 + 300ms);
    CHECK(b2 == t0 + 2050ms);
    CHECK(c2 == t0 + 2250ms);
    CHECK(d == t0 + 2450ms);
    // When their new slots come, they are admitted.
    CHECK(limiter.admit(b2) == b2);
    CHECK(limiter.admit(c2) == c2);
    CHECK(limiter.admit(d) == d);

    SUBCASE("a slot reserved after the throttle is unaffected") {
        const auto e = limiter.acquire(t0 + 300ms);
        CHECK(e == t0 + 2650ms);
        CHECK(limiter.admit(e) == e);
    }
    SUBCASE("a later 429 extends the pause but one burst of 429s halves once") {
        limiter.on_throttled(t0 + 400ms, 5s);
        CHECK(limiter.paused_until() == t0 + 5400ms);
        CHECK(limiter.current_rate() == 5.0);
        CHECK(limiter.acquire(t0 + 500ms) >= t0 + 5400ms);
        // A shorter wait never shortens the pause.
        limiter.on_throttled(t0 + 600ms, 1s);
        CHECK(limiter.paused_until() == t0 + 5400ms);
    }
    SUBCASE("a 429 after the guard halves again, down to the floor") {
        limiter.on_throttled(t0 + 1100ms, 0s);
        CHECK(limiter.current_rate() == 2.5);
        limiter.on_throttled(t0 + 2200ms, 0s);
        CHECK(limiter.current_rate() == 1.25);
        limiter.on_throttled(t0 + 3300ms, 0s);
        CHECK(limiter.current_rate() == 1.0);
        limiter.on_throttled(t0 + 4400ms, 0s);
        CHECK(limiter.current_rate() == 1.0);
    }
    SUBCASE("a zero wait lowers the rate without pausing") {
        RateLimiter other(at_rate(10));
        other.on_throttled(t0, 0s);
        CHECK(other.current_rate() == 5.0);
        CHECK(other.acquire(t0) == t0);
        CHECK(other.acquire(t0) == t0 + 200ms);
    }
}

TEST_CASE("flow::RateLimiter halves on a 429 and recovers linearly, never above the configured rate") {
    flow::RateLimiterParams params = at_rate(10);
    params.recovery_time = 20s;  // 0 -> 10/s in 20 s, so 0.5/s per second
    RateLimiter limiter(params);
    const auto sent = run_flat_out(limiter, t0, 50);  // 5 s at the full rate
    CHECK(sent == t0 + 4900ms);
    CHECK(limiter.current_rate() == 10.0);

    const auto throttle = sent + 50ms;
    limiter.on_throttled(throttle, 1s);
    CHECK(limiter.current_rate() == 5.0);
    const auto resume = throttle + 1s;

    // Answers that arrive during the pause do not count towards recovery.
    limiter.on_success(throttle + 500ms);
    CHECK(limiter.current_rate() == 5.0);
    limiter.on_success(resume);
    CHECK(limiter.current_rate() == 5.0);

    // Two seconds of successes after the pause: +1/s.
    limiter.on_success(resume + 2s);
    CHECK(limiter.current_rate() == doctest::Approx(6.0));
    limiter.on_success(resume + 6s);
    CHECK(limiter.current_rate() == doctest::Approx(8.0));
    // The slots follow the rate in force.
    const auto s1 = limiter.acquire(resume + 6s);
    const auto s2 = limiter.acquire(resume + 6s);
    CHECK(s2 - s1 == 125ms);

    // Long after, it is back at, and never beyond, the configured rate.
    limiter.on_success(resume + 60s);
    CHECK(limiter.current_rate() == 10.0);
    limiter.on_success(resume + 600s);
    CHECK(limiter.current_rate() == 10.0);

    SUBCASE("without successes nothing recovers") {
        RateLimiter quiet(params);
        quiet.on_throttled(t0, 0s);
        CHECK(quiet.current_rate() == 5.0);
        CHECK(quiet.acquire(t0 + 60s) == t0 + 60s);
        CHECK(quiet.current_rate() == 5.0);
        // The first success credits the time since the throttle, capped at the configured rate.
        quiet.on_success(t0 + 60s);
        CHECK(quiet.current_rate() == 10.0);
    }
    SUBCASE("recovery_time 0 recovers at the first success") {
        flow::RateLimiterParams instant = at_rate(10);
        instant.recovery_time = 0s;
        RateLimiter fast(instant);
        fast.on_throttled(t0, 1s);
        CHECK(fast.current_rate() == 5.0);
        fast.on_success(t0 + 1001ms);
        CHECK(fast.current_rate() == 10.0);
    }
}

TEST_CASE("flow::RateLimiter floors the lowered rate") {
    SUBCASE("at min_rate") {
        flow::RateLimiterParams p = at_rate(3);
        p.min_rate = 2;
        RateLimiter limiter(p);
        limiter.on_throttled(t0, 0s);
        CHECK(limiter.current_rate() == 2.0);
    }
    SUBCASE("a configured rate below the floor is kept") {
        RateLimiter limiter(at_rate(0.5));
        limiter.on_throttled(t0, 0s);
        CHECK(limiter.current_rate() == 0.5);
        CHECK(limiter.acquire(t0) == t0);
        CHECK(limiter.acquire(t0) == t0 + 2s);
    }
}

TEST_CASE("flow::RateLimiter in unlimited mode switches to a derived limit on a 429") {
    flow::RateLimiterParams params = at_rate(0);
    params.recovery_time = 20s;
    RateLimiter limiter(params);
    // Twenty requests a second for three seconds.
    RateLimiter::time_point now = t0;
    for (int i = 0; i < 60; ++i) {
        REQUIRE(limiter.acquire(now) == now);
        now += 50ms;
    }
    limiter.on_throttled(now, 2s);
    const double lowered = limiter.current_rate();
    CHECK(lowered > 9.0);
    CHECK(lowered < 12.0);
    CHECK(limiter.paused_until() == now + 2s);

    // Now limited: nothing before the pause ends, then spaced at the derived rate.
    const auto s1 = limiter.acquire(now);
    const auto s2 = limiter.acquire(now);
    CHECK(s1 == now + 2s);
    CHECK(std::chrono::duration<double>(s2 - s1).count() == doctest::Approx(1.0 / lowered).epsilon(1e-6));

    // It climbs back and, on reaching what was observed, returns to unlimited.
    limiter.on_success(now + 2s + 5s);
    CHECK(limiter.current_rate() > lowered);
    limiter.on_success(now + 2s + 60s);
    CHECK(limiter.current_rate() == 0.0);
    const auto later = now + 2s + 61s;
    CHECK(limiter.acquire(later) == later);
    CHECK(limiter.acquire(later) == later);
}

TEST_CASE("flow::RateLimiter refuses nonsense parameters") {
    CHECK_THROWS_AS(RateLimiter(at_rate(-1)), AppError);
    CHECK_THROWS_AS(RateLimiter(at_rate(std::numeric_limits<double>::quiet_NaN())), AppError);
    CHECK_THROWS_AS(RateLimiter(at_rate(std::numeric_limits<double>::infinity())), AppError);
    flow::RateLimiterParams p = at_rate(10);
    p.min_rate = 0;
    CHECK_THROWS_AS(RateLimiter{p}, AppError);
}

TEST_SUITE_END();
