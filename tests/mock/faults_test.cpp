#include "avara_onboard/mock/faults.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace avara::mock;
using namespace std::chrono_literals;

TEST_SUITE_BEGIN("mock");

namespace {
std::vector<FaultDecision> rolls(FaultOptions options, int n) {
    FaultDice dice(options);
    std::vector<FaultDecision> out;
    for (int i = 0; i < n; ++i)
        out.push_back(dice.roll());
    return out;
}
bool same(const FaultDecision& a, const FaultDecision& b) {
    return a.drop == b.drop && a.drop_after == b.drop_after && a.fail == b.fail && a.throttle == b.throttle;
}
}  // namespace

TEST_CASE("mock::FaultDice at rate 0 never fires, at rate 1 always does") {
    SUBCASE("zero") {
        for (const auto& d : rolls(FaultOptions{}, 1000)) {
            CHECK_FALSE(d.drop);
            CHECK_FALSE(d.drop_after);
            CHECK_FALSE(d.fail);
            CHECK_FALSE(d.throttle);
        }
    }
    SUBCASE("one") {
        FaultOptions o;
        o.fail_rate = o.throttle_rate = o.drop_rate = 1.0;
        int after = 0;
        for (const auto& d : rolls(o, 1000)) {
            CHECK(d.drop);
            CHECK(d.fail);
            CHECK(d.throttle);
            after += d.drop_after;
        }
        // Half of the drops come after the request took effect: a fair coin over 1000 tosses lands
        // in this band with overwhelming probability, and the seed is fixed anyway.
        CHECK(after > 400);
        CHECK(after < 600);
    }
}

TEST_CASE("mock::FaultDice repeats itself for the same seed and only then") {
    FaultOptions o;
    o.fail_rate = 0.3;
    o.throttle_rate = 0.2;
    o.drop_rate = 0.1;
    o.seed = 42;
    const auto a = rolls(o, 500);
    const auto b = rolls(o, 500);
    int fails = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(same(a[i], b[i]));
        fails += a[i].fail;
    }
    CHECK(fails > 100);  // about 150 of 500 at 0.3
    CHECK(fails < 200);
    o.seed = 43;
    const auto c = rolls(o, 500);
    int differ = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        differ += !same(a[i], c[i]);
    CHECK(differ > 50);
}

TEST_CASE("mock::FaultDice keeps one fault's pattern when another rate changes") {
    FaultOptions o;
    o.seed = 7;
    o.fail_rate = 0.5;
    const auto a = rolls(o, 200);
    o.drop_rate = 0.5;
    const auto b = rolls(o, 200);
    for (std::size_t i = 0; i < a.size(); ++i)
        CHECK(a[i].fail == b[i].fail);
}

TEST_CASE("mock::TokenBucket admits its rate and refuses beyond it") {
    const TokenBucket::Clock::time_point t0{};
    SUBCASE("rate 0 is unlimited") {
        TokenBucket bucket(0, t0);
        for (int i = 0; i < 10000; ++i)
            REQUIRE(bucket.try_take(t0));
        CHECK(bucket.wait_for_token(t0) == TokenBucket::Clock::duration::zero());
    }
    SUBCASE("a burst of one second's worth, then the refill rate") {
        TokenBucket bucket(10, t0);
        for (int i = 0; i < 10; ++i)
            REQUIRE(bucket.try_take(t0));
        CHECK_FALSE(bucket.try_take(t0));
        CHECK(bucket.wait_for_token(t0) == 100ms);
        CHECK_FALSE(bucket.try_take(t0 + 99ms));
        CHECK(bucket.try_take(t0 + 100ms));
        CHECK_FALSE(bucket.try_take(t0 + 100ms));
        // A long pause refills to the capacity, no further.
        for (int i = 0; i < 10; ++i)
            REQUIRE(bucket.try_take(t0 + 60s));
        CHECK_FALSE(bucket.try_take(t0 + 60s));
    }
    SUBCASE("under one request per second the bucket still holds one token") {
        TokenBucket bucket(0.5, t0);
        CHECK(bucket.try_take(t0));
        CHECK_FALSE(bucket.try_take(t0 + 1s));
        CHECK(bucket.wait_for_token(t0 + 1s) == 1s);
        CHECK(bucket.try_take(t0 + 2s));
    }
    SUBCASE("a client keeping to the rate is never refused") {
        TokenBucket bucket(50, t0);
        for (int i = 0; i < 1000; ++i)
            REQUIRE(bucket.try_take(t0 + i * 20ms));
    }
    SUBCASE("an instant older than the last one does not refill backwards") {
        TokenBucket bucket(1, t0 + 10s);
        CHECK(bucket.try_take(t0 + 10s));
        CHECK_FALSE(bucket.try_take(t0 + 9s));
        CHECK(bucket.try_take(t0 + 11s));
    }
}

