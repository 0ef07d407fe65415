#include "avara_onboard/read/roster.hpp"

#include <doctest/doctest.h>

#include "test_files.hpp"

using namespace avara;
using namespace avara::read;
using avara::schema::Field;

namespace {
const char* full_header =
    "email,first_name,last_name,clinic_role,level,can_manage_studies,has_dashboard_access\n";

Result<std::unique_ptr<RosterReader>> open_text(std::string text, HeaderOptions options = {}) {
    return RosterReader::open(CsvReader::from_string(std::move(text)), options);
}
}  // namespace

TEST_SUITE_BEGIN("read");

TEST_CASE("read::RosterReader maps header spellings and trims cells") {
    auto reader = open_text(
        "Email,First Name,lastName,Clinic_Role,LEVEL,canManageStudies,Has Dashboard Access,Department\n"
        "  a@b.org ,\tAnn ,Lee,Doctor,member,true,false,Radiology\n");
    REQUIRE(reader.has_value());
    CHECK((*reader)->unknown_columns() == std::vector<std::string>{"Department"});
    RosterRow row;
    REQUIRE((*reader)->next(row));
    CHECK(row.row == 1);
    CHECK(row.line == 2);
    CHECK_FALSE(row.error);
    CHECK(row.cell(Field::email) == std::string_view("a@b.org"));
    CHECK(row.cell(Field::first_name) == std::string_view("Ann"));
    CHECK_FALSE(row.cell(Field::phone_number).has_value());
    CHECK_FALSE((*reader)->next(row));
}

TEST_CASE("read::RosterReader refuses a roster missing a required column, naming it") {
    auto reader = open_text("email,first_name,last_name,level,can_manage_studies\n");
    REQUIRE_FALSE(reader.has_value());
    CHECK(reader.error().kind == ErrorKind::input);
    CHECK(reader.error().message.find("clinicRole, hasDashboardAccess") != std::string::npos);
}

TEST_CASE("read::RosterReader accepts a missing column that a default covers") {
    HeaderOptions options;
    options.has_default[static_cast<std::size_t>(Field::level)] = true;
    auto reader = open_text(
        "email,first_name,last_name,clinic_role,can_manage_studies,has_dashboard_access\n", options);
    CHECK(reader.has_value());
}

TEST_CASE("read::RosterReader uses configured headers") {
    HeaderOptions options;
    options.column_header[static_cast<std::size_t>(Field::email)] = "Work Email";
    options.column_header[static_cast<std::size_t>(Field::clinic_role)] = "Job Title";
    auto reader = open_text(
        "Work Email,Email,first_name,last_name,job title,level,can_manage_studies,has_dashboard_access\n"
        "w@b.org,private@home.org,A,B,RN,member,1,1\n",
        options);
    REQUIRE(reader.has_value());
    RosterRow row;
    REQUIRE((*reader)->next(row));
    CHECK(row.cell(Field::email) == std::string_view("w@b.org"));
    CHECK(row.cell(Field::clinic_role) == std::string_view("RN"));
    // The standard "Email" header is not the email column once the config moved it.
    CHECK((*reader)->unknown_columns() == std::vector<std::string>{"Email"});
}

TEST_CASE("read::RosterReader refuses two columns for one field") {
    auto reader = open_text(std::string("email,Email,") + (full_header + 6));
    REQUIRE_FALSE(reader.has_value());
    CHECK(reader.error().message.find("both hold email") != std::string::npos);
}

TEST_CASE("read::RosterReader refuses an empty roster") {
    auto reader = open_text("");
    REQUIRE_FALSE(reader.has_value());
    CHECK(reader.error().message.find("empty") != std::string::npos);
}

TEST_CASE("read::RosterReader reports broken records with their line and goes on") {
    auto reader = open_text(std::string(full_header) +
                            "a@b.org,A,B,Doctor,member,1,1\n"
                            "short,row\n"
                            "c@b.org,C,\xff\xfe,Doctor,member,1,1\n"
                            "d@b.org,D,E,Doctor,member,1,1\n");
    REQUIRE(reader.has_value());
    RosterRow row;
    REQUIRE((*reader)->next(row));
    CHECK_FALSE(row.error);
    REQUIRE((*reader)->next(row));
    CHECK(row.row == 2);
    CHECK(row.line == 3);
    CHECK(row.error == std::string("has 2 columns but the header has 7"));
    CHECK(row.email_hint == "short");
    REQUIRE((*reader)->next(row));
    CHECK(row.row == 3);
    CHECK(
        row.error ==
        std::string("invalid UTF-8 in lastName ('\\xff\\xfe' reads as '\xc3\xbf\xc3\xbe' in Windows-1252)"));
    CHECK(row.email_hint == "c@b.org");
    REQUIRE((*reader)->next(row));
    CHECK(row.row == 4);
    CHECK(row.line == 5);
    CHECK_FALSE(row.error);
}

TEST_CASE("read::RosterReader::open names the file it cannot open") {
    auto reader = RosterReader::open("/nonexistent/roster.csv", {});
    REQUIRE_FALSE(reader.has_value());
    CHECK(reader.error().kind == ErrorKind::input);
    CHECK(reader.error().message.find("/nonexistent/roster.csv") != std::string::npos);
}

TEST_CASE("read::RosterReader leaves no stale cell in a row it fills, whatever the row held") {
    auto reader = open_text(std::string(full_header) + "a@b.org,A,B,Doctor,member,1,1\nshort,row\n" +
                            "c@d.org,C,D,Doctor,member,1,1\n");
    REQUIRE(reader.has_value());
    RosterRow row;
    row.cells[static_cast<std::size_t>(Field::phone_number)] = std::string_view("stale");
    REQUIRE((*reader)->next(row));
    CHECK_FALSE(row.cell(Field::phone_number).has_value());
    CHECK(row.cell(Field::last_name) == std::string_view("B"));
    REQUIRE((*reader)->next(row));
    CHECK(row.error.has_value());
    CHECK_FALSE(row.cell(Field::last_name).has_value());
    REQUIRE((*reader)->next(row));
    CHECK_FALSE(row.error.has_value());
    CHECK(row.cell(Field::last_name) == std::string_view("D"));
}

TEST_SUITE_END();
