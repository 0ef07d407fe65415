#pragma once
// The one request budget of a run, shared by every invite, retry and lookup: pure logic with no timer
// and no clock (the caller passes "now" and sleeps itself), so tests step it on fake time and simulate
// servers against it.
//
// Pacing. Virtual scheduling (GCRA) with a burst of 1: each grant is at least 1/rate after the previous
// one, so over any window of length T at most floor(T * rate) + 1 requests start. `--rate` is a hard
// ceiling that the adaptive limit below never exceeds.
//
// Why not simply cut the rate on every 429 (AIMD, or the AWS SDKs' CUBIC with beta 0.7)? Because two
// servers can both answer 5% of requests 429:
//   - a token bucket does so because we send 5% too fast: slowing down removes the 429s;
//   - a noisy gateway does so at any rate: slowing down only loses throughput.
// The 429 share alone cannot tell them apart; what the 429 share does when the sending rate changes
// can. So the limiter keeps four layers:
//   0. Slow start (TCP's, gentler). A run begins with 4 requests in flight, one more for every second
//      one accepted, up to the caller's concurrency: a server that takes everything is at full speed
//      within a few round trips, and a bucket with a small burst meets a volley of that window, not
//      of 64. The first 429 halves the window, which holds until the first flood is measured (3).
//      Only a reply that comes back while the window is full grows it (TCP's congestion-window
//      validation, RFC 7661): a caller with fewer requests to send than the window (sync's listing,
//      one page at a time, before its changes on the same budget) has shown nothing about more.
//   1. Windows (>= 250 ms and >= 80 replies, or 3 s). A window with significantly more 429s than the
//      learned noise share (a z-test, z = 2) cuts the limit to 97% of the accepted rate of that window
//      (for a token bucket that is its rate: BBR's "pace at what was delivered"; the 3% below it let
//      the bucket save a burst that absorbs our timing jitter) and remembers the 429 share.
//      After a cut, the replies to the requests then in flight are left out (they were sent at the
//      old pace), and the next window opens after them. If the
//      next one still has too many 429s and their share did not fall to 70%, the limit is cut once
//      more, below the accepted rate by the share (at most 10%): a bucket's saved burst can make a
//      short window accept more than its rate. If the share still does not fall, the 429s are noise:
//      their share is learned as the noise floor and the cuts are undone. If it fell, the limit was
//      real: the least rate accepted in the episode is kept as the known limit.
//   2. Windows without excess 429s raise the limit: straight back up to 97% of the known limit, then,
//      after holding there for 6 windows, by 2% a second (probing, as BBR does, so a server that
//      raised its limit is found again: no ceiling frozen at a first estimate), by 25% a second once
//      15% past it without a complaint (a bucket's burst hides its limit for a while, so the slow
//      probe must go far enough to find it), doubling when nothing is known; never above twice what
//      was sent, and never above --rate.
//   3. Fast reflexes between windows, for a flood (sending far above a limit). A saturation episode
//      starts at a 429 and measures the replies after it for 100 ms (and 16 replies): if at least half
//      were 429s, the server is taking only what it refills, so the limit drops at once to the rate
//      it accepted since that first 429 (a bucket emptied by the flood accepts exactly its refill).
//      Within an episode where half the replies are 429s, 3 consecutive 429s hold every new request
//      for 50 ms (the replies still in flight come back meanwhile) and 4 halve the limit (at most once
//      per 100 ms). 8, with nothing accepted for a second, mean the server refuses everything (the key
//      itself is throttled): the whole run pauses for the requested wait (at least 2 s, doubling while
//      it goes on, at most 60 s) and then sends one probe request at a time until one is accepted.
// Noise at 5% makes 3 consecutive 429s once in 8,000 replies, which at 30,000 replies a second would
// hold the run 4 times a second; within a 100-ms episode, half the replies are 429s only by a flood.
//
// The I/O shell, per request (one io_context thread, so no locking):
//     Grant g = limiter.acquire(clock::now());
//     for (;;) {
//         co_await sleep_until(g.at);               // woken early when on_reply says Wake::all
//         g = limiter.admit(clock::now(), g);
//         if (g.at == clock::now_used_above) break; // else the run was paused meanwhile: wait again
//     }
//     ...send..., then limiter.on_reply(clock::now(), feedback, server_wait)
// Every admitted grant is one request in flight until its on_reply(), which the shell must call once.
#include <chrono>
#include <cstdint>

namespace avara::flow {

// What the limiter learns from one request's end.
enum class Feedback {
    none,      // no answer came back (a transport failure)
    accepted,  // any answer but a 429
    throttled  // a 429
};

struct RateLimiterParams {
    double rate = 10.0;     // the hard ceiling, requests per second; 0 = none
    double min_rate = 1.0;  // the floor a cut can lower the limit to (never above a ceiling)
    std::chrono::steady_clock::duration window = std::chrono::milliseconds(250);
    std::uint32_t window_replies = 80;  // a window closes once it is this long and has this many replies
    std::chrono::steady_clock::duration max_window = std::chrono::seconds(3);  // or once it is this long
    // The most requests the caller keeps in flight (--concurrency): slow start ends there. 0 = no slow
    // start.
    std::uint32_t concurrency = 0;
};

// A granted slot. `generation` lets admit() tell a slot granted before the run paused (or before a probe
// was accepted) from a current one.
struct Grant {
    std::chrono::steady_clock::time_point at{};
    std::uint64_t generation = 0;
    bool probe = false;  // the one request allowed while the server refuses nearly everything
};

enum class Wake {
    none,  // nothing for waiters to do
    all    // the limit loosened (a probe was accepted): waiting callers should call admit() now
};

// Events per second lately: an exponentially weighted count with a 1 s time constant; early on divided
// by the share of history seen (at least 0.1 s, so the first few events do not read as thousands).
class RateMeter {
  public:
    using time_point = std::chrono::steady_clock::time_point;
    void add(time_point at) noexcept;
    double rate(time_point now) const noexcept;  // 0 before the first event

