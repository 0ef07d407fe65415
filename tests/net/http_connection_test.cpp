#include "avara_onboard/net/http_connection.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include "support/run_sync.hpp"
#include "support/scripted_tls_server.hpp"
#include "support/test_pki.hpp"

using namespace avara;
using namespace std::chrono_literals;
using net::TransportErrorKind;
using test::ScriptedTlsServer;
using test::ScriptStep;
namespace asio = boost::asio;

namespace {

net::BaseUrl url(const std::string& text) {
    return net::parse_base_url(text, net::PlainHttp::allow).value();
}

net::BaseUrl local_url(std::uint16_t port, const std::string& scheme = "https",
                       const std::string& host = "127.0.0.1", const std::string& prefix = "") {
    return url(scheme + "://" + host + ":" + std::to_string(port) + prefix);
}

std::shared_ptr<net::TlsClientContext> trusting(const std::optional<std::string>& ca_file) {
    return net::TlsClientContext::create(ca_file).value();
}

std::shared_ptr<net::TlsClientContext> trusting_test_ca() {
    return trusting(test::TestPki::get().ca_cert);
}

net::HttpRequest get(std::string target) {
    return net::HttpRequest{"GET", std::move(target), {}, {}};
}

std::string describe(const net::TransportResult& r) {
    if (r.has_value())
        return "HTTP " + std::to_string(r->status);
    return std::string(net::to_string(r.error().kind)) + ": " + r.error().message;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// A port that refuses connections: bound, then released. Another process could grab it in between, but
// the kernel hands out ephemeral ports in sequence, so not this soon.
std::uint16_t closed_port() {
    asio::io_context ioc;
    asio::ip::tcp::acceptor a(ioc, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

// N replies of 200 "bye" that each close their connection.
void push_closing_replies(ScriptedTlsServer& server, int n) {
    for (int i = 0; i < n; ++i) {
        ScriptStep step = ScriptStep::reply(200, "bye");
        step.headers = {{"Connection", "close"}};
        server.push(step);
    }
}

}  // namespace

TEST_SUITE_BEGIN("net");

TEST_CASE("net::HttpConnection round-trips a request with headers and body") {
    ScriptedTlsServer server;
    ScriptStep step = ScriptStep::reply(201, R"({"userId":"usr_1"})");
    step.headers = {{"Content-Type", "application/json"}, {"X-Request-Id", "req-42"}};
    server.push(step);

    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(),
                             local_url(server.port(), "https", "127.0.0.1", "/gw"));
    net::HttpRequest req{"POST",
                         "/v1/viewer/users",
                         {{"Authorization", "Bearer k"},
                          {"Content-Type", "application/json"},
                          {"Content-Length", "999"},
                          {"X-Multi", "a"},
                          {"X-Multi", "b"}},
                         R"({"email":"a@b.co"})"};
    auto r = test::run_sync(ioc, conn.send(req, 10s));
    REQUIRE_MESSAGE(r.has_value(), describe(r));
    CHECK(r->status == 201);
    CHECK(r->body == R"({"userId":"usr_1"})");
    CHECK(r->header("x-request-id") == std::optional<std::string_view>("req-42"));
    CHECK(r->header("content-length") == std::optional<std::string_view>("18"));
    CHECK(conn.connections_opened() == 1);
    CHECK(conn.is_open());

    const auto seen = server.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "POST");
    CHECK(seen[0].target == "/gw/v1/viewer/users");
    CHECK(seen[0].body == R"({"email":"a@b.co"})");
    CHECK(seen[0].header("host") == "127.0.0.1:" + std::to_string(server.port()));
    CHECK(seen[0].header("content-length") == "18");  // ours, not the caller's 999
    CHECK(seen[0].header("authorization") == "Bearer k");
    int multi = 0;
    for (const auto& [name, value] : seen[0].headers)
        multi += name == "X-Multi" ? 1 : 0;
    CHECK(multi == 2);

    SUBCASE("a GET without a body carries no Content-Length; an empty POST says 0") {
        auto g = test::run_sync(ioc, conn.send(get("/v1/viewer/users?email=a%40b.co"), 10s));
        REQUIRE_MESSAGE(g.has_value(), describe(g));
        auto p = test::run_sync(ioc, conn.send(net::HttpRequest{"POST", "/v1/x", {}, {}}, 10s));
        REQUIRE_MESSAGE(p.has_value(), describe(p));
        const auto all = server.requests();
        REQUIRE(all.size() == 3);
        CHECK(all[1].target == "/gw/v1/viewer/users?email=a%40b.co");
        CHECK_FALSE(all[1].header("content-length").has_value());
        CHECK(all[2].header("content-length") == "0");
    }
}

TEST_CASE("net::HttpConnection reads a HEAD reply without waiting for the body it announces") {
    ScriptedTlsServer server;
    server.push(ScriptStep::reply(200, "twelve bytes"));
    server.push(ScriptStep::reply(200, "after"));
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(server.port()));
    auto h = test::run_sync(ioc, conn.send(net::HttpRequest{"HEAD", "/v1/x", {}, {}}, 10s));
    REQUIRE_MESSAGE(h.has_value(), describe(h));
    CHECK(h->header("content-length") == std::optional<std::string_view>("12"));
    CHECK(h->body.empty());
    auto g = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
    REQUIRE_MESSAGE(g.has_value(), describe(g));
    CHECK(g->body == "after");
    CHECK(conn.connections_opened() == 1);
}

