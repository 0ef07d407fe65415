#pragma once
// The plain data of one HTTP exchange and of its transport failures, free of Asio and Beast so the
// layers above (request building, reply classification) can use them without a network dependency.
#include <boost/system/result.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace avara::net {

struct Header {
    std::string name;
    std::string value;
};

struct HttpRequest {
    std::string method;  // "POST", "GET", ...
    std::string target;  // "/v1/viewer/users?email=..."; the base URL's path prefix is prepended
    std::vector<Header> headers;
    std::string body;
};

struct HttpResponse {
    unsigned status = 0;
    std::vector<Header> headers;
    std::string body;

    // The first header of that name, compared case-insensitively.
    std::optional<std::string_view> header(std::string_view name) const;
};

enum class TransportErrorKind {
    resolve,        // the host name did not resolve
    connect,        // no TCP connection (refused, unreachable)
    tls_handshake,  // OpenSSL refused the handshake (protocol version, ciphers, not TLS): not retryable
    certificate,    // the server's certificate chain or name did not verify
    timeout,        // the attempt ran over its deadline
    closed,         // the connection dropped mid-exchange (or the attempt was cancelled)
    protocol,       // the reply was not acceptable HTTP (malformed, over the size limits)
};
const char* to_string(TransportErrorKind kind) noexcept;

struct TransportError {
    TransportErrorKind kind = TransportErrorKind::closed;
    std::string message;        // names host:port and the cause
    bool request_sent = false;  // some of the request was written: it may have reached the server
};

using TransportResult = boost::system::result<HttpResponse, TransportError>;

}  // namespace avara::net
