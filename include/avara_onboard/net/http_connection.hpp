#pragma once
// One keep-alive HTTP/1.1 connection to the base URL, TLS unless the scheme is http. The run pipeline
// gives each worker coroutine its own connection, so there is no pool and no locking: a connection
// serves one send at a time, on its executor's thread (the run's NetworkThread, or the caller's).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "avara_onboard/net/base_url.hpp"
#include "avara_onboard/net/http.hpp"
#include "avara_onboard/net/tls_context.hpp"

namespace avara::net {

// A request as it goes on the wire. prepare() may run on another thread than the connection's, while
// no send is in flight on it: the run engine prepares each request on its own thread between sends
// (the hand-off to the network thread orders the two), and the network thread only writes it.
struct PreparedRequest {
    std::string wire;
    bool head = false;  // a reply to HEAD has no body, whatever it announces
};
using PreparedResult = boost::system::result<PreparedRequest, TransportError>;

class HttpConnection {
  public:
    static constexpr std::size_t default_body_limit = std::size_t{1024} * 1024;

    // `tls` may be null only for an http base URL.
    HttpConnection(boost::asio::any_io_executor ex, std::shared_ptr<TlsClientContext> tls, BaseUrl base);
    ~HttpConnection();
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    // One attempt: opens the connection if needed (lazily, or again after the server closed it or after
    // an error), writes the request, reads the reply. `timeout` bounds everything in the attempt:
    // resolve + connect + TLS handshake + write + read. Sets Host and Content-Length; every other header
    // is the caller's. When a reused keep-alive connection turns out to be stale (closed by the server
    // before any reply byte arrived), it reconnects and resends once, within the same deadline.
    // Never throws: every failure is a TransportError. A failed certificate check is kind `certificate`
    // and carries OpenSSL's reason ("certificate verify failed (self-signed certificate in certificate
    // chain)"). Not reentrant: a second send while one is in flight fails with kind `protocol`.
    boost::asio::awaitable<TransportResult> send(HttpRequest request, std::chrono::milliseconds timeout);
    boost::asio::awaitable<TransportResult> send(PreparedRequest request, std::chrono::milliseconds timeout);

    // The request's bytes: HTTP/1.1, the base URL's path prefix before the target, Host and
    // Content-Length set, written into the buffer of the connection's last request (its capacity
    // reused). Fails with kind `protocol` on a request line or header that cannot go on the wire (a
    // line break in a value, say): a bug in the caller. Not while a send is in flight.
    PreparedResult prepare(const HttpRequest& request);

    // Drops the connection at once (no TLS close_notify: HTTP delimits its own messages, and a shutdown
    // handshake with a stalled server could hang). Any operation in flight completes with an error.
    void close() noexcept;

    bool is_open() const noexcept;
    // Where send() must run: co_spawn it there from another thread.
    const boost::asio::any_io_executor& executor() const noexcept { return ex_; }
    std::uint64_t connections_opened() const noexcept { return connections_opened_; }
    // Of those, the TLS handshakes that resumed an earlier session (TlsClientContext::session()).
    std::uint64_t sessions_resumed() const noexcept { return sessions_resumed_; }
    const BaseUrl& base() const noexcept { return base_; }
    // Replies with a longer body fail with kind `protocol`.
    void set_body_limit(std::size_t bytes) noexcept { body_limit_ = bytes; }

  private:
    struct Impl;

    // Resolves, connects and (for https) handshakes; nullopt on success.
    boost::asio::awaitable<std::optional<TransportError>> open(std::chrono::steady_clock::time_point deadline,
                                                               std::chrono::milliseconds timeout);
    // The TLS handshake on the connected socket, with the host name checked; nullopt on success.
    boost::asio::awaitable<std::optional<TransportError>> secure(
        std::chrono::steady_clock::time_point deadline, std::chrono::milliseconds timeout);

    boost::asio::any_io_executor ex_;
    std::shared_ptr<TlsClientContext> tls_;
    BaseUrl base_;
    std::string host_header_;  // base_.host_header(), made once
    std::unique_ptr<Impl> impl_;
    std::uint64_t connections_opened_ = 0;
    std::uint64_t sessions_resumed_ = 0;
    std::size_t body_limit_ = default_body_limit;
    bool busy_ = false;
};

}  // namespace avara::net