TEST_CASE("net::HttpConnection keeps one connection alive across sends") {
    ScriptedTlsServer server;
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(server.port()));
    for (int i = 0; i < 5; ++i) {
        auto r = test::run_sync(ioc, conn.send(get("/v1/ping/" + std::to_string(i)), 10s));
        REQUIRE_MESSAGE(r.has_value(), describe(r));
        CHECK(r->status == 200);
    }
    CHECK(conn.connections_opened() == 1);
    CHECK(server.connections() == 1);
    CHECK(server.handshakes() == 1);
    const auto seen = server.requests();
    REQUIRE(seen.size() == 5);
    for (const auto& s : seen)
        CHECK(s.connection == 1);
}

TEST_CASE("net::HttpConnection honours Connection: close") {
    ScriptedTlsServer server;
    push_closing_replies(server, 3);
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(server.port()));
    for (int i = 0; i < 3; ++i) {
        auto r = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
        REQUIRE_MESSAGE(r.has_value(), describe(r));
        CHECK(r->body == "bye");
        CHECK_FALSE(conn.is_open());
    }
    CHECK(conn.connections_opened() == 3);
    CHECK(server.connections() == 3);
    CHECK(server.requests().size() == 3);
}

TEST_CASE("net::HttpConnection resumes the TLS session when it has to reconnect") {
    ScriptedTlsServer server;
    push_closing_replies(server, 3);
    asio::io_context ioc;
    const auto tls = trusting_test_ca();
    CHECK_FALSE(tls->has_session());
    net::HttpConnection conn(ioc.get_executor(), tls, local_url(server.port()));
    for (int i = 0; i < 3; ++i) {
        auto r = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
        REQUIRE_MESSAGE(r.has_value(), describe(r));
        CHECK(tls->has_session());  // the server's ticket came with its reply
    }
    CHECK(conn.connections_opened() == 3);
    CHECK(server.handshakes() == 3);
    CHECK(conn.sessions_resumed() == 2);  // every reconnect after the first handshake

    SUBCASE("a session does not stand in for a certificate check at another server") {
        ScriptedTlsServer other;  // the same test CA: trusted, but it never issued this session
        net::HttpConnection elsewhere(ioc.get_executor(), tls, local_url(other.port()));
        auto r = test::run_sync(ioc, elsewhere.send(get("/v1/x"), 10s));
        REQUIRE_MESSAGE(r.has_value(), describe(r));
        CHECK(elsewhere.sessions_resumed() == 0);
    }
}

TEST_CASE("net::HttpConnection reconnects transparently when the server dropped an idle connection") {
    ScriptedTlsServer server;
    for (int i = 0; i < 3; ++i) {
        ScriptStep step = ScriptStep::reply(200, "r" + std::to_string(i));
        step.close_after = true;  // without a Connection: close header, like an idle timeout
        server.push(step);
    }
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(server.port()));
    for (int i = 0; i < 3; ++i) {
        auto r = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
        REQUIRE_MESSAGE(r.has_value(), describe(r));
        CHECK(r->body == "r" + std::to_string(i));
    }
    CHECK(conn.connections_opened() == 3);
    const auto seen = server.requests();
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].connection == 1);
    CHECK(seen[1].connection == 2);
    CHECK(seen[2].connection == 3);
}

