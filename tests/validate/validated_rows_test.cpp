#include "avara_onboard/validate/validated_rows.hpp"

#include <doctest/doctest.h>

using namespace avara;
using namespace avara::validate;
using avara::report::Status;

TEST_SUITE_BEGIN("validate");

TEST_CASE("validate::ValidatedRows marks later rows with the same email as duplicates of the first") {
    RosterMapping mapping;
    auto rows = ValidatedRows::open(
        read::CsvReader::from_string("email,first_name,last_name,clinic_role,level,can_manage_studies,"
                                     "has_dashboard_access\n"
                                     "a@b.org,A,B,Doctor,member,1,1\n"
                                     "x@b.org,X,,Doctor,member,1,1\n"
                                     "A@B.org,A,B,Doctor,member,1,1\n"
                                     "X@b.org,X,Y,Doctor,member,1,1\n"
                                     "a@b.org,A,B,Wizard,member,1,1\n"),
        mapping);
    REQUIRE(rows.has_value());
    ValidatedRow row;
    REQUIRE((*rows)->next(row));
    CHECK(row.status == Status::valid);
    REQUIRE((*rows)->next(row));
    CHECK(row.status == Status::invalid);
    REQUIRE((*rows)->next(row));
    CHECK(row.status == Status::duplicate);
    CHECK(row.email == "A@B.org");
    CHECK(row.error == "duplicate of row 1 (same email)");
    REQUIRE((*rows)->next(row));
    CHECK(row.status == Status::duplicate);
    CHECK(row.error == "duplicate of row 2 (same email)");
    REQUIRE((*rows)->next(row));
    CHECK(row.status == Status::invalid);
    CHECK(row.error.find("clinicRole") != std::string::npos);
    CHECK(row.error.find("also a duplicate of row 1") != std::string::npos);
    CHECK_FALSE((*rows)->next(row));
}

TEST_SUITE_END();
