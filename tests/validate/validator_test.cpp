#include "avara_onboard/validate/validator.hpp"

#include <doctest/doctest.h>

using namespace avara;
using namespace avara::validate;
using avara::schema::Field;

namespace {
read::RosterRow make_row(std::initializer_list<std::pair<Field, std::string_view>> cells) {
    read::RosterRow row;
    row.row = 1;
    row.line = 2;
    for (auto [f, v] : cells)
        row.cells[static_cast<std::size_t>(f)] = v;
    return row;
}

read::RosterRow good_row() {
    return make_row({{Field::email, "dr.johnson@hospital.org"},
                     {Field::first_name, "Sarah"},
                     {Field::last_name, "Johnson"},
                     {Field::middle_name, ""},
                     {Field::clinic_role, "radiologist"},
                     {Field::level, "Member"},
                     {Field::can_manage_studies, "yes"},
                     {Field::has_dashboard_access, "1"},
                     {Field::phone_number, "+1 (555) 123-4567"}});
}
}  // namespace

TEST_SUITE_BEGIN("validate");

TEST_CASE("validate::RowValidator normalises a good row into the exact JSON body") {
    RosterMapping mapping;
    RowValidator v(mapping);
    Invite invite;
    std::string error;
    REQUIRE(v.validate(good_row(), invite, error));
    CHECK(error.empty());
    CHECK(
        invite.to_json() ==
        R"({"email":"dr.johnson@hospital.org","firstName":"Sarah","lastName":"Johnson","clinicRole":"Radiologist",)"
        R"("level":"member","canManageStudies":true,"hasDashboardAccess":true,"phoneNumber":"15551234567"})");
}

TEST_CASE("validate::RowValidator keeps optional fields only when present") {
    RosterMapping mapping;
    RowValidator v(mapping);
    auto row = good_row();
    row.cells[static_cast<std::size_t>(Field::middle_name)] = "Marie";
    row.cells[static_cast<std::size_t>(Field::suffix1)] = "MD";
    row.cells[static_cast<std::size_t>(Field::phone_number)] = "";
    Invite invite;
    std::string error;
    REQUIRE(v.validate(row, invite, error));
    const auto json = invite.to_json();
    CHECK(json.find(R"("middleName":"Marie")") != std::string::npos);
    CHECK(json.find(R"("suffix1":"MD")") != std::string::npos);
    CHECK(json.find("suffix2") == std::string::npos);
    CHECK(json.find("phoneNumber") == std::string::npos);
}

TEST_CASE("validate::RowValidator names every failing field in one message") {
    RosterMapping mapping;
    RowValidator v(mapping);
    auto row = make_row({{Field::email, "not-an-email"},
                         {Field::first_name, ""},
                         {Field::last_name, "X"},
                         {Field::clinic_role, "Wizard"},
                         {Field::level, "owner"},
                         {Field::can_manage_studies, "maybe"},
                         {Field::has_dashboard_access, "true"},
                         {Field::phone_number, "12"}});
    Invite invite;
    std::string error;
    REQUIRE_FALSE(v.validate(row, invite, error));
    CHECK(error.find("email: must contain exactly one '@'") != std::string::npos);
    CHECK(error.find("firstName: is required") != std::string::npos);
    CHECK(error.find("clinicRole: 'Wizard' is not a clinic role") != std::string::npos);
    CHECK(error.find("level: owner cannot be invited") != std::string::npos);
    CHECK(error.find("canManageStudies: 'maybe' is not a boolean") != std::string::npos);
    CHECK(error.find("phoneNumber: must have 10 to 15 digits") != std::string::npos);
    CHECK(error.find("lastName") == std::string::npos);
}

TEST_CASE("validate::RowValidator requires dashboard access for admins") {
    RosterMapping mapping;
    RowValidator v(mapping);
    auto row = good_row();
    row.cells[static_cast<std::size_t>(Field::level)] = "admin";
    row.cells[static_cast<std::size_t>(Field::has_dashboard_access)] = "no";
    Invite invite;
    std::string error;
    REQUIRE_FALSE(v.validate(row, invite, error));
    CHECK(error == "hasDashboardAccess: must be true when level is admin");
}