TEST_CASE("net::HttpConnection never writes into a keep-alive connection the server has closed") {
    ScriptedTlsServer server;
    ScriptStep first = ScriptStep::reply(200, "first");
    first.half_close_after = true;  // FIN sent, but a request written now would still be read
    server.push(first);
    server.push(ScriptStep::reply(200, "second"));
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(server.port()));
    auto r1 = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
    REQUIRE_MESSAGE(r1.has_value(), describe(r1));
    // Waits for the server's FIN (no timing assertion: the bound only stops a broken server hanging us).
    for (int i = 0; i < 1000 && server.half_closes() == 0; ++i)
        std::this_thread::sleep_for(10ms);
    REQUIRE(server.half_closes() == 1);

    auto r2 = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
    REQUIRE_MESSAGE(r2.has_value(), describe(r2));
    CHECK(r2->body == "second");
    CHECK(conn.connections_opened() == 2);
    const auto seen = server.requests();
    REQUIRE(seen.size() == 2);  // a client that wrote first would have delivered the request twice
    CHECK(seen[0].connection == 1);
    CHECK(seen[1].connection == 2);
}

TEST_CASE("net::HttpConnection resends once when a reused connection drops a request unanswered") {
    ScriptedTlsServer server;
    server.push(ScriptStep::reply(200, "first"));
    server.push(ScriptStep::close_without_reply());
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(server.port()));
    auto r1 = test::run_sync(ioc, conn.send(get("/v1/one"), 10s));
    REQUIRE_MESSAGE(r1.has_value(), describe(r1));

    SUBCASE("the resend on a new connection succeeds") {
        server.push(ScriptStep::reply(200, "after"));
        auto r2 = test::run_sync(ioc, conn.send(get("/v1/two"), 10s));
        REQUIRE_MESSAGE(r2.has_value(), describe(r2));
        CHECK(r2->body == "after");
        CHECK(conn.connections_opened() == 2);
        const auto seen = server.requests();
        REQUIRE(seen.size() == 3);
        CHECK(seen[1].target == "/v1/two");
        CHECK(seen[1].connection == 1);
        CHECK(seen[2].target == "/v1/two");
        CHECK(seen[2].connection == 2);
    }
    SUBCASE("only once: a fresh connection that fails too is an error") {
        server.push(ScriptStep::close_without_reply());
        auto r2 = test::run_sync(ioc, conn.send(get("/v1/two"), 10s));
        REQUIRE(r2.has_error());
        CHECK(r2.error().kind == TransportErrorKind::closed);
        CHECK(conn.connections_opened() == 2);
        CHECK(server.requests().size() == 3);
    }
}

TEST_CASE("net::HttpConnection does not resend on a fresh connection the server closed") {
    ScriptedTlsServer server;
    server.push(ScriptStep::close_without_reply());
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(server.port()));
    auto r = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
    REQUIRE(r.has_error());
    CHECK(r.error().kind == TransportErrorKind::closed);
    CHECK(contains(r.error().message, "127.0.0.1:" + std::to_string(server.port())));
    CHECK(contains(r.error().message, "without replying"));
    CHECK(conn.connections_opened() == 1);
    CHECK(server.requests().size() == 1);

    // And the connection is usable again afterwards.
    auto again = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
    REQUIRE_MESSAGE(again.has_value(), describe(again));
    CHECK(conn.connections_opened() == 2);
}

