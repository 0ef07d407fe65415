#pragma once
// The Avara-compatible HTTPS server of `avara-onboard mock-server`, also embedded by `demo` and the
// tests: TLS only, HTTP/1.1 keep-alive, the users endpoints of the contract, faults on request.
// Asio and Beast stay inside mock_server.cpp.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "avara_onboard/mock/faults.hpp"
#include "avara_onboard/mock/stats.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::mock {

struct ServerOptions {
    std::string listen = "127.0.0.1:0";  // HOST:PORT, [V6]:PORT or localhost:PORT; port 0 = any free
    std::optional<std::string> cert_file, key_file;  // PEM; both or neither (then a CA is generated)
    std::optional<std::string> write_ca;             // where to write the generated CA certificate
    std::optional<std::string> api_key;              // none: any non-empty bearer key is accepted
    std::optional<std::string> state_file;           // Stats::to_json() written here by stop()
    std::optional<std::string> seed_users_file;      // users to start with (JSON; seed_users.hpp)
    FaultOptions faults;
    unsigned threads = 1;  // I/O threads, each with its own connections
};

class MockServer {
  public:
    // Listening when it returns, serving on threads of its own. Errors: a bad --listen, an address
    // that cannot be bound, unreadable or mismatched --cert/--key, an unwritable --write-ca, an
    // unreadable or invalid --seed-users file.
    static Result<std::unique_ptr<MockServer>> start(ServerOptions options);

    std::uint16_t port() const;
    std::string address() const;  // "127.0.0.1:PORT" ("[::1]:PORT" for IPv6)
    std::string ca_pem() const;   // the generated CA; "" when a certificate was given
    Stats stats() const;          // thread-safe snapshot

    // Graceful: stops accepting, closes idle connections, lets requests being answered finish
    // (waiting at most the injected latency plus 5 s), then writes the state file. Idempotent.
    // Throws AppError (io) when the state file cannot be written.
    void stop();
    ~MockServer();  // stop(), reporting a failure on stderr

    MockServer(const MockServer&) = delete;
    MockServer& operator=(const MockServer&) = delete;

    struct Impl;

  private:
    explicit MockServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace avara::mock
