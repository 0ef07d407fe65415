#include "avara_onboard/net/network_thread.hpp"

#include <doctest/doctest.h>
#include <sys/resource.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "avara_onboard/net/http_connection.hpp"
#include "support/run_sync.hpp"
#include "support/scripted_tls_server.hpp"
#include "support/test_pki.hpp"

using namespace avara;
using namespace std::chrono_literals;
using test::ScriptedTlsServer;
using test::ScriptStep;
namespace asio = boost::asio;

namespace {

net::BaseUrl local_url(std::uint16_t port) {
    return net::parse_base_url("https://127.0.0.1:" + std::to_string(port), net::PlainHttp::allow).value();
}

std::shared_ptr<net::TlsClientContext> trusting_test_ca() {
    return net::TlsClientContext::create(test::TestPki::get().ca_cert).value();
}

net::HttpRequest get(std::string target) {
    return net::HttpRequest{"GET", std::move(target), {}, {}};
}

// Hands one send to the connection's thread, as the run engine does, and notes which thread ran it.
asio::awaitable<net::TransportResult> send_there(net::HttpConnection& conn, std::thread::id& ran_on) {
    auto probe = [&ran_on]() -> asio::awaitable<void> {
        ran_on = std::this_thread::get_id();
        co_return;
    };
    co_await asio::co_spawn(conn.executor(), probe(), asio::use_awaitable);
    net::TransportResult reply =
        co_await asio::co_spawn(conn.executor(), conn.send(get("/v1/x"), 10s), asio::use_awaitable);
    co_return reply;
}

}  // namespace

TEST_SUITE_BEGIN("net");

TEST_CASE("net::NetworkThread runs a connection's sends on its own thread, replies back on the caller's") {
    ScriptedTlsServer server;
    server.push(ScriptStep::reply(200, "one"));
    server.push(ScriptStep::reply(200, "two"));
    auto tls = trusting_test_ca();
    net::NetworkThread network;
    net::HttpConnection conn(network.executor(), tls, local_url(server.port()));
    asio::io_context caller;

    std::thread::id ran_on;
    auto first = test::run_sync(caller, send_there(conn, ran_on));
    REQUIRE(first.has_value());
    CHECK(first->body == "one");
    CHECK(ran_on != std::thread::id{});
    CHECK(ran_on != std::this_thread::get_id());

    auto second = test::run_sync(caller, send_there(conn, ran_on));
    REQUIRE(second.has_value());
    CHECK(second->body == "two");
    CHECK(conn.connections_opened() == 1);  // kept alive across the thread hand-offs
    CHECK(tls->has_session());              // stored by the network thread, read here under its lock
    conn.close();
}

TEST_CASE("net::NetworkThread::stop() ends a send cut short while its connection still exists") {
    ScriptedTlsServer server;
    server.push(ScriptStep::never_reply());
    auto tls = trusting_test_ca();
    net::NetworkThread network;
    std::atomic<bool> completed{false};
    auto token = std::make_shared<int>(0);  // held by the send's completion handler while it lives
    {
        net::HttpConnection conn(network.executor(), tls, local_url(server.port()));
        asio::co_spawn(network.executor(), conn.send(get("/v1/hangs"), 30s),
                       [&completed, token](const std::exception_ptr&, const net::TransportResult&) {
                           completed = true;
                       });
        // Waits until the request is on the server (no timing assertion: the bound only keeps a broken
        // server from hanging the test).
        for (int i = 0; i < 1000 && server.requests().empty(); ++i)
            std::this_thread::sleep_for(10ms);
        REQUIRE(server.requests().size() == 1);
        CHECK(token.use_count() == 2);  // the send is pending, its handler queued on the thread
        network.stop();                 // the send's frame and handler go here...
        CHECK(token.use_count() == 1);  // ...while the connection they point at still exists
        network.stop();                 // and again: idempotent
    }
    CHECK_FALSE(completed.load());  // destroyed, never completed: nothing ran after the stop
}

TEST_CASE("net::NetworkThread polls before it sleeps only while work comes often") {
    // The thread polls before sleeping while its sleeps are short; sparse work (here a handler every
    // 5 ms) must not keep it polling. With a 2 ms poll, a thread that polled after each handler would
    // use 100 ms of CPU over the 50 handlers; one that stops after its first long sleep, 2 ms and a
    // little. This process's CPU time is that thread's: the test's own thread sleeps.
    const auto cpu_seconds = [] {
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
        return seconds(usage.ru_utime) + seconds(usage.ru_stime);
    };
    net::NetworkThread network(2ms);
    std::atomic<int> ran{0};
    const double before = cpu_seconds();
    for (int i = 0; i < 50; ++i) {
        asio::post(network.executor(), [&ran] { ran.fetch_add(1); });
        std::this_thread::sleep_for(5ms);
    }
    const double used = cpu_seconds() - before;
    network.stop();
    CHECK(ran.load() == 50);
    CHECK(used < 0.03);
}

TEST_SUITE_END();
