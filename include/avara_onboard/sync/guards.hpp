#pragma once
// The two revocation guards of `sync`, checked after the diff and before anything is sent. Each is
// a pure function: the counts in, an Error (ErrorKind::input: exit 2, nothing sent) out when the sync
// must stop, whose message gives the counts and says how to go on. A guard is passed by raising its
// limit to the count it names, never by a flag that skips the count.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "avara_onboard/util/error.hpp"

namespace avara::sync {

// --max-revoke N (users) or P% (of the users in scope).
struct RevokeLimit {
    enum class Unit : std::uint8_t { users, percent };
    Unit unit = Unit::users;
    double value = 0;
};
// "25", "0", "2.5%", "100%". Errors (ErrorKind::usage) for anything else, or a share over 100%.
Result<RevokeLimit> parse_max_revoke(std::string_view text);

// How many users may be revoked: the limit given, or by default the larger of 10 users and 2% of
// the users in scope (rounded up).
std::size_t revoke_allowance(const std::optional<RevokeLimit>& limit, std::size_t in_scope_users);

// Refuses when more than the allowance would be revoked.
Result<void> check_revoke_guard(std::size_t would_revoke, std::size_t in_scope_users,
                                const std::optional<RevokeLimit>& limit);

// The truncated-roster guard: refuses when users would be revoked and the roster has fewer than
// half the valid rows of the last sync's report (a half-exported file would otherwise revoke the
// missing half). No last report, or nothing to revoke: nothing to protect. `min_valid_rows` is the
// override, --min-valid-rows N: the roster may then have as few as N valid rows.
Result<void> check_truncated_roster(std::size_t valid_rows, std::optional<std::size_t> last_sync_valid_rows,
                                    std::size_t would_revoke, std::optional<std::size_t> min_valid_rows);

}  // namespace avara::sync
