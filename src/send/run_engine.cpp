#include "avara_onboard/send/run_engine.hpp"

#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <cstdio>
#include <deque>
#include <list>
#include <random>
#include <vector>

#include "avara_onboard/flow/rate_limiter.hpp"
#include "avara_onboard/flow/row_lifecycle.hpp"
#include "avara_onboard/net/http_connection.hpp"
#include "avara_onboard/net/network_thread.hpp"
#include "avara_onboard/net/tls_context.hpp"
#include "avara_onboard/send/invite_exchange.hpp"
#include "avara_onboard/util/log.hpp"
#include "avara_onboard/util/time_format.hpp"

namespace avara::send {

namespace asio = boost::asio;
using asio::awaitable;
using flow::Step;
using steady = std::chrono::steady_clock;
using wall = std::chrono::system_clock;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A change on its way: its state machine and what it sends.
struct Row {
    flow::RowLifecycle life;
    std::string body;
    std::string user_id;
    flow::RowAction next;
};
using RowPtr = std::unique_ptr<Row>;

// Registers a timer in a list for as long as a wait lasts, so it can be woken (cancelled) from outside;
// unregisters however the wait ends, including when its coroutine frame is destroyed unresumed.
class Registered {
  public:
    Registered(std::list<asio::steady_timer*>& list, asio::steady_timer& t)
        : list_(list), it_(list.insert(list.end(), &t)) {}
    ~Registered() { list_.erase(it_); }
    Registered(const Registered&) = delete;
    Registered& operator=(const Registered&) = delete;

  private:
    std::list<asio::steady_timer*>& list_;
    std::list<asio::steady_timer*>::iterator it_;
};

// Likewise for the cancellation signal a stop emits into a wait.
class StopSlot {
  public:
    explicit StopSlot(std::list<asio::cancellation_signal>& list)
        : list_(list), it_(list.emplace(list.end())) {}
    ~StopSlot() { list_.erase(it_); }
    StopSlot(const StopSlot&) = delete;
    StopSlot& operator=(const StopSlot&) = delete;
    asio::cancellation_slot slot() { return it_->slot(); }

  private:
    std::list<asio::cancellation_signal>& list_;
    std::list<asio::cancellation_signal>::iterator it_;
};

}  // namespace

std::shared_ptr<flow::RateLimiter> make_budget(const EngineConfig& config) {
    flow::RateLimiterParams p;
    p.rate = config.rate;
    p.min_rate = std::min(1.0, config.rate > 0 ? config.rate : 1.0);
    p.concurrency = std::max(1u, config.concurrency);
    return std::make_shared<flow::RateLimiter>(p);
}

// Member order matters: the io_context is destroyed before everything its coroutines point at (it
// destroys their frames, and with them the connections and timers each frame owns), and the I/O
// objects declared after it are destroyed before it. The network thread is stopped first (the
// destructor's body), so no send is running while its connection goes, and its io_context is destroyed
// last, after the connections registered with it.
struct RunEngine::Impl {
    Impl(EngineConfig cfg, WorkSource& source_in, report::OrderedReport& report_in,
         report::Summary& summary_in)
        : config(std::move(cfg)),
          source(source_in),
          report(report_in),
          summary(summary_in),
          policy(config.retry),
          budget(config.budget ? config.budget : make_budget(config)),
          limiter(*budget),
          rng(std::random_device{}()),
          signals(io),
          progress_timer(io),
          tick_timer(io) {}
    ~Impl() { net.stop(); }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    EngineConfig config;
    WorkSource& source;
    report::OrderedReport& report;
    report::Summary& summary;
    flow::RetryPolicy policy;
    std::shared_ptr<flow::RateLimiter> budget;
    flow::RateLimiter& limiter;  // *budget
    std::mt19937_64 rng;

    std::list<asio::cancellation_signal> stop_signals;  // one per wait that a stop must cut short
    std::list<asio::steady_timer*> idle_workers;        // woken when a row is ready or the report drains
    std::list<asio::steady_timer*> slot_waiters;        // woken when the limiter loosens
    std::deque<RowPtr> ready;                           // rows whose retry wait is over
    Work work;                                          // the source's cursor, shared by the workers
    std::size_t parked = 0;                             // rows sleeping before a retry
    std::size_t active = 0;                             // changes taken from the source, not yet settled
    bool barrier = false;                               // nothing new until `active` is 0
    unsigned workers_running = 0;
    bool rows_exhausted = false;
    bool stopping = false;
    unsigned signals_seen = 0;
    EngineResult result;
    steady::time_point started = steady::now();

