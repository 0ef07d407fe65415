// `avara-onboard demo` as a user runs it: the real binary, its own in-process mock server, the sample
// roster built into it. Its report is checked row by row against what `validate` says of the same
// sample, so a demo that skipped or misreported rows fails.
#include "avara_onboard/app/demo_command.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "test_files.hpp"

using namespace std::chrono_literals;

TEST_SUITE_BEGIN("app");

namespace {

constexpr auto demo_timeout = std::chrono::milliseconds(180s);

// The text after `marker` up to the end of its line, or "".
std::string after(const std::string& text, const std::string& marker) {
    const auto at = text.find(marker);
    if (at == std::string::npos)
        return "";
    const auto start = at + marker.size();
    return text.substr(start, text.find('\n', start) - start);
}

// The email and status cells of a report's data lines (emails hold no comma or quote in the sample;
// a quoted error cell only ever comes after them).
std::vector<std::pair<std::string, std::string>> email_and_status(const std::string& path) {
    std::vector<std::pair<std::string, std::string>> out;
    std::istringstream in(avara::test::slurp(path));
    std::string line;
    std::getline(in, line);
    REQUIRE(line == "row,line,email,status,http_status,user_id,attempts,error");
    while (std::getline(in, line)) {
        std::vector<std::string> cells;
        std::size_t start = 0;
        for (int i = 0; i < 4; ++i) {
            const auto comma = line.find(',', start);
            REQUIRE(comma != std::string::npos);
            cells.push_back(line.substr(start, comma - start));
            start = comma + 1;
        }
        out.emplace_back(cells[2], cells[3]);
    }
    return out;
}

// The demo's working folder under /tmp, removed at the end of the test.
struct DemoFolder {
    std::filesystem::path path;
    ~DemoFolder() {
        if (path.filename().string().rfind("avara-demo-", 0) == 0) {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        }
    }
};

// The sample roster (the one the binary carries) through `validate`: what each row should become.
std::vector<std::pair<std::string, std::string>> expected_outcomes(const TempDir& dir) {
    const auto report = dir.file("validate.csv");
    avara::test::SpawnOptions o;
    o.args = {"validate", std::string(AVARA_SOURCE_DIR) + "/samples/roster.csv", "--report", report};
    o.stderr_path = dir.file("validate.err");
    const auto status = avara::test::run_and_wait(AVARA_BINARY, o, demo_timeout);
    REQUIRE(status.exited);
    auto rows = email_and_status(report);
    for (auto& [email, outcome] : rows) {
        if (outcome == "valid")
            outcome = "invited";
    }
    return rows;
}

}  // namespace

TEST_CASE("app::demo runs the sample roster and prints where the report is") {
    TempDir dir;
    const auto expected = expected_outcomes(dir);
    REQUIRE(expected.size() > 10);

    avara::test::SpawnOptions o;
    o.stdout_path = dir.file("out.txt");
    o.stderr_path = dir.file("err.txt");
    std::string report;
    SUBCASE("in its own folder") {
        o.args = {"demo"};
    }
    SUBCASE("with --report, through injected 503s and dropped connections") {
        report = dir.file("demo.report.csv");
        o.args = {"demo", "--report", report, "--fail-rate", "0.1", "--drop-rate", "0.05"};
    }
    const auto status = avara::test::run_and_wait(AVARA_BINARY, o, demo_timeout);
    const auto err = avara::test::slurp(o.stderr_path);
    INFO("stderr: ", err);
    DemoFolder folder{std::filesystem::path(after(err, "demo: summary: ")).parent_path()};
    CHECK(status.describe() == "exit 0");

    const auto printed = after(err, "demo: the report is ");
    REQUIRE(!printed.empty());
    if (!report.empty())
        CHECK(printed == report);
    REQUIRE(std::filesystem::exists(printed));
    struct stat st {};
    REQUIRE(::stat(printed.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    // Every valid row invited, every other row reported as validate sees it, all in row order.
    CHECK(email_and_status(printed) == expected);
    std::size_t valid = 0;
    for (const auto& row : expected)
        valid += row.second == "invited" ? 1 : 0;
    CHECK(err.find("demo: the mock server created " + std::to_string(valid) + " users") != std::string::npos);
}
