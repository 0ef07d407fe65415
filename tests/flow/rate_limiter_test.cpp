#include "avara_onboard/flow/rate_limiter.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <queue>
#include <random>
#include <vector>

#include "avara_onboard/util/error.hpp"

using namespace avara;
using namespace std::chrono_literals;
using flow::Feedback;
using flow::Grant;
using flow::RateLimiter;
using flow::Wake;

namespace {

using tp = RateLimiter::time_point;
using dur = RateLimiter::duration;

// Fake time: any fixed point of the steady clock will do; nothing here reads a clock.
const tp t0 = tp{} + 1000h;

flow::RateLimiterParams at_rate(double rate) {
    flow::RateLimiterParams p;
    p.rate = rate;
    return p;
}

// Takes a slot as a caller would: wait for the grant, admit, again until admitted. Returns the send time.
tp take_slot(RateLimiter& limiter, tp now) {
    Grant g = limiter.acquire(now);
    for (int i = 0; i < 100; ++i) {
        REQUIRE(g.at != tp::max());
        now = std::max(now, g.at);
        g = limiter.admit(now, g);
        if (g.at == now)
            return now;
    }
    FAIL("never admitted");
    return now;
}

// The contract's smoothness bound: within any closed window [s, s + T] starting at a slot, at most
// floor(T * rate) + 1 slots.
void check_window_bound(const std::vector<tp>& slots, double rate) {
    for (auto window : {1ms, 50ms, 142ms, 143ms, 500ms, 1000ms, 3300ms}) {
        const double seconds = std::chrono::duration<double>(window).count();
        const auto allowed = static_cast<std::size_t>(std::floor(seconds * rate)) + 1;
        std::size_t j = 0;
        for (std::size_t i = 0; i < slots.size(); ++i) {
            j = std::max(j, i);
            while (j < slots.size() && slots[j] <= slots[i] + window)
                ++j;
            CAPTURE(window.count());
            CAPTURE(i);
            REQUIRE(j - i <= allowed);
        }
    }
}

// A server for the simulation: answers each request accepted or throttled.
struct SimServer {
    double bucket_rate = 0;  // token bucket refill, per second; 0 = no bucket
    double bucket_burst = 1;
    double noise = 0;  // share answered 429 whatever the rate
    double tokens = 0;
    tp last{};
    std::mt19937_64 rng{42};

