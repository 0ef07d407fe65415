#include "avara_onboard/mock/invite_json.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace avara::mock;

TEST_SUITE_BEGIN("mock");

namespace {
std::string fields_of(const InviteCheck& c) {
    std::string out;
    for (const auto& e : c.errors)
        out += (out.empty() ? "" : ",") + e.field;
    return out;
}
std::string message_for(const InviteCheck& c, const std::string& field) {
    for (const auto& e : c.errors) {
        if (e.field == field)
            return e.message;
    }
    return "";
}
constexpr const char* valid =
    R"({"email":"dr.johnson@hospital.org","firstName":"Sarah","lastName":"Johnson","clinicRole":"Radiologist",)"
    R"("level":"member","canManageStudies":true,"hasDashboardAccess":false})";
}  // namespace

TEST_CASE("mock::check_invite_json accepts the API's example and keeps every field") {
    const auto c = check_invite_json(
        R"({"canManageStudies":true,"clinicRole":"Physician Assistant","email":"dr.johnson@hospital.org",)"
        R"("firstName":"Sarah","hasDashboardAccess":true,"lastName":"Johnson","level":"admin",)"
        R"("middleName":"Marie","phoneNumber":"5551234567","suffix1":"MD","suffix2":"FACR","extra":[1,2]})");
    REQUIRE(c.invite);
    CHECK_FALSE(c.malformed);
    CHECK(c.errors.empty());
    CHECK(c.email == "dr.johnson@hospital.org");
    const auto& i = *c.invite;
    CHECK(i.email == "dr.johnson@hospital.org");
    CHECK(i.first_name == "Sarah");
    CHECK(i.last_name == "Johnson");
    CHECK(i.clinic_role == "Physician Assistant");
    CHECK(i.level == "admin");
    CHECK(i.middle_name == "Marie");
    CHECK(i.phone_number == "5551234567");
    CHECK(i.suffix1 == "MD");
    CHECK(i.suffix2 == "FACR");
    CHECK(i.can_manage_studies);
    CHECK(i.has_dashboard_access);
}

TEST_CASE("mock::check_invite_json treats absent and null optional fields alike") {
    const auto c = check_invite_json(
        R"({"email":"a@b.org","firstName":"A","lastName":"B","clinicRole":"Other","level":"member",)"
        R"("canManageStudies":false,"hasDashboardAccess":false,"middleName":null,"phoneNumber":null})");
    REQUIRE(c.invite);
    CHECK_FALSE(c.invite->middle_name);
    CHECK_FALSE(c.invite->phone_number);
    CHECK_FALSE(c.invite->suffix1);
    CHECK_FALSE(c.invite->can_manage_studies);
}

TEST_CASE("mock::check_invite_json lists every failing field, in schema order") {
    SUBCASE("an empty object misses every required field") {
        const auto c = check_invite_json("{}");
        CHECK_FALSE(c.invite);
        CHECK_FALSE(c.email);
        CHECK(fields_of(c) ==
              "email,firstName,lastName,clinicRole,level,canManageStudies,hasDashboardAccess");
        CHECK(message_for(c, "firstName") == "is required");
    }
    SUBCASE("wrong values and wrong types") {
        const auto c = check_invite_json(
            R"({"email":"not-an-email","firstName":"  ","lastName":7,"clinicRole":"radiologist",)"
            R"("level":"owner","canManageStudies":"yes","hasDashboardAccess":null,"phoneNumber":"555-123-4567",)"
            R"("suffix1":""})");
        CHECK_FALSE(c.invite);
        CHECK(c.email == "not-an-email");  // still counted as an attempt for this email
        CHECK(fields_of(c) ==
              "email,firstName,lastName,suffix1,clinicRole,level,canManageStudies,hasDashboardAccess,"
              "phoneNumber");
        CHECK(message_for(c, "email") == "must contain exactly one '@'");
        CHECK(message_for(c, "firstName") == "is required");
        CHECK(message_for(c, "lastName") == "must be a string");
        CHECK(message_for(c, "suffix1") == "must not be empty when present");
        CHECK(message_for(c, "clinicRole").find("clinic role") != std::string::npos);
        CHECK(message_for(c, "level").find("owner cannot be invited") != std::string::npos);
        CHECK(message_for(c, "canManageStudies") == "must be true or false");
        CHECK(message_for(c, "hasDashboardAccess") == "is required");
        CHECK(message_for(c, "phoneNumber") == "must be 10 to 15 digits");
    }
    SUBCASE("the wire wants the exact spellings the client sends") {
        std::string body = valid;
        body.replace(body.find("\"member\""), 8, "\"Member\"");
        const auto c = check_invite_json(body);
        CHECK(fields_of(c) == "level");
        CHECK(message_for(c, "level").find("lowercase") != std::string::npos);
    }
    SUBCASE("an admin must have dashboard access") {
        std::string body = valid;
        body.replace(body.find("\"member\""), 8, "\"admin\"");
        const auto c = check_invite_json(body);
        CHECK(fields_of(c) == "hasDashboardAccess");
        CHECK(message_for(c, "hasDashboardAccess") == "must be true when level is admin");
    }
    SUBCASE("an email over 254 characters") {
        std::string body = valid;
        body.replace(body.find("dr.johnson"), 10, std::string(250, 'x'));
        CHECK(fields_of(check_invite_json(body)) == "email");
    }
}

TEST_CASE("mock::check_invite_json tells malformed bodies apart from invalid invites") {
    for (const char* body :
         {"", "{", "{\"email\":}", "[1,2]", "\"text\"", "null", "{\"email\":\"a@b.org\"} x"}) {
        CAPTURE(body);
        const auto c = check_invite_json(body);
        CHECK(c.malformed);
        CHECK_FALSE(c.invite);
        CHECK_FALSE(c.email);
    }
    SUBCASE("invalid UTF-8 is malformed JSON") {
        const auto c = check_invite_json("{\"email\":\"a\xff@b.org\"}");
        CHECK(c.malformed);
    }
    SUBCASE("an object is not malformed even when nothing in it is usable") {
        CHECK_FALSE(check_invite_json(R"({"unknown":1})").malformed);
    }
}

TEST_CASE("mock::check_invite_json counts the first of duplicate keys") {
    const auto c = check_invite_json(
        R"({"email":"first@b.org","email":"second@b.org","firstName":"A","lastName":"B","clinicRole":"Other",)"
        R"("level":"member","canManageStudies":false,"hasDashboardAccess":false})");
    REQUIRE(c.invite);
    CHECK(c.invite->email == "first@b.org");
}

TEST_SUITE_END();
