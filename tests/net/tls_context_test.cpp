#include "avara_onboard/net/tls_context.hpp"

#include <doctest/doctest.h>
#include <openssl/ssl.h>

#include "support/test_pki.hpp"

using namespace avara;

TEST_SUITE_BEGIN("net");

TEST_CASE("net::TlsClientContext::create") {
    SUBCASE("system store only: verification on, TLS 1.2 minimum") {
        auto r = net::TlsClientContext::create(std::nullopt);
        REQUIRE(r.has_value());
        SSL_CTX* native = (*r)->native().native_handle();
        CHECK((SSL_CTX_get_verify_mode(native) & SSL_VERIFY_PEER) != 0);
        CHECK(SSL_CTX_get_min_proto_version(native) == TLS1_2_VERSION);
    }
    SUBCASE("an extra CA file") {
        auto r = net::TlsClientContext::create(test::TestPki::get().ca_cert);
        CHECK(r.has_value());
    }
    SUBCASE("a missing CA file is a configuration error") {
        auto r = net::TlsClientContext::create(test::TestPki::get().dir + "/no-such.pem");
        REQUIRE(r.has_error());
        CHECK(r.error().kind == ErrorKind::config);
        CHECK(r.error().message.find("no-such.pem") != std::string::npos);
    }
    SUBCASE("a file without certificates is a configuration error") {
        const std::string path = test::write_temp_file("garbage.pem", "this is not a certificate\n");
        auto r = net::TlsClientContext::create(path);
        REQUIRE(r.has_error());
        CHECK(r.error().kind == ErrorKind::config);
        CHECK(r.error().message.find("no usable PEM certificate") != std::string::npos);
    }
    SUBCASE("a directory is not a CA file") {
        auto r = net::TlsClientContext::create(test::TestPki::get().dir);
        REQUIRE(r.has_error());
        CHECK(r.error().kind == ErrorKind::config);
    }
}

TEST_SUITE_END();
