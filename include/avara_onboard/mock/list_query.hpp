#pragma once
// The query strings of the two listings, GET /v1/viewer/users and GET /v1/viewer/users/invitations,
// with every filter the official SDKs send, and the opaque cursor (base64 of {"offset":N}, as the
// real API's decodes to an offset). Pure: no I/O, no server state.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "avara_onboard/mock/invite_json.hpp"
#include "avara_onboard/mock/user_record.hpp"

namespace avara::mock {

inline constexpr std::size_t default_page_size = 20;
inline constexpr std::size_t max_page_size = 100;

struct Page {
    std::size_t limit = default_page_size;  // 1..100
    std::size_t offset = 0;                 // where the cursor says to go on; 0 without one
};

struct UserQuery {
    Page page;
    std::optional<std::string> email;                  // exact, any case
    std::optional<std::string> first_name, last_name;  // contains, any case
    std::optional<std::string> level;                  // owner | admin | member
    std::optional<std::string> invited_source;         // dashboard | api
};

struct InvitationQuery {
    Page page;
    std::uint8_t statuses = 0;  // bit (1 << InvitationStatus) per wanted status; 0 = any
    enum class Expired : std::uint8_t { all, expired, not_expired } expired = Expired::all;
    std::optional<std::string> user_id;
    std::optional<std::string> start_date, end_date;  // YYYY-MM-DD, on createdAt, both inclusive
};

template <class Query>
struct QueryCheck {
    std::vector<FieldError> errors;  // one per bad parameter, named by it; empty when `query` is set
    std::optional<Query> query;
};

// `target` is the request's origin-form target (path and query). Unknown parameters are ignored.
// A '+' stays a '+' (it is common in emails, and no email holds a space).
QueryCheck<UserQuery> parse_user_query(std::string_view target);
QueryCheck<InvitationQuery> parse_invitation_query(std::string_view target);

bool matches(const UserRecord& user, const UserQuery& query);
bool matches(const UserRecord& user, const InvitationQuery& query, std::int64_t now_unix);

std::string encode_cursor(std::size_t offset);
std::optional<std::size_t> decode_cursor(std::string_view cursor);

}  // namespace avara::mock
