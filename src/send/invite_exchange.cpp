#include "avara_onboard/send/invite_exchange.hpp"

#include <openssl/evp.h>
#include <simdjson.h>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "avara_onboard/util/error.hpp"
#include "avara_onboard/util/text.hpp"

namespace avara::send {

std::string idempotency_key(std::string_view email) {
    // Lowered into a stack buffer when it fits (an address is at most 254 bytes): no allocation but
    // the key's own, once, for a call made for every invite.
    char stack[256];
    std::string heap;
    std::string_view lowered;
    if (email.size() <= sizeof stack) {
        for (std::size_t i = 0; i < email.size(); ++i)
            stack[i] = text::ascii_lower(email[i]);
        lowered = std::string_view(stack, email.size());
    } else {
        heap = text::to_lower(email);
        lowered = heap;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up in its providers on every call
    // (locks and string compares, a few percent of a fast run's CPU).
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (sha256 == nullptr ||
        EVP_Digest(lowered.data(), lowered.size(), digest, &length, sha256, nullptr) != 1) {
        throw AppError(ErrorKind::internal, "SHA-256 is unavailable in this OpenSSL");
    }
    static constexpr char hex[] = "0123456789abcdef";
    static constexpr std::string_view prefix = "avara-onboard-";
    std::string key;
    key.reserve(prefix.size() + 2 * std::size_t{length});
    key.append(prefix);
    for (unsigned int i = 0; i < length; ++i) {
        key.push_back(hex[digest[i] >> 4]);
        key.push_back(hex[digest[i] & 0xF]);
    }
    return key;
}

namespace {
// Room for every header a request of ours carries: the vector is allocated once, not grown.
constexpr std::size_t max_request_headers = 5;

void add_common_headers(net::HttpRequest& request, std::string_view api_key) {
    request.headers.reserve(max_request_headers);
    static constexpr std::string_view bearer = "Bearer ";
    std::string authorization;
    authorization.reserve(bearer.size() + api_key.size());
    authorization.append(bearer).append(api_key);
    request.headers.push_back({"Authorization", std::move(authorization)});
    request.headers.push_back({"Accept", "application/json"});
    request.headers.push_back({"User-Agent", std::string(user_agent)});
}
}  // namespace

net::HttpRequest invite_request(std::string body, std::string_view email, std::string_view api_key) {
    net::HttpRequest request;
    request.method = "POST";
    request.target = std::string(users_path);
    add_common_headers(request, api_key);
    request.headers.push_back({"Content-Type", "application/json"});
    request.headers.push_back({"Idempotency-Key", idempotency_key(email)});
    request.body = std::move(body);
    return request;
}

std::string percent_encode(std::string_view text) {
    return boost::urls::encode(text, boost::urls::unreserved_chars);
}

net::HttpRequest lookup_request(std::string_view email, std::string_view api_key) {
    net::HttpRequest request;
    request.method = "GET";
    request.target = std::string(users_path) + "?email=" + percent_encode(email) + "&limit=1";
    add_common_headers(request, api_key);
    return request;
}

net::HttpRequest list_request(const std::string* cursor, std::string_view api_key) {
    net::HttpRequest request;
    request.method = "GET";
    request.target = std::string(users_path) + "?limit=100";
    if (cursor != nullptr)
        request.target += "&cursor=" + percent_encode(*cursor);
    add_common_headers(request, api_key);
    return request;
}

net::HttpRequest update_request(std::string_view user_id, std::string body, std::string_view api_key) {
    net::HttpRequest request;
    request.method = "PATCH";
    request.target = std::string(users_path) + "/" + percent_encode(user_id);
    add_common_headers(request, api_key);
    request.headers.push_back({"Content-Type", "application/json"});
    request.body = std::move(body);
    return request;
}

net::HttpRequest access_request(AccessChange change, std::string_view user_id, std::string_view api_key) {
    net::HttpRequest request;
    request.method = "POST";
    request.target =
        std::string(users_path) + (change == AccessChange::revoke ? "/revoke-access" : "/reactivate");
    add_common_headers(request, api_key);
    request.headers.push_back({"Content-Type", "application/json"});
    request.body = "{\"userId\":";
    text::append_json_string(request.body, user_id);
    request.body += "}";
    return request;
}

namespace {
// One parser a thread, reused as simdjson advises: a parser of its own for each reply cost its index
// buffers' allocation every time. It copies the body into its own padded buffer, which it keeps too.
// `root` points into that parser's document, so a ParsedBody is used before the next is made, as
// every caller here does (synchronously, on one thread).
struct ParsedBody {
    simdjson::dom::element root;
    bool ok = false;
    explicit ParsedBody(std::string_view body) {
        thread_local simdjson::dom::parser parser;
        auto result = parser.parse(body.data(), body.size(), true);
        ok = result.error() == simdjson::SUCCESS;
        if (ok)
            root = result.value_unsafe();
    }
};

std::optional<std::string> string_field(simdjson::dom::element object, std::string_view key) {
    std::string_view value;
    if (object[key].get_string().get(value) != simdjson::SUCCESS)
        return std::nullopt;
    return std::string(value);
}

std::string one_line(std::string_view text, std::size_t limit) {
    std::string out;
    for (char c : text.substr(0, limit))
        out.push_back((c == '\n' || c == '\r' || c == '\t') ? ' ' : c);
    if (text.size() > limit)
        out.append("...");
    return out;
}
}  // namespace

std::optional<std::string> user_id_from_invite(std::string_view body) {
    ParsedBody parsed(body);
    if (!parsed.ok)
        return std::nullopt;
    return string_field(parsed.root, "userId");
}

std::optional<std::string> user_id_from_lookup(std::string_view body, std::string_view email) {
    ParsedBody parsed(body);
    if (!parsed.ok)
        return std::nullopt;
    simdjson::dom::array users;
    if (parsed.root["users"].get_array().get(users) != simdjson::SUCCESS)
        return std::nullopt;
    for (simdjson::dom::element user : users) {
        auto user_email = string_field(user, "email");
        if (user_email && text::iequals(*user_email, email))
            return string_field(user, "userId");
    }
    return std::nullopt;
}

std::string server_message(unsigned status, std::string_view body) {
    std::string out = "HTTP " + std::to_string(status);
    ParsedBody parsed(body);
    if (!parsed.ok) {
        const auto trimmed = text::trim(body);
        if (!trimmed.empty())
            out += ": " + one_line(trimmed, 200);
        return out;
    }
    if (auto message = string_field(parsed.root, "message"))
        out += ": " + one_line(*message, 200);
    simdjson::dom::array errors;
    if (parsed.root["errors"].get_array().get(errors) == simdjson::SUCCESS) {
        std::string details;
        for (simdjson::dom::element e : errors) {
            auto field = string_field(e, "field");
            auto message = string_field(e, "message");
            if (!field && !message)
                continue;
            if (!details.empty())
                details += "; ";
            details += field.value_or("?") + ": " + message.value_or("invalid");
        }
        if (!details.empty())
            out += " (" + one_line(details, 300) + ")";
    }
    return out;
}

}  // namespace avara::send
