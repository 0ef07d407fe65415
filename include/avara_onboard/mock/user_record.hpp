#pragma once
// One user as the mock server holds it, and its two JSON renderings: the API's user object (which
// has no status field: a revoked user looks like any other, as in the real API) and the pending
// invitation of GET /v1/viewer/users/invitations. Pure: no I/O, no clock of its own.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace avara::mock {

enum class InvitationStatus : std::uint8_t { sent, accepted, rejected, revoked };
std::string_view invitation_status_name(InvitationStatus s) noexcept;
std::optional<InvitationStatus> invitation_status_from(std::string_view name) noexcept;

inline constexpr std::int64_t invitation_lifetime_s = std::int64_t{7} * 24 * 3600;

struct UserRecord {
    std::string id;  // usr_ + 32 hex
    std::string email, first_name, last_name, clinic_role;
    std::string level = "member";  // admin | member | owner (owners come from --seed-users only)
    std::optional<std::string> middle_name, suffix1, suffix2, phone_number;
    bool can_manage_studies = false;
    bool has_dashboard_access = false;
    std::string invited_source = "api";        // api | dashboard
    std::optional<std::string> created_at;     // RFC 3339, as the API writes it
    std::int64_t created_unix = 0;             // the same instant, for the invitation's expiry
    std::optional<std::string> last_login_at;  // null until the first login
    std::string updated_at;                    // the invitation's updatedAt
    // The mock's own record, for /__admin/stats only: never rendered, never filtered on.
    bool revoked = false;
    bool invitation_revoked = false;  // POST /v1/viewer/users/invitations/revoke
    std::string invitation_id;        // inv_ + 32 hex; empty for owners, who were never invited

    InvitationStatus invitation_status() const noexcept;
    bool invitation_expired(std::int64_t now_unix) const noexcept;
};

// The API's user object, in the key order of the API's own example; optional fields only when set.
void append_user_json(std::string& out, const UserRecord& user);
std::string user_json(const UserRecord& user);
// The invitation object of the TypeScript SDK's InvitationListResponse.
void append_invitation_json(std::string& out, const UserRecord& user, std::string_view clinic_id);

// "2026-12-01T09:30:00Z" for a Unix time, and back (also accepting fractional seconds and a
// numeric offset); nothing for text that is not such a time.
std::string format_rfc3339(std::int64_t unix_seconds);
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace avara::mock
