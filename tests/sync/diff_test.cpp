#include "avara_onboard/sync/diff.hpp"

#include <doctest/doctest.h>

#include "sync_test_support.hpp"

using namespace avara;
using namespace avara::sync;
using namespace avara::sync::testing;
using schema::Field;

TEST_SUITE_BEGIN("sync");

namespace {

Scope default_scope() {
    return make_scope("", {}).value();
}

std::vector<Field> fields_of(const std::vector<FieldChange>& changes) {
    std::vector<Field> out;
    for (const auto& c : changes)
        out.push_back(c.field);
    return out;
}

}  // namespace

TEST_CASE("sync::Diff steps every row of the contract's sync table") {
    const std::string ada_id = id(1), bob_id = id(2), cy_id = id(3), dan_id = id(4), eve_id = id(5);
    auto bob = listed("bob@x.org", bob_id);
    bob.clinic_role = "Physician";
    const Directory directory = directory_of({
        user(listed("ada@x.org", ada_id)),  // same as the roster
        user(bob),                          // the roster says Surgeon
        user(listed("cy@x.org", cy_id)),    // revoked by the last sync, back in the roster
        user(listed("dan@x.org", dan_id)),  // left: not in the roster
        user(listed("eve@x.org", eve_id)),  // revoked by the last sync, still gone
    });
    Diff diff(directory, default_scope(), {"CY@x.org", "eve@x.org"});
    CHECK(diff.in_scope_users() == 5);

    SUBCASE("in the roster, not on the server: invite") {
        const auto d = diff.valid_row(row("new@x.org"));
        CHECK(d.action == Action::invite);
        CHECK(d.user_id.empty());
        CHECK(d.fingerprint == 0);
        CHECK(d.changes.empty());
    }
    SUBCASE("in the roster and the same: unchanged") {
        const auto d = diff.valid_row(row("Ada@X.org"));
        CHECK(d.action == Action::unchanged);
        CHECK(d.user_id == ada_id);
        CHECK(d.fingerprint == directory.find("ada@x.org")->fingerprint());
        CHECK(d.changes.empty());
    }
    SUBCASE("in the roster, some field differs: update with the changed fields only") {
        auto r = row("bob@x.org");
        r.clinic_role = "Surgeon";
        const auto d = diff.valid_row(r);
        CHECK(d.action == Action::update);
        CHECK(d.user_id == bob_id);
        REQUIRE(d.changes.size() == 1);
        CHECK(d.changes[0].field == Field::clinic_role);
        CHECK(d.changes[0].from == "Physician");
        CHECK(d.changes[0].to == "Surgeon");
        CHECK(patch_body(d.changes) == R"({"clinicRole":"Surgeon"})");
        CHECK(plan_line(d.action, "bob@x.org", d.changes) ==
              "~ update bob@x.org: clinicRole: Physician -> Surgeon");
    }
    SUBCASE("revoked by an earlier sync, back in the roster: reactivate, then update if needed") {
        auto d = diff.valid_row(row("cy@x.org"));
        CHECK(d.action == Action::reactivate);
        CHECK(d.user_id == cy_id);
        CHECK(d.changes.empty());
        CHECK(plan_line(d.action, "cy@x.org", d.changes) == "^ reactivate cy@x.org");
    }
    SUBCASE("reactivate with changes") {
        auto r = row("cy@x.org");
        r.last_name = "Young";
        const auto d = diff.valid_row(r);
        CHECK(d.action == Action::reactivate);
        CHECK(fields_of(d.changes) == std::vector<Field>{Field::last_name});
        CHECK(plan_line(d.action, "cy@x.org", d.changes) ==
              "^ reactivate cy@x.org (then lastName: Lovelace -> Young)");
    }
    SUBCASE(
        "on the server, not in the roster, in scope: revoke; revoked before and still gone: still_revoked") {
        diff.valid_row(row("ada@x.org"));
        diff.valid_row(row("bob@x.org"));
        diff.valid_row(row("cy@x.org"));
        const auto missing = diff.missing();
        REQUIRE(missing.size() == 2);
        CHECK(missing[0].email == "dan@x.org");
        CHECK(missing[0].action == Action::revoke);
        CHECK(missing[0].user_id == dan_id);
        CHECK(missing[0].fingerprint == directory.find("dan@x.org")->fingerprint());
        CHECK(missing[1].email == "eve@x.org");
        CHECK(missing[1].action == Action::still_revoked);
        CHECK(plan_line(Action::revoke, "dan@x.org", {}) == "- revoke dan@x.org");
        CHECK(plan_line(Action::still_revoked, "eve@x.org", {}).empty());
        const auto c = diff.counts();
        CHECK(c.unchanged == 1);  // ada
        CHECK(c.update == 1);     // bob: Physician on the server, Radiologist in the roster
        CHECK(c.reactivate == 1);
        CHECK(c.revoke == 1);
        CHECK(c.still_revoked == 1);
        CHECK(c.invite == 0);
    }
}

TEST_CASE("sync::Diff: an invalid or duplicate row's email counts as present, so it is never revoked") {
    const std::string a = id(1), b = id(2);
    const Directory directory = directory_of({user(listed("a@x.org", a)), user(listed("b@x.org", b))});
    Diff diff(directory, default_scope(), {});
    diff.other_row("  A@X.org ");  // as the report writes a broken row's email: best effort
    diff.other_row("not an email");
    const auto missing = diff.missing();
    REQUIRE(missing.size() == 1);
    CHECK(missing[0].email == "b@x.org");
}