TEST_CASE("net::HttpConnection verifies the server certificate") {
    SUBCASE("without the test CA: certificate error, nothing sent") {
        ScriptedTlsServer server;
        asio::io_context ioc;
        net::HttpConnection conn(ioc.get_executor(), trusting(std::nullopt), local_url(server.port()));
        auto r = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
        REQUIRE(r.has_error());
        CHECK(r.error().kind == TransportErrorKind::certificate);
        CHECK_MESSAGE(contains(r.error().message,
                               "certificate verify failed (self-signed certificate in certificate chain)"),
                      r.error().message);
        CHECK(contains(r.error().message, "127.0.0.1:" + std::to_string(server.port())));
        CHECK_FALSE(conn.is_open());
        CHECK(server.requests().empty());
        CHECK(server.handshakes() == 0);
    }
    SUBCASE("trusting an unrelated CA") {
        ScriptedTlsServer server;
        asio::io_context ioc;
        net::HttpConnection conn(ioc.get_executor(), trusting(test::TestPki::get().other_ca_cert),
                                 local_url(server.port()));
        auto r = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
        REQUIRE(r.has_error());
        CHECK(r.error().kind == TransportErrorKind::certificate);
        CHECK(contains(r.error().message, "certificate verify failed"));
        CHECK(server.requests().empty());
    }
    SUBCASE("a trusted certificate for another IP address") {
        ScriptedTlsServer server(ScriptedTlsServer::Options{true, test::TestPki::get().wrong_name_chain,
                                                            test::TestPki::get().wrong_name_key});
        asio::io_context ioc;
        net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(server.port()));
        auto r = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
        REQUIRE(r.has_error());
        CHECK(r.error().kind == TransportErrorKind::certificate);
        CHECK_MESSAGE(contains(r.error().message, "certificate verify failed (IP address mismatch)"),
                      r.error().message);
        CHECK(server.requests().empty());
    }
    SUBCASE("a trusted certificate for another host name") {
        ScriptedTlsServer server(ScriptedTlsServer::Options{true, test::TestPki::get().wrong_name_chain,
                                                            test::TestPki::get().wrong_name_key});
        asio::io_context ioc;
        net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(),
                                 local_url(server.port(), "https", "localhost"));
        auto r = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
        REQUIRE(r.has_error());
        CHECK(r.error().kind == TransportErrorKind::certificate);
        CHECK_MESSAGE(contains(r.error().message, "certificate verify failed (hostname mismatch)"),
                      r.error().message);
        CHECK(server.requests().empty());
    }
    SUBCASE("a host name the certificate names: resolved, SNI, verified") {
        ScriptedTlsServer server;
        asio::io_context ioc;
        net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(),
                                 local_url(server.port(), "https", "localhost"));
        auto r = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
        REQUIRE_MESSAGE(r.has_value(), describe(r));
        const auto seen = server.requests();
        REQUIRE(seen.size() == 1);
        CHECK(seen[0].header("host") == "localhost:" + std::to_string(server.port()));
    }
}

TEST_CASE("net::HttpConnection times out when the server never answers") {
    ScriptedTlsServer server;
    server.push(ScriptStep::reply(200));
    server.push(ScriptStep::never_reply());
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(server.port()));
    // Connect first, so the short timeout below covers only the exchange however slow a loaded machine is.
    auto warm = test::run_sync(ioc, conn.send(get("/v1/x"), 30s));
    REQUIRE_MESSAGE(warm.has_value(), describe(warm));
    const auto start = std::chrono::steady_clock::now();
    auto r = test::run_sync(ioc, conn.send(get("/v1/x"), 300ms));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE(r.has_error());
    CHECK(r.error().kind == TransportErrorKind::timeout);
    CHECK_MESSAGE(contains(r.error().message, "timed out after 300 ms waiting for the reply"),
                  r.error().message);
    CHECK(elapsed >= 300ms);
    CHECK(elapsed < 60s);  // bounded, however loaded the machine
    CHECK_FALSE(conn.is_open());
    CHECK(server.requests().size() == 2);
    CHECK(conn.connections_opened() == 1);  // a timeout is not a stale connection: no silent resend

    auto next = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
    REQUIRE_MESSAGE(next.has_value(), describe(next));
    CHECK(conn.connections_opened() == 2);
}

