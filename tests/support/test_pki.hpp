#pragma once
// Certificates for TLS tests, made once per test process by the `openssl` CLI in a private temporary
// directory (removed at exit): a CA, a leaf it signs for IP:127.0.0.1 and DNS:localhost, a leaf it signs
// for another name only, and a second CA that signed nothing we serve.
#include <string>

namespace avara::test {

struct TestPki {
    std::string dir;
    std::string ca_cert;        // PEM: the CA that signed both leaves
    std::string other_ca_cert;  // PEM: an unrelated CA
    std::string leaf_chain;     // PEM: leaf for 127.0.0.1 / localhost, then the CA
    std::string leaf_key;
    std::string wrong_name_chain;  // PEM: leaf for other.example only, then the CA
    std::string wrong_name_key;

    // Throws std::runtime_error when openssl is missing or fails.
    static const TestPki& get();
};

// Writes `content` to a new file in the PKI directory and returns its path.
std::string write_temp_file(const std::string& name, const std::string& content);

}  // namespace avara::test
