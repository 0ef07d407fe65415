#pragma once
// The bodies of PATCH /v1/viewer/users/{userId} and of POST /v1/viewer/users/revoke-access and
// /reactivate as the mock server reads them: strict JSON types, the schema's rules for each field
// given, every failing field reported at once. Pure: no I/O, no server state.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "avara_onboard/mock/invite_json.hpp"
#include "avara_onboard/mock/user_record.hpp"

namespace avara::mock {

// Only the fields given. For the optional text fields the outer optional says "given", the inner
// one holds the new value, or nothing when the body said `null` (which clears the field).
struct UserPatch {
    std::optional<std::string> first_name, last_name, clinic_role, level;
    std::optional<std::optional<std::string>> middle_name, suffix1, suffix2, phone_number;
    std::optional<bool> can_manage_studies, has_dashboard_access;
};

struct PatchCheck {
    std::optional<std::string> malformed;  // not a JSON object; nothing else is then set
    std::vector<FieldError> errors;        // in schema order; empty when `patch` is set
    std::optional<UserPatch> patch;
};

// Unknown fields are ignored, as POST does. `email` is refused (it cannot change through the API);
// `null` is refused for the fields every user has, except `clinicRole`, where the SDK allows it and
// it changes nothing; `level` takes "admin" or "member", never "owner".
PatchCheck check_patch_json(std::string_view body);

// Applies `patch` when the user it makes is valid (an admin must keep dashboard access); otherwise
// changes nothing and returns why. An empty patch is valid and changes nothing.
std::vector<FieldError> apply_patch(UserRecord& user, const UserPatch& patch);

// {"userId": "usr_..."}
struct UserRefCheck {
    std::optional<std::string> malformed;
    std::vector<FieldError> errors;  // empty when `user_id` is set
    std::optional<std::string> user_id;
};
UserRefCheck check_user_ref_json(std::string_view body);

// {"invitationId"?: "inv_...", "userId"?: "usr_..."}: at least one.
struct InvitationRefCheck {
    std::optional<std::string> malformed;
    std::vector<FieldError> errors;  // empty when the ids are usable
    std::optional<std::string> invitation_id, user_id;
};
InvitationRefCheck check_invitation_ref_json(std::string_view body);

// usr_ followed by 32 lowercase hex digits; inv_ likewise.
bool is_user_id(std::string_view id) noexcept;
bool is_invitation_id(std::string_view id) noexcept;

}  // namespace avara::mock
