#include "https_test_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <optional>
#include <stdexcept>

#include "avara_onboard/util/text.hpp"

namespace avara::mock::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpsTestClient::State {
    asio::io_context ioc;
    asio::ssl::context tls{asio::ssl::context::tls_client};
    std::uint16_t port = 0;
    std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
    beast::flat_buffer buffer;
};

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// Opens the connection when there is none; returns the error text, empty on success.
asio::awaitable<std::string> ensure_connected(HttpsTestClient::State* s, std::chrono::seconds timeout,
                                              int* opened) {
    if (s->stream)
        co_return std::string();
    s->buffer.clear();
    const auto executor = co_await asio::this_coro::executor;
    auto& stream = s->stream.emplace(executor, s->tls);
    auto& tcp_layer = beast::get_lowest_layer(stream);
    tcp_layer.expires_after(timeout);
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), s->port);
    auto [connect_ec] = co_await tcp_layer.async_connect(endpoint, tuple_awaitable);
    if (connect_ec) {
        s->stream.reset();
        co_return "connect: " + connect_ec.message();
    }
    ++*opened;
    auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, tuple_awaitable);
    if (handshake_ec) {
        s->stream.reset();
        co_return "handshake: " + handshake_ec.message();
    }
    co_return std::string();
}

asio::awaitable<HttpReply> exchange(HttpsTestClient::State* s, std::string bytes,
                                    std::chrono::seconds timeout, int* opened) {
    HttpReply reply;
    const std::string connect_error = co_await ensure_connected(s, timeout, opened);
    if (!connect_error.empty()) {
        reply.dropped = true;
        reply.error = connect_error;
        co_return reply;
    }
    auto& stream = *s->stream;
    beast::get_lowest_layer(stream).expires_after(timeout);
    auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(bytes), tuple_awaitable);
    (void)written;
    if (write_ec) {
        s->stream.reset();
        reply.dropped = true;
        reply.error = "write: " + write_ec.message();
        co_return reply;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    auto [read_ec, read] = co_await http::async_read(stream, s->buffer, parser, tuple_awaitable);
    (void)read;
    if (read_ec) {
        s->stream.reset();
        reply.dropped = true;
        reply.error = "read: " + read_ec.message();
        co_return reply;
    }
    const auto& message = parser.get();
    reply.status = static_cast<int>(message.result_int());
    reply.body = message.body();
    for (const auto& field : message) {
        reply.headers[text::to_lower(std::string(field.name_string()))] = std::string(field.value());
    }
    if (!message.keep_alive())
        s->stream.reset();
    co_return reply;
}

template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> task) {
    auto future = asio::co_spawn(ioc, std::move(task), asio::use_future);
    ioc.restart();
    ioc.run();
    return future.get();
}

}  // namespace

HttpsTestClient::HttpsTestClient(std::uint16_t port, std::string ca_pem) : state_(std::make_unique<State>()) {
    state_->port = port;
    state_->tls.set_verify_mode(asio::ssl::verify_peer);
    state_->tls.add_certificate_authority(asio::buffer(ca_pem));
    state_->tls.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
}

HttpsTestClient::~HttpsTestClient() = default;

HttpReply HttpsTestClient::send(const std::string& method, const std::string& target, const std::string& body,
                                const Headers& headers) {
    std::string bytes = method + " " + target +
                        " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(state_->port) +
                        "\r\nUser-Agent: avara-mock-test\r\nAccept: application/json\r\n";
    if (!bearer.empty())
        bytes += "Authorization: Bearer " + bearer + "\r\n";
    for (const auto& [name, value] : headers)
        bytes += name + ": " + value + "\r\n";
    if (!body.empty() || method == "POST") {
        bytes += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    }
    bytes += "\r\n" + body;
    return send_raw(bytes);
}

HttpReply HttpsTestClient::send_raw(const std::string& bytes) {
    return run(state_->ioc, exchange(state_.get(), bytes, timeout, &connections_opened_));
}

std::string HttpsTestClient::try_handshake() {
    state_->stream.reset();
    return run(state_->ioc, ensure_connected(state_.get(), timeout, &connections_opened_));
}

std::string invite_body(const std::string& email, const std::string& level) {
    return R"({"email":")" + email +
           R"(","firstName":"Ada","lastName":"Lovelace","clinicRole":"Radiologist",)" + R"("level":")" +
           level + R"(","canManageStudies":true,"hasDashboardAccess":true})";
}

}  // namespace avara::mock::testing
