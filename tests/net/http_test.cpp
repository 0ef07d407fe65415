#include "avara_onboard/net/http.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace avara::net;

TEST_SUITE_BEGIN("net");

TEST_CASE("net::HttpResponse::header finds the first match, case-insensitively") {
    HttpResponse r;
    r.headers = {{"Content-Type", "application/json"}, {"Retry-After", "3"}, {"retry-after", "9"}};
    CHECK(r.header("content-type") == std::optional<std::string_view>("application/json"));
    CHECK(r.header("RETRY-AFTER") == std::optional<std::string_view>("3"));
    CHECK_FALSE(r.header("x-should-retry").has_value());
    CHECK_FALSE(HttpResponse{}.header("anything").has_value());
}

TEST_CASE("net::to_string names every transport error kind") {
    CHECK(std::string(to_string(TransportErrorKind::certificate)) == "certificate");
    CHECK(std::string(to_string(TransportErrorKind::timeout)) == "timeout");
    CHECK(std::string(to_string(TransportErrorKind::tls_handshake)) == "tls_handshake");
    CHECK(std::string(to_string(TransportErrorKind::resolve)) == "resolve");
    CHECK(std::string(to_string(TransportErrorKind::connect)) == "connect");
    CHECK(std::string(to_string(TransportErrorKind::closed)) == "closed");
    CHECK(std::string(to_string(TransportErrorKind::protocol)) == "protocol");
}

TEST_SUITE_END();