    net::NetworkThread net;  // every connection's sockets and TLS
    asio::io_context io;     // everything else (rows, pacing, waits, the report), on one thread
    asio::signal_set signals;
    asio::steady_timer progress_timer;
    asio::steady_timer tick_timer;

    double jitter() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }

    void stop(Error why) {
        if (!result.abort)
            result.abort = std::move(why);
        if (stopping)
            return;
        stopping = true;
        for (auto& s : stop_signals)
            s.emit(asio::cancellation_type::terminal);
    }

    static void wake(std::list<asio::steady_timer*>& timers) {
        for (auto* t : timers)
            t->cancel();
    }

    // Sleeps until `at`, or until stop() or a wake-up cancels the wait. False once the run is stopping.
    awaitable<bool> wait_until(asio::steady_timer& timer, steady::time_point at) {
        if (stopping)
            co_return false;
        StopSlot stop_slot(stop_signals);
        timer.expires_at(at);
        auto [ec] = co_await timer.async_wait(asio::bind_cancellation_slot(stop_slot.slot(), use_tuple));
        (void)ec;
        co_return !stopping;
    }

    // The rate limiter's go-ahead; false when the run stopped meanwhile.
    awaitable<bool> take_slot(asio::steady_timer& timer) {
        flow::Grant grant = limiter.acquire(steady::now());
        for (;;) {
            if (grant.at > steady::now()) {
                Registered waiting(slot_waiters, timer);
                const bool go_on = co_await wait_until(timer, grant.at);
                if (!go_on)
                    co_return false;
            }
            if (stopping)
                co_return false;
            const auto now = steady::now();
            grant = limiter.admit(now, grant);
            if (grant.at == now)
                co_return true;
        }
    }

    void settle(Row& r) {
        --active;
        if (r.life.abort())
            stop(*r.life.abort());
        if (r.life.settlement() == flow::Settlement::leave_for_resume) {
            report.skip(r.life.result().row);
        } else {
            const auto status = r.life.result().status;
            report.complete(std::move(r.life.result()));
            summary.add(status);  // counted once it is in the report
        }
        wake(idle_workers);
    }

    void settle_work(Work& w) {
        const auto status = w.result.status;
        report.complete(std::move(w.result));
        summary.add(status);
    }

    // The next row a worker should carry: a retry whose wait is over first, then the roster's next
    // valid row. Null when the worker may end.
    awaitable<RowPtr> next_row(asio::steady_timer& timer) {
        unsigned handled_without_yield = 0;
        for (;;) {
            if (!ready.empty()) {
                RowPtr r = std::move(ready.front());
                ready.pop_front();
                co_return r;
            }
            if (stopping || (rows_exhausted && parked == 0 && !barrier))
                co_return nullptr;
            if (barrier && active == 0)
                barrier = false;
            if (!barrier && !rows_exhausted && report.span() < config.max_out_of_order) {
                // A long stretch of rows that need no request must not starve signals and progress.
                if (++handled_without_yield == 512) {
                    handled_without_yield = 0;
                    co_await asio::post(io, asio::use_awaitable);
                    continue;
                }
                if (!source.next(work)) {
                    rows_exhausted = true;
                    wake(idle_workers);
                    continue;
                }
                if (work.kind == Work::Kind::settled) {
                    settle_work(work);
                    continue;
                }
                if (work.kind == Work::Kind::barrier) {
                    barrier = true;
                    continue;
                }
                if (work.kind == Work::Kind::skip) {
                    report.skip(work.result.row);
                    continue;
                }
                ++active;
                auto fresh = std::make_unique<Row>(
                    Row{flow::RowLifecycle(policy, work.result.row, work.result.line,
                                           std::move(work.result.email), work.operation, work.follow_up),
                        std::move(work.body),
                        std::move(work.user_id),
                        {}});
                fresh->life.result().from_roster = work.result.from_roster;
                if (work.operation != flow::Operation::invite)
                    fresh->life.result().user_id = fresh->user_id;  // the user it changes
                fresh->next = fresh->life.start();
                co_return fresh;
            }
            // Wait for a retry to come due, or for the slow row that holds the report back.
            Registered idle(idle_workers, timer);
            const bool go_on = co_await wait_until(timer, steady::time_point::max());
            (void)go_on;
        }
    }

    net::HttpRequest make_request(const Row& r) const {
        switch (r.life.request()) {
            case flow::Request::invite:
                return invite_request(r.body, r.life.email(), config.api_key);
            case flow::Request::lookup:
                return lookup_request(r.life.email(), config.api_key);
            case flow::Request::update:
                return update_request(r.user_id, r.body, config.api_key);
            case flow::Request::revoke:
                return access_request(AccessChange::revoke, r.user_id, config.api_key);
            case flow::Request::reactivate:
                return access_request(AccessChange::reactivate, r.user_id, config.api_key);
        }
        return lookup_request(r.life.email(), config.api_key);
    }

    // One request of the row on this worker's connection, and what the row makes of its outcome.
    awaitable<flow::RowAction> exchange(net::HttpConnection& conn, Row& r) {
        const flow::Request kind = r.life.request();
        // The request's bytes are made here; the send runs on the network thread, and the reply comes
        // back to this one.
        net::PreparedResult prepared = conn.prepare(make_request(r));
        net::TransportResult reply = net::TransportError{};
        if (prepared) {
            reply = co_await asio::co_spawn(conn.executor(), conn.send(std::move(*prepared), config.timeout),
                                            asio::use_awaitable);
        } else {
            reply = prepared.error();  // a request that cannot go on the wire
        }
        flow::RequestOutcome outcome;
        if (!reply) {
            const auto& e = reply.error();
            outcome.left_machine = e.request_sent;
            if (e.kind == net::TransportErrorKind::certificate)
                outcome.tls_failure = flow::TlsFailure::certificate;
            if (e.kind == net::TransportErrorKind::tls_handshake)
                outcome.tls_failure = flow::TlsFailure::protocol;
            outcome.problem = e.message;
        } else {
            outcome.attempt = flow::HttpReply{static_cast<int>(reply->status),
                                              reply->header("x-should-retry").value_or(std::string_view{}),
                                              reply->header("retry-after-ms").value_or(std::string_view{}),
                                              reply->header("retry-after").value_or(std::string_view{})};
            if (reply->status / 100 == 2) {
                if (kind == flow::Request::invite)
                    outcome.user_id = user_id_from_invite(reply->body);
                if (kind == flow::Request::lookup)
                    outcome.user_id = user_id_from_lookup(reply->body, r.life.email());
            } else {
                outcome.problem = server_message(reply->status, reply->body);
            }
            if (reply->status == 429)
                ++result.throttled;
        }
        if (outcome.left_machine)
            ++result.requests;
        // `outcome` holds views into `reply`: it is consumed here, while `reply` lives.
        flow::RowAction next = r.life.on_reply(outcome, wall::now(), jitter());
        const double pace = limiter.current_rate();
        if (limiter.on_reply(steady::now(), next.feedback, next.server_wait) == flow::Wake::all)
            wake(slot_waiters);
        if (limiter.current_rate() != pace)
            log_pace();
        co_return next;
    }

    // With --verbose, every change of the adaptive limit, so a user can see what the server allowed.
    void log_pace() const {
        const double rate = limiter.current_rate();
        const double seconds = std::chrono::duration<double>(steady::now() - started).count();
        char line[160];
        if (rate > 0) {
            std::snprintf(line, sizeof line, "at %.3f s: pacing at %.1f requests/s%s", seconds, rate,
                          limiter.blocked() ? " (the server refuses nearly everything)" : "");
        } else {
            std::snprintf(line, sizeof line, "at %.3f s: pacing unlimited", seconds);
        }
        log::debug(line);
    }

    awaitable<void> sleep_then_requeue(RowPtr r, std::chrono::milliseconds delay) {
        asio::steady_timer timer(io);
        const bool go_on = co_await wait_until(timer, steady::now() + delay);
        --parked;
        r->next = go_on ? r->life.on_wait_over() : r->life.on_stop();
        if (r->next.step == Step::finish) {
            settle(*r);
        } else {
            ready.push_back(std::move(r));
        }
        wake(idle_workers);
    }

    // Waits for a retry holding no request slot: the worker moves on to the next row meanwhile.
    void park(RowPtr r, std::chrono::milliseconds delay) {
        ++result.retries;
        if (log::level() == log::Level::verbose) {  // a retry of every sixth row on a noisy server
            log::debug("row " + std::to_string(r->life.result().row) + ": " + r->life.last_problem() +
                       "; retry in " + std::to_string(delay.count()) + " ms");
        }
        ++parked;
        asio::co_spawn(io, sleep_then_requeue(std::move(r), delay),
                       [this](const std::exception_ptr& e) { on_done(e); });
    }

    // Carries a row's actions out until it finishes or parks.
    awaitable<void> drive(net::HttpConnection& conn, asio::steady_timer& timer, RowPtr r) {
        for (;;) {
            switch (r->next.step) {
                case Step::acquire_slot: {
                    const bool go = co_await take_slot(timer);
                    r->next = go ? r->life.on_slot() : r->life.on_stop();
                    break;
                }
                case Step::send: {
                    flow::RowAction next = co_await exchange(conn, *r);
                    r->next = next;
                    break;
                }
                case Step::wait:
                    if (stopping) {
                        r->next = r->life.on_stop();
                        break;
                    }
                    {
                        const auto delay = r->next.delay;
                        park(std::move(r), delay);
                        co_return;
                    }
                case Step::finish:
                    settle(*r);
                    co_return;
            }
        }
    }

    awaitable<void> worker() {
        net::HttpConnection conn(net.executor(), config.tls, config.base);
        asio::steady_timer timer(io);
        for (;;) {
            RowPtr r = co_await next_row(timer);
            if (!r)
                break;
            co_await drive(conn, timer, std::move(r));
        }
        result.connections_opened += conn.connections_opened();
        result.sessions_resumed += conn.sessions_resumed();
        conn.close();
    }

    // Every completion handler: an escaped exception is logged and stops the run (exit 3), never lost.
    void on_done(const std::exception_ptr& error) {
        if (!error)
            return;
        try {
            std::rethrow_exception(error);
        } catch (const AppError& e) {
            stop(Error{e.kind(), e.what()});
        } catch (const std::exception& e) {
            log::error(std::string("internal error: ") + e.what());
            stop(make_error(ErrorKind::internal, std::string("internal error: ") + e.what()));
        } catch (...) {
            log::error("internal error: an unknown exception");
            stop(make_error(ErrorKind::internal, "internal error: an unknown exception"));
        }
    }

    void on_worker_done(const std::exception_ptr& error) {
        on_done(error);
        if (--workers_running == 0) {
            boost::system::error_code ignored;
            signals.cancel(ignored);
            progress_timer.cancel();
            tick_timer.cancel();
        }
    }

    awaitable<void> tick_loop() {
        for (;;) {
            const bool go_on = co_await wait_until(tick_timer, steady::now() + config.tick_interval);
            if (!go_on || workers_running == 0)
                co_return;
            config.on_tick(
                EngineTick{result.requests, result.retries, result.throttled, limiter.current_rate()});
        }
    }

    std::string progress_line() const;
    enum class ProgressLine { update, last };
    void print_progress(ProgressLine which);
    awaitable<void> progress_loop();
    void on_signal(const boost::system::error_code& ec, int signal_number);
    EngineResult run();
};