TEST_CASE("mock::TokenBucket with a burst size holds that many tokens, refilled at its rate") {
    const TokenBucket::Clock::time_point t0{};
    SUBCASE("a burst under the rate") {
        TokenBucket bucket(100, t0, 20);
        for (int i = 0; i < 20; ++i)
            REQUIRE(bucket.try_take(t0));
        CHECK_FALSE(bucket.try_take(t0));
        CHECK(bucket.wait_for_token(t0) == 10ms);
        // A long pause refills to 20, not to one second's worth.
        for (int i = 0; i < 20; ++i)
            REQUIRE(bucket.try_take(t0 + 60s));
        CHECK_FALSE(bucket.try_take(t0 + 60s));
    }
    SUBCASE("a burst over the rate") {
        TokenBucket bucket(2, t0, 50);
        for (int i = 0; i < 50; ++i)
            REQUIRE(bucket.try_take(t0));
        CHECK_FALSE(bucket.try_take(t0));
        CHECK(bucket.wait_for_token(t0) == 500ms);
        CHECK(bucket.try_take(t0 + 500ms));
    }
    SUBCASE("over any span it admits at most burst + rate * t") {
        TokenBucket bucket(100, t0, 20);
        int admitted = 0;
        for (int ms = 0; ms < 5000; ++ms) {  // a client asking 5 times a millisecond
            for (int k = 0; k < 5; ++k)
                admitted += bucket.try_take(t0 + std::chrono::milliseconds(ms));
        }
        CHECK(admitted >= 20 + 100 * 4);  // refilled up to the 4.999th second
        CHECK(admitted <= 20 + 100 * 5);
    }
    SUBCASE("0 means max(1, rate); under 1 still holds one token") {
        TokenBucket a(10, t0, 0);
        for (int i = 0; i < 10; ++i)
            REQUIRE(a.try_take(t0));
        CHECK_FALSE(a.try_take(t0));
        TokenBucket b(10, t0, 0.25);
        CHECK(b.try_take(t0));
        CHECK_FALSE(b.try_take(t0));
    }
}

TEST_CASE("mock::BlockedWindow refuses the first T seconds, then nothing") {
    const BlockedWindow::Clock::time_point t0{};
    SUBCASE("no window") {
        BlockedWindow w(FaultOptions{}, t0);
        CHECK_FALSE(w.retry_after(t0));
        CHECK_FALSE(w.retry_after(t0 + 1h));
    }
    SUBCASE("a fixed Retry-After") {
        FaultOptions o;
        o.blocked_seconds = 30;
        o.blocked_retry_after_s = 7;
        BlockedWindow w(o, t0);
        CHECK(w.retry_after(t0) == 7u);
        CHECK(w.retry_after(t0 + 29999ms) == 7u);
        CHECK_FALSE(w.retry_after(t0 + 30s));
        CHECK_FALSE(w.retry_after(t0 + 31s));
        CHECK(w.end() == t0 + 30s);
    }
    SUBCASE("by default the seconds left, rounded up, at least 1") {
        FaultOptions o;
        o.blocked_seconds = 10;
        BlockedWindow w(o, t0);
        CHECK(w.retry_after(t0) == 10u);
        CHECK(w.retry_after(t0 + 1ms) == 10u);
        CHECK(w.retry_after(t0 + 4500ms) == 6u);
        CHECK(w.retry_after(t0 + 9999ms) == 1u);
        CHECK_FALSE(w.retry_after(t0 + 10s));
    }
    SUBCASE("an instant a little before the start is inside the window") {
        FaultOptions o;
        o.blocked_seconds = 2;
        o.blocked_retry_after_s = 1;
        BlockedWindow w(o, t0 + 10s);
        CHECK(w.retry_after(t0 + 9990ms) == 1u);
    }
}

TEST_SUITE_END();
