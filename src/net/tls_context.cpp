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

// Our own slot in the SSL_CTX: Asio keeps its verify callback in slot 0 (the "app data").
int context_slot() {
    static const int slot = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return slot;
}

}  // namespace

TlsClientContext::TlsClientContext(boost::asio::ssl::context ctx) : ctx_(std::move(ctx)) {
    SSL_CTX* native = ctx_.native_handle();
    // A client cache with no store of OpenSSL's own: each new session comes to on_new_session().
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_set_ex_data(native, context_slot(), this);
    SSL_CTX_sess_set_new_cb(native, &TlsClientContext::on_new_session);
}

int TlsClientContext::on_new_session(SSL* ssl, SSL_SESSION* session) {
    auto* self = static_cast<TlsClientContext*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), context_slot()));
    // A copy: OpenSSL marks the connection's own session unusable when we drop the connection without
    // a close_notify (HttpConnection::close() does, on purpose), which TLS 1.3 tickets do not require.
    if (self != nullptr) {
        if (SSL_SESSION* copy = SSL_SESSION_dup(session); copy != nullptr) {
            const std::lock_guard<std::mutex> lock(self->session_mutex_);
            self->session_.reset(copy);
        }
    }
    return 0;  // the original stays OpenSSL's
}

bool TlsClientContext::has_session() const {
    const std::lock_guard<std::mutex> lock(session_mutex_);
    return session_ != nullptr;
}

bool TlsClientContext::offer_session(SSL* ssl) const {
    const std::lock_guard<std::mutex> lock(session_mutex_);
    // SSL_set_session takes its own reference, so the session may be replaced right after.
    return session_ != nullptr && SSL_SESSION_is_resumable(session_.get()) == 1 &&
           SSL_set_session(ssl, session_.get()) == 1;
}

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
