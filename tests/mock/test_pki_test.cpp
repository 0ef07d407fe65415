#include "avara_onboard/mock/test_pki.hpp"

#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>

using namespace avara::mock;

TEST_SUITE_BEGIN("mock");

namespace {
struct Free {
    void operator()(X509* p) const { X509_free(p); }
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
    void operator()(X509_STORE* p) const { X509_STORE_free(p); }
    void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
    void operator()(BIO* p) const { BIO_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Free>;

Owned<X509> load_cert(const std::string& pem) {
    Owned<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return Owned<X509>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}
Owned<EVP_PKEY> load_key(const std::string& pem) {
    Owned<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return Owned<EVP_PKEY>(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

// Verifies `leaf` against `ca` alone, for the TLS server purpose, optionally with a host or IP.
int verify(X509* ca, X509* leaf, const char* host, const char* ip) {
    Owned<X509_STORE> store(X509_STORE_new());
    X509_STORE_add_cert(store.get(), ca);
    Owned<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
    if (host)
        X509_VERIFY_PARAM_set1_host(param, host, 0);
    if (ip)
        X509_VERIFY_PARAM_set1_ip_asc(param, ip);
    if (X509_verify_cert(ctx.get()) == 1)
        return X509_V_OK;
    return X509_STORE_CTX_get_error(ctx.get());
}
}  // namespace

TEST_CASE("mock::generate_test_pki makes a CA and a server certificate that verifies against it") {
    const TestPki pki = generate_test_pki();
    const auto ca = load_cert(pki.ca_pem);
    const auto leaf = load_cert(pki.cert_pem);
    const auto key = load_key(pki.key_pem);
    REQUIRE(ca);
    REQUIRE(leaf);
    REQUIRE(key);

    CHECK(X509_check_ca(ca.get()) != 0);
    CHECK(X509_check_ca(leaf.get()) == 0);
    CHECK(X509_check_private_key(leaf.get(), key.get()) == 1);
    CHECK(EVP_PKEY_is_a(key.get(), "EC"));

    CHECK(verify(ca.get(), leaf.get(), nullptr, nullptr) == X509_V_OK);
    CHECK(verify(ca.get(), leaf.get(), "localhost", nullptr) == X509_V_OK);
    CHECK(verify(ca.get(), leaf.get(), nullptr, "127.0.0.1") == X509_V_OK);
    CHECK(verify(ca.get(), leaf.get(), nullptr, "::1") == X509_V_OK);
    CHECK(verify(ca.get(), leaf.get(), "example.org", nullptr) == X509_V_ERR_HOSTNAME_MISMATCH);
    CHECK(verify(ca.get(), leaf.get(), nullptr, "127.0.0.2") == X509_V_ERR_IP_ADDRESS_MISMATCH);
}

TEST_CASE("mock::generate_test_pki makes a fresh CA each time") {
    const TestPki a = generate_test_pki();
    const TestPki b = generate_test_pki();
    CHECK(a.ca_pem != b.ca_pem);
    CHECK(a.key_pem != b.key_pem);
    // b's server certificate is not trusted by a's CA: each run trusts only its own.
    CHECK(verify(load_cert(a.ca_pem).get(), load_cert(b.cert_pem).get(), nullptr, nullptr) != X509_V_OK);
}

TEST_SUITE_END();
