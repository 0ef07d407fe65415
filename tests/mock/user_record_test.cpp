#include "avara_onboard/mock/user_record.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include "support/sample_user.hpp"

using namespace avara::mock;

TEST_SUITE_BEGIN("mock");

TEST_CASE("mock::user_json is the API's user object, with no status field even when revoked") {
    UserRecord u = avara::test::sample_user("owner");
    u.invited_source = "dashboard";
    u.created_at = "2026-05-10T08:00:00Z";
    u.suffix1 = "MD";
    const std::string json = user_json(u);
    CHECK(json ==
          R"({"canManageStudies":false,"clinicRole":"Radiologist","createdAt":"2026-05-10T08:00:00Z",)"
          R"("email":"ada@example.org","firstName":"Ada","hasDashboardAccess":false,)"
          R"("invitedSource":"dashboard","lastLoginAt":null,"lastName":"Lovelace","level":"owner",)"
          R"("userId":"usr_0123456789abcdef0123456789abcdef","suffix1":"MD"})");
    u.revoked = true;
    CHECK(user_json(u) == json);  // the mock is no kinder than the API
}

TEST_CASE("mock::append_invitation_json has the SDK's invitation fields") {
    UserRecord u;
    u.id = "usr_0123456789abcdef0123456789abcdef";
    u.invitation_id = "inv_0123456789abcdef0123456789abcdef";
    u.email = "ada@example.org";
    u.created_at = "2026-05-10T08:00:00Z";
    u.created_unix = *parse_rfc3339(*u.created_at);
    u.updated_at = *u.created_at;
    std::string json;
    append_invitation_json(json, u, "cln_1");
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE_FALSE(parser.parse(json).get(doc));
    for (const char* key : {"canManageStudies", "clinicId", "clinicRole", "createdAt", "email", "expiry",
                            "firstName", "hasDashboardAccess", "invitationId", "invitedSource", "inviterId",
                            "lastName", "level", "status", "updatedAt", "userId"}) {
        CAPTURE(key);
        CHECK(doc[key].error() == simdjson::SUCCESS);
    }
    CHECK(std::string_view(doc["status"]) == "sent");
    CHECK(std::string_view(doc["expiry"]) == "2026-05-17T08:00:00Z");
}

TEST_CASE(
    "mock::UserRecord's invitation: accepted once logged in, revoked with access, expired after 7 days") {
    UserRecord u;
    u.created_unix = 1000;
    CHECK(u.invitation_status() == InvitationStatus::sent);
    u.revoked = true;
    CHECK(u.invitation_status() == InvitationStatus::revoked);
    u.last_login_at = "2026-05-10T08:00:00Z";
    CHECK(u.invitation_status() == InvitationStatus::accepted);
    CHECK_FALSE(u.invitation_expired(1000 + invitation_lifetime_s));
    CHECK(u.invitation_expired(1001 + invitation_lifetime_s));
    CHECK(invitation_status_from("rejected") == InvitationStatus::rejected);
    CHECK_FALSE(invitation_status_from("pending"));
}

TEST_CASE("mock::format_rfc3339 and parse_rfc3339 agree") {
    CHECK(format_rfc3339(0) == "1970-01-01T00:00:00Z");
    CHECK(parse_rfc3339("2026-12-01T09:30:00Z") == 1796117400);
    CHECK(format_rfc3339(1796117400) == "2026-12-01T09:30:00Z");
    CHECK(parse_rfc3339("2026-12-01T09:30:00.123Z") == 1796117400);
    CHECK(parse_rfc3339("2026-12-01T10:30:00+01:00") == 1796117400);
    for (const char* bad :
         {"", "2026-12-01", "2026-12-01 09:30:00Z", "2026-13-01T09:30:00Z", "2026-12-01T09:30:00"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_rfc3339(bad));
    }
}

TEST_SUITE_END();
