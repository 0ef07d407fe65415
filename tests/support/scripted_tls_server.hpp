#pragma once
// A small HTTP/1.1 server for client tests: TLS (or plain) on 127.0.0.1 with an ephemeral port, on its
// own thread. Every request it reads is recorded, then answered by the next step of a script shared by
// all connections (a reply, optionally delayed; a close without answering; or no answer ever). When the
// script runs out it answers 200 with an empty JSON object.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace avara::test {

struct ScriptStep {
    enum class Action { respond, close, hang, raw };
    Action action = Action::respond;
    unsigned status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds delay{0};  // before acting
    bool close_after = false;            // drop the connection after replying, without saying so
    // After replying, stop sending (TCP FIN, no close_notify) but keep reading and recording requests:
    // shows whether a client writes into a connection the server has already given up on.
    bool half_close_after = false;

    // For Action::raw: bytes written as they are, one write (one TLS record) each, `part_gap` apart;
    // the connection then stays open.
    std::vector<std::string> raw_parts;
    std::chrono::milliseconds part_gap{0};

    static ScriptStep reply(unsigned status, std::string body = "{}");
    static ScriptStep raw(std::vector<std::string> parts, std::chrono::milliseconds gap);
    static ScriptStep close_without_reply();
    static ScriptStep never_reply();
};

struct SeenRequest {
    std::size_t connection = 0;  // 1-based index of the TCP connection it came on
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    std::optional<std::string> header(std::string_view name) const;  // case-insensitive
};

class ScriptedTlsServer {
  public:
    struct Options {
        bool tls = true;
        // Default: the test PKI's leaf for 127.0.0.1 / localhost.
        std::string cert_chain_file;
        std::string key_file;
    };

    ScriptedTlsServer();
    explicit ScriptedTlsServer(Options options);
    ~ScriptedTlsServer();
    ScriptedTlsServer(const ScriptedTlsServer&) = delete;
    ScriptedTlsServer& operator=(const ScriptedTlsServer&) = delete;

    std::uint16_t port() const noexcept;
    void push(ScriptStep step);

    std::vector<SeenRequest> requests() const;
    std::size_t connections() const;        // TCP connections accepted
    std::size_t handshakes() const;         // TLS handshakes that succeeded
    std::size_t half_closes() const;        // connections shut down for sending by half_close_after
    std::size_t failed_handshakes() const;  // TLS handshakes that did not

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace avara::test
