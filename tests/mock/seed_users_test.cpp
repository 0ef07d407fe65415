#include "avara_onboard/mock/seed_users.hpp"

#include <doctest/doctest.h>

using namespace avara::mock;

TEST_SUITE_BEGIN("mock");

namespace {
constexpr std::int64_t now = 1796117400;  // 2026-12-01T09:30:00Z
}

TEST_CASE("mock::parse_seed_users reads user objects as the API lists them") {
    const auto users = parse_seed_users(
        R"([{"email":"owner@clinic.org","firstName":"Olive","lastName":"Owner","clinicRole":"Other",)"
        R"("level":"owner","canManageStudies":true,"hasDashboardAccess":true,"invitedSource":"dashboard",)"
        R"("userId":"usr_0123456789abcdef0123456789abcdef","createdAt":"2026-01-02T03:04:05Z",)"
        R"("lastLoginAt":"2026-01-03T00:00:00Z"},)"
        R"({"email":"gone@clinic.org","firstName":"Gus","lastName":"Gone","clinicRole":"Surgeon",)"
        R"("level":"member","canManageStudies":false,"hasDashboardAccess":false,"invitedSource":"api",)"
        R"("middleName":"J","phoneNumber":null,"revoked":true,"invitationId":"inv_0123456789abcdef0123456789abcdef"}])",
        now);
    REQUIRE(users.has_value());
    REQUIRE(users->size() == 2);
    const auto& owner = (*users)[0];
    CHECK(owner.level == "owner");
    CHECK(owner.invited_source == "dashboard");
    CHECK(owner.id == "usr_0123456789abcdef0123456789abcdef");
    CHECK(owner.created_at == "2026-01-02T03:04:05Z");
    CHECK(owner.last_login_at == "2026-01-03T00:00:00Z");
    CHECK(owner.can_manage_studies);
    const auto& gone = (*users)[1];
    CHECK(gone.id.empty());  // made up by the directory
    CHECK(gone.middle_name == "J");
    CHECK_FALSE(gone.phone_number);
    CHECK(gone.revoked);
    CHECK(gone.invitation_id == "inv_0123456789abcdef0123456789abcdef");
    CHECK(gone.created_at == "2026-12-01T09:30:00Z");
    CHECK(gone.created_unix == now);
}

TEST_CASE("mock::parse_seed_users names the user and the field that is wrong") {
    const std::string good_rest =
        R"("firstName":"A","lastName":"B","clinicRole":"Other","canManageStudies":true,)"
        R"("hasDashboardAccess":true)";
    auto error_of = [&](const std::string& json) {
        const auto r = parse_seed_users(json, now);
        REQUIRE_FALSE(r.has_value());
        return r.error().message;
    };
    CHECK(error_of("{}") == "must be a JSON array of user objects");
    CHECK(error_of("[").starts_with("not valid JSON"));
    CHECK(error_of("[1]") == "user 1: must be a JSON object");
    CHECK(error_of(R"([{"email":"a@b.org","level":"boss","invitedSource":"api",)" + good_rest + "}]") ==
          "user 1 (a@b.org): level: must be one of owner admin member");
    CHECK(error_of(R"([{"email":"a@b.org","level":"member",)" + good_rest + "}]") ==
          "user 1 (a@b.org): invitedSource: is required");
    CHECK(error_of(R"([{"email":"a@b.org","level":"member","invitedSource":"api","userId":"u1",)" +
                   good_rest + "}]") == "user 1 (a@b.org): userId: must be usr_ followed by 32 hex digits");
    CHECK(error_of(R"([{"email":"a@b.org","level":"member","invitedSource":"api","invitationId":"inv_1",)" +
                   good_rest + "}]") ==
          "user 1 (a@b.org): invitationId: must be inv_ followed by 32 hex digits");
    CHECK(error_of(R"([{"email":"nope","level":"member","invitedSource":"api",)" + good_rest + "}]")
              .starts_with("user 1 (nope): email: "));
    CHECK(error_of(R"([{"email":"a@b.org","level":"member","invitedSource":"api","createdAt":"May",)" +
                   good_rest + "}]")
              .starts_with("user 1 (a@b.org): createdAt: "));
}

TEST_SUITE_END();