TEST_CASE("sync::Diff: a changed email is a revoke plus an invite") {
    const std::string a = id(1);
    const Directory directory = directory_of({user(listed("ada.old@x.org", a))});
    Diff diff(directory, default_scope(), {});
    CHECK(diff.valid_row(row("ada.new@x.org")).action == Action::invite);
    const auto missing = diff.missing();
    REQUIRE(missing.size() == 1);
    CHECK(missing[0].email == "ada.old@x.org");
    CHECK(missing[0].action == Action::revoke);
}

TEST_CASE("sync::Diff scope: owners never, dashboard users only with scope all, keep by email and *@domain") {
    const std::string o = id(1), d = id(2), k = id(3), p = id(4), m = id(5);
    auto owner = listed("owner@x.org", o);
    owner.level = UserLevel::owner;
    owner.source = Source::dashboard;
    auto dash = listed("dash@x.org", d);
    dash.source = Source::dashboard;
    auto api_owner = listed("owner2@x.org", m);
    api_owner.level = UserLevel::owner;
    const Directory directory = directory_of({user(owner), user(dash), user(listed("kept@x.org", k)),
                                              user(listed("p@partner.org", p)), user(api_owner)});

    SUBCASE("default scope: only api users, member or admin, minus keep") {
        Diff diff(directory, make_scope("api", {"Kept@x.org", "*@Partner.org"}).value(), {});
        CHECK(diff.in_scope_users() == 0);
        CHECK(diff.missing().empty());
        auto r = row("dash@x.org");
        r.first_name = "Changed";
        const auto dec = diff.valid_row(r);
        CHECK(dec.action == Action::untouched);
        CHECK(dec.reason.find("dashboard") != std::string::npos);
        CHECK(diff.valid_row(row("owner@x.org")).reason.find("owner") != std::string::npos);
        r = row("kept@x.org");
        r.last_name = "Other";
        CHECK(diff.valid_row(r).action == Action::untouched);
        CHECK(diff.valid_row(row("p@partner.org")).reason == "matched by [sync] keep \"*@partner.org\"");
        CHECK(diff.counts().untouched == 4);
    }
    SUBCASE("scope all: dashboard users too, owners still never") {
        Diff diff(directory, make_scope("all", {}).value(), {});
        CHECK(diff.in_scope_users() == 3);  // dash, kept, p; not the owners
        auto r = row("dash@x.org");
        r.first_name = "Changed";
        CHECK(diff.valid_row(r).action == Action::update);
        CHECK(diff.valid_row(row("owner2@x.org")).action == Action::untouched);
        const auto missing = diff.missing();
        REQUIRE(missing.size() == 2);
        CHECK(missing[0].email == "kept@x.org");
        CHECK(missing[1].email == "p@partner.org");
    }
    SUBCASE("a revoked user now in keep is not reactivated") {
        Diff diff(directory, make_scope("", {"kept@x.org"}).value(), {"kept@x.org"});
        CHECK(diff.valid_row(row("kept@x.org")).action == Action::untouched);
    }
    SUBCASE("keep does not stop an invite: it protects users on the server") {
        Diff diff(directory, make_scope("", {"*@x.org"}).value(), {});
        CHECK(diff.valid_row(row("new@x.org")).action == Action::invite);
    }
}

TEST_CASE("sync::make_scope refuses what it cannot mean") {
    CHECK(make_scope("everything", {}).error().message.find("expected \"api\" or \"all\"") !=
          std::string::npos);
    CHECK_FALSE(make_scope("", {"*@"}).has_value());
    CHECK_FALSE(make_scope("", {"a*@x.org"}).has_value());
    CHECK_FALSE(make_scope("", {"not-an-email"}).has_value());
    const auto s = make_scope("", {" Ada@X.org ", "*@Y.org"}).value();
    CHECK(s.keep_emails == std::vector<std::string>{"ada@x.org"});
    CHECK(s.keep_domains == std::vector<std::string>{"y.org"});
}

TEST_CASE(
    "sync::compare normalises as validate does: role spellings, booleans, phone digits; names exactly") {
    auto l = listed("a@x.org", "usr_1");
    l.clinic_role = "registered nurse";
    l.phone_number = "(555) 123-4567";
    const auto server = user(l);
    auto r = row("a@x.org");
    r.clinic_role = "Registered Nurse";
    r.phone_number = "5551234567";
    CHECK(compare(r, server).empty());

    r.first_name = "ada";  // a name's case is a real change
    r.can_manage_studies = false;
    r.level = schema::Level::admin;
    r.suffix1 = "MD";
    const auto changes = compare(r, server);
    CHECK(fields_of(changes) ==
          std::vector<Field>{Field::first_name, Field::suffix1, Field::level, Field::can_manage_studies});
    CHECK(patch_body(changes) ==
          R"({"firstName":"ada","suffix1":"MD","level":"admin","canManageStudies":false})");

    r = row("a@x.org");
    r.clinic_role = "Registered Nurse";  // same role, and the phone number removed in the roster
    const auto cleared = compare(r, server);
    REQUIRE(cleared.size() == 1);
    CHECK(cleared[0].field == Field::phone_number);
    CHECK(cleared[0].from == "5551234567");
    CHECK(cleared[0].to.empty());
    CHECK(patch_body(cleared) == R"({"phoneNumber":null})");
    CHECK(plan_line(Action::update, "a@x.org", cleared) ==
          "~ update a@x.org: phoneNumber: 5551234567 -> (none)");
}

TEST_CASE("sync::action_name and action_from_name agree") {
    for (auto a : {Action::invite, Action::update, Action::unchanged, Action::reactivate, Action::untouched,
                   Action::revoke, Action::still_revoked}) {
        CHECK(action_from_name(action_name(a)) == a);
    }
    CHECK_FALSE(action_from_name("delete"));
    CHECK(plan_line(Action::invite, "n@x.org", {}) == "+ invite n@x.org");
    CHECK(plan_line(Action::unchanged, "n@x.org", {}).empty());
}

TEST_SUITE_END();
