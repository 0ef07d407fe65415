#include "avara_onboard/send/directory_listing.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <random>

#include "avara_onboard/flow/rate_limiter.hpp"
#include "avara_onboard/flow/retry_policy.hpp"
#include "avara_onboard/net/http_connection.hpp"
#include "avara_onboard/send/invite_exchange.hpp"
#include "avara_onboard/util/log.hpp"

namespace avara::send {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

class Lister {
  public:
    explicit Lister(const EngineConfig& config)
        : config_(config),
          policy_(config.retry),
          budget_(config.budget ? config.budget : make_budget(config)),
          limiter_(*budget_),
          signals_(io_) {}

    Result<ListingResult> run() {
        if (config_.handle_signals) {
            signals_.add(SIGINT);
            signals_.add(SIGTERM);
            signals_.async_wait([this](const boost::system::error_code& ec, int) {
                if (!ec) {
                    failure_ = make_error(ErrorKind::interrupted,
                                          "interrupted while listing the users; nothing "
                                          "was changed");
                    stop_.emit(asio::cancellation_type::terminal);
                }
            });
        }
        asio::co_spawn(io_, list_all(), [this](const std::exception_ptr& e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& x) {
                    failure_ = make_error(ErrorKind::internal, std::string("internal error: ") + x.what());
                }
            }
            boost::system::error_code ignored;
            signals_.cancel(ignored);
        });
        io_.run();
        if (failure_)
            return *failure_;
        auto finished = result_.directory.finish();
        if (!finished)
            return finished.error();
        return std::move(result_);
    }

  private:
    // Sleeps until `at`; false when interrupted.
    asio::awaitable<bool> sleep_until(asio::steady_timer& timer, steady::time_point at) {
        if (failure_)
            co_return false;
        timer.expires_at(at);
        auto [ec] = co_await timer.async_wait(asio::bind_cancellation_slot(stop_.slot(), use_tuple));
        (void)ec;
        co_return !failure_;
    }

    asio::awaitable<bool> take_slot(asio::steady_timer& timer) {
        flow::Grant grant = limiter_.acquire(steady::now());
        for (;;) {
            if (grant.at > steady::now()) {
                const bool go_on = co_await sleep_until(timer, grant.at);
                if (!go_on)
                    co_return false;
            }
            const auto now = steady::now();
            grant = limiter_.admit(now, grant);
            if (grant.at == now)
                co_return true;
        }
    }

    // One page, retried as a row would be. Its body, or nothing with failure_ set.
    asio::awaitable<std::optional<std::string>> fetch(net::HttpConnection& conn, asio::steady_timer& timer,
                                                      std::optional<std::string> cursor) {
        flow::RowRetry retry(policy_);
        for (;;) {
            const bool go = co_await take_slot(timer);
            if (!go)
                co_return std::nullopt;
            auto reply = co_await conn.send(list_request(cursor ? &*cursor : nullptr, config_.api_key),
                                            config_.timeout);
            flow::AttemptOutcome outcome = flow::TransportFailure{};
            std::string problem;
            if (!reply) {
                const auto& e = reply.error();
                result_.requests += e.request_sent ? 1 : 0;
                if (e.kind == net::TransportErrorKind::certificate ||
                    e.kind == net::TransportErrorKind::tls_handshake) {
                    failure_ =
                        make_error(ErrorKind::tls, "TLS failure while listing the users: " + e.message);
                    co_return std::nullopt;
                }
                problem = e.message;
                limiter_.on_reply(steady::now(), flow::Feedback::none);
            } else {
                ++result_.requests;
                if (reply->status / 100 == 2) {
                    limiter_.on_reply(steady::now(), flow::Feedback::accepted);
                    co_return std::move(reply->body);
                }
                problem = server_message(reply->status, reply->body);
                outcome = flow::HttpReply{static_cast<int>(reply->status),
                                          reply->header("x-should-retry").value_or(std::string_view{}),
                                          reply->header("retry-after-ms").value_or(std::string_view{}),
                                          reply->header("retry-after").value_or(std::string_view{})};
            }
            const auto d = retry.on_outcome(outcome, std::chrono::system_clock::now(), jitter());
            if (reply) {
                limiter_.on_reply(steady::now(),
                                  d.throttled ? flow::Feedback::throttled : flow::Feedback::accepted,
                                  d.delay);
            }
            if (d.action == flow::Action::abort_auth) {
                failure_ =
                    make_error(ErrorKind::auth, "the server refused the API key while listing the users (" +
                                                    problem + "); nothing was changed");
                co_return std::nullopt;
            }
            if (d.action != flow::Action::retry) {
                failure_ = make_error(ErrorKind::interrupted,
                                      "the user listing could not complete (" + problem + ", page " +
                                          std::to_string(result_.pages + 1) +
                                          "); nothing was changed: run the sync again later");
                co_return std::nullopt;
            }
            log::debug("listing page " + std::to_string(result_.pages + 1) + ": " + problem + "; retry in " +
                       std::to_string(d.delay.count()) + " ms");
            const bool go_on = co_await sleep_until(timer, steady::now() + d.delay);
            if (!go_on)
                co_return std::nullopt;
        }
    }

    asio::awaitable<void> list_all() {
        net::HttpConnection conn(io_.get_executor(), config_.tls, config_.base);
        asio::steady_timer timer(io_);
        std::optional<std::string> cursor;
        for (;;) {
            std::optional<std::string> body = co_await fetch(conn, timer, cursor);
            if (!body)
                break;
            auto page = sync::parse_users_page(*body);
            if (!page) {
                failure_ = make_error(ErrorKind::input, "page " + std::to_string(result_.pages + 1) +
                                                            " of the user listing: " + page.error().message);
                break;
            }
            ++result_.pages;
            result_.directory.add(std::move(page->users));
            if (!page->has_more)
                break;
            if (!page->cursor) {
                failure_ =
                    make_error(ErrorKind::input, "the user listing says it has more but gives no cursor");
                break;
            }
            cursor = std::move(page->cursor);
        }
        conn.close();
    }

    double jitter() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

    const EngineConfig& config_;
    flow::RetryPolicy policy_;
    std::shared_ptr<flow::RateLimiter> budget_;  // the job's, shared with the changes that follow
    flow::RateLimiter& limiter_;                 // *budget_
    std::mt19937_64 rng_{std::random_device{}()};
    std::optional<Error> failure_;
    ListingResult result_;
    asio::cancellation_signal stop_;
    asio::io_context io_;
    asio::signal_set signals_;
};

}  // namespace

Result<ListingResult> list_directory(const EngineConfig& config) {
    Lister lister(config);
    return lister.run();
}

}  // namespace avara::send