  private:
    double weight_ = 0;
    time_point weight_at_{};
    time_point first_{};
    bool started_ = false;
};

class RateLimiter {
  public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;
    using duration = clock::duration;

    // Throws AppError (internal) on a negative or non-finite rate, or a min_rate that is not positive:
    // the CLI validates flags, so reaching here with one is a bug.
    explicit RateLimiter(RateLimiterParams params);

    // Reserves the next slot: when the caller may send. time_point::max() while another caller holds
    // the probe, or while slow start's window is full: wait until on_reply() returns Wake::all, then
    // admit().
    Grant acquire(time_point now);
    // Called once the wait for `held` is over (or was cut short by Wake::all). Returns a grant at `now`
    // when the caller may send, else a new grant to wait for.
    Grant admit(time_point now, Grant held);
    // A request ended at `now`; `server_wait` is the wait a 429 asked for (our backoff when it named none).
    Wake on_reply(time_point now, Feedback feedback, duration server_wait = duration::zero());

    // The limit now in force, requests per second; 0 means none.
    double current_rate() const noexcept;
    double configured_rate() const noexcept { return params_.rate; }
    // The 429 share learned to come whatever the rate.
    double noise_share() const noexcept { return noise_; }
    // The server refuses nearly everything: one probe at a time.
    bool blocked() const noexcept { return blocked_; }
    time_point paused_until() const noexcept { return paused_until_; }

  private:
    enum class Phase { cruise, testing, deeper };

    void set_limit(double rate) noexcept;
    double effective() const noexcept;  // the ceiling and the adaptive limit
    double pace() const noexcept;       // ... and a first flood's cap: what the slots are spaced by
    void repace() noexcept;
    void on_accepted(time_point now);
    void on_throttled(time_point now, duration server_wait);
    void enter_blocked(time_point now, duration server_wait);
    void settle() noexcept;
    void count_in_window(time_point now, Feedback feedback);
    void close_window(time_point now);
    void cut(Phase next, double limit, double accepted, double share);
    void grow(double sent_rate, double window_seconds);
    void count_saturation(time_point now, Feedback feedback);
    void conclude_saturation(time_point now, double refill);
    bool saturated() const noexcept;

    RateLimiterParams params_;
    double limit_ = 0;     // the adaptive limit; 0 = none
    duration interval_{};  // 1 / effective(), rounded up; zero when unlimited
    bool has_slot_ = false;
    time_point last_slot_{};
    std::uint64_t generation_ = 0;

    // Slow start: at most window_ requests in flight, one more per accepted reply, until window_
    // reaches params_.concurrency; at the first 429 it halves and holds until the saturation episode
    // that 429 opened is measured.
    bool slow_start_ = false;
    bool window_limited_ = false;
    std::uint32_t window_ = 0;
    std::uint32_t in_flight_ = 0;
    std::uint32_t slow_start_accepted_ = 0;

    // A saturation episode: the replies since a 429, measured for up to 100 ms.
    bool sat_open_ = false;
    time_point sat_start_{};
    std::uint32_t sat_accepted_ = 0;
    std::uint32_t sat_throttled_ = 0;
    std::uint32_t sat_stale_ = 0;           // replies still due to requests sent before it began
    std::uint32_t sat_fresh_accepted_ = 0;  // accepted replies to requests sent since
    bool startup_ = true;                   // until the first saturation episode is measured
    double flood_cap_ = 0;
    bool sat_capped_ = false;  // the cap held this episode's flood  // while the in-flight window holds a
                               // first flood: twice its accepted rate

    // Reflexes.
    unsigned consecutive_throttled_ = 0;
    time_point paused_until_{};
    time_point last_halving_{};
    bool blocked_ = false;
    bool has_accepted_ = false;
    time_point last_accepted_{};
    bool probe_out_ = false;
    duration block_backoff_{};

    // Windows.
    time_point window_start_{};
    bool window_open_ = false;
    std::uint32_t window_replies_ = 0;
    std::uint32_t window_throttled_ = 0;
    std::uint32_t window_grants_ = 0;
    Phase phase_ = Phase::cruise;
    std::uint32_t unsettled_replies_ = 0;  // after a cut: replies to requests sent before it
    double limit_before_cut_ = 0;
    double share_before_cut_ = 0;
    double known_limit_ = 0;  // a limit the server proved (0 = none known)
    double noise_ = 0;        // the learned rate-independent 429 share

    // What the halving reflex starts from.
    RateMeter granted_;
    RateMeter accepted_;
    unsigned quiet_windows_left_ = 0;  // after a cut: windows at the limit before probing above it
};

}  // namespace avara::flow
