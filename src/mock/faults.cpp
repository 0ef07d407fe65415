#include "avara_onboard/mock/faults.hpp"

#include <algorithm>

namespace avara::mock {

FaultDice::FaultDice(const FaultOptions& options)
    : rng_(options.seed),
      drop_rate_(options.drop_rate),
      fail_rate_(options.fail_rate),
      throttle_rate_(options.throttle_rate) {}

double FaultDice::uniform() {
    // The top 53 bits as a double in [0, 1): exact, and the same on every platform (unlike
    // std::uniform_real_distribution, whose algorithm is the library's choice).
    return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

FaultDecision FaultDice::roll() {
    const double drop = uniform();
    const double after = uniform();
    const double fail = uniform();
    const double throttle = uniform();
    FaultDecision d;
    d.drop = drop < drop_rate_;
    d.drop_after = d.drop && after < 0.5;
    d.fail = fail < fail_rate_;
    d.throttle = throttle < throttle_rate_;
    return d;
}

TokenBucket::TokenBucket(double rate_per_s, Clock::time_point now, double burst)
    : rate_(rate_per_s),
      capacity_(std::max(1.0, burst > 0 ? burst : rate_per_s)),
      tokens_(capacity_),
      last_(now) {}

void TokenBucket::refill(Clock::time_point now) {
    if (now <= last_)
        return;  // callers on several threads may hand in slightly older instants
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(capacity_, tokens_ + elapsed * rate_);
    last_ = now;
}

bool TokenBucket::try_take(Clock::time_point now) {
    if (rate_ <= 0)
        return true;
    refill(now);
    if (tokens_ < 1.0)
        return false;
    tokens_ -= 1.0;
    return true;
}

TokenBucket::Clock::duration TokenBucket::wait_for_token(Clock::time_point now) {
    if (rate_ <= 0)
        return Clock::duration::zero();
    refill(now);
    if (tokens_ >= 1.0)
        return Clock::duration::zero();
    return std::chrono::ceil<Clock::duration>(std::chrono::duration<double>((1.0 - tokens_) / rate_));
}

BlockedWindow::BlockedWindow(const FaultOptions& options, Clock::time_point start)
    : start_(start),
      end_(start + std::chrono::seconds(options.blocked_seconds)),
      retry_after_s_(options.blocked_retry_after_s) {}

std::optional<std::uint32_t> BlockedWindow::retry_after(Clock::time_point now) const {
    // An instant a little before the start (another thread's clock reading) is inside the window.
    if (end_ == start_ || now >= end_)
        return std::nullopt;
    if (retry_after_s_ > 0)
        return retry_after_s_;
    const auto left = std::chrono::ceil<std::chrono::seconds>(end_ - now).count();
    return static_cast<std::uint32_t>(std::max<std::int64_t>(1, left));
}

}  // namespace avara::mock
