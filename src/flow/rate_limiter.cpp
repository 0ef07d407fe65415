#include "avara_onboard/flow/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "avara_onboard/util/error.hpp"

namespace avara::flow {

namespace {

using seconds_f = std::chrono::duration<double>;
using std::chrono::milliseconds;

// Below this an interval would overflow the clock's nanoseconds; no sane limit is that slow.
constexpr double slowest_rate = 1e-3;
constexpr unsigned hold_after = 3;     // consecutive 429s that hold new requests briefly
constexpr unsigned halve_after = 4;    // ... that halve the limit
constexpr unsigned blocked_after = 8;  // ... that mean the key itself is refused
constexpr milliseconds hold_time{50};
constexpr milliseconds halving_guard{100};
constexpr milliseconds first_block_backoff{2000};
constexpr milliseconds longest_block_backoff{60000};
constexpr double probe_gain = 1.02;  // growth per quiet window near the known limit
// After a cut to what a token bucket accepts, its 429 share is about this (the probing above it).
constexpr double bucket_share_after_cut = 0.01;
constexpr double noise_test_fall = 0.7;
constexpr unsigned quiet_windows_after_cut = 6;
constexpr double below_known = 0.97;       // where a cut paces, and the probe starts, under the limit
constexpr double slow_probe_until = 1.15;  // the 2%/s probe goes this far past the known limit
constexpr std::uint32_t initial_window = 4;
constexpr double flood_cap_gain = 1.5;
constexpr milliseconds saturation_span{100};
constexpr std::uint32_t saturation_replies = 16;

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
    set_limit(0);
    slow_start_ = params_.concurrency > initial_window;
    window_limited_ = slow_start_;
    window_ = initial_window;
}

double RateLimiter::effective() const noexcept {
    if (limit_ <= 0)
        return params_.rate;
    return params_.rate > 0 ? std::min(limit_, params_.rate) : limit_;
}

double RateLimiter::pace() const noexcept {
    const double r = effective();
    if (flood_cap_ <= 0)
        return r;
    return r > 0 ? std::min(r, flood_cap_) : flood_cap_;
}

double RateLimiter::current_rate() const noexcept {
    return effective();
}

void RateLimiter::repace() noexcept {
    const double r = pace();
    if (r <= 0) {
        interval_ = duration::zero();
        return;
    }
    // Rounded up, so the spacing is never shorter than 1/rate and the window bound holds exactly.
    interval_ = std::chrono::ceil<duration>(
        std::chrono::duration<double, std::nano>(1e9 / std::max(r, slowest_rate)));
}

void RateLimiter::set_limit(double rate) noexcept {
    const double floor = params_.rate > 0 ? std::min(params_.min_rate, params_.rate) : params_.min_rate;
    limit_ = rate <= 0 ? 0 : std::max(rate, floor);
    repace();
}

void RateMeter::add(time_point at) noexcept {
    if (!started_) {
        started_ = true;
        first_ = at;
        weight_at_ = at;
    }
    if (at > weight_at_) {
        weight_ *= std::exp(-seconds(at - weight_at_));
        weight_at_ = at;
    }
    weight_ += 1.0;
}

double RateMeter::rate(time_point now) const noexcept {
    if (!started_)
        return 0;
    const time_point at = std::max(now, weight_at_);
    const double weight = weight_ * std::exp(-seconds(at - weight_at_));
    const double seen = std::max(seconds(at - first_), 0.1);
    return weight / (1.0 - std::exp(-seen));
}

Grant RateLimiter::acquire(time_point now) {
    if (blocked_) {
        if (probe_out_)
            return Grant{time_point::max(), generation_, false};
        probe_out_ = true;
        return Grant{std::max(now, paused_until_), generation_, true};
    }
    time_point slot = std::max(now, paused_until_);
    if (has_slot_)
        slot = std::max(slot, last_slot_ + interval_);  // served in order, even when unlimited
    granted_.add(slot);
    ++window_grants_;
    last_slot_ = slot;
    has_slot_ = true;
    return Grant{slot, generation_, false};
}

Grant RateLimiter::admit(time_point now, Grant held) {
    if (held.generation != generation_) {
        if (held.probe && blocked_)
            probe_out_ = false;  // a probe from an earlier pause gives its token back
        return acquire(now);
    }
    if (blocked_ && !held.probe)
        return acquire(now);
    if (now < paused_until_)
        return held.probe ? Grant{paused_until_, generation_, true} : acquire(now);
    if (now < held.at && held.at != time_point::max())
        return held;
    if (window_limited_ && !held.probe && in_flight_ >= window_)
        return Grant{time_point::max(), generation_, false};  // woken by a reply
    if (held.at == time_point::max()) {
        // Let through by the in-flight window after waiting on it: the pace applies as to any request.
        const Grant slot = acquire(now);
        if (slot.at > now)
            return slot;
    }
    ++in_flight_;
    return Grant{now, generation_, held.probe};
}

Wake RateLimiter::on_reply(time_point now, Feedback feedback, duration server_wait) {
    const bool was_blocked = blocked_;
    const bool was_window_limited = window_limited_;
    const bool window_was_full = in_flight_ >= window_;
    if (in_flight_ > 0)
        --in_flight_;
    // One more in flight for every second reply accepted with the window in use: 1.5 times the
    // window each round trip.
    if (slow_start_ && window_was_full && feedback == Feedback::accepted &&
        (++slow_start_accepted_ % 2) == 0 && ++window_ >= params_.concurrency)
        slow_start_ = window_limited_ = false;
    if (slow_start_ && feedback == Feedback::throttled) {
        // Slow start's first 429: the window stops growing and halves (TCP's), and stays until the
        // saturation episode this 429 opens has measured the server.
        slow_start_ = false;
        window_ = std::max(initial_window, window_ / 2);
    }
    if (!blocked_)
        count_saturation(now, feedback);
    if (feedback == Feedback::throttled) {
        on_throttled(now, server_wait);
    } else if (feedback == Feedback::accepted) {
        on_accepted(now);
    } else if (blocked_ && now >= paused_until_) {
        probe_out_ = false;  // the probe got no answer: another caller may probe
        return Wake::all;
    }
    if (!blocked_)
        count_in_window(now, feedback);
    // A slot freed in the in-flight window, or the window lifted: whoever waits on it may go.
    const bool window_room = was_window_limited && (!window_limited_ || in_flight_ < window_);
    return (was_blocked && !blocked_) || window_room ? Wake::all : Wake::none;
}

bool RateLimiter::saturated() const noexcept {
    return sat_open_ && sat_throttled_ * 2 >= sat_accepted_ + sat_throttled_;
}

void RateLimiter::count_saturation(time_point now, Feedback feedback) {
    if (feedback == Feedback::none)
        return;
    if (!sat_open_) {
        if (feedback != Feedback::throttled)
            return;
        sat_open_ = true;
        sat_start_ = now;
        sat_accepted_ = 0;
        sat_throttled_ = 0;
        sat_fresh_accepted_ = 0;
        sat_stale_ = in_flight_;
    }
    ++(feedback == Feedback::throttled ? sat_throttled_ : sat_accepted_);
    if (sat_stale_ > 0) {
        --sat_stale_;  // sent before the first 429 came back: it may have taken a saved token
    } else if (feedback == Feedback::accepted) {
        ++sat_fresh_accepted_;
    }
    // One token more errs on the high side, which the next windows correct in a second; too low
    // would leave a slow probe to climb back.
    const double elapsed = std::max(seconds(now - sat_start_), 0.01);
    const double refill = (sat_fresh_accepted_ + 1) / elapsed;
    if (startup_) {
        // The first flood: pace at 1.5 times what the server accepted since it began refusing. Below
        // its refill everything is accepted and the cap climbs; above, a third are refused.
        sat_capped_ = sat_capped_ || (sat_throttled_ >= 3 && saturated());
        flood_cap_ = sat_capped_ ? flood_cap_gain * refill : 0.0;
        repace();
    }
    if (now - sat_start_ >= saturation_span && sat_accepted_ + sat_throttled_ >= saturation_replies)
        conclude_saturation(now, refill);
}

void RateLimiter::conclude_saturation(time_point now, double refill) {
    // A first flood held at 1.5 times its accepted rate sits near a third refused: a flood all the same.
    const bool flood = saturated() || sat_capped_;
    sat_open_ = false;
    sat_capped_ = false;
    if (startup_) {
        startup_ = false;
        settle();  // the first window opens after the flood's replies
    }
    if (!slow_start_)
        window_limited_ = false;  // measured: pacing takes over from the in-flight window
    flood_cap_ = 0;
    repace();
    if (!flood || sat_fresh_accepted_ == 0)
        return;  // nothing accepted at all: the blocked reflex deals with that
    // Since the first 429 the bucket was empty and we took every token it refilled: its rate.
    if (effective() > 0 && refill >= effective())
        return;
    set_limit(std::max(refill, params_.min_rate));
    last_halving_ = now;
    settle();
}

void RateLimiter::on_accepted(time_point now) {
    consecutive_throttled_ = 0;
    accepted_.add(now);
    has_accepted_ = true;
    last_accepted_ = now;
    if (!blocked_)
        return;
    // A probe was accepted: the server takes requests again. Measure afresh from here.
    blocked_ = false;
    probe_out_ = false;
    block_backoff_ = duration::zero();
    ++generation_;
    window_open_ = false;
}

void RateLimiter::on_throttled(time_point now, duration server_wait) {
    ++consecutive_throttled_;
    if (blocked_) {
        // A 429 after the pause ended answers the probe: pause again, longer. One from before the
        // pause (still in flight when it began) only extends it.
        if (now >= paused_until_) {
            enter_blocked(now, server_wait);
        } else {
            paused_until_ = std::max(paused_until_, now + server_wait);
        }
        return;
    }
    // A server that accepted something within the last second is limiting us, not refusing the key:
    // the reflexes below and the windows deal with that.
    const bool accepted_lately = has_accepted_ && now - last_accepted_ < std::chrono::seconds(1);
    if (consecutive_throttled_ >= blocked_after && !accepted_lately) {
        enter_blocked(now, server_wait);
        return;
    }
    if (!saturated())
        return;  // a run of 429s amid accepted replies is noise, not a flood
    // The first flood has its own cap (count_saturation): the meters are too young to halve from.
    // And a 429 to a request sent before the last cut says nothing of the new pace.
    if (startup_ || unsettled_replies_ > 0)
        return;
    if (consecutive_throttled_ >= halve_after && now - last_halving_ >= halving_guard) {
        // Half of what was sent, or what was accepted if less: a flood against a token bucket is down to
        // the bucket's rate in one step rather than several halvings.
        const double sent = granted_.rate(now);
        const double base = limit_ > 0 ? std::min(effective(), sent > 0 ? sent : effective()) : sent;
        const double accepted = accepted_.rate(now);
        set_limit(std::max(accepted > 0 ? std::min(base / 2, accepted) : base / 2, params_.min_rate));
        last_halving_ = now;
        settle();
    }
    if (consecutive_throttled_ >= hold_after)
        paused_until_ = std::max(paused_until_, now + hold_time);
}

void RateLimiter::enter_blocked(time_point now, duration server_wait) {
    block_backoff_ = blocked_ ? std::min<duration>(block_backoff_ * 2, longest_block_backoff)
                              : duration(first_block_backoff);
    blocked_ = true;
    probe_out_ = false;
    ++generation_;
    paused_until_ = std::max(paused_until_, now + std::max(server_wait, block_backoff_));
    // A refusal of everything is no flood to measure: an episode left open would, once the key is
    // taken again, pace at what it accepted over the whole pause (next to nothing).
    sat_open_ = false;
    sat_capped_ = false;
    flood_cap_ = 0;
    repace();
}

void RateLimiter::settle() noexcept {
    // The requests in flight now were sent at the old pace: their replies do not show what the new
    // one does. The next window opens after them.
    window_open_ = false;
    unsettled_replies_ = in_flight_;
}

void RateLimiter::count_in_window(time_point now, Feedback feedback) {
    if (unsettled_replies_ > 0) {
        --unsettled_replies_;
        return;
    }
    if (feedback == Feedback::none)
        return;
    if (!window_open_) {
        window_open_ = true;
        window_start_ = now;
        window_replies_ = 0;
        window_throttled_ = 0;
        window_grants_ = 0;
    }
    ++window_replies_;
    if (feedback == Feedback::throttled)
        ++window_throttled_;
    const duration age = now - window_start_;
    if ((age >= params_.window && window_replies_ >= params_.window_replies) || age >= params_.max_window)
        close_window(now);
}

void RateLimiter::close_window(time_point now) {
    window_open_ = false;
    if (startup_)
        return;  // the first flood is measured by its saturation episode, not by windows
    const double span = std::max(seconds(now - window_start_), 1e-3);
    const double replies = window_replies_;
    const double throttled = window_throttled_;
    const double share = throttled / replies;
    const double accepted_rate = (replies - throttled) / span;
    const auto significant = [&](double share_expected) {
        const double expected = share_expected * replies;
        return throttled - expected > 2.0 * std::sqrt(expected + 1.0);  // a z-test, z = 2
    };
    if (!significant(noise_)) {
        if (phase_ != Phase::cruise && noise_ > 0 && share >= noise_test_fall * share_before_cut_) {
            // The 429s are back to the noise floor, but no lower: the cut bought nothing. Undo it.
            known_limit_ = 0;
            set_limit(limit_before_cut_);
        }
        phase_ = Phase::cruise;
        if (noise_ > 0)
            noise_ = 0.8 * noise_ + 0.2 * share;  // follows a noise floor that changes, down to none
        grow(window_grants_ / span, span);
        return;
    }
    const bool fell =
        share < noise_test_fall * share_before_cut_ || !significant(noise_ + bucket_share_after_cut);
    switch (phase_) {
        case Phase::cruise:
            limit_before_cut_ = limit_;
            cut(Phase::testing, accepted_rate, accepted_rate, share);
            return;
        case Phase::testing:
            // Still too many: either the cut was too small (a token bucket's burst inflated what it
            // seemed to accept), or the 429s are noise. Cut below what was accepted, by the 429 share (at
            // most 10%).
            cut(fell ? Phase::testing : Phase::deeper,
                fell ? accepted_rate : accepted_rate * (1.0 - std::min(share, 0.1)), accepted_rate, share);
            return;
        case Phase::deeper:
            if (!fell) {
                // Sending less twice did not lower the 429 share: it is noise. Learn it, undo the cuts.
                noise_ = std::max(noise_, share);
                phase_ = Phase::cruise;
                known_limit_ = 0;
                set_limit(limit_before_cut_);
                return;
            }
            cut(Phase::testing, accepted_rate, accepted_rate, share);
            return;
    }
}

void RateLimiter::cut(Phase next, double limit, double accepted, double share) {
    // The least the server accepted in a window of this episode that still had too many 429s: a token
    // bucket's rate. (A short window can accept more: the bucket's burst, saved while we were quiet.)
    known_limit_ = phase_ == Phase::cruise ? accepted : std::min(accepted, known_limit_);
    phase_ = next;
    settle();
    share_before_cut_ = share;
    quiet_windows_left_ = quiet_windows_after_cut;
    set_limit(std::max(limit * below_known, params_.min_rate));
}

void RateLimiter::grow(double sent_rate, double window_seconds) {
    if (limit_ <= 0)
        return;
    const double pace = known_limit_ * below_known;
    if (quiet_windows_left_ > 0 && known_limit_ > 0 && limit_ >= pace) {
        --quiet_windows_left_;  // BBR spends most of its cycle at the estimate, probing only now and then
        return;
    }
    const double span = std::min(window_seconds, 1.0);  // gains are per second of window
    double next = limit_;
    if (known_limit_ > 0 && limit_ < pace) {
        next = std::min(limit_ * std::pow(2.0, span), pace);  // back up to what was accepted
    } else if (known_limit_ > 0 && limit_ < known_limit_ * slow_probe_until) {
        next = limit_ * std::pow(probe_gain, span);  // probing just above it
    } else if (known_limit_ > 0) {
        // 15% past it without a complaint: the server raised its limit. Climb as BBR probes, by a
        // quarter a second, so a server that did not is not flooded.
        next = limit_ * std::pow(1.25, span);
    } else {
        next = limit_ * std::pow(2.0, span);  // nothing known: find the ceiling fast
    }
    next = std::min(next, std::max(2.0 * sent_rate, limit_));  // not far above what is actually sent
    if (params_.rate > 0 && next >= params_.rate) {
        set_limit(0);  // back to the ceiling
        return;
    }
    set_limit(next);
}

}  // namespace avara::flow
