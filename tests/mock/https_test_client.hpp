#pragma once
// A small HTTPS/1.1 client for the mock server's tests: real TLS verified against the server's CA,
// one keep-alive connection reused across requests (reconnecting after a close), raw bytes when a
// test needs to send something no proper client would. Every operation has a timeout, so a broken
// server fails a test instead of hanging it.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace avara::mock::testing {

struct HttpReply {
    int status = 0;  // 0 when there was no answer
    std::string body;
    std::map<std::string, std::string> headers;  // names lowercased
    bool dropped = false;                        // the connection closed (or broke) before an answer came
    std::string error;                           // what happened when dropped
    std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

class HttpsTestClient {
  public:
    using Headers = std::vector<std::pair<std::string, std::string>>;

    HttpsTestClient(std::uint16_t port, std::string ca_pem);
    ~HttpsTestClient();
    HttpsTestClient(const HttpsTestClient&) = delete;
    HttpsTestClient& operator=(const HttpsTestClient&) = delete;

    // Sends Authorization: Bearer `bearer` unless it is empty, plus `headers`.
    HttpReply send(const std::string& method, const std::string& target, const std::string& body = {},
                   const Headers& headers = {});
    // Writes `bytes` over TLS as they are and reads one answer.
    HttpReply send_raw(const std::string& bytes);

    // Connections opened so far: keep-alive reuse shows as 1 after many requests.
    int connections_opened() const { return connections_opened_; }
    // The TLS handshake alone; returns the error text, empty on success.
    std::string try_handshake();

    std::string bearer = "test-key";
    std::chrono::seconds timeout{20};

    struct State;

  private:
    std::unique_ptr<State> state_;
    int connections_opened_ = 0;
};

// A complete, valid invite body for `email`.
std::string invite_body(const std::string& email, const std::string& level = "member");

}  // namespace avara::mock::testing
