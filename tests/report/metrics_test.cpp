#include "avara_onboard/report/metrics.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "test_files.hpp"

using namespace avara;
using report::Status;

TEST_SUITE_BEGIN("report");

namespace {
report::MetricsSnapshot finished_run() {
    report::MetricsSnapshot s;
    s.roster = "northside";
    s.command = "run";
    s.counts[static_cast<std::size_t>(Status::invited)] = 33;
    s.counts[static_cast<std::size_t>(Status::invalid)] = 5;
    s.requests = 36;
    s.retries = 1;
    s.rate_limit = 10;
    s.duration_seconds = 4.25;
    s.exit_code = 1;
    s.timestamp_seconds = 1796092204;
    return s;
}
}  // namespace

TEST_CASE("metrics: every family has HELP and TYPE, every sample the roster and command labels") {
    const auto text = report::render_metrics(finished_run());
    CHECK(text.find("# HELP avara_onboard_rows ") != std::string::npos);
    CHECK(text.find("# TYPE avara_onboard_rows gauge\n") != std::string::npos);
    CHECK(text.find("avara_onboard_rows{roster=\"northside\",command=\"run\",status=\"invited\"} 33\n") !=
          std::string::npos);
    CHECK(text.find("avara_onboard_rows{roster=\"northside\",command=\"run\",status=\"failed\"} 0\n") !=
          std::string::npos);
    CHECK(text.find("avara_onboard_requests{roster=\"northside\",command=\"run\"} 36\n") !=
          std::string::npos);
    CHECK(text.find("avara_onboard_duration_seconds{roster=\"northside\",command=\"run\"} 4.25\n") !=
          std::string::npos);
    CHECK(text.find("avara_onboard_exit_code{roster=\"northside\",command=\"run\"} 1\n") !=
          std::string::npos);
    CHECK(
        text.find(
            "avara_onboard_last_run_timestamp_seconds{roster=\"northside\",command=\"run\"} 1796092204\n") !=
        std::string::npos);
    CHECK(text.find("avara_onboard_running{roster=\"northside\",command=\"run\"} 0\n") != std::string::npos);
    // Each sample line starts with a family announced just before.
    std::size_t samples = 0;
    std::size_t pos = 0;
    while ((pos = text.find("\navara_onboard_", pos)) != std::string::npos) {
        ++samples;
        ++pos;
    }
    CHECK(samples == report::status_count + 7);  // rows per status + 7 single figures
}

TEST_CASE("metrics: unknown figures are left out, not written as zero") {
    auto s = finished_run();
    s.exit_code.reset();
    s.running = true;
    auto text = report::render_metrics(s);
    CHECK(text.find("avara_onboard_exit_code") == std::string::npos);
    CHECK(text.find("avara_onboard_throttled_responses") == std::string::npos);
    CHECK(text.find("avara_onboard_current_rate") == std::string::npos);
    CHECK(text.find("avara_onboard_running{roster=\"northside\",command=\"run\"} 1\n") != std::string::npos);
    s.throttled = 7;
    s.current_rate = 2.5;
    text = report::render_metrics(s);
    CHECK(text.find("avara_onboard_throttled_responses{roster=\"northside\",command=\"run\"} 7\n") !=
          std::string::npos);
    CHECK(text.find("avara_onboard_current_rate{roster=\"northside\",command=\"run\"} 2.5\n") !=
          std::string::npos);
}

TEST_CASE("metrics: label values are escaped") {
    auto s = finished_run();
    s.roster = "a\"b\\c\nd";
    const auto text = report::render_metrics(s);
    CHECK(text.find("roster=\"a\\\"b\\\\c\\nd\"") != std::string::npos);
}

TEST_CASE("metrics: the roster label is the config's name, else the roster's") {
    CHECK(report::metrics_roster_label("/srv/hr/roster.csv", "/etc/avara-onboard/northside.toml") ==
          "northside");
    CHECK(report::metrics_roster_label("/srv/hr/staff.csv", "") == "staff");
    CHECK(report::metrics_roster_label("-", "") == "stdin");
}

TEST_CASE("metrics: the file is replaced whole and readable by the collector") {
    TempDir dir;
    const auto path = dir.file("avara.prom");
    dir.write("avara.prom", "old\n");
    REQUIRE(report::write_metrics_file(path, finished_run()).has_value());
    CHECK(read_file(path) == report::render_metrics(finished_run()));
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path), {}) == 1);  // no temp file left
    CHECK_FALSE(
        report::write_metrics_file(dir.file("no/such/folder/avara.prom"), finished_run()).has_value());
}

TEST_SUITE_END();
