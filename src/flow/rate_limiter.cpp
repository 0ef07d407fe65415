#include "avara_onboard/flow/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "avara_onboard/util/error.hpp"

namespace avara::flow {

namespace {

using seconds_f = std::chrono::duration<double>;

// Below this an interval would overflow the clock's nanoseconds; no sane limit is that slow.
constexpr double slowest_rate = 1e-3;
// The observed rate is a count over at least this long, so the few requests that go out together at
// the start of a run do not read as thousands per second.
constexpr seconds_f min_observation{0.1};

double seconds(RateLimiter::duration d) noexcept {
    return std::chrono::duration_cast<seconds_f>(d).count();
}

}  // namespace

RateLimiter::RateLimiter(RateLimiterParams params) : params_(params) {
    if (!std::isfinite(params_.rate) || params_.rate < 0) {
        throw AppError(ErrorKind::internal,
                       "rate limiter: rate must be 0 or positive, got " + std::to_string(params_.rate));
    }
    if (!std::isfinite(params_.min_rate) || params_.min_rate <= 0) {
        throw AppError(ErrorKind::internal,
                       "rate limiter: min_rate must be positive, got " + std::to_string(params_.min_rate));
    }
    ceiling_ = params_.rate;
    set_rate(params_.rate);
}

void RateLimiter::set_rate(double rate) noexcept {
    if (rate <= 0) {
        current_ = 0;
        interval_ = duration::zero();
        return;
    }
    current_ = std::max(rate, slowest_rate);
    // Rounded up, so the spacing is never shorter than 1/rate and the window bound holds exactly.
    // Computed in nanoseconds directly: 1e9 / 10 is exact, 0.1 s scaled by 1e9 need not be.
    interval_ = std::chrono::ceil<duration>(std::chrono::duration<double, std::nano>(1e9 / current_));
}

double RateLimiter::floor_rate() const noexcept {
    return params_.rate > 0 ? std::min(params_.min_rate, params_.rate) : params_.min_rate;
}

void RateLimiter::record_grant(time_point slot) noexcept {
    if (!has_slot_) {
        first_grant_ = slot;
        weight_at_ = slot;
    }
    if (slot > weight_at_) {
        weight_ *= std::exp(-seconds(slot - weight_at_));
        weight_at_ = slot;
    }
    weight_ += 1.0;
}

double RateLimiter::observed_rate(time_point now) const noexcept {
    if (!has_slot_)
        return -1.0;
    const time_point at = std::max(now, weight_at_);
    const double weight = weight_ * std::exp(-seconds(at - weight_at_));
    // An exponentially weighted count with a 1 s time constant is a rate per second once it has seen a
    // full history; early on, dividing by the share of history seen removes the start-up bias.
    const double seen = std::max(seconds(at - first_grant_), min_observation.count());
    return weight / (1.0 - std::exp(-seen));
}

RateLimiter::time_point RateLimiter::acquire(time_point now) {
    time_point slot = std::max(now, paused_until_);
    if (has_slot_) {
        // Never before a slot already handed out, even when unlimited: callers are served in order.
        slot = std::max(slot, current_ > 0 ? last_slot_ + interval_ : last_slot_);
    }
    record_grant(slot);
    last_slot_ = slot;
    has_slot_ = true;
    return slot;
}

RateLimiter::time_point RateLimiter::admit(time_point now) {
    if (now >= paused_until_)
        return now;
    return acquire(now);
}

void RateLimiter::on_throttled(time_point now, duration requested_wait) {
    paused_until_ = std::max(paused_until_, now + std::max(requested_wait, duration::zero()));
    // Time spent paused is not time the server has been happy with: recovery starts after it.
    recovering_since_ = std::max(recovering_since_, paused_until_);

    const double floor = floor_rate();
    if (current_ == 0) {
        // Unlimited so far: the only measure of what the server tolerates is what we were sending.
        const double observed = observed_rate(now);
        const double base = observed > 0 ? observed : floor;
        ceiling_ = std::max(base, floor);
        set_rate(std::max(base / 2, floor));
    } else {
        if (has_decreased_ && now - last_decrease_ < params_.decrease_guard)
            return;
        // Halving the limit, not the observed rate: right after a pause the observed rate is low for
        // reasons of our own, and a limit above what workers send converges in a few more halvings.
        set_rate(std::max(current_ / 2, floor));
    }
    has_decreased_ = true;
    last_decrease_ = now;
}

void RateLimiter::on_success(time_point now) {
    if (current_ == 0 || current_ >= ceiling_ || now <= recovering_since_)
        return;
    double next = ceiling_;
    if (params_.recovery_time > duration::zero()) {
        next = current_ + ceiling_ * seconds(now - recovering_since_) / seconds(params_.recovery_time);
    }
    recovering_since_ = now;
    if (next < ceiling_) {
        set_rate(next);
    } else if (params_.rate == 0) {
        set_rate(0);  // back to unlimited, as configured
    } else {
        set_rate(ceiling_);
    }
}

}  // namespace avara::flow
