#include "avara_onboard/sync/guards.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace avara::sync {

namespace {

std::string users(std::size_t n) {
    return std::to_string(n) + (n == 1 ? " user" : " users");
}

// The smallest whole percentage that allows `n` of `total`.
std::string percent_for(std::size_t n, std::size_t total) {
    if (total == 0)
        return "100%";
    const double p = std::ceil(100.0 * static_cast<double>(n) / static_cast<double>(total));
    return std::to_string(static_cast<long long>(std::min(100.0, p))) + "%";
}

}  // namespace

Result<RevokeLimit> parse_max_revoke(std::string_view text) {
    RevokeLimit limit;
    std::string_view number = text;
    if (number.ends_with('%')) {
        limit.unit = RevokeLimit::Unit::percent;
        number.remove_suffix(1);
    }
    const auto bad = [text] {
        return make_error(ErrorKind::usage, "--max-revoke " + std::string(text) +
                                                ": expected a number of users (25) or a share of the users "
                                                "in scope (5%)");
    };
    if (number.empty())
        return bad();
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), limit.value);
    if (ec != std::errc{} || end != number.data() + number.size() || !(limit.value >= 0))
        return bad();
    if (limit.unit == RevokeLimit::Unit::users && limit.value != std::floor(limit.value))
        return bad();
    if (limit.unit == RevokeLimit::Unit::percent && limit.value > 100)
        return bad();
    return limit;
}

std::size_t revoke_allowance(const std::optional<RevokeLimit>& limit, std::size_t in_scope_users) {
    const auto share = [in_scope_users](double percent) {
        return static_cast<std::size_t>(std::ceil(percent / 100.0 * static_cast<double>(in_scope_users)));
    };
    if (!limit)
        return std::max<std::size_t>(10, share(2));
    if (limit->unit == RevokeLimit::Unit::percent)
        return share(limit->value);
    return static_cast<std::size_t>(limit->value);
}

Result<void> check_revoke_guard(std::size_t would_revoke, std::size_t in_scope_users,
                                const std::optional<RevokeLimit>& limit) {
    const std::size_t allowed = revoke_allowance(limit, in_scope_users);
    if (would_revoke <= allowed)
        return {};
    const std::string why = limit ? std::string("--max-revoke allows ") + users(allowed)
                                  : "the default limit is " + users(allowed) +
                                        " (the larger of 10 users and 2% of the " + users(in_scope_users) +
                                        " in scope)";
    return make_error(ErrorKind::input,
                      "sync refused: " + users(would_revoke) + " of " + std::to_string(in_scope_users) +
                          " in scope would be revoked, and " + why +
                          ". Nothing was changed. Check the roster is complete; if these people have "
                          "really left, raise the limit: --max-revoke " +
                          std::to_string(would_revoke) + " (or --max-revoke " +
                          percent_for(would_revoke, in_scope_users) + ").");
}

Result<void> check_truncated_roster(std::size_t valid_rows, std::optional<std::size_t> last_sync_valid_rows,
                                    std::size_t would_revoke, std::optional<std::size_t> min_valid_rows) {
    if (!last_sync_valid_rows || would_revoke == 0)
        return {};
    if (min_valid_rows ? valid_rows >= *min_valid_rows : 2 * valid_rows >= *last_sync_valid_rows)
        return {};
    const std::string floor = min_valid_rows
                                  ? "--min-valid-rows " + std::to_string(*min_valid_rows)
                                  : "half the " + std::to_string(*last_sync_valid_rows) + " of the last sync";
    return make_error(
        ErrorKind::input,
        "sync refused: the roster has " + std::to_string(valid_rows) + " valid rows, fewer than " + floor +
            ", and " + users(would_revoke) +
            " would be revoked. Nothing was changed. A truncated export looks like this; if the "
            "roster really is this small now, say so: --min-valid-rows " +
            std::to_string(valid_rows) + ".");
}

}  // namespace avara::sync
