#pragma once
// The mock server's misbehaviour, as pure logic: seeded dice for the injected faults, a token
// bucket for --rate-limit and the --blocked-seconds window. No I/O and no clock of their own, so
// tests step them explicitly.
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace avara::mock {

struct FaultOptions {
    std::uint32_t latency_ms = 0;  // added before every API answer
    double fail_rate = 0;          // share of requests answered 503
    double throttle_rate = 0;      // share answered 429 with Retry-After: retry_after_s
    double drop_rate = 0;          // share whose connection is closed without an answer
    double rate_limit = 0;         // requests per second; 0 = none
    double rate_limit_burst = 0;   // tokens the bucket holds (at least 1); 0 = max(1, rate_limit)
    std::uint32_t retry_after_s = 1;
    // For the first blocked_seconds after start every API request is answered 429 with
    // Retry-After: blocked_retry_after_s (0: the whole seconds left in the window, at least 1).
    std::uint32_t blocked_seconds = 0;
    std::uint32_t blocked_retry_after_s = 0;
    std::uint64_t seed = 0;
};

struct FaultDecision {
    bool drop = false;
    bool drop_after = false;  // with `drop`: the request takes effect first, then the connection dies
    bool fail = false;
    bool throttle = false;
};

// Every roll draws the same number of values whatever the rates, so one seed gives the same
// decisions for the same sequence of requests, and changing one rate leaves the others' pattern be.
class FaultDice {
  public:
    explicit FaultDice(const FaultOptions& options);
    FaultDecision roll();

  private:
    double uniform();  // [0, 1)

    std::mt19937_64 rng_;  // its output sequence is fixed by the standard: repeatable anywhere
    double drop_rate_;
    double fail_rate_;
    double throttle_rate_;
};

// A bucket holding up to `burst` tokens (0: max(1, rate); never under 1), full at the start and
// refilled at `rate` per second: a client that keeps to the rate is never refused, one that bursts
// past it is. Over any span of t seconds it admits at most burst + rate * t requests.
class TokenBucket {
  public:
    using Clock = std::chrono::steady_clock;
    TokenBucket(double rate_per_s, Clock::time_point now, double burst = 0);
    bool try_take(Clock::time_point now);
    // How long until try_take would succeed; zero when it would now.
    Clock::duration wait_for_token(Clock::time_point now);

  private:
    void refill(Clock::time_point now);

    double rate_;
    double capacity_;
    double tokens_;
    Clock::time_point last_;
};

// --blocked-seconds: the way an API answers a key that is itself throttled. Every request in the
// first `blocked_seconds` after `start` is refused, whatever the other faults would have done.
class BlockedWindow {
  public:
    using Clock = std::chrono::steady_clock;
    BlockedWindow(const FaultOptions& options, Clock::time_point start);
    // The Retry-After (seconds) of a request arriving at `now` while the window lasts; nothing
    // once it is over, or when there is no window.
    std::optional<std::uint32_t> retry_after(Clock::time_point now) const;
    Clock::time_point end() const { return end_; }

  private:
    Clock::time_point start_;
    Clock::time_point end_;
    std::uint32_t retry_after_s_;
};

}  // namespace avara::mock
