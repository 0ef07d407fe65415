#pragma once
// `sync --plan-out PLAN.json` and `sync --apply PLAN.json`: the plan as a file, so what a reviewer
// approved is exactly what runs. The file records the base URL, every change with the userId and the
// fingerprint of the user it touches (DirectoryUser::fingerprint), and each invite's exact body.
// --apply lists the users again and refuses the whole plan when any touched user changed, an invited
// email appeared, or the base URL differs. Plans hold personal data: written mode 0600.
//
// {"version":1,"baseUrl":"https://api.avarasoftware.com","createdAt":"2026-12-01T09:30:00Z",
//  "roster":"staff.csv","counts":{"invite":1,"update":1,...},
//  "changes":[{"action":"invite","email":"ada@x.org","row":1,"line":2,"body":{...the POST body...}},
//             {"action":"update","email":"bob@x.org","row":2,"line":3,"userId":"usr_...",
//              "fingerprint":"9f2c...","changes":[{"field":"clinicRole","from":"Nurse","to":"Surgeon"}]},
//             {"action":"revoke","email":"cy@x.org","userId":"usr_...","fingerprint":"..."}]}
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "avara_onboard/sync/diff.hpp"
#include "avara_onboard/sync/directory_user.hpp"
#include "avara_onboard/util/error.hpp"
#include "avara_onboard/validate/validator.hpp"

namespace avara::sync {

inline constexpr int plan_version = 1;

struct PlannedChange {
    Action action = Action::invite;    // invite, update, reactivate or revoke (nothing else is a change)
    std::string email;                 // as the roster wrote it; lowercased for a revoke
    std::uint64_t row = 0, line = 0;   // the roster row; 0 for a revoke
    std::string user_id;               // empty for an invite
    std::uint64_t fingerprint = 0;     // of the user touched; 0 for an invite
    std::vector<FieldChange> changes;  // update; reactivate's follow-up update
    std::string invite_body;           // invite: the exact POST body (JSON)
};

struct Plan {
    std::string base_url;
    std::string created_at;  // RFC 3339, for people
    std::string roster;      // the roster's path, for people
    std::vector<PlannedChange> changes;

    DiffCounts counts() const;  // invite, update, reactivate, revoke
};

// The plan's entry for a row's decision (nothing for unchanged and untouched rows), and for a missing
// user (nothing for still_revoked): what --plan-out saves and --apply carries out.
std::optional<PlannedChange> planned_change(const RowDecision& decision, const validate::Invite& invite,
                                            std::uint64_t row, std::uint64_t line);
std::optional<PlannedChange> planned_change(const MissingUser& missing);

std::string plan_to_json(const Plan& plan);
// Errors (ErrorKind::input) name what is wrong: not JSON, another version, a change without its
// fields, an unknown action.
Result<Plan> plan_from_json(std::string_view json);

// Written whole (mode 0600) or not at all; errors are ErrorKind::io.
Result<void> write_plan_file(const std::string& path, const Plan& plan);
Result<Plan> read_plan_file(const std::string& path);

// Refuses (ErrorKind::input, exit 2) a plan made for another base URL, or whose users changed since:
// a touched user that is gone, has another userId or another fingerprint, or an invite whose email
// is now on the server. The message counts them and names the first few.
Result<void> check_plan_is_current(const Plan& plan, std::string_view base_url, const Directory& now);

}  // namespace avara::sync
