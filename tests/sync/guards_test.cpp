#include "avara_onboard/sync/guards.hpp"

#include <doctest/doctest.h>

using namespace avara;
using namespace avara::sync;

TEST_SUITE_BEGIN("sync");

TEST_CASE("sync::parse_max_revoke takes a count or a share") {
    auto n = parse_max_revoke("25").value();
    CHECK(n.unit == RevokeLimit::Unit::users);
    CHECK(n.value == 25);
    auto p = parse_max_revoke("2.5%").value();
    CHECK(p.unit == RevokeLimit::Unit::percent);
    CHECK(p.value == 2.5);
    CHECK(parse_max_revoke("0").value().value == 0);
    CHECK(parse_max_revoke("100%").has_value());
    for (const char* bad : {"", "%", "-1", "1.5", "101%", "ten", "5 %", "5%%"}) {
        CAPTURE(bad);
        const auto r = parse_max_revoke(bad);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().kind == ErrorKind::usage);
    }
}

TEST_CASE("sync::revoke_allowance: by default the larger of 10 users and 2% of those in scope") {
    CHECK(revoke_allowance(std::nullopt, 0) == 10);
    CHECK(revoke_allowance(std::nullopt, 100) == 10);
    CHECK(revoke_allowance(std::nullopt, 500) == 10);
    CHECK(revoke_allowance(std::nullopt, 501) == 11);  // 10.02, rounded up
    CHECK(revoke_allowance(std::nullopt, 100000) == 2000);
    CHECK(revoke_allowance(RevokeLimit{RevokeLimit::Unit::users, 3}, 100000) == 3);
    CHECK(revoke_allowance(RevokeLimit{RevokeLimit::Unit::percent, 5}, 1000) == 50);
    CHECK(revoke_allowance(RevokeLimit{RevokeLimit::Unit::percent, 0}, 1000) == 0);
}

TEST_CASE("sync::check_revoke_guard refuses past the allowance, with the counts and the override") {
    CHECK(check_revoke_guard(10, 480, std::nullopt).has_value());
    const auto r = check_revoke_guard(57, 480, std::nullopt);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::input);
    CHECK(r.error().message ==
          "sync refused: 57 users of 480 in scope would be revoked, and the default limit is 10 users (the "
          "larger "
          "of 10 users and 2% of the 480 users in scope). Nothing was changed. Check the roster is complete; "
          "if "
          "these people have really left, raise the limit: --max-revoke 57 (or --max-revoke 12%).");
    const auto given = check_revoke_guard(4, 100, RevokeLimit{RevokeLimit::Unit::users, 3});
    REQUIRE_FALSE(given.has_value());
    CHECK(given.error().message.find("--max-revoke allows 3 users") != std::string::npos);
    CHECK(given.error().message.find("--max-revoke 4 ") != std::string::npos);
    CHECK(check_revoke_guard(4, 100, RevokeLimit{RevokeLimit::Unit::users, 4}).has_value());
    CHECK(check_revoke_guard(0, 0, RevokeLimit{RevokeLimit::Unit::users, 0}).has_value());
}

TEST_CASE("sync::check_truncated_roster refuses a roster under half the last sync's valid rows") {
    CHECK(check_truncated_roster(10, std::nullopt, 500, std::nullopt).has_value());  // no last report
    CHECK(check_truncated_roster(500, 1000, 40, std::nullopt).has_value());          // exactly half
    CHECK(check_truncated_roster(499, 1000, 0, std::nullopt).has_value());           // nothing to revoke
    const auto r = check_truncated_roster(499, 1000, 501, std::nullopt);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::input);
    CHECK(
        r.error().message ==
        "sync refused: the roster has 499 valid rows, fewer than half the 1000 of the last sync, and 501 "
        "users "
        "would be revoked. Nothing was changed. A truncated export looks like this; if the roster really is "
        "this small now, say so: --min-valid-rows 499.");
    CHECK(check_truncated_roster(499, 1000, 501, 499).has_value());  // the override, at the count it names
    const auto lower = check_truncated_roster(499, 1000, 501, 600);
    REQUIRE_FALSE(lower.has_value());
    CHECK(lower.error().message.find("fewer than --min-valid-rows 600") != std::string::npos);
}

TEST_SUITE_END();