    bool accept(tp now) {
        if (std::uniform_real_distribution<double>(0, 1)(rng) < noise)
            return false;
        if (bucket_rate <= 0)
            return true;
        if (last == tp{}) {
            tokens = bucket_burst;
            last = now;
        }
        tokens =
            std::min(bucket_burst, tokens + bucket_rate * std::chrono::duration<double>(now - last).count());
        last = now;
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
};

struct SimResult {
    std::uint64_t sent = 0;
    std::uint64_t throttled = 0;
    std::vector<std::uint64_t> accepted_per_second;
    std::vector<std::uint64_t> throttled_per_second;
    std::vector<double> limit_per_second;
    std::vector<tp> sends;
};

// N callers, each sending as soon as the limiter lets it, replies after `latency`: the engine's shape
// while the limiter is the bottleneck (a throttled row waits on its own, and its worker takes the next).
SimResult simulate(RateLimiter& limiter, SimServer& server, unsigned callers, dur latency, dur length,
                   tp start = t0) {
    struct Event {
        tp at;
        unsigned caller;
        bool reply;  // else: a slot wait is over
        bool accepted;
        unsigned epoch = 0;  // a slot wait superseded by a wake-up is dropped
        bool operator>(const Event& o) const { return at > o.at; }
    };
    std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
    std::vector<Grant> grants(callers);
    std::vector<bool> parked(callers, false);   // waiting for Wake::all
    std::vector<bool> sending(callers, false);  // a request in flight
    std::vector<unsigned> epoch(callers, 0);
    SimResult out;
    out.accepted_per_second.assign(static_cast<std::size_t>(length / 1s) + 1, 0);
    out.throttled_per_second = out.accepted_per_second;
    out.limit_per_second.assign(out.accepted_per_second.size(), 0.0);
    auto schedule = [&](unsigned c, tp now) {
        grants[c] = limiter.acquire(now);
        parked[c] = grants[c].at == tp::max();
        if (!parked[c])
            events.push({grants[c].at, c, false, false, epoch[c]});
    };
    for (unsigned c = 0; c < callers; ++c)
        schedule(c, start);
    while (!events.empty()) {
        const Event e = events.top();
        events.pop();
        if (e.at > start + length)
            break;
        if (!e.reply) {
            if (e.epoch != epoch[e.caller])
                continue;
            Grant g = limiter.admit(e.at, grants[e.caller]);
            if (g.at != e.at) {
                grants[e.caller] = g;
                parked[e.caller] = g.at == tp::max();
                if (!parked[e.caller])
                    events.push({g.at, e.caller, false, false, epoch[e.caller]});
                continue;
            }
            ++out.sent;
            out.sends.push_back(e.at);
            sending[e.caller] = true;
            events.push({e.at + latency, e.caller, true, server.accept(e.at)});
            continue;
        }
        sending[e.caller] = false;
        const auto second = static_cast<std::size_t>((e.at - start) / 1s);
        if (e.accepted) {
            ++out.accepted_per_second[second];
        } else {
            ++out.throttled;
            ++out.throttled_per_second[second];
        }
        out.limit_per_second[second] = limiter.current_rate();
        const Wake w = limiter.on_reply(e.at, e.accepted ? Feedback::accepted : Feedback::throttled, 1s);
        schedule(e.caller, e.at);
        if (w == Wake::all) {
            // As the engine does: every caller waiting for a slot (not one with a request in flight)
            // calls admit() now; its earlier wait is superseded.
            for (unsigned c = 0; c < callers; ++c) {
                if (c != e.caller && !sending[c]) {
                    parked[c] = false;
                    events.push({e.at, c, false, false, ++epoch[c]});
                }
            }
        }
    }
    return out;
}

double share_from(const SimResult& r, std::size_t from_second, double limit) {
    std::uint64_t accepted = 0;
    std::size_t seconds = 0;
    for (std::size_t s = from_second; s + 1 < r.accepted_per_second.size(); ++s, ++seconds)
        accepted += r.accepted_per_second[s];
    return static_cast<double>(accepted) / (static_cast<double>(seconds) * limit);
}

}  // namespace

TEST_SUITE_BEGIN("flow");

TEST_CASE("flow::RateLimiter spaces slots 1/R apart with a burst of 1") {
    RateLimiter limiter(at_rate(10));
    std::vector<tp> slots;
    tp now = t0;
    for (int i = 0; i < 50; ++i) {
        now = take_slot(limiter, now);
        slots.push_back(now);
        limiter.on_reply(now, Feedback::accepted);
    }
    CHECK(slots.back() - slots.front() == 4900ms);
    check_window_bound(slots, 10);
}

TEST_CASE("flow::RateLimiter with rate 0 and no 429 never delays") {
    RateLimiter limiter(at_rate(0));
    for (int i = 0; i < 1000; ++i) {
        const Grant g = limiter.acquire(t0);
        CHECK(g.at == t0);
        limiter.on_reply(t0, Feedback::accepted);
    }
    CHECK(limiter.current_rate() == 0);
}

TEST_CASE("flow::RateLimiter rejects a negative or non-finite rate") {
    CHECK_THROWS_AS(RateLimiter(at_rate(-1)), AppError);
    CHECK_THROWS_AS(RateLimiter(at_rate(std::numeric_limits<double>::quiet_NaN())), AppError);
    flow::RateLimiterParams p;
    p.min_rate = 0;
    CHECK_THROWS_AS(RateLimiter{p}, AppError);
}

// Past the start: one 429 amid accepted replies opens a saturation episode that finds no flood.
// Returns the time after it.
tp end_startup(RateLimiter& limiter, tp now) {
    limiter.on_reply(now, Feedback::throttled, 1s);
    for (int i = 1; i <= 20; ++i)
        limiter.on_reply(now + i * 10ms, Feedback::accepted);
    CHECK(limiter.current_rate() == 0);  // no flood: nothing changed
    return now + 2s;                     // and nothing accepted lately
}

// Admits requests until the in-flight window is full; returns how many went.
int fill_window(RateLimiter& limiter, tp now) {
    int admitted = 0;
    while (admitted < 1000 && limiter.admit(now, limiter.acquire(now)).at == now)
        ++admitted;
    return admitted;
}

TEST_CASE("flow::RateLimiter: slow start lets 4 requests out, then more as they are accepted") {
    flow::RateLimiterParams params = at_rate(0);
    params.concurrency = 16;
    RateLimiter limiter(params);
    for (int i = 0; i < 4; ++i)
        CHECK(limiter.admit(t0, limiter.acquire(t0)).at == t0);
    const Grant waiting = limiter.admit(t0, limiter.acquire(t0));
    CHECK(waiting.at == tp::max());                                // the window is full
    CHECK(limiter.on_reply(t0, Feedback::accepted) == Wake::all);  // a slot freed
    CHECK(limiter.admit(t0, waiting).at == t0);
    CHECK(limiter.on_reply(t0, Feedback::accepted) == Wake::all);  // every second one: window 5
    CHECK(limiter.admit(t0, limiter.acquire(t0)).at == t0);
    CHECK(limiter.admit(t0, limiter.acquire(t0)).at == t0);
    CHECK(limiter.admit(t0, limiter.acquire(t0)).at == tp::max());
    for (int i = 0; i < 22; ++i) {
        fill_window(limiter, t0);
        limiter.on_reply(t0, Feedback::accepted);  // 24 accepted: the window reached 16, slow start is over
    }
    CHECK(limiter.on_reply(t0, Feedback::accepted) == Wake::none);
    for (int i = 0; i < 100; ++i)
        CHECK(limiter.admit(t0, limiter.acquire(t0)).at == t0);
    CHECK(limiter.current_rate() == 0);
}

TEST_CASE("flow::RateLimiter: slow start grows only while its window is in use") {
    flow::RateLimiterParams params = at_rate(0);
    params.concurrency = 64;
    RateLimiter limiter(params);
    // One request at a time, as sync's listing pages: 1,000 accepted replies with the window never full.
    for (int i = 0; i < 1000; ++i) {
        REQUIRE(limiter.admit(t0 + i * 1ms, limiter.acquire(t0 + i * 1ms)).at == t0 + i * 1ms);
        limiter.on_reply(t0 + i * 1ms, Feedback::accepted);
    }
    // The changes that follow on the same budget still start with 4 in flight, not 64.
    CHECK(fill_window(limiter, t0 + 1s) == 4);
    // A window in use grows as before: each reply that finds it full counts, one more every second.
    limiter.on_reply(t0 + 1s, Feedback::accepted);
    CHECK(fill_window(limiter, t0 + 1s) == 1);
    limiter.on_reply(t0 + 1s, Feedback::accepted);
    CHECK(fill_window(limiter, t0 + 1s) == 2);  // the window is 5
}

TEST_CASE("flow::RateLimiter: a first flood is paced at 1.5 times what it accepts, then measured") {
    RateLimiter limiter(at_rate(0));
    const tp now = t0;
    for (int i = 0; i < 40; ++i)
        (void)limiter.admit(now, limiter.acquire(now));  // 40 requests went out at once
    for (int i = 0; i < 20; ++i)
        limiter.on_reply(now, Feedback::accepted);  // the bucket's burst
    for (int i = 0; i < 3; ++i)
        limiter.on_reply(now, Feedback::throttled, 1s);
    CHECK(limiter.paused_until() <= now);  // no hold for a first flood: a cap
    CHECK(limiter.current_rate() == 0);
    const Grant a = limiter.acquire(now);
    const Grant b = limiter.acquire(now);
    CHECK(b.at > a.at);  // paced from here
    for (int i = 0; i < 17; ++i)
        limiter.on_reply(now + 1ms, Feedback::throttled, 1s);  // the rest of the volley
    // Then the bucket refills 100/s: one accepted reply each 10 ms, two refused between.
    for (int i = 1; i <= 10; ++i) {
        const tp at = now + 1ms + i * 10ms;
        limiter.on_reply(at, Feedback::throttled, 1s);
        limiter.on_reply(at, Feedback::throttled, 1s);
        limiter.on_reply(at, Feedback::accepted);
    }
    // Measured at the first reply 100 ms after the first 429 (the refused one at 101 ms): 9 accepted
    // since, one more to err high, over 101 ms. The volley's replies (sent before) count for nothing.
    CHECK(limiter.current_rate() == doctest::Approx(10 / 0.101).epsilon(0.001));
    CHECK_FALSE(limiter.blocked());
}

TEST_CASE("flow::RateLimiter: later, the reflexes hold, halve, then block with one probe at a time") {
    RateLimiter limiter(at_rate(0));
    const tp now = end_startup(limiter, t0);
    limiter.on_reply(now, Feedback::throttled, 1s);
    limiter.on_reply(now, Feedback::throttled, 1s);
    CHECK(limiter.paused_until() <= now);  // two 429s in a row: nothing yet
    limiter.on_reply(now, Feedback::throttled, 1s);
    CHECK(limiter.paused_until() == now + 50ms);  // three: a short hold
    CHECK(limiter.current_rate() == 0);
    limiter.on_reply(now, Feedback::throttled, 1s);
    CHECK(limiter.current_rate() > 0);  // four: the limit halves from what was sent
    CHECK_FALSE(limiter.blocked());
    for (int i = 0; i < 4; ++i)
        limiter.on_reply(now, Feedback::throttled, 1s);
    REQUIRE(limiter.blocked());  // eight: the key is refused
    CHECK(limiter.paused_until() == now + 2s);

    SUBCASE("one probe, after the pause; the others wait to be woken") {
        const Grant probe = limiter.acquire(now);
        CHECK(probe.probe);
        CHECK(probe.at == now + 2s);
        const Grant other = limiter.acquire(now);
        CHECK(other.at == tp::max());
        CHECK(limiter.admit(now + 2s, probe).at == now + 2s);
        SUBCASE("an accepted probe wakes everyone and ends the pause") {
            CHECK(limiter.on_reply(now + 2s, Feedback::accepted) == Wake::all);
            CHECK_FALSE(limiter.blocked());
            const Grant again = limiter.admit(now + 2s, other);
            CHECK(again.at >= now + 2s);
            CHECK(again.at != tp::max());
        }
        SUBCASE("a refused probe pauses twice as long") {
            CHECK(limiter.on_reply(now + 2s, Feedback::throttled, 1s) == Wake::none);
            CHECK(limiter.blocked());
            CHECK(limiter.paused_until() == now + 2s + 4s);
            // A 429 still in flight from before the pause extends it but does not double it.
            limiter.on_reply(now + 3s, Feedback::throttled, 1s);
            CHECK(limiter.paused_until() == now + 6s);
        }
        SUBCASE("a server-requested wait longer than the backoff wins") {
            limiter.on_reply(now + 2s, Feedback::throttled, 30s);
            CHECK(limiter.paused_until() == now + 32s);
        }
    }
}

TEST_CASE("flow::RateLimiter: a key refused from the start goes back to full speed once taken") {
    flow::RateLimiterParams params = at_rate(0);
    params.concurrency = 16;
    RateLimiter limiter(params);
    tp now = t0;
    for (int i = 0; i < 4; ++i)
        (void)limiter.admit(now, limiter.acquire(now));
    for (int i = 0; i < 8; ++i)
        limiter.on_reply(now, Feedback::throttled, 1s);  // the first flood's cap starts, then: blocked
    REQUIRE(limiter.blocked());
    now += 30s;  // refused for 30 s, one probe at a time
    const Grant probe = limiter.acquire(now);
    REQUIRE(probe.probe);
    REQUIRE(limiter.admit(now, probe).at == now);
    CHECK(limiter.on_reply(now, Feedback::accepted) == Wake::all);
    CHECK_FALSE(limiter.blocked());
    // Nothing left of the flood before the pause: no pace at all.
    CHECK(limiter.current_rate() == 0);
    const Grant a = limiter.acquire(now);
    const Grant b = limiter.acquire(now);
    CHECK(a.at == now);
    CHECK(b.at == now);
}

TEST_CASE("flow::RateLimiter: noise does not trip the reflexes") {
    // Two 429s in a row and then an accepted reply, over and over: no hold, no cut.
    RateLimiter limiter(at_rate(0));
    for (int i = 0; i < 300; ++i) {
        const tp now = t0 + std::chrono::milliseconds(i);
        (void)limiter.acquire(now);
        limiter.on_reply(now, i % 3 == 2 ? Feedback::accepted : Feedback::throttled, 1s);
        CHECK(limiter.paused_until() <= now);
    }
    CHECK_FALSE(limiter.blocked());
}

TEST_CASE("flow::RateLimiter never exceeds --rate, whatever the server says") {
    RateLimiter limiter(at_rate(50));
    SimServer server;
    server.noise = 0.2;
    const SimResult r = simulate(limiter, server, 16, 2ms, 20s);
    check_window_bound(r.sends, 50);
    MESSAGE("--rate 50 with 20% noise: " << r.sent << " requests in 20 s");
    // Learning a 20% noise floor at 50/s takes a few 1.6-s windows of cuts (80 replies each) before
    // the limit goes back to the ceiling: measured 652 of a possible 1,000.
    CHECK(r.sent >= 600);
}

TEST_CASE("flow::RateLimiter finds an unknown token bucket and stays at it") {
    for (const double limit : {100.0, 500.0}) {
        for (const unsigned callers : {16u, 64u}) {
            for (const double ceiling : {0.0, 4 * limit}) {
                CAPTURE(limit);
                CAPTURE(callers);
                CAPTURE(ceiling);
                flow::RateLimiterParams params = at_rate(ceiling);
                params.concurrency = callers;  // slow start up to it, as the engine has it
                RateLimiter limiter(params);
                SimServer server;
                server.bucket_rate = limit;
                server.bucket_burst = 20;
                const SimResult r = simulate(limiter, server, callers, 2ms, 40s);
                const double used = share_from(r, 5, limit);
                const double throttled = static_cast<double>(r.throttled) / static_cast<double>(r.sent);
                MESSAGE("bucket " << limit << "/s, " << callers << " callers, ceiling " << ceiling << ": "
                                  << used * 100 << "% of the limit used from the 5th second, "
                                  << throttled * 100 << "% of " << r.sent << " requests throttled");
                CHECK(used >= 0.95);
                CHECK(throttled <= 0.03);
            }
        }
    }
}

TEST_CASE("flow::RateLimiter learns that random 429s are noise and keeps sending") {
    RateLimiter limiter(at_rate(0));
    SimServer server;
    server.noise = 0.05;
    // 16 callers, 4 ms round trip: 4,000 requests/s is what the callers can do.
    const SimResult r = simulate(limiter, server, 16, 4ms, 30s);
    const double rate = static_cast<double>(r.sent) / 30.0;
    MESSAGE("noisy gateway: " << rate << " requests/s of a possible 4000; noise learned "
                              << limiter.noise_share());
    CHECK(rate >= 0.8 * 4000);
    CHECK(limiter.noise_share() > 0.02);
}

TEST_CASE("flow::RateLimiter climbs past its old level when the server raises its limit") {
    RateLimiter limiter(at_rate(0));
    SimServer server;
    server.bucket_rate = 100;
    server.bucket_burst = 20;
    (void)simulate(limiter, server, 16, 2ms, 20s);
    const double before = limiter.current_rate();
    CHECK(before < 130);
    server.bucket_rate = 300;
    SimResult r = simulate(limiter, server, 16, 2ms, 40s, t0 + 21s);
    MESSAGE("limit after the raise: " << limiter.current_rate());
    CHECK(limiter.current_rate() > 250);
    CHECK(share_from(r, 20, 300) >= 0.9);
}

TEST_SUITE_END();
