#pragma once
// Where the API lives: the parsed --base-url / AVARA_BASE_URL. Parsed once, up front, so a bad URL is a
// configuration error (exit 2) before a single row is read, never a transport error per row.
#include <cstdint>
#include <string>
#include <string_view>

#include "avara_onboard/util/error.hpp"

namespace avara::net {

struct BaseUrl {
    std::string scheme;  // "https" or "http"
    std::string host;    // "api.avarasoftware.com", "127.0.0.1", "::1" (no brackets)
    std::uint16_t port = 443;
    std::string path_prefix;  // "" or "/prefix" (no trailing slash); requests go to prefix + "/v1/..."

    bool is_tls() const noexcept { return scheme == "https"; }
    bool host_is_ip() const noexcept;
    bool host_is_ipv6() const noexcept { return host.find(':') != std::string::npos; }
    std::uint16_t default_port() const noexcept { return is_tls() ? 443 : 80; }
    // "host" or "host:port" when not the scheme's default; IPv6 in brackets ("[::1]:8443").
    std::string host_header() const;
    // "host:port" always (brackets for IPv6): how transport errors name the server.
    std::string authority() const;
    // "https://host[:port]/prefix", for messages.
    std::string to_string() const;
};

// Errors are ErrorKind::config: not a URL, no host, userinfo present, query or fragment present, a scheme
// other than https/http, a bad port, or `http` without allow_insecure_http. Surrounding spaces are
// ignored. A URL holding userinfo is never echoed back, since that part is likely a credential.
// Whether an http:// base URL is taken (--allow-insecure-http) or refused.
enum class PlainHttp { refuse, allow };

Result<BaseUrl> parse_base_url(std::string_view text, PlainHttp plain_http);

}  // namespace avara::net
