#include "avara_onboard/sync/directory_user.hpp"

#include <doctest/doctest.h>
#include <malloc.h>

#include "sync_test_support.hpp"

using namespace avara;
using namespace avara::sync;
using namespace avara::sync::testing;

TEST_SUITE_BEGIN("sync");

TEST_CASE("sync::DirectoryUser keeps the compared fields normalised, the email lowercased, the id") {
    auto l = listed("Ada@Example.ORG", "usr_0123456789abcdef0123456789abcdef");
    l.clinic_role = "REGISTERED_NURSE";  // any spelling validate accepts
    l.phone_number = "+1 (555) 123-4567";
    l.middle_name = "B";
    l.level = UserLevel::admin;
    l.source = Source::dashboard;
    l.can_manage_studies = false;
    const auto u = user(l);
    CHECK(u.email() == "ada@example.org");
    CHECK(u.user_id() == "usr_0123456789abcdef0123456789abcdef");
    CHECK(u.value(schema::Field::first_name) == "Ada");
    CHECK(u.value(schema::Field::middle_name) == "B");
    CHECK(u.value(schema::Field::suffix1).empty());
    CHECK(u.value(schema::Field::clinic_role) == "Registered Nurse");
    CHECK(u.value(schema::Field::phone_number) == "15551234567");
    CHECK(u.value(schema::Field::level) == "admin");
    CHECK(u.value(schema::Field::can_manage_studies) == "false");
    CHECK(u.value(schema::Field::has_dashboard_access) == "true");
    CHECK(u.level() == UserLevel::admin);
    CHECK(u.source() == Source::dashboard);
    // Compact: the record itself, plus one heap block for its texts.
    CHECK(sizeof(DirectoryUser) <= 64);

    SUBCASE("a role the tool does not know, and an id in another format, are kept as listed") {
        auto other = listed("b@x.org", "user-42");
        other.clinic_role = "Chief Wizard";
        const auto v = user(other);
        CHECK(v.user_id() == "user-42");
        CHECK(v.value(schema::Field::clinic_role) == "Chief Wizard");
    }
    SUBCASE("an empty email or id, or a NUL, is an error") {
        CHECK_FALSE(DirectoryUser::make(listed("", "usr_1")).has_value());
        CHECK_FALSE(DirectoryUser::make(listed("a@x.org", "")).has_value());
        auto nul = listed("a@x.org", "usr_1");
        const std::string name("A\0B", 3);
        nul.first_name = name;
        CHECK_FALSE(DirectoryUser::make(nul).has_value());
    }
}

TEST_CASE("sync::DirectoryUser::fingerprint changes with any compared field, and only then") {
    const std::string id1 = id(1);  // (Listed holds views)
    const auto base = listed("ada@example.org", id1);
    const auto fp = user(base).fingerprint();
    CHECK(user(base).fingerprint() == fp);
    auto same_but_case = base;
    same_but_case.email = "ADA@example.org";  // the email is lowercased first
    CHECK(user(same_but_case).fingerprint() == fp);
    auto l = base;
    l.last_name = "King";
    CHECK(user(l).fingerprint() != fp);
    l = base;
    l.has_dashboard_access = false;
    CHECK(user(l).fingerprint() != fp);
    l = base;
    l.user_id = "usr_00000000000000000000000000000002";
    CHECK(user(l).fingerprint() != fp);
    l = base;
    l.suffix2 = "Jr";
    CHECK(user(l).fingerprint() != fp);
    // Fixed across processes and machines: FNV-1a over the packed record.
    CHECK(user(base).fingerprint() == user(listed("ada@example.org", id1)).fingerprint());
}

