#pragma once
// The concurrent part of `run`: the I/O shell around flow::RowLifecycle. N worker coroutines on one
// io_context thread, each owning one keep-alive connection (a request slot, whose sockets live on the
// net::NetworkThread), pull validated rows one at a time and carry out each row's actions under the
// job's one flow::RateLimiter. A row waiting for a retry sleeps in a coroutine of its own and holds no
// slot; when it is due it is queued ahead of new rows. Read-ahead stays bounded: readers pause while
// the report's window (finished rows waiting for a slower earlier one) spans `max_out_of_order` rows. A stop
// (signal, abort) cancels every wait through Asio cancellation slots; requests in flight get their answer
// within --timeout. Asio stays in the .cpp.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "avara_onboard/flow/retry_policy.hpp"
#include "avara_onboard/net/base_url.hpp"
#include "avara_onboard/report/ordered_report.hpp"
#include "avara_onboard/report/summary.hpp"
#include "avara_onboard/send/work_source.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::net {
class TlsClientContext;
}
namespace avara::flow {
class RateLimiter;
}

namespace avara::send {

enum class ProgressMode {
    none,      // --quiet
    live,      // a terminal: one line redrawn in place
    periodic,  // a log or cron mail: a plain line every few seconds
};

struct EngineConfig {
    net::BaseUrl base;
    std::shared_ptr<net::TlsClientContext> tls;  // null only for http
    std::string api_key;
    unsigned concurrency = 8;
    double rate = 10;  // requests per second, retries and lookups included; 0 = unlimited
    // The job's one budget for every request it sends (sync's listing and then its changes share it,
    // so what the listing learnt of the server's limit holds for the changes). Made once per job by
    // make_budget(); null: the engine (or the listing) makes its own.
    std::shared_ptr<flow::RateLimiter> budget;
    flow::RetryParams retry;
    std::chrono::milliseconds timeout{30000};
    // How far past the lowest unfinished row the report's window may reach before readers pause:
    // bounds memory. A row finished out of order waits in the journal on disk and costs 16 bytes here
    // (OrderedReport), so 2^20 rows are 16 MB at most: a row in a 60-s backoff at 17,000 rows/s.
    // (65,536 rows held in memory stalled a noisy 200,000-row run for 6 s at a time, 7 times over,
    // behind single rows in their fourth and fifth backoffs.)
    std::size_t max_out_of_order = std::size_t{1} << 20;
    bool handle_signals = true;
    ProgressMode progress = ProgressMode::none;
    // Called every tick_interval while the run goes on (the metrics file), with what the engine knows.
    std::function<void(const struct EngineTick&)> on_tick;
    std::chrono::milliseconds tick_interval{15000};
    std::chrono::milliseconds progress_interval{5000};
};

struct EngineTick {
    std::uint64_t requests = 0, retries = 0, throttled = 0;
    double current_rate = 0;  // the rate limiter's limit now; 0 = none
};

// The budget for `config`: --rate as its ceiling, slow start up to --concurrency.
std::shared_ptr<flow::RateLimiter> make_budget(const EngineConfig& config);

struct EngineResult {
    std::optional<Error> abort;   // why the run stopped early (auth, tls, interrupted, a wait too long, io)
    std::uint64_t requests = 0;   // requests that left the machine (lookups included)
    std::uint64_t retries = 0;    // waits before another attempt
    std::uint64_t throttled = 0;  // 429 answers
    double final_rate = 0;        // the rate limiter's limit at the end; 0 = none
    std::uint64_t connections_opened = 0;
    std::uint64_t sessions_resumed = 0;  // of those, the TLS handshakes that resumed a session
};

class RunEngine {
  public:
    // Everything passed by reference must outlive run().
    RunEngine(EngineConfig config, WorkSource& source, report::OrderedReport& report,
              report::Summary& summary);
    ~RunEngine();
    RunEngine(const RunEngine&) = delete;
    RunEngine& operator=(const RunEngine&) = delete;

    // Runs to the end of the roster or until stopped; every row read gets its line in the report.
    // Never throws: failures come back in EngineResult::abort.
    EngineResult run();

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace avara::send
