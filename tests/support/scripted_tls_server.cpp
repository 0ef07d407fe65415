#include "support/scripted_tls_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <deque>
#include <mutex>
#include <thread>

#include "avara_onboard/util/text.hpp"
#include "support/test_pki.hpp"

namespace avara::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

}  // namespace

ScriptStep ScriptStep::reply(unsigned status, std::string body) {
    ScriptStep s;
    s.status = status;
    s.body = std::move(body);
    return s;
}

ScriptStep ScriptStep::raw(std::vector<std::string> parts, std::chrono::milliseconds gap) {
    ScriptStep s;
    s.action = Action::raw;
    s.raw_parts = std::move(parts);
    s.part_gap = gap;
    return s;
}

ScriptStep ScriptStep::close_without_reply() {
    ScriptStep s;
    s.action = Action::close;
    return s;
}

ScriptStep ScriptStep::never_reply() {
    ScriptStep s;
    s.action = Action::hang;
    return s;
}

std::optional<std::string> SeenRequest::header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
        if (text::iequals(n, name))
            return v;
    }
    return std::nullopt;
}

struct ScriptedTlsServer::Impl {
    explicit Impl(Options o) : options(std::move(o)), ssl_ctx(ssl::context::tls_server) {}

    Options options;
    ssl::context ssl_ctx;
    std::uint16_t port = 0;

    mutable std::mutex mutex;
    std::deque<ScriptStep> script;
    std::vector<SeenRequest> seen;
    std::size_t connections = 0;
    std::size_t half_closes = 0;
    std::size_t handshakes = 0;
    std::size_t failed_handshakes = 0;

    // Declared last: destroyed first, together with every coroutine frame it still holds, while the
    // state above is alive.
    std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>(1);
    std::thread thread;

    ScriptStep next_step() {
        std::lock_guard lock(mutex);
        if (script.empty())
            return ScriptStep::reply(200);
        ScriptStep s = std::move(script.front());
        script.pop_front();
        return s;
    }

    asio::awaitable<void> accept_loop(tcp::acceptor acceptor) {
        for (;;) {
            auto accepted = co_await acceptor.async_accept(tuple_awaitable);
            if (std::get<0>(accepted))
                co_return;
            std::size_t index = 0;
            {
                std::lock_guard lock(mutex);
                index = ++connections;
            }
            asio::co_spawn(acceptor.get_executor(), session(std::move(std::get<1>(accepted)), index),
                           asio::detached);
        }
    }

