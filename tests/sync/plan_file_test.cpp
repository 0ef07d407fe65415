#include "avara_onboard/sync/plan_file.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "sync_test_support.hpp"
#include "test_files.hpp"

using namespace avara;
using namespace avara::sync;
using namespace avara::sync::testing;

TEST_SUITE_BEGIN("sync");

namespace {

struct Fixture {
    std::string bob_id = id(2), cy_id = id(3);
    Directory directory = directory_of({user(listed("bob@x.org", bob_id)), user(listed("cy@x.org", cy_id))});

    Plan plan() const {
        Plan p;
        p.base_url = "https://api.avarasoftware.com";
        p.created_at = "2026-12-01T09:30:00Z";
        p.roster = "staff.csv";
        PlannedChange invite;
        invite.action = Action::invite;
        invite.email = "Ada@x.org";
        invite.row = 1;
        invite.line = 2;
        invite.invite_body = row("Ada@x.org").to_json();
        PlannedChange update;
        update.action = Action::update;
        update.email = "bob@x.org";
        update.row = 2;
        update.line = 3;
        update.user_id = bob_id;
        update.fingerprint = directory.find("bob@x.org")->fingerprint();
        update.changes = {{schema::Field::clinic_role, "Radiologist", "Surgeon"},
                          {schema::Field::suffix1, "MD", ""}};
        PlannedChange revoke;
        revoke.action = Action::revoke;
        revoke.email = "cy@x.org";
        revoke.user_id = cy_id;
        revoke.fingerprint = directory.find("cy@x.org")->fingerprint();
        p.changes = {invite, update, revoke};
        return p;
    }
};

}  // namespace

TEST_CASE("sync::plan_to_json and plan_from_json round-trip every change") {
    Fixture f;
    const Plan plan = f.plan();
    const std::string json = plan_to_json(plan);
    CHECK(json.find(R"("counts":{"invite":1,"update":1,"reactivate":0,"revoke":1})") != std::string::npos);
    const auto back = plan_from_json(json);
    REQUIRE(back.has_value());
    CHECK(back->base_url == plan.base_url);
    CHECK(back->roster == "staff.csv");
    REQUIRE(back->changes.size() == 3);
    const auto& invite = back->changes[0];
    CHECK(invite.action == Action::invite);
    CHECK(invite.email == "Ada@x.org");
    CHECK(invite.row == 1);
    CHECK(invite.line == 2);
    CHECK(invite.invite_body == plan.changes[0].invite_body);  // the exact body
    const auto& update = back->changes[1];
    CHECK(update.action == Action::update);
    CHECK(update.user_id == f.bob_id);
    CHECK(update.fingerprint == plan.changes[1].fingerprint);
    REQUIRE(update.changes.size() == 2);
    CHECK(update.changes[1].field == schema::Field::suffix1);
    CHECK(update.changes[1].from == "MD");
    CHECK(update.changes[1].to.empty());
    CHECK(back->changes[2].action == Action::revoke);
    CHECK(plan_to_json(*back) == json);
}