TEST_CASE("validate::RowValidator applies defaults to empty or missing cells, then value maps") {
    RosterMapping mapping;
    mapping.defaults[static_cast<std::size_t>(Field::level)] = "member";
    mapping.defaults[static_cast<std::size_t>(Field::can_manage_studies)] = "false";
    mapping.value_map[static_cast<std::size_t>(Field::clinic_role)].emplace_back("rn", "Registered Nurse");
    RowValidator v(mapping);
    auto row = make_row({{Field::email, "a@b.org"},
                         {Field::first_name, "A"},
                         {Field::last_name, "B"},
                         {Field::clinic_role, "Rn"},
                         {Field::level, ""},
                         {Field::has_dashboard_access, "n"}});
    Invite invite;
    std::string error;
    REQUIRE(v.validate(row, invite, error));
    CHECK(invite.clinic_role == std::string_view("Registered Nurse"));
    CHECK(invite.level == schema::Level::member);
    CHECK_FALSE(invite.can_manage_studies);
    const auto options = v.header_options();
    CHECK(options.has_default[static_cast<std::size_t>(Field::level)]);
    CHECK_FALSE(options.has_default[static_cast<std::size_t>(Field::email)]);
}

TEST_CASE("validate::RowValidator reports a broken record as it is") {
    RosterMapping mapping;
    RowValidator v(mapping);
    read::RosterRow row;
    row.error = "has 3 columns but the header has 11";
    Invite invite;
    std::string error;
    REQUIRE_FALSE(v.validate(row, invite, error));
    CHECK(error == "has 3 columns but the header has 11");
}

TEST_CASE("validate::Invite JSON escapes names") {
    Invite invite;
    invite.email = "a@b.org";
    invite.first_name = "Zo\xc3\xab \"Z\"";
    invite.last_name = "O'Brien\\";
    CHECK(invite.to_json().find(R"("firstName":"Zo)"
                                "\xc3\xab"
                                R"( \"Z\"")") != std::string::npos);
    CHECK(invite.to_json().find(R"("lastName":"O'Brien\\")") != std::string::npos);
}

TEST_CASE("validate::RowValidator without names gives the same verdicts and leaves the names alone") {
    RosterMapping mapping;
    RowValidator full(mapping);
    RowValidator verdict_only(mapping);
    verdict_only.set_fill_names(false);
    CHECK(verdict_only.passes_through(Field::email));
    auto no_last = good_row();
    no_last.cells[static_cast<std::size_t>(Field::last_name)] = std::string_view{};
    for (const auto& row : {good_row(), no_last}) {
        Invite a;
        Invite b;
        std::string error_a;
        std::string error_b;
        CHECK(full.validate(row, a, error_a) == verdict_only.validate(row, b, error_b));
        CHECK(error_a == error_b);
        CHECK(b.email == a.email);
        CHECK(b.phone_number == a.phone_number);
        CHECK(b.first_name.empty());
    }
    mapping.defaults[static_cast<std::size_t>(Field::email)] = "x@y.org";
    CHECK_FALSE(RowValidator(mapping).passes_through(Field::email));
}

TEST_SUITE_END();

TEST_CASE("validate::RowValidator accepts the API's new roles and a config's extra ones") {
    RosterMapping mapping;
    mapping.extra_clinic_roles = {"Chaplain"};
    RowValidator v(mapping);
    Invite invite;
    std::string error;
    for (auto [text, display] : {std::pair{"oncologist", "Oncologist"},
                                 {"IT_ADMINISTRATOR", "IT Administrator"},
                                 {"PATHOLOGISTS ASSISTANT", "Pathologists' Assistant"},
                                 {"chaplain", "Chaplain"}}) {
        auto row = good_row();
        row.cells[static_cast<std::size_t>(Field::clinic_role)] = std::string_view(text);
        REQUIRE(v.validate(row, invite, error));
        CHECK(invite.clinic_role == std::string_view(display));
        CHECK(invite.to_json().find("\"clinicRole\":\"" + std::string(display) + "\"") != std::string::npos);
    }
    auto row = good_row();
    row.cells[static_cast<std::size_t>(Field::clinic_role)] = std::string_view("Wizard");
    CHECK_FALSE(v.validate(row, invite, error));
    CHECK(error.find("add it to [schema] clinic-roles") != std::string::npos);
}

TEST_CASE("validate::RowValidator names a worksheet's column in its messages") {
    RosterMapping mapping;
    RowValidator v(mapping);
    std::array<std::string, schema::field_count> labels;
    labels[static_cast<std::size_t>(Field::last_name)] = "column C (Surname)";
    auto row = good_row();
    row.cells[static_cast<std::size_t>(Field::last_name)] = std::string_view("");
    row.column_labels = &labels;
    Invite invite;
    std::string error;
    CHECK_FALSE(v.validate(row, invite, error));
    CHECK(error == "lastName in column C (Surname): is required");
}