    asio::awaitable<void> session(tcp::socket socket, std::size_t index) {
        if (!options.tls) {
            beast::tcp_stream stream(std::move(socket));
            co_await serve(stream, stream, index);
            co_return;
        }
        beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), ssl_ctx);
        auto shaken = co_await stream.async_handshake(ssl::stream_base::server, tuple_awaitable);
        {
            std::lock_guard lock(mutex);
            ++(std::get<0>(shaken) ? failed_handshakes : handshakes);
        }
        if (std::get<0>(shaken))
            co_return;
        co_await serve(stream, beast::get_lowest_layer(stream), index);
    }

    void record(const http::request<http::string_body>& req, std::size_t index) {
        SeenRequest seen_request;
        seen_request.connection = index;
        seen_request.method = std::string(req.method_string());
        seen_request.target = std::string(req.target());
        for (const auto& field : req) {
            seen_request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        }
        seen_request.body = req.body();
        std::lock_guard lock(mutex);
        seen.push_back(std::move(seen_request));
    }

    // Reads (and records) whatever still arrives on a connection that can no longer answer.
    template <class Stream>
    asio::awaitable<void> record_until_eof(Stream& stream, beast::flat_buffer& buffer, std::size_t index) {
        for (;;) {
            http::request_parser<http::string_body> parser;
            auto read = co_await http::async_read(stream, buffer, parser, tuple_awaitable);
            if (std::get<0>(read))
                co_return;
            record(parser.get(), index);
        }
    }

    // Action::raw: false if a write failed.
    template <class Stream>
    static asio::awaitable<bool> write_parts(Stream& stream, asio::steady_timer& timer,
                                             const ScriptStep& step) {
        for (std::size_t i = 0; i < step.raw_parts.size(); ++i) {
            if (i > 0) {
                timer.expires_after(step.part_gap);
                auto waited = co_await timer.async_wait(tuple_awaitable);
                (void)waited;
            }
            auto written =
                co_await asio::async_write(stream, asio::buffer(step.raw_parts[i]), tuple_awaitable);
            if (std::get<0>(written))
                co_return false;
        }
        co_return true;
    }

    template <class Stream>
    asio::awaitable<void> serve(Stream& stream, beast::tcp_stream& lowest, std::size_t index) {
        beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(16 * 1024 * 1024);
            auto read = co_await http::async_read(stream, buffer, parser, tuple_awaitable);
            if (std::get<0>(read))
                co_return;
            http::request<http::string_body> req = parser.release();

            record(req, index);

            ScriptStep step = next_step();
            asio::steady_timer timer(lowest.get_executor());
            if (step.delay.count() > 0) {
                timer.expires_after(step.delay);
                auto waited = co_await timer.async_wait(tuple_awaitable);
                (void)waited;
            }
            if (step.action == ScriptStep::Action::close) {
                beast::error_code ec;
                lowest.socket().shutdown(tcp::socket::shutdown_both, ec);
                lowest.socket().close(ec);
                co_return;
            }
            if (step.action == ScriptStep::Action::hang) {
                // Until the server is destroyed.
                timer.expires_at(asio::steady_timer::time_point::max());
                auto waited = co_await timer.async_wait(tuple_awaitable);
                (void)waited;
                co_return;
            }

            if (step.action == ScriptStep::Action::raw) {
                if (!co_await write_parts(stream, timer, step))
                    co_return;
                continue;
            }

            http::response<http::string_body> res;
            res.version(11);
            res.result(step.status);
            for (const auto& [name, value] : step.headers)
                res.insert(name, value);
            res.body() = std::move(step.body);
            res.keep_alive(req.keep_alive() && res.keep_alive());
            res.prepare_payload();
            beast::error_code write_ec;
            if (req.method() == http::verb::head) {
                // The headers announce the body's length; the body itself is never sent.
                http::response_serializer<http::string_body> serializer(res);
                auto written = co_await http::async_write_header(stream, serializer, tuple_awaitable);
                write_ec = std::get<0>(written);
            } else {
                auto written = co_await http::async_write(stream, res, tuple_awaitable);
                write_ec = std::get<0>(written);
            }
            if (!write_ec && step.half_close_after) {
                beast::error_code ec;
                lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
                {
                    std::lock_guard lock(mutex);
                    ++half_closes;
                }
                co_await record_until_eof(stream, buffer, index);
                lowest.socket().close(ec);
                co_return;
            }
            if (write_ec || step.close_after || !res.keep_alive()) {
                // A bare TCP close, no close_notify: what servers do with idle keep-alive connections.
                beast::error_code ec;
                lowest.socket().shutdown(tcp::socket::shutdown_both, ec);
                lowest.socket().close(ec);
                co_return;
            }
        }
    }
};

ScriptedTlsServer::ScriptedTlsServer() : ScriptedTlsServer(Options{}) {}

ScriptedTlsServer::ScriptedTlsServer(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {
    Impl& impl = *impl_;
    if (impl.options.tls) {
        if (impl.options.cert_chain_file.empty()) {
            impl.options.cert_chain_file = TestPki::get().leaf_chain;
            impl.options.key_file = TestPki::get().leaf_key;
        }
        impl.ssl_ctx.use_certificate_chain_file(impl.options.cert_chain_file);
        impl.ssl_ctx.use_private_key_file(impl.options.key_file, ssl::context::pem);
    }
    tcp::acceptor acceptor(*impl.ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    impl.port = acceptor.local_endpoint().port();
    asio::co_spawn(*impl.ioc, impl.accept_loop(std::move(acceptor)), asio::detached);
    impl.thread = std::thread([&impl] { impl.ioc->run(); });
}

ScriptedTlsServer::~ScriptedTlsServer() {
    impl_->ioc->stop();
    impl_->thread.join();
    impl_->ioc.reset();
}

std::uint16_t ScriptedTlsServer::port() const noexcept {
    return impl_->port;
}

void ScriptedTlsServer::push(ScriptStep step) {
    std::lock_guard lock(impl_->mutex);
    impl_->script.push_back(std::move(step));
}

std::vector<SeenRequest> ScriptedTlsServer::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->seen;
}

std::size_t ScriptedTlsServer::connections() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->connections;
}

std::size_t ScriptedTlsServer::handshakes() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->handshakes;
}

std::size_t ScriptedTlsServer::half_closes() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->half_closes;
}

std::size_t ScriptedTlsServer::failed_handshakes() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->failed_handshakes;
}

}  // namespace avara::test