std::string RunEngine::Impl::progress_line() const {
    const double elapsed = std::chrono::duration<double>(steady::now() - started).count();
    const double rate = elapsed > 0 ? static_cast<double>(summary.rows()) / elapsed : 0;
    // "1200 rows: 1150 invited, 50 invalid", then where we are and how fast.
    std::string line = summary.counts_line();
    if (auto total = source.total_bytes(); total && *total > 0) {
        const double fraction = static_cast<double>(source.bytes_consumed()) / static_cast<double>(*total);
        char pct[16];
        std::snprintf(pct, sizeof pct, "; %.0f%% read", std::min(100.0, fraction * 100.0));
        line += pct;
        if (fraction > 0.001 && fraction < 1.0)
            line += ", ETA " + text::format_duration(elapsed / fraction - elapsed);
    }
    char r[48];
    std::snprintf(r, sizeof r, ", %.1f rows/s", rate);
    line += r;
    if (parked > 0)
        line += ", " + std::to_string(parked) + " waiting to retry";
    if (limiter.blocked()) {
        line += ", the server refuses requests: probing";
    } else if (limiter.current_rate() > 0 && limiter.current_rate() < limiter.configured_rate() - 1e-9) {
        char slowed[64];
        std::snprintf(slowed, sizeof slowed, ", paced at %.1f req/s for the server", limiter.current_rate());
        line += slowed;
    } else if (limiter.current_rate() > 0 && limiter.configured_rate() == 0) {
        char slowed[64];
        std::snprintf(slowed, sizeof slowed, ", paced at %.1f req/s for the server", limiter.current_rate());
        line += slowed;
    }
    return line;
}

