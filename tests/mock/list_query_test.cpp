#include "avara_onboard/mock/list_query.hpp"

#include <doctest/doctest.h>

using namespace avara::mock;

TEST_SUITE_BEGIN("mock");

namespace {

UserRecord user(std::string email, std::string first, std::string last, std::string level,
                std::string source) {
    UserRecord u;
    u.id = "usr_0123456789abcdef0123456789abcdef";
    u.email = std::move(email);
    u.first_name = std::move(first);
    u.last_name = std::move(last);
    u.level = std::move(level);
    u.invited_source = std::move(source);
    u.invitation_id = "inv_0123456789abcdef0123456789abcdef";
    u.created_at = "2026-05-10T08:00:00Z";
    u.created_unix = *parse_rfc3339(*u.created_at);
    return u;
}

}  // namespace

TEST_CASE("mock::encode_cursor is base64 of the offset, and decode_cursor reads only those") {
    CHECK(encode_cursor(20) == "eyJvZmZzZXQiOjIwfQ==");
    for (std::size_t n : {0u, 1u, 99u, 100000u})
        CHECK(decode_cursor(encode_cursor(n)) == n);
    CHECK(decode_cursor("eyJvZmZzZXQiOjIwfQ") == 20u);  // padding optional
    for (const char* bad : {"", "20", "abc", "e30=", "eyJvZmZzZXQiOi0xfQ==", "!!!!"}) {
        CAPTURE(bad);
        CHECK_FALSE(decode_cursor(bad));
    }
}

TEST_CASE("mock::parse_user_query reads every filter of the SDK and names each bad one") {
    const auto ok = parse_user_query(
        "/v1/viewer/users?email=A%2Bb@x.org&firstName=ad&lastName=LOVE&level=admin"
        "&invitedSource=api&limit=100&cursor=" +
        encode_cursor(40) + "&other=1");
    REQUIRE(ok.query);
    const auto& q = *ok.query;
    CHECK(q.email == "A+b@x.org");
    CHECK(q.first_name == "ad");
    CHECK(q.last_name == "LOVE");
    CHECK(q.level == "admin");
    CHECK(q.invited_source == "api");
    CHECK(q.page.limit == 100);
    CHECK(q.page.offset == 40);

    const auto bad = parse_user_query("/v1/viewer/users?level=boss&invitedSource=csv&limit=0&cursor=x");
    CHECK_FALSE(bad.query);
    REQUIRE(bad.errors.size() == 4);
    CHECK(bad.errors[0].field == "level");
    CHECK(bad.errors[1].field == "invitedSource");
    CHECK(bad.errors[2].field == "limit");
    CHECK(bad.errors[3].field == "cursor");
    CHECK(parse_user_query("/v1/viewer/users").query->page.limit == default_page_size);
}

TEST_CASE(
    "mock::matches a user: email exact in any case, names contain in any case, level and source exact") {
    const auto ada = user("Ada@Example.org", "Ada", "Lovelace", "member", "api");
    auto q = [](std::string query) { return *parse_user_query("/v1/viewer/users?" + query).query; };
    CHECK(matches(ada, q("")));
    CHECK(matches(ada, q("email=ada@example.ORG")));
    CHECK_FALSE(matches(ada, q("email=ada@example")));
    CHECK(matches(ada, q("firstName=D")));
    CHECK(matches(ada, q("lastName=lace")));
    CHECK_FALSE(matches(ada, q("lastName=lacey")));
    CHECK(matches(ada, q("level=member&invitedSource=api")));
    CHECK_FALSE(matches(ada, q("level=admin")));
    CHECK_FALSE(matches(ada, q("invitedSource=dashboard")));
}

TEST_CASE("mock::parse_invitation_query and matches: status list, expiry, user, dates") {
    auto ada = user("ada@example.org", "Ada", "Lovelace", "member", "api");
    const std::int64_t fresh = ada.created_unix + 3600;
    const std::int64_t later = ada.created_unix + 8 * 24 * 3600;
    auto q = [](std::string query) {
        auto check = parse_invitation_query("/v1/viewer/users/invitations?" + query);
        REQUIRE_MESSAGE(check.query, query);
        return *check.query;
    };
    CHECK(matches(ada, q(""), fresh));
    CHECK(matches(ada, q("status=sent"), fresh));
    CHECK(matches(ada, q("status=accepted,sent"), fresh));
    CHECK_FALSE(matches(ada, q("status=accepted"), fresh));
    ada.revoked = true;
    CHECK(matches(ada, q("status=revoked"), fresh));
    ada.last_login_at = "2026-05-11T08:00:00Z";
    CHECK(matches(ada, q("status=accepted"), fresh));
    CHECK(matches(ada, q("expired=not-expired"), fresh));
    CHECK_FALSE(matches(ada, q("expired=expired"), fresh));
    CHECK(matches(ada, q("expired=expired"), later));
    CHECK(matches(ada, q("userId=usr_0123456789abcdef0123456789abcdef"), fresh));
    CHECK_FALSE(matches(ada, q("userId=usr_ffff"), fresh));
    CHECK(matches(ada, q("startDate=2026-05-10&endDate=2026-05-10"), fresh));
    CHECK_FALSE(matches(ada, q("startDate=2026-05-11"), fresh));
    CHECK_FALSE(matches(ada, q("endDate=2026-05-09"), fresh));
    ada.invitation_id.clear();  // an owner: never invited
    CHECK_FALSE(matches(ada, q(""), fresh));

    const auto bad = parse_invitation_query(
        "/v1/viewer/users/invitations?status=sent,pending&expired=soon"
        "&startDate=May&limit=101");
    CHECK_FALSE(bad.query);
    REQUIRE(bad.errors.size() == 4);
    CHECK(bad.errors[0].field == "status");
    CHECK(bad.errors[1].field == "expired");
    CHECK(bad.errors[2].field == "startDate");
    CHECK(bad.errors[3].field == "limit");
}

TEST_SUITE_END();
