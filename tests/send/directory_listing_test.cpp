#include "avara_onboard/send/directory_listing.hpp"

#include <doctest/doctest.h>

#include <chrono>

#include "avara_onboard/flow/rate_limiter.hpp"
#include "avara_onboard/mock/mock_server.hpp"
#include "avara_onboard/net/tls_context.hpp"
#include "test_files.hpp"

using namespace avara;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

TEST_SUITE_BEGIN("send");

TEST_CASE("send::list_directory spends the job's budget, so the changes after it keep to the same pace") {
    TempDir dir;
    mock::ServerOptions options;
    auto started = mock::MockServer::start(options);
    REQUIRE_MESSAGE(started.has_value(), (started.has_value() ? "" : started.error().message));
    auto& server = **started;

    send::EngineConfig config;
    config.base =
        net::parse_base_url("https://127.0.0.1:" + std::to_string(server.port()), net::PlainHttp::allow)
            .value();
    config.tls = net::TlsClientContext::create(dir.write("ca.pem", server.ca_pem())).value();
    config.api_key = "key";
    config.rate = 0.5;  // a slot every 2 s
    config.handle_signals = false;
    config.budget = send::make_budget(config);

    auto listed = send::list_directory(config);
    REQUIRE_MESSAGE(listed.has_value(), (listed.has_value() ? "" : listed.error().message));
    CHECK(listed->pages == 1);  // an empty directory: one page, one request, at once

    // The next request on the same budget waits its 2 s after the page; on a budget of its own it
    // would go at once (what the changes of a sync did before they shared the listing's budget).
    const auto now = steady::now();
    CHECK(config.budget->acquire(now).at > now + 1s);
    CHECK(send::make_budget(config)->acquire(now).at == now);
}

TEST_SUITE_END();
