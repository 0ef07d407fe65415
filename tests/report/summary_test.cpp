#include "avara_onboard/report/summary.hpp"

#include <doctest/doctest.h>

using namespace avara::report;

TEST_SUITE_BEGIN("report");

TEST_CASE("report::Summary counts and prints") {
    Summary s;
    s.command = "validate";
    s.add(Status::valid);
    s.add(Status::valid);
    s.add(Status::invalid);
    s.duration_seconds = 0.5;
    CHECK(s.rows() == 3);
    CHECK(s.counts_line() == "3 rows: 2 valid, 1 invalid");
    CHECK(s.rows_per_second() == doctest::Approx(6.0));
    const auto json = s.to_json();
    CHECK(json.find(R"("counts":{"valid":2,"invalid":1,"duplicate":0})") != std::string::npos);
    CHECK(json.find("invited") == std::string::npos);
    s.command = "run";
    CHECK(s.to_json().find(R"("invited":0)") != std::string::npos);
}

TEST_SUITE_END();
