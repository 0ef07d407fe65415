#pragma once
// The client's TLS configuration, made once per run and shared by every connection.
#include <boost/asio/ssl/context.hpp>
#include <memory>
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

    explicit TlsClientContext(boost::asio::ssl::context ctx) : ctx_(std::move(ctx)) {}

  private:
    boost::asio::ssl::context ctx_;
};

}  // namespace avara::net