void RunEngine::Impl::print_progress(ProgressLine which) {
    if (config.progress == ProgressMode::none)
        return;
    if (config.progress == ProgressMode::live) {
        // Appended, not "\r" + line: g++ 12 warns (-Wrestrict) about that operator+ when optimizing.
        std::string out(1, '\r');
        out += progress_line();
        out += which == ProgressLine::last ? "\x1b[K\n" : "\x1b[K";
        std::fwrite(out.data(), 1, out.size(), stderr);
        std::fflush(stderr);
    } else if (which == ProgressLine::update) {
        log::info("progress: " + progress_line());
    }
}

awaitable<void> RunEngine::Impl::progress_loop() {
    for (;;) {
        progress_timer.expires_after(config.progress_interval);
        auto [ec] = co_await progress_timer.async_wait(use_tuple);
        if (ec || workers_running == 0)
            co_return;
        print_progress(ProgressLine::update);
    }
}

void RunEngine::Impl::on_signal(const boost::system::error_code& ec, int signal_number) {
    if (ec)
        return;
    if (++signals_seen >= 2) {
        // The report is flushed row by row and out-of-order rows sit in the journal: nothing is lost.
        static const char msg[] = "\navara-onboard: second signal: exiting now; run again with --resume\n";
        (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
        std::_Exit(3);
    }
    log::warning(std::string(signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
                 ": stopping; requests in flight get at most --timeout (send it again to exit at once)");
    stop(make_error(ErrorKind::interrupted, "interrupted; run again with --resume to continue"));
    signals.async_wait([this](const boost::system::error_code& e, int n) { on_signal(e, n); });
}

EngineResult RunEngine::Impl::run() {
    const unsigned n = std::max(1u, config.concurrency);
    if (config.handle_signals) {
        signals.add(SIGINT);
        signals.add(SIGTERM);
        signals.async_wait([this](const boost::system::error_code& e, int sig) { on_signal(e, sig); });
    }
    workers_running = n;
    for (unsigned i = 0; i < n; ++i)
        asio::co_spawn(io, worker(), [this](const std::exception_ptr& e) { on_worker_done(e); });
    if (config.progress != ProgressMode::none) {
        log::set_live_line(config.progress == ProgressMode::live);
        asio::co_spawn(io, progress_loop(), [](const std::exception_ptr& e) {
            if (e)
                log::warning("the progress line stopped after an error; the run goes on");
        });
    }
    if (config.on_tick) {
        asio::co_spawn(io, tick_loop(), [](const std::exception_ptr& e) {
            if (e)
                log::warning("the periodic metrics stopped after an error; the run goes on");
        });
    }
    io.run();
    result.final_rate = limiter.current_rate();
    log::debug(std::to_string(result.connections_opened) + " connections opened, " +
               std::to_string(result.sessions_resumed) + " of them resuming a TLS session");
    print_progress(ProgressLine::last);
    log::set_live_line(false);
    return result;
}

RunEngine::RunEngine(EngineConfig config, WorkSource& source, report::OrderedReport& report,
                     report::Summary& summary)
    : impl_(std::make_unique<Impl>(std::move(config), source, report, summary)) {}

RunEngine::~RunEngine() = default;

EngineResult RunEngine::run() {
    try {
        return impl_->run();
    } catch (const std::exception& e) {
        EngineResult r = impl_->result;
        r.abort = make_error(ErrorKind::internal, std::string("unexpected: ") + e.what());
        return r;
    }
}

}  // namespace avara::send
