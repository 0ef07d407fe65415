#pragma once
// The client's TLS configuration, made once per run and shared by every connection.
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "avara_onboard/util/error.hpp"

namespace avara::net {

class TlsClientContext {
  public:
    // Peer verification is always on; the system's default trust store plus, optionally, the PEM
    // certificates of `ca_file` (--ca-file). TLS 1.2 or newer. An unreadable or certificate-free
    // CA file is ErrorKind::config.
    static Result<std::shared_ptr<TlsClientContext>> create(const std::optional<std::string>& ca_file);

    boost::asio::ssl::context& native() noexcept { return ctx_; }

    // The newest TLS session a server handed out (a TLS 1.3 ticket, or a TLS 1.2 session), offered
    // by the next connection: a reconnect after a dropped connection then resumes it and skips the
    // certificate exchange and its checks. A run talks to one server, so one session serves every
    // connection. Connections on different threads (the run's network thread, sync's listing) share
    // it, so it is read and replaced under a lock.
    bool has_session() const;
    // Offers the newest session on `ssl` before its handshake; false when there is none to offer.
    bool offer_session(SSL* ssl) const;

    explicit TlsClientContext(boost::asio::ssl::context ctx);
    TlsClientContext(const TlsClientContext&) = delete;  // OpenSSL holds a pointer to it
    TlsClientContext& operator=(const TlsClientContext&) = delete;

  private:
    struct SessionFree {
        void operator()(SSL_SESSION* s) const noexcept { SSL_SESSION_free(s); }
    };
    static int on_new_session(SSL* ssl, SSL_SESSION* session);

    boost::asio::ssl::context ctx_;
    mutable std::mutex session_mutex_;
    std::unique_ptr<SSL_SESSION, SessionFree> session_;
};

}  // namespace avara::net