TEST_CASE("sync::plan_from_json refuses what is not a plan") {
    auto error_of = [](std::string_view json) {
        const auto r = plan_from_json(json);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().kind == ErrorKind::input);
        return r.error().message;
    };
    CHECK(error_of("nope").starts_with("not a plan: not JSON"));
    CHECK(error_of(R"({"version":2,"baseUrl":"https://x","changes":[]})").find("version 1") !=
          std::string::npos);
    CHECK(error_of(R"({"version":1,"changes":[]})") == "the plan has no baseUrl");
    CHECK(error_of(
              R"({"version":1,"baseUrl":"https://x","changes":[{"action":"delete","email":"a@x.org"}]})") ==
          "change 1: no action invite, update, reactivate or revoke");
    CHECK(error_of(
              R"({"version":1,"baseUrl":"https://x","changes":[{"action":"invite","email":"a@x.org"}]})") ==
          "change 1: an invite without its body");
    CHECK(error_of(R"({"version":1,"baseUrl":"https://x","changes":[{"action":"revoke","email":"a@x.org",)"
                   R"("userId":"usr_1","fingerprint":"xyz"}]})") ==
          "change 1: no userId or fingerprint for a@x.org");
    CHECK(error_of(
              R"({"version":1,"baseUrl":"https://x","changes":[{"action":"update","email":"a@x.org",)"
              R"("userId":"usr_1","fingerprint":"00000000000000ff","changes":[{"field":"email","from":"a",)"
              R"("to":"b"}]}]})") == "change 1: the field email cannot change");
}

TEST_CASE("sync::write_plan_file writes mode 0600, read_plan_file reads it back") {
    TempDir dir;
    Fixture f;
    const std::string path = dir.file("plan.json");
    REQUIRE(write_plan_file(path, f.plan()).has_value());
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    const auto back = read_plan_file(path);
    REQUIRE(back.has_value());
    CHECK(back->changes.size() == 3);
    const auto missing = read_plan_file(dir.file("none.json"));
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().message.find("cannot read") != std::string::npos);
}

TEST_CASE("sync::check_plan_is_current refuses another base URL and any touched user that changed") {
    Fixture f;
    const Plan plan = f.plan();
    CHECK(check_plan_is_current(plan, "https://api.avarasoftware.com/", f.directory).has_value());

    const auto other = check_plan_is_current(plan, "https://127.0.0.1:8443", f.directory);
    REQUIRE_FALSE(other.has_value());
    CHECK(other.error().message.find("made for https://api.avarasoftware.com") != std::string::npos);

    SUBCASE("a touched user changed on the server") {
        const std::string bob_id = f.bob_id, cy_id = f.cy_id;
        auto bob = listed("bob@x.org", bob_id);
        bob.last_name = "Changed";
        const Directory now = directory_of({user(bob), user(listed("cy@x.org", cy_id))});
        const auto r = check_plan_is_current(plan, plan.base_url, now);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().kind == ErrorKind::input);
        CHECK(
            r.error().message.starts_with("the plan is stale: 1 of its 3 changes touch users that changed on "
                                          "the server since it was made (bob@x.org)"));
    }
    SUBCASE("an invited email appeared, a revoked one is gone") {
        const std::string ada_id = id(1), bob_id = f.bob_id;
        const Directory now =
            directory_of({user(listed("ada@x.org", ada_id)), user(listed("bob@x.org", bob_id))});
        const auto r = check_plan_is_current(plan, plan.base_url, now);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().message.find("2 of its 3 changes") != std::string::npos);
        CHECK(r.error().message.find("(Ada@x.org, cy@x.org)") != std::string::npos);
    }
    SUBCASE("the same email now has another userId") {
        const std::string other_id = id(9), cy_id = f.cy_id;
        const Directory now =
            directory_of({user(listed("bob@x.org", other_id)), user(listed("cy@x.org", cy_id))});
        CHECK_FALSE(check_plan_is_current(plan, plan.base_url, now).has_value());
    }
}

TEST_CASE("sync::planned_change: a diff's decisions become the plan's changes, and round-trip") {
    const std::string bob_id = id(2), dan_id = id(4), eve_id = id(5);
    auto bob = listed("bob@x.org", bob_id);
    bob.clinic_role = "Physician";
    const Directory directory =
        directory_of({user(bob), user(listed("dan@x.org", dan_id)), user(listed("eve@x.org", eve_id))});
    Diff diff(directory, make_scope("", {}).value(), {"eve@x.org"});
    Plan plan;
    plan.base_url = "https://127.0.0.1:8443";
    const auto ada = row("Ada@x.org");
    auto bob_row = row("bob@x.org");
    bob_row.clinic_role = "Surgeon";
    for (const validate::Invite* in : {&ada, static_cast<const validate::Invite*>(&bob_row)}) {
        if (auto c =
                planned_change(diff.valid_row(*in), *in, plan.changes.size() + 1, plan.changes.size() + 2))
            plan.changes.push_back(std::move(*c));
    }
    for (const auto& m : diff.missing()) {
        if (auto c = planned_change(m))
            plan.changes.push_back(std::move(*c));
    }
    REQUIRE(plan.changes.size() == 3);  // eve is still revoked: no change
    CHECK(plan.changes[0].action == Action::invite);
    CHECK(plan.changes[0].invite_body == ada.to_json());
    CHECK(plan.changes[1].action == Action::update);
    CHECK(plan.changes[1].changes.size() == 1);
    CHECK(plan.changes[2].action == Action::revoke);
    CHECK(plan.changes[2].email == "dan@x.org");
    const auto back = plan_from_json(plan_to_json(plan));
    REQUIRE(back.has_value());
    CHECK(back->counts().invite == 1);
    CHECK(back->counts().update == 1);
    CHECK(back->counts().revoke == 1);
    CHECK(check_plan_is_current(*back, "https://127.0.0.1:8443/", directory).has_value());
    auto unchanged = row("dan@x.org");
    CHECK_FALSE(planned_change(diff.valid_row(unchanged), unchanged, 9, 10));
}

TEST_SUITE_END();