TEST_CASE("net::HttpConnection reads a reply that arrives in pieces, chunked or not") {
    // Each piece is a TLS record of its own, 30 ms after the last: the reply is read as far as it has
    // come, then the connection waits for the socket, as many times as it takes.
    ScriptedTlsServer server;
    server.push(ScriptStep::raw({"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n",
                                 "Transfer-Encoding: chunked\r\nX-Request-Id: req-7\r\n\r\n",
                                 "5\r\nhello\r\n", "6\r\n world\r\n", "0\r\n\r\n"},
                                30ms));
    server.push(
        ScriptStep::raw({"HTTP/1.1 201 Created\r\nContent-Length: 11\r\n\r\nhel", "lo ", "again"}, 30ms));
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(server.port()));

    auto chunked = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
    REQUIRE_MESSAGE(chunked.has_value(), describe(chunked));
    CHECK(chunked->status == 200);
    CHECK(chunked->body == "hello world");
    CHECK(chunked->header("x-request-id") == std::optional<std::string_view>("req-7"));
    CHECK(chunked->header("content-type") == std::optional<std::string_view>("application/json"));

    auto sized = test::run_sync(ioc, conn.send(get("/v1/y"), 10s));
    REQUIRE_MESSAGE(sized.has_value(), describe(sized));
    CHECK(sized->status == 201);
    CHECK(sized->body == "hello again");
    CHECK(conn.connections_opened() == 1);  // both replies complete: the connection stays usable
    CHECK(server.requests().size() == 2);
}

TEST_CASE("net::HttpConnection times out when a reply stops halfway") {
    ScriptedTlsServer server;
    server.push(ScriptStep::reply(200));
    server.push(ScriptStep::raw({"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", "only part"}, 10ms));
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(server.port()));
    auto warm = test::run_sync(ioc, conn.send(get("/v1/x"), 30s));
    REQUIRE_MESSAGE(warm.has_value(), describe(warm));

    auto r = test::run_sync(ioc, conn.send(get("/v1/x"), 300ms));
    REQUIRE(r.has_error());
    CHECK(r.error().kind == TransportErrorKind::timeout);
    CHECK_MESSAGE(contains(r.error().message, "timed out after 300 ms waiting for the reply"),
                  r.error().message);
    CHECK(r.error().request_sent);
    CHECK_FALSE(conn.is_open());
    CHECK(conn.connections_opened() == 1);  // some of the reply came: never resent

    auto next = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
    REQUIRE_MESSAGE(next.has_value(), describe(next));
    CHECK(conn.connections_opened() == 2);
}

TEST_CASE("net::HttpConnection makes the process ignore SIGPIPE, which OpenSSL's writes would raise") {
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(1));
    struct sigaction current {};
    REQUIRE(sigaction(SIGPIPE, nullptr, &current) == 0);
    const bool ignored = current.sa_handler == SIG_IGN;
    CHECK(ignored);
    // What that buys: a write(2) to a connection whose peer is gone fails with EPIPE, and the process
    // (this test runner) lives on.
    int fds[2] = {-1, -1};
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    ::close(fds[1]);
    const char byte = 'x';
    CHECK(::write(fds[0], &byte, 1) == -1);
    CHECK(errno == EPIPE);
    ::close(fds[0]);
}

TEST_CASE("net::HttpConnection times out in a TLS handshake that never completes") {
    // A listening socket nobody accepts on: the kernel completes TCP, then nothing answers the hello.
    asio::io_context ioc;
    asio::ip::tcp::acceptor silent(ioc, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(),
                             local_url(silent.local_endpoint().port()));
    auto r = test::run_sync(ioc, conn.send(get("/v1/x"), 1000ms));
    REQUIRE(r.has_error());
    CHECK(r.error().kind == TransportErrorKind::timeout);
    CHECK_MESSAGE(contains(r.error().message, "timed out after 1000 ms in the TLS handshake"),
                  r.error().message);
    CHECK(conn.connections_opened() == 1);
}

TEST_CASE("net::HttpConnection reports a refused connection") {
    const std::uint16_t port = closed_port();
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(port));
    auto r = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
    REQUIRE(r.has_error());
    CHECK(r.error().kind == TransportErrorKind::connect);
    CHECK_MESSAGE(contains(r.error().message, "127.0.0.1:" + std::to_string(port) + ": cannot connect"),
                  r.error().message);
    CHECK(conn.connections_opened() == 0);
}

