#include "avara_onboard/net/http.hpp"

#include "avara_onboard/util/text.hpp"

namespace avara::net {

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
    for (const Header& h : headers) {
        if (text::iequals(h.name, name))
            return std::string_view(h.value);
    }
    return std::nullopt;
}

const char* to_string(TransportErrorKind kind) noexcept {
    switch (kind) {
        case TransportErrorKind::resolve:
            return "resolve";
        case TransportErrorKind::connect:
            return "connect";
        case TransportErrorKind::tls_handshake:
            return "tls_handshake";
        case TransportErrorKind::certificate:
            return "certificate";
        case TransportErrorKind::timeout:
            return "timeout";
        case TransportErrorKind::closed:
            return "closed";
        case TransportErrorKind::protocol:
            return "protocol";
    }
    return "unknown";
}

}  // namespace avara::net
