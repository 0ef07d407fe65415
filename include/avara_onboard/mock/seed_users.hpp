#pragma once
// `--seed-users FILE`: a directory the mock server starts with, so sync can be tried against users
// created in the dashboard, owners, and users the API created earlier. Pure: the caller reads the
// file.
//
// The file is a JSON array of user objects as the API returns them (GET /v1/viewer/users), for
// example
//   [{"email":"owner@clinic.org","firstName":"Olive","lastName":"Owner","clinicRole":"Other",
//     "level":"owner","canManageStudies":true,"hasDashboardAccess":true,"invitedSource":"dashboard"}]
// Required: email, firstName, lastName, clinicRole, level (owner|admin|member), canManageStudies,
// hasDashboardAccess, invitedSource (dashboard|api). Optional: userId and invitationId (made up
// when absent),
// middleName, suffix1, suffix2, phoneNumber, createdAt (RFC 3339; default: the start),
// lastLoginAt, and the mock's own "revoked": true for a user whose access is already revoked.
#include <cstdint>
#include <string_view>
#include <vector>

#include "avara_onboard/mock/user_record.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::mock {

// Records with `id` empty where the file gave no userId; `now_unix` is the createdAt of users
// without one. Errors name the user by position (from 1) and email, and the field.
Result<std::vector<UserRecord>> parse_seed_users(std::string_view json, std::int64_t now_unix);

}  // namespace avara::mock
