#include "avara_onboard/report/report_lock.hpp"

#include <doctest/doctest.h>

#include "test_files.hpp"

using namespace avara;

TEST_SUITE_BEGIN("report");

TEST_CASE("report::lock_report locks REPORT.lock and refuses a second run naming the report") {
    TempDir dir;
    const auto report = dir.file("roster.report.csv");
    CHECK(report::lock_path_for(report) == report + ".lock");
    auto held = report::lock_report(report);
    REQUIRE(held.has_value());
    CHECK(held->held());
    CHECK(held->path() == report + ".lock");
    auto second = report::lock_report(report);
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().kind == ErrorKind::usage);
    CHECK(second.error().message.find("the report " + report + " is in use by another run") == 0);
    CHECK(second.error().message.find("pid ") != std::string::npos);
}

TEST_CASE("report::lock_report leaves a device alone") {
    auto lock = report::lock_report("/dev/null");
    REQUIRE(lock.has_value());
    CHECK_FALSE(lock->held());
}

TEST_SUITE_END();
