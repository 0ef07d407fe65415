#include "avara_onboard/send/run_engine.hpp"

#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

#include "avara_onboard/flow/rate_limiter.hpp"
#include "avara_onboard/net/http_connection.hpp"
#include "avara_onboard/net/tls_context.hpp"
#include "avara_onboard/send/invite_exchange.hpp"
#include "avara_onboard/util/log.hpp"

namespace avara::send {

namespace asio = boost::asio;
using asio::awaitable;
using report::RowResult;
using report::Status;
using steady = std::chrono::steady_clock;
using wall = std::chrono::system_clock;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string format_wall_time(wall::time_point t) {
    const std::time_t tt = wall::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

std::string format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0)
        return "?";
    const auto s = static_cast<long long>(seconds + 0.5);
    char buf[32];
    if (s >= 3600) {
        std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, (s / 60) % 60);
    } else if (s >= 60) {
        std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%llds", s);
    }
    return buf;
}

// One request of a row, and what came back of it.
struct Job {
    std::uint64_t row = 0;
    std::uint64_t line = 0;
    std::string email;
    std::string body;
};
}  // namespace

struct RunEngine::Impl {
    Impl(EngineConfig cfg, validate::ValidatedRows& rows_in, report::OrderedReport& report_in,
         const report::ResumeStore* resume_in, report::Summary& summary_in)
        : config(std::move(cfg)),
          rows(rows_in),
          report(report_in),
          resume(resume_in),
          summary(summary_in),
          policy(config.retry),
          limiter(flow::RateLimiterParams{config.rate, std::min(1.0, config.rate > 0 ? config.rate : 1.0)}),
          progress_timer(io),
          signals(io),
          rng(std::random_device{}()) {}

    EngineConfig config;
    validate::ValidatedRows& rows;
    report::OrderedReport& report;
    const report::ResumeStore* resume;
    report::Summary& summary;
    flow::RetryPolicy policy;
    flow::RateLimiter limiter;

    asio::io_context io;
    asio::steady_timer progress_timer;  // the progress line's clock
    asio::signal_set signals;
    std::vector<std::unique_ptr<asio::steady_timer>> worker_timers;  // cancelled to wake sleepers on stop
    std::vector<bool> waiting_for_drain;  // workers paused until the ordered report catches up
    std::vector<std::unique_ptr<net::HttpConnection>> connections;

    std::mt19937_64 rng;
    validate::ValidatedRow row;
    bool rows_exhausted = false;
    bool stopping = false;
    unsigned signals_seen = 0;
    unsigned workers_running = 0;
    unsigned retrying = 0;
    EngineResult result;
    steady::time_point started = steady::now();