TEST_CASE("sync::parse_users_page reads a page of GET /v1/viewer/users") {
    const auto page = parse_users_page(
        R"({"users":[{"canManageStudies":true,"clinicRole":"Surgeon","createdAt":"2026-05-01T08:00:00Z",)"
        R"("email":"Ada@Example.org","firstName":"Ada","hasDashboardAccess":true,"invitedSource":"api",)"
        R"("lastLoginAt":null,"lastName":"Lovelace","level":"admin",)"
        R"("userId":"usr_0123456789abcdef0123456789abcdef","phoneNumber":"5551234567"},)"
        R"({"email":"o@x.org","firstName":"O","lastName":"W","clinicRole":"Other","level":"owner",)"
        R"("invitedSource":"dashboard","userId":"usr_ffffffffffffffffffffffffffffffff","middleName":null,)"
        R"("canManageStudies":false,"hasDashboardAccess":true}],)"
        R"("cursor":"eyJvZmZzZXQiOjJ9","hasMore":true})");
    REQUIRE(page.has_value());
    REQUIRE(page->users.size() == 2);
    CHECK(page->users[0].email() == "ada@example.org");
    CHECK(page->users[0].level() == UserLevel::admin);
    CHECK(page->users[0].value(schema::Field::phone_number) == "5551234567");
    CHECK(page->users[1].level() == UserLevel::owner);
    CHECK(page->users[1].source() == Source::dashboard);
    CHECK(page->users[1].value(schema::Field::middle_name).empty());
    CHECK(page->cursor == "eyJvZmZzZXQiOjJ9");
    CHECK(page->has_more);

    const auto last = parse_users_page(R"({"users":[],"cursor":null,"hasMore":false})");
    REQUIRE(last.has_value());
    CHECK(last->users.empty());
    CHECK_FALSE(last->cursor);
    CHECK_FALSE(last->has_more);
}

TEST_CASE("sync::parse_users_page refuses what is not the API's listing, naming the user") {
    auto error_of = [](std::string_view body) {
        const auto r = parse_users_page(body);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().kind == ErrorKind::input);
        return r.error().message;
    };
    CHECK(error_of("<html>").starts_with("the users listing is not JSON"));
    CHECK(error_of(R"({"data":[]})") == "the users listing has no \"users\" array");
    CHECK(error_of(
              R"({"users":[{"email":"a@x.org","userId":"usr_1","level":"boss","invitedSource":"api"}]})") ==
          "the listing's user 1 has no level owner, admin or member");
    CHECK(error_of(R"({"users":[{"email":"a@x.org","userId":"usr_1","level":"member"}]})") ==
          "the listing's user 1 has no invitedSource dashboard or api");
    CHECK(error_of(R"({"users":[{"userId":"usr_1","level":"member","invitedSource":"api"}]})") ==
          "the listing's user 1 has no email or no userId");
    CHECK(error_of(R"({"users":[],"hasMore":true})") == "the users listing says hasMore but gives no cursor");
}

TEST_CASE("sync::Directory finds users by email in any case, and refuses an email listed twice") {
    std::vector<DirectoryUser> page1{user(listed("b@x.org", id(2))), user(listed("A@x.org", id(1)))};
    std::vector<DirectoryUser> page2{user(listed("c@x.org", id(3)))};
    Directory d;
    d.add(std::move(page1));
    d.add(std::move(page2));
    CHECK(d.find("a@x.org") == nullptr);  // not before finish()
    REQUIRE(d.finish().has_value());
    CHECK(d.size() == 3);
    REQUIRE(d.find("a@X.org") != nullptr);
    CHECK(d.find("a@X.org")->user_id() == id(1));
    CHECK(d.find("c@x.org")->user_id() == id(3));
    CHECK(d.find("d@x.org") == nullptr);
    CHECK(d.users().front().email() == "a@x.org");

    Directory twice;
    twice.add({user(listed("a@x.org", id(1))), user(listed("A@X.org", id(2)))});
    const auto r = twice.finish();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("a@x.org twice") != std::string::npos);
}

TEST_CASE("sync::Directory of 100,000 users takes about 100 bytes a user") {
    // Realistic lengths: a 24-character email, short names, a role, a phone number.
    std::vector<std::string> emails, ids;
    emails.reserve(100000);
    ids.reserve(100000);
    for (int i = 0; i < 100000; ++i) {
        emails.push_back("firstname.l" + std::to_string(100000 + i) + "@clinic.org");
        ids.push_back(id(i));
    }
    const auto before = mallinfo2().uordblks;
    Directory d;
    {
        std::vector<DirectoryUser> users;
        users.reserve(emails.size());
        for (std::size_t i = 0; i < emails.size(); ++i) {
            auto l = listed(emails[i], ids[i]);
            l.first_name = "Firstname";
            l.last_name = "Lastname-Long";
            l.clinic_role = "Registered Nurse";
            l.phone_number = "5551234567";
            users.push_back(user(l));
        }
        d.add(std::move(users));
    }
    REQUIRE(d.finish().has_value());
    const auto after = mallinfo2().uordblks;
    if (after <= before)
        return;  // a sanitizer's allocator: mallinfo2 does not see it
    const double per_user = static_cast<double>(after - before) / 100000.0;
    MESSAGE("bytes a user: " << per_user);
    CHECK(per_user < 160);
    CHECK(d.find("firstname.l150000@clinic.org") != nullptr);
}

TEST_SUITE_END();
