#include "avara_onboard/net/base_url.hpp"

#include <doctest/doctest.h>

using namespace avara;
using avara::net::parse_base_url;

TEST_SUITE_BEGIN("net");

TEST_CASE("net::parse_base_url accepts https URLs") {
    SUBCASE("default port") {
        auto r = parse_base_url("https://api.avarasoftware.com", net::PlainHttp::refuse);
        REQUIRE(r.has_value());
        CHECK(r->scheme == "https");
        CHECK(r->host == "api.avarasoftware.com");
        CHECK(r->port == 443);
        CHECK(r->path_prefix == "");
        CHECK(r->host_header() == "api.avarasoftware.com");
        CHECK(r->authority() == "api.avarasoftware.com:443");
        CHECK_FALSE(r->host_is_ip());
    }
    SUBCASE("trailing slash, upper-case scheme and host, surrounding spaces") {
        auto r = parse_base_url("  HTTPS://API.Example.COM/ ", net::PlainHttp::refuse);
        REQUIRE(r.has_value());
        CHECK(r->scheme == "https");
        CHECK(r->host == "api.example.com");
        CHECK(r->path_prefix == "");
    }
    SUBCASE("explicit port") {
        auto r = parse_base_url("https://127.0.0.1:8443", net::PlainHttp::refuse);
        REQUIRE(r.has_value());
        CHECK(r->host == "127.0.0.1");
        CHECK(r->port == 8443);
        CHECK(r->host_is_ip());
        CHECK(r->host_header() == "127.0.0.1:8443");
    }
    SUBCASE("explicit default port is left out of Host") {
        auto r = parse_base_url("https://example.com:443", net::PlainHttp::refuse);
        REQUIRE(r.has_value());
        CHECK(r->host_header() == "example.com");
    }
    SUBCASE("IPv6 literal") {
        auto r = parse_base_url("https://[::1]:9443/api", net::PlainHttp::refuse);
        REQUIRE(r.has_value());
        CHECK(r->host == "::1");
        CHECK(r->port == 9443);
        CHECK(r->host_is_ip());
        CHECK(r->host_header() == "[::1]:9443");
        CHECK(r->authority() == "[::1]:9443");
        CHECK(r->path_prefix == "/api");
        auto d = parse_base_url("https://[2001:db8::5]", net::PlainHttp::refuse);
        REQUIRE(d.has_value());
        CHECK(d->host_header() == "[2001:db8::5]");
    }
    SUBCASE("path prefix, trailing slashes dropped") {
        auto r = parse_base_url("https://gw.example.com/avara/v2//", net::PlainHttp::refuse);
        REQUIRE(r.has_value());
        CHECK(r->path_prefix == "/avara/v2");
        CHECK(r->to_string() == "https://gw.example.com/avara/v2");
    }
}

TEST_CASE("net::parse_base_url refuses http unless allowed") {
    auto refused = parse_base_url("http://127.0.0.1:8080", net::PlainHttp::refuse);
    REQUIRE(refused.has_error());
    CHECK(refused.error().kind == ErrorKind::config);
    CHECK(refused.error().message.find("refusing http://127.0.0.1:8080") != std::string::npos);
    CHECK(refused.error().message.find("--allow-insecure-http") != std::string::npos);

    auto allowed = parse_base_url("http://127.0.0.1:8080", net::PlainHttp::allow);
    REQUIRE(allowed.has_value());
    CHECK(allowed->scheme == "http");
    CHECK(allowed->port == 8080);
    CHECK_FALSE(allowed->is_tls());
    auto default_port = parse_base_url("http://localhost", net::PlainHttp::allow);
    REQUIRE(default_port.has_value());
    CHECK(default_port->port == 80);
    CHECK(default_port->host_header() == "localhost");
}

TEST_CASE("net::parse_base_url reports configuration errors") {
    auto expect_config_error = [](std::string_view url, std::string_view words) {
        CAPTURE(url);
        auto r = parse_base_url(url, net::PlainHttp::allow);
        REQUIRE(r.has_error());
        CHECK(r.error().kind == ErrorKind::config);
        CHECK_MESSAGE(r.error().message.find(words) != std::string::npos, r.error().message);
    };
    SUBCASE("garbage") {
        expect_config_error("not a url", "is not a URL");
        expect_config_error("", "is not a URL");
        expect_config_error("https://exa mple.com", "is not a URL");
    }
    SUBCASE("no host") {
        expect_config_error("https:///v1", "has no host");
        expect_config_error("https:example.com", "has no host");
    }
    SUBCASE("other schemes") {
        expect_config_error("ftp://example.com", "scheme 'ftp'");
        expect_config_error("wss://example.com", "scheme 'wss'");
    }
    SUBCASE("query or fragment") {
        expect_config_error("https://example.com/?x=1", "query");
        expect_config_error("https://example.com/#top", "fragment");
    }
    SUBCASE("bad ports") {
        expect_config_error("https://example.com:0", "invalid port");
        expect_config_error("https://example.com:65536", "invalid port");
        expect_config_error("https://example.com:99999999999", "invalid port");
    }
    SUBCASE("hosts that are neither names nor addresses") {
        expect_config_error("https://1.2.3/", "invalid host");
        expect_config_error("https://ex%2Fample.com/", "invalid host name");
    }
}

TEST_CASE("net::parse_base_url refuses userinfo without echoing it") {
    auto r = parse_base_url("https://admin:hunter2@api.example.com", net::PlainHttp::refuse);
    REQUIRE(r.has_error());
    CHECK(r.error().kind == ErrorKind::config);
    CHECK(r.error().message.find("user name or password") != std::string::npos);
    CHECK(r.error().message.find("hunter2") == std::string::npos);
}

TEST_SUITE_END();
