#pragma once
// A throwaway certificate authority and a server certificate signed by it, made in memory, so the
// mock server (and any test) speaks TLS that a client verifies properly instead of switching
// verification off.
#include <string>

namespace avara::mock {

struct TestPki {
    std::string ca_pem;    // the CA certificate: what a client trusts (--ca-file, curl --cacert)
    std::string cert_pem;  // the server certificate: SAN IP:127.0.0.1, IP:::1, DNS:localhost
    std::string key_pem;   // the server's private key (PKCS#8, unencrypted)
};

// EC P-256 keys, SHA-256 signatures, valid from an hour ago for 30 days. Throws AppError (internal)
// when OpenSSL fails, which only a broken installation makes it do.
TestPki generate_test_pki();

}  // namespace avara::mock