TEST_CASE("net::HttpConnection limits the reply body") {
    ScriptedTlsServer server;
    server.push(ScriptStep::reply(200, std::string(net::HttpConnection::default_body_limit, 'a')));
    server.push(ScriptStep::reply(200, std::string(net::HttpConnection::default_body_limit + 1, 'b')));
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(server.port()));

    auto at_limit = test::run_sync(ioc, conn.send(get("/v1/x"), 30s));
    REQUIRE_MESSAGE(at_limit.has_value(), describe(at_limit));
    CHECK(at_limit->body.size() == net::HttpConnection::default_body_limit);

    auto over = test::run_sync(ioc, conn.send(get("/v1/x"), 30s));
    REQUIRE(over.has_error());
    CHECK(over.error().kind == TransportErrorKind::protocol);
    CHECK_MESSAGE(contains(over.error().message, "over the limit of 1048576 bytes"), over.error().message);
    CHECK_FALSE(conn.is_open());

    SUBCASE("a custom limit") {
        conn.set_body_limit(4);
        server.push(ScriptStep::reply(200, "12345"));
        auto small = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
        REQUIRE(small.has_error());
        CHECK(small.error().kind == TransportErrorKind::protocol);
    }
}

TEST_CASE("net::HttpConnection speaks plain HTTP when the base URL says http") {
    ScriptedTlsServer server(ScriptedTlsServer::Options{false, {}, {}});
    server.push(ScriptStep::reply(404, "nope"));
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), nullptr, local_url(server.port(), "http"));
    auto r = test::run_sync(ioc, conn.send(get("/v1/x"), 10s));
    REQUIRE_MESSAGE(r.has_value(), describe(r));
    CHECK(r->status == 404);
    CHECK(r->body == "nope");
    auto again = test::run_sync(ioc, conn.send(get("/v1/y"), 10s));
    REQUIRE_MESSAGE(again.has_value(), describe(again));
    CHECK(conn.connections_opened() == 1);

    SUBCASE("TLS against a plain server that resets the connection: a transport failure, retried") {
        net::HttpConnection tls(ioc.get_executor(), trusting_test_ca(), local_url(server.port()));
        auto h = test::run_sync(ioc, tls.send(get("/v1/x"), 10s));
        REQUIRE(h.has_error());
        // This server drops the connection on the ClientHello rather than answering it; one that
        // answers in plain HTTP is an OpenSSL error (tls_handshake), tested end to end in the app tests.
        CHECK_MESSAGE(h.error().kind == TransportErrorKind::closed, describe(h));
        CHECK_FALSE(h.error().request_sent);  // the request never left: it is not counted
    }
}

TEST_CASE("net::HttpConnection refuses bad input before touching the network") {
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(closed_port()));
    SUBCASE("a header value with a line break") {
        net::HttpRequest req{"POST", "/v1/x", {{"Authorization", "Bearer k\r\nX-Evil: 1"}}, "{}"};
        auto r = test::run_sync(ioc, conn.send(req, 10s));
        REQUIRE(r.has_error());
        CHECK(r.error().kind == TransportErrorKind::protocol);
    }
    SUBCASE("a target that is not a path") {
        auto r = test::run_sync(ioc, conn.send(get("v1/x"), 10s));
        REQUIRE(r.has_error());
        CHECK(r.error().kind == TransportErrorKind::protocol);
    }
    CHECK(conn.connections_opened() == 0);
}

namespace {

// Two sends on one connection at once: the second must be refused, not interleaved on the wire.
asio::awaitable<void> send_into(net::HttpConnection& conn, net::TransportResult& out) {
    net::TransportResult r = co_await conn.send(get("/v1/x"), 10s);
    out = std::move(r);
}

}  // namespace

TEST_CASE("net::HttpConnection refuses a second send while one is in flight") {
    ScriptedTlsServer server;
    ScriptStep slow = ScriptStep::reply(200, "slow");
    slow.delay = 100ms;
    server.push(slow);
    asio::io_context ioc;
    net::HttpConnection conn(ioc.get_executor(), trusting_test_ca(), local_url(server.port()));
    net::TransportResult first;
    net::TransportResult second;
    asio::co_spawn(ioc, send_into(conn, first), [](std::exception_ptr e) {
        if (e)
            std::rethrow_exception(e);
    });
    asio::co_spawn(ioc, send_into(conn, second), [](std::exception_ptr e) {
        if (e)
            std::rethrow_exception(e);
    });
    ioc.run();
    REQUIRE_MESSAGE(first.has_value(), describe(first));
    CHECK(first->body == "slow");
    REQUIRE(second.has_error());
    CHECK(second.error().kind == TransportErrorKind::protocol);
    CHECK(server.requests().size() == 1);
}

TEST_SUITE_END();