    double jitter() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }

    void stop(Error why) {
        if (!result.abort)
            result.abort = std::move(why);
        if (stopping)
            return;
        stopping = true;
        for (auto& t : worker_timers)
            t->cancel();
    }

    void wake_drain_waiters() {
        for (std::size_t i = 0; i < waiting_for_drain.size(); ++i) {
            if (waiting_for_drain[i])
                worker_timers[i]->cancel();
        }
    }

    void complete(RowResult r) {
        summary.add(r.status);
        report.complete(std::move(r));
        wake_drain_waiters();
    }

    void skip(std::uint64_t row_number) {
        report.skip(row_number);
        wake_drain_waiters();
    }

    // Pulls rows until one must be sent; rows that need no request are reported on the way.
    awaitable<std::optional<Job>> next_job(std::size_t worker_index) {
        unsigned handled_without_yield = 0;
        for (;;) {
            // A long stretch of rows that need no request (invalid, duplicate, already done) must not
            // starve the signal handler and the progress line: let them run now and then. Only here,
            // before a row is read, since `row` is shared by the workers.
            if (++handled_without_yield == 512) {
                handled_without_yield = 0;
                co_await asio::post(io, asio::use_awaitable);
            }
            if (stopping || rows_exhausted)
                co_return std::nullopt;
            if (report.buffered() >= config.max_out_of_order) {
                // Memory stays flat: wait until the slow row that holds the others back is done.
                auto& timer = *worker_timers[worker_index];
                timer.expires_at(steady::time_point::max());
                waiting_for_drain[worker_index] = true;
                auto [ec] = co_await timer.async_wait(use_tuple);
                (void)ec;
                waiting_for_drain[worker_index] = false;
                continue;
            }
            if (!rows.next(row)) {
                rows_exhausted = true;
                co_return std::nullopt;
            }
            if (row.status != Status::valid) {
                RowResult r;
                r.row = row.row;
                r.line = row.line;
                r.email = row.email;
                r.status = row.status;
                r.error = row.error;
                complete(std::move(r));
                continue;
            }
            if (resume != nullptr) {
                if (auto previous = resume->find(row.email)) {
                    RowResult r;
                    r.row = row.row;
                    r.line = row.line;
                    r.email = row.email;
                    r.status = previous->status;
                    r.http_status = previous->http_status;
                    r.user_id = previous->user_id;
                    r.attempts = previous->attempts;
                    ++result.skipped_by_resume;
                    complete(std::move(r));
                    continue;
                }
            }
            Job job;
            job.row = row.row;
            job.line = row.line;
            job.email = row.email;
            row.invite.append_json(job.body);
            co_return job;
        }
    }

    // Waits for the rate limiter's slot; false when the run stopped meanwhile.
    awaitable<bool> wait_for_slot(asio::steady_timer& timer) {
        auto slot = limiter.acquire(steady::now());
        for (;;) {
            if (stopping)
                co_return false;
            auto now = steady::now();
            if (slot > now) {
                timer.expires_at(slot);
                auto [ec] = co_await timer.async_wait(use_tuple);
                (void)ec;
                if (stopping)
                    co_return false;
                now = steady::now();
            }
            slot = limiter.admit(now);
            if (slot <= now)
                co_return true;
        }
    }

    awaitable<bool> sleep_for(asio::steady_timer& timer, std::chrono::milliseconds delay) {
        timer.expires_after(delay);
        auto [ec] = co_await timer.async_wait(use_tuple);
        (void)ec;
        co_return !stopping;
    }

    // The id of a user that already exists (after a 409). Best effort: one request.
    awaitable<std::string> look_up_user_id(net::HttpConnection& conn, asio::steady_timer& timer,
                                           std::string email, std::string& note) {
        const bool may_send = co_await wait_for_slot(timer);
        if (!may_send) {
            note = "user id not looked up: the run stopped";
            co_return std::string{};
        }
        ++result.requests;
        auto reply = co_await conn.send(lookup_request(email, config.api_key), config.timeout);
        if (!reply) {
            note = "user id lookup failed: " + reply.error().message;
            co_return std::string{};
        }
        if (reply->status == 429)
            limiter.on_throttled(steady::now(), std::chrono::seconds(1));
        if (reply->status / 100 != 2) {
            note = "user id lookup failed: " + server_message(reply->status, reply->body);
            co_return std::string{};
        }
        limiter.on_success(steady::now());
        auto id = user_id_from_lookup(reply->body, email);
        if (!id) {
            note = "user id lookup found no user with this email";
            co_return std::string{};
        }
        co_return *id;
    }

    awaitable<void> process(net::HttpConnection& conn, asio::steady_timer& timer, Job job) {
        RowResult r;
        r.row = job.row;
        r.line = job.line;
        r.email = job.email;
        flow::RowRetry attempts(policy);
        std::string last_problem;
        for (;;) {
            const bool may_send = co_await wait_for_slot(timer);
            if (!may_send) {
                if (attempts.attempts() == 0) {
                    skip(job.row);  // never sent: --resume will send it
                } else {
                    r.status = Status::failed;
                    r.attempts = static_cast<unsigned>(attempts.attempts());
                    r.error = last_problem + "; the run stopped before the next retry";
                    complete(std::move(r));
                }
                co_return;
            }
            ++result.requests;
            auto reply =
                co_await conn.send(invite_request(job.body, job.email, config.api_key), config.timeout);

            flow::AttemptOutcome outcome = flow::TransportFailure{};
            if (!reply) {
                const auto& error = reply.error();
                if (error.kind == net::TransportErrorKind::certificate) {
                    --result.requests;  // the handshake failed: no request left this machine
                    stop(make_error(ErrorKind::tls, "TLS certificate verification failed: " + error.message +
                                                        " (pass the server's CA with --ca-file)"));
                    if (attempts.attempts() == 0) {
                        skip(job.row);
                    } else {
                        r.status = Status::failed;
                        r.attempts = static_cast<unsigned>(attempts.attempts());
                        r.error = "TLS certificate verification failed";
                        complete(std::move(r));
                    }
                    co_return;
                }
                last_problem = error.message;
            } else {
                last_problem = server_message(reply->status, reply->body);
                r.http_status = reply->status;
                outcome = flow::HttpReply{static_cast<int>(reply->status),
                                          reply->header("x-should-retry").value_or(std::string_view{}),
                                          reply->header("retry-after-ms").value_or(std::string_view{}),
                                          reply->header("retry-after").value_or(std::string_view{})};
            }
            const auto decision = attempts.on_outcome(outcome, wall::now(), jitter());
            if (decision.throttled) {
                limiter.on_throttled(steady::now(), decision.delay);
            } else if (reply) {
                limiter.on_success(steady::now());
            }
            r.attempts = static_cast<unsigned>(attempts.attempts());

            switch (decision.action) {
                case flow::Action::invited: {
                    r.status = Status::invited;
                    if (auto id = user_id_from_invite(reply->body)) {
                        r.user_id = std::move(*id);
                    } else {
                        r.error = "the server's reply held no userId";
                    }
                    break;
                }
                case flow::Action::exists: {
                    r.status = Status::exists;
                    std::string note;
                    r.user_id = co_await look_up_user_id(conn, timer, job.email, note);
                    r.error = note;
                    break;
                }
                case flow::Action::rejected:
                    r.status = Status::rejected;
                    r.error = last_problem;
                    break;
                case flow::Action::abort_auth:
                    r.status = Status::failed;
                    r.error = "authentication refused (" + last_problem + "); fix the key, then --resume";
                    stop(make_error(ErrorKind::auth, "the server refused the API key (" + last_problem +
                                                         "); no new requests were started"));
                    break;
                case flow::Action::give_up:
                    r.status = Status::failed;
                    r.error = last_problem + " (gave up after " + std::to_string(r.attempts) +
                              (r.attempts == 1 ? " attempt)" : " attempts)");
                    break;
                case flow::Action::abort_wait: {
                    r.status = Status::failed;
                    const auto when = format_wall_time(decision.resume_at);
                    r.error = last_problem + "; the server asked to wait until " + when;
                    stop(
                        make_error(ErrorKind::interrupted,
                                   "the server asked for a pause of " +
                                       format_duration(static_cast<double>(decision.delay.count()) / 1000.0) +
                                       ", longer than --max-wait; it will accept requests again at " + when +
                                       "; then run again with --resume"));
                    break;
                }
                case flow::Action::retry: {
                    ++result.retries;
                    ++retrying;
                    log::debug("row " + std::to_string(job.row) + ": " + last_problem + "; retry in " +
                               std::to_string(decision.delay.count()) + " ms");
                    const bool go_on = co_await sleep_for(timer, decision.delay);
                    --retrying;
                    if (!go_on) {
                        r.status = Status::failed;
                        r.error = last_problem + "; the run stopped before the next retry";
                        complete(std::move(r));
                        co_return;
                    }
                    continue;
                }
            }
            complete(std::move(r));
            co_return;
        }
    }

    awaitable<void> worker(std::size_t index) {
        auto& conn = *connections[index];
        auto& timer = *worker_timers[index];
        for (;;) {
            auto job = co_await next_job(index);
            if (!job)
                break;
            co_await process(conn, timer, std::move(*job));
        }
        conn.close();
    }

    std::string progress_line() const {
        const double elapsed = std::chrono::duration<double>(steady::now() - started).count();
        const double rate = elapsed > 0 ? static_cast<double>(summary.rows()) / elapsed : 0;
        // "1200 rows: 1150 invited, 50 invalid", then where we are and how fast.
        std::string line = summary.counts_line();
        if (auto total = rows.total_bytes(); total && *total > 0) {
            const double fraction = static_cast<double>(rows.bytes_consumed()) / static_cast<double>(*total);
            char pct[16];
            std::snprintf(pct, sizeof pct, "; %.0f%% read", std::min(100.0, fraction * 100.0));
            line += pct;
            if (fraction > 0.001 && fraction < 1.0)
                line += ", ETA " + format_duration(elapsed / fraction - elapsed);
        }
        char r[48];
        std::snprintf(r, sizeof r, ", %.1f rows/s", rate);
        line += r;
        if (retrying > 0)
            line += ", " + std::to_string(retrying) + " waiting to retry";
        if (limiter.current_rate() > 0 && limiter.current_rate() < limiter.configured_rate()) {
            char slowed[64];
            std::snprintf(slowed, sizeof slowed, ", slowed to %.1f req/s by the server",
                          limiter.current_rate());
            line += slowed;
        }
        return line;
    }

    void print_progress(bool final_line) {
        if (config.progress == ProgressMode::none)
            return;
        if (config.progress == ProgressMode::live) {
            std::string out = "\r" + progress_line() + "\x1b[K";
            if (final_line)
                out += "\n";
            std::fwrite(out.data(), 1, out.size(), stderr);
            std::fflush(stderr);
        } else if (!final_line) {
            log::info("progress: " + progress_line());
        }
    }

    awaitable<void> progress_loop() {
        for (;;) {
            progress_timer.expires_after(config.progress_interval);
            auto [ec] = co_await progress_timer.async_wait(use_tuple);
            if (ec || workers_running == 0)
                co_return;
            print_progress(false);
        }
    }

    void on_signal(const boost::system::error_code& ec, int signal_number) {
        if (ec)
            return;
        if (++signals_seen >= 2) {
            // The report is flushed row by row and out-of-order rows sit in the journal: nothing is lost.
            static const char msg[] =
                "\navara-onboard: second signal: exiting now; run again with --resume\n";
            (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
            std::_Exit(3);
        }
        log::warning(std::string(signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
                     ": finishing the requests in flight, then stopping (send it again to exit at once)");
        stop(make_error(ErrorKind::interrupted, "interrupted; run again with --resume to continue"));
        signals.async_wait([this](const boost::system::error_code& e, int n) { on_signal(e, n); });
    }

    EngineResult run() {
        const unsigned n = std::max(1u, config.concurrency);
        for (unsigned i = 0; i < n; ++i) {
            worker_timers.push_back(std::make_unique<asio::steady_timer>(io));
            waiting_for_drain.push_back(false);
            connections.push_back(
                std::make_unique<net::HttpConnection>(io.get_executor(), config.tls, config.base));
        }
        if (config.handle_signals) {
            signals.add(SIGINT);
            signals.add(SIGTERM);
            signals.async_wait([this](const boost::system::error_code& e, int sig) { on_signal(e, sig); });
        }
        workers_running = n;
        for (unsigned i = 0; i < n; ++i) {
            asio::co_spawn(io, worker(i), [this](std::exception_ptr error) {
                if (error) {
                    try {
                        std::rethrow_exception(error);
                    } catch (const AppError& e) {
                        stop(Error{e.kind(), e.what()});
                    } catch (const std::exception& e) {
                        stop(make_error(ErrorKind::internal, std::string("unexpected: ") + e.what()));
                    }
                }
                if (--workers_running == 0) {
                    boost::system::error_code ignored;
                    signals.cancel(ignored);
                    progress_timer.cancel();
                }
            });
        }
        if (config.progress != ProgressMode::none) {
            log::set_live_line(config.progress == ProgressMode::live);
            asio::co_spawn(io, progress_loop(), [](std::exception_ptr) {});
        }
        io.run();
        print_progress(true);
        log::set_live_line(false);
        for (auto& c : connections)
            result.connections_opened += c->connections_opened();
        return result;
    }
};

RunEngine::RunEngine(EngineConfig config, validate::ValidatedRows& rows, report::OrderedReport& report,
                     const report::ResumeStore* resume, report::Summary& summary)
    : impl_(std::make_unique<Impl>(std::move(config), rows, report, resume, summary)) {}

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
