#pragma once
// The wire side of one row: the invite request it sends, the lookup that follows a 409, and what is
// read back from the replies. No I/O here, so every byte of it is tested without a socket.
#include <optional>
#include <string>
#include <string_view>

#include "avara_onboard/net/http.hpp"

namespace avara::send {

inline constexpr std::string_view users_path = "/v1/viewer/users";
inline constexpr std::string_view user_agent = "avara-onboard/" AVARA_VERSION;

// The same for the same email (case-insensitive) in every attempt and every run, so a retry after a
// lost reply, or a later --resume, replays the original creation instead of making a second user.
std::string idempotency_key(std::string_view email);

// POST /v1/viewer/users with the contract's headers. `body` is the invite's exact JSON.
net::HttpRequest invite_request(std::string body, std::string_view email, std::string_view api_key);
// GET /v1/viewer/users?email=... (exact match), to find the id of a user that already exists.
net::HttpRequest lookup_request(std::string_view email, std::string_view api_key);
// GET /v1/viewer/users?limit=100[&cursor=...]: one page of the listing sync compares against.
net::HttpRequest list_request(const std::string* cursor, std::string_view api_key);
// PATCH /v1/viewer/users/{userId} with `body`, the changed fields only (sync::patch_body).
net::HttpRequest update_request(std::string_view user_id, std::string body, std::string_view api_key);
// POST /v1/viewer/users/revoke-access or /reactivate with {"userId": ...}.
enum class AccessChange { revoke, reactivate };
net::HttpRequest access_request(AccessChange change, std::string_view user_id, std::string_view api_key);

// `userId` of a 2xx invite reply.
std::optional<std::string> user_id_from_invite(std::string_view body);
// `userId` of the user with this email (case-insensitive) in a list reply.
std::optional<std::string> user_id_from_lookup(std::string_view body, std::string_view email);
// What the server said, for the report's error column: its `message` and per-field errors when the
// body is JSON, else the start of the body. One line, bounded length.
std::string server_message(unsigned status, std::string_view body);

// RFC 3986 percent-encoding of everything but the unreserved characters (Boost.URL's encoder).
std::string percent_encode(std::string_view text);

}  // namespace avara::send
