#include "avara_onboard/mock/patch_json.hpp"

#include <doctest/doctest.h>

#include "support/sample_user.hpp"

using namespace avara::mock;

TEST_SUITE_BEGIN("mock");

namespace {

UserRecord member() {
    UserRecord u = avara::test::sample_user("member");
    u.middle_name = "B";
    u.phone_number = "5551234567";
    u.can_manage_studies = true;
    return u;
}

std::vector<std::string> fields_of(const std::vector<FieldError>& errors) {
    std::vector<std::string> out;
    for (const auto& e : errors)
        out.push_back(e.field);
    return out;
}

}  // namespace

TEST_CASE("mock::check_patch_json takes only the fields given, and null clears an optional one") {
    const auto check = check_patch_json(
        R"({"clinicRole":"Surgeon","middleName":null,"suffix1":"MD","canManageStudies":false,"unknown":1})");
    REQUIRE(check.patch);
    const auto& p = *check.patch;
    CHECK(p.clinic_role == "Surgeon");
    REQUIRE(p.middle_name.has_value());
    CHECK_FALSE(p.middle_name->has_value());  // given, as null
    REQUIRE(p.suffix1.has_value());
    CHECK(**p.suffix1 == "MD");
    CHECK(p.can_manage_studies == false);
    CHECK_FALSE(p.first_name);
    CHECK_FALSE(p.phone_number);
    CHECK_FALSE(p.has_dashboard_access);

    UserRecord u = member();
    CHECK(apply_patch(u, p).empty());
    CHECK(u.clinic_role == "Surgeon");
    CHECK_FALSE(u.middle_name);
    CHECK(u.suffix1 == "MD");
    CHECK_FALSE(u.can_manage_studies);
    CHECK(u.phone_number == "5551234567");  // not given: kept
    CHECK(u.first_name == "Ada");
}

TEST_CASE("mock::check_patch_json refuses the email, nulls for required fields and bad values, all at once") {
    const auto check =
        check_patch_json(R"({"email":"new@example.org","firstName":null,"lastName":"","level":"owner",)"
                         R"("hasDashboardAccess":"yes","phoneNumber":"12","suffix2":5})");
    CHECK_FALSE(check.patch);
    CHECK(fields_of(check.errors) == std::vector<std::string>{"email", "firstName", "lastName", "suffix2",
                                                              "level", "hasDashboardAccess", "phoneNumber"});
    CHECK(check.errors[0].message == "cannot be changed through the API");
    CHECK(check.errors[1].message == "must not be null");
}

TEST_CASE("mock::check_patch_json: clinicRole null changes nothing; an empty body is an empty patch") {
    auto check = check_patch_json(R"({"clinicRole":null})");
    REQUIRE(check.patch);
    CHECK_FALSE(check.patch->clinic_role);
    check = check_patch_json("{}");
    REQUIRE(check.patch);
    UserRecord u = member();
    const UserRecord before = u;
    CHECK(apply_patch(u, *check.patch).empty());
    CHECK(u.first_name == before.first_name);
    CHECK(u.middle_name == before.middle_name);
}

TEST_CASE("mock::check_patch_json tells malformed bodies apart") {
    CHECK(check_patch_json("{").malformed);
    CHECK(check_patch_json("[]").malformed);
    CHECK_FALSE(check_patch_json("{}").malformed);
}

TEST_CASE("mock::apply_patch keeps the admin rule on the user it makes, and changes nothing when refused") {
    UserRecord u = member();
    u.has_dashboard_access = false;
    UserPatch p;
    p.level = "admin";
    p.first_name = "Grace";
    const auto errors = apply_patch(u, p);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].field == "hasDashboardAccess");
    CHECK(u.level == "member");
    CHECK(u.first_name == "Ada");
    p.has_dashboard_access = true;
    CHECK(apply_patch(u, p).empty());
    CHECK(u.level == "admin");
}

TEST_CASE("mock::check_user_ref_json wants a userId in the API's format") {
    const auto ok = check_user_ref_json(R"({"userId":"usr_0123456789abcdef0123456789abcdef"})");
    CHECK(ok.user_id == "usr_0123456789abcdef0123456789abcdef");
    for (const char* body : {R"({})", R"({"userId":null})", R"({"userId":7})", R"({"userId":"usr_1"})",
                             R"({"userId":"usr_0123456789ABCDEF0123456789abcdef"})"}) {
        CAPTURE(body);
        const auto bad = check_user_ref_json(body);
        CHECK_FALSE(bad.user_id);
        REQUIRE(bad.errors.size() == 1);
        CHECK(bad.errors[0].field == "userId");
    }
    CHECK(check_user_ref_json("nope").malformed);
}

TEST_CASE("mock::check_invitation_ref_json wants an invitationId or a userId in the API's format") {
    const auto both = check_invitation_ref_json(
        R"({"invitationId":"inv_0123456789abcdef0123456789abcdef","userId":"usr_0123456789abcdef0123456789abcdef"})");
    CHECK(both.errors.empty());
    CHECK(both.invitation_id == "inv_0123456789abcdef0123456789abcdef");
    CHECK(both.user_id == "usr_0123456789abcdef0123456789abcdef");
    CHECK(check_invitation_ref_json(R"({"userId":"usr_0123456789abcdef0123456789abcdef"})").errors.empty());
    CHECK(fields_of(check_invitation_ref_json("{}").errors) == std::vector<std::string>{"invitationId"});
    CHECK(fields_of(check_invitation_ref_json(R"({"invitationId":"usr_0123456789abcdef0123456789abcdef"})")
                        .errors) == std::vector<std::string>{"invitationId"});
    CHECK(fields_of(check_invitation_ref_json(R"({"userId":1})").errors) ==
          std::vector<std::string>{"userId"});
    CHECK(is_invitation_id("inv_0123456789abcdef0123456789abcdef"));
    CHECK_FALSE(is_invitation_id("inv_0123456789abcdef0123456789abcde"));
}

TEST_SUITE_END();
