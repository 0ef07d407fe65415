#pragma once
// The one rate limiter shared by every worker and every retry of a run: pure logic, no timer and no
// clock (the caller passes "now" and sleeps itself), so tests step it on fake time.
//
// Smooth, not bursty: virtual scheduling (GCRA) with a burst of 1. Each `acquire` reserves the next
// free slot, at least 1/rate after the previous one, so over any window of length T at most
// floor(T * rate) + 1 requests start. Slots are handed out in call order; only a 429 that pauses the
// run sends callers whose slot fell inside the pause for a new one (`admit`), again in order.
//
// A 429 pauses everyone (no slot before the end of the requested wait) and halves the rate (additive
// increase, multiplicative decrease, like TCP): the rate then climbs back linearly with the time that
// passes while responses succeed, and never above the configured rate. With rate 0 (unlimited) the
// first 429 switches to a limit derived from the observed send rate, and the limiter returns to
// unlimited once it has climbed back to that observed rate.
//
// The I/O shell, per request (one io_context thread, so no locking):
//     auto slot = limiter.acquire(clock::now());
//     for (;;) {
//         co_await sleep_until(slot);
//         const auto t = clock::now();
//         slot = limiter.admit(t);
//         if (slot == t) break;  // else a 429 paused the run meanwhile: wait for the new slot
//     }
//     ...send...
//     on a 429: limiter.on_throttled(clock::now(), decision.delay);
//     on any other answer: limiter.on_success(clock::now());
#include <chrono>

namespace avara::flow {

struct RateLimiterParams {
    double rate = 10.0;     // configured requests per second; 0 = unlimited
    double min_rate = 1.0;  // the floor a 429 can lower the rate to (never above a configured rate)
    // After a 429 the rate climbs linearly, from 0 to its ceiling in this long (half of it from a
    // halved rate); only time after the pause, up to the latest success, counts.
    std::chrono::steady_clock::duration recovery_time = std::chrono::seconds(20);
    // 429s arriving within this long of the last decrease extend the pause but do not lower the rate
    // again: requests already in flight when the server started refusing should cost one halving, not
    // one each.
    std::chrono::steady_clock::duration decrease_guard = std::chrono::seconds(1);
};

class RateLimiter {
  public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;
    using duration = clock::duration;

    // Throws AppError (internal) on a negative or non-finite rate, or a min_rate that is not
    // positive: the CLI validates flags, so reaching here with one is a bug.
    explicit RateLimiter(RateLimiterParams params);

    // Reserves the next slot and returns when the caller may send: `now`, or later.
    time_point acquire(time_point now);

    // Called once the wait for a slot is over. Returns `now` when the caller may send; when a 429
    // paused the run after the slot was reserved, reserves a new slot after the pause and returns it
    // (wait for it, then call again).
    time_point admit(time_point now);

    // A 429 answered at `now`, asking for `requested_wait` (our backoff when the server named none).
    void on_throttled(time_point now, duration requested_wait);

    // A request succeeded (any answer that is not a throttle): feeds the recovery after a 429.
    void on_success(time_point now);

    // Requests per second now in force; 0 means unlimited. For the progress line.
    double current_rate() const noexcept { return current_; }
    double configured_rate() const noexcept { return params_.rate; }
    // No slot is granted before this (the epoch when there was never a 429).
    time_point paused_until() const noexcept { return paused_until_; }

  private:
    void set_rate(double rate) noexcept;
    double floor_rate() const noexcept;
    // Requests per second recently granted (an exponentially weighted count, time constant 1 s),
    // or a negative value when nothing was granted yet.
    double observed_rate(time_point now) const noexcept;
    void record_grant(time_point slot) noexcept;

    RateLimiterParams params_;
    double current_;          // 0 = unlimited
    double ceiling_;          // what recovery climbs back to
    duration interval_{};     // 1 / current_, rounded up; zero when unlimited
    bool has_slot_ = false;   // whether last_slot_ holds a granted slot
    time_point last_slot_{};  // the latest slot handed out
    time_point paused_until_{};
    time_point recovering_since_{};  // recovery is credited from here to the next success
    bool has_decreased_ = false;
    time_point last_decrease_{};
    // The observed-rate estimator.
    double weight_ = 0;  // sum of e^(-age/1 s) over grants, as of weight_at_
    time_point weight_at_{};
    time_point first_grant_{};
};

}  // namespace avara::flow
