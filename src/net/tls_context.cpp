#include "avara_onboard/net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fstream>

namespace avara::net {
namespace {

std::string openssl_reason(const boost::system::error_code& ec) {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    return reason != nullptr ? std::string(reason) : ec.message();
}

}  // namespace

Result<std::shared_ptr<TlsClientContext>> TlsClientContext::create(
    const std::optional<std::string>& ca_file) {
    namespace ssl = boost::asio::ssl;
    ssl::context ctx(ssl::context::tls_client);
    if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1) {
        throw AppError(ErrorKind::internal, "cannot require TLS 1.2 or newer");
    }
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
    ctx.set_verify_mode(ssl::verify_peer);

    boost::system::error_code ec;
    // A machine without a system store still works with --ca-file, so this failure is not fatal here;
    // the handshake will then say which certificate it could not verify.
    ctx.set_default_verify_paths(ec);

    if (ca_file) {
        {
            std::ifstream probe(*ca_file);
            if (!probe) {
                return make_error(ErrorKind::config, "cannot read the CA file '" + *ca_file + "'");
            }
        }
        ERR_clear_error();
        ctx.load_verify_file(*ca_file, ec);
        if (ec) {
            return make_error(ErrorKind::config, "the CA file '" + *ca_file +
                                                     "' holds no usable PEM certificate (" +
                                                     openssl_reason(ec) + ")");
        }
    }
    return std::make_shared<TlsClientContext>(std::move(ctx));
}

}  // namespace avara::net
