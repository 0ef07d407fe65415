#include "avara_onboard/net/base_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>

#include "avara_onboard/util/text.hpp"

namespace avara::net {
namespace {

Error config_error(std::string message) {
    return make_error(ErrorKind::config, std::move(message));
}

bool is_host_name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

// A dotted quad's shape: only digits and dots.
bool digits_and_dots(std::string_view host) noexcept {
    if (host.empty())
        return false;
    for (char c : host) {
        if (!((c >= '0' && c <= '9') || c == '.'))
            return false;
    }
    return true;
}

std::string bracketed(const std::string& host, bool ipv6) {
    return ipv6 ? "[" + host + "]" : host;
}

}  // namespace

bool BaseUrl::host_is_ip() const noexcept {
    if (host_is_ipv6())
        return true;
    // Host names never end in a digit-only label per RFC 1123 rules in practice, and parse_base_url
    // only lets Boost.URL's ipv4 type through as all-numeric.
    return digits_and_dots(host);
}

std::string BaseUrl::host_header() const {
    std::string out = bracketed(host, host_is_ipv6());
    if (port != default_port())
        out.append(":").append(std::to_string(port));
    return out;
}

std::string BaseUrl::authority() const {
    return bracketed(host, host_is_ipv6()) + ":" + std::to_string(port);
}

std::string BaseUrl::to_string() const {
    return scheme + "://" + host_header() + path_prefix;
}

namespace {

// The host as the URL gives it: an address as written, a name lowered and checked.
Result<std::string> host_of(const boost::urls::url_view& url, std::string_view input) {
    std::string host;
    switch (url.host_type()) {
        case boost::urls::host_type::ipv4:
        case boost::urls::host_type::ipv6:
            host = url.host_address();
            break;
        case boost::urls::host_type::name:
            host = text::to_lower(url.host_name());
            break;
        default:
            break;
    }
    if (host.empty())
        return config_error("the base URL '" + std::string(input) + "' has no host");
    if (url.host_type() != boost::urls::host_type::name)
        return host;
    for (char c : host) {
        if (!is_host_name_char(c))
            return config_error("the base URL '" + std::string(input) + "' has an invalid host name");
    }
    if (digits_and_dots(host)) {
        // Boost.URL calls "1.2.3" a name; DNS would not resolve it and an IP check would misfire.
        return config_error("the base URL '" + std::string(input) + "' has an invalid host");
    }
    return host;
}

// The port the URL names, or `fallback` (the scheme's) when it names none.
Result<std::uint16_t> port_of(const boost::urls::url_view& url, std::string_view input,
                              std::uint16_t fallback) {
    if (!url.has_port() || url.port().empty())
        return fallback;
    const std::string_view p = url.port();
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (ec != std::errc{} || end != p.data() + p.size() || value == 0 || value > 65535) {
        return config_error("the base URL '" + std::string(input) + "' has an invalid port '" +
                            std::string(p) + "'");
    }
    return static_cast<std::uint16_t>(value);
}

}  // namespace

Result<BaseUrl> parse_base_url(std::string_view text, PlainHttp plain_http) {
    const std::string_view input = text::trim(text);
    auto parsed = boost::urls::parse_uri(input);
    if (!parsed)
        return config_error("the base URL '" + std::string(input) + "' is not a URL");
    const boost::urls::url_view& url = *parsed;

    // Checked first so that no later message repeats a URL that carries a password.
    if (url.has_userinfo()) {
        return config_error(
            "the base URL must not contain a user name or password; the API key is "
            "read from --api-key-file or AVARA_API_KEY");
    }

    BaseUrl out;
    switch (url.scheme_id()) {
        case boost::urls::scheme::https:
            out.scheme = "https";
            break;
        case boost::urls::scheme::http:
            out.scheme = "http";
            break;
        default:
            return config_error("the base URL '" + std::string(input) + "' has the scheme '" +
                                std::string(url.scheme()) + "'; only https (or http) is supported");
    }
    if (!url.has_authority())
        return config_error("the base URL '" + std::string(input) + "' has no host");
    if (url.has_query() || url.has_fragment()) {
        return config_error("the base URL '" + std::string(input) +
                            "' must not contain a query (?...) or fragment (#...)");
    }
    auto host = host_of(url, input);
    if (!host)
        return host.error();
    out.host = std::move(*host);
    auto port = port_of(url, input, out.default_port());
    if (!port)
        return port.error();
    out.port = *port;

    std::string_view path = url.encoded_path();
    while (!path.empty() && path.back() == '/')
        path.remove_suffix(1);
    out.path_prefix = std::string(path);

    if (out.scheme == "http" && plain_http == PlainHttp::refuse) {
        return config_error("refusing " + out.to_string() +
                            ": the API key would travel in clear text; pass --allow-insecure-http to "
                            "permit it");
    }
    return out;
}

}  // namespace avara::net
