#include "avara_onboard/report/html_report.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "test_files.hpp"

using namespace avara;

TEST_SUITE_BEGIN("report");

namespace {
const std::string csv_report =
    "row,line,email,status,http_status,user_id,attempts,error\n"
    "1,2,a@x.org,invited,201,u-1,1,\n"
    "2,3,b@x.org,invalid,,,0,\"firstName: <script>alert(1)</script> is not a name\"\n"
    "3,4,a@x.org,duplicate,,,0,duplicate of row 1 (same email)\n"
    "4,5,c@x.org,rejected,422,,1,\"server: \"\"clinicRole\"\" unknown & more\"\n"
    "5,6,d@x.org,exists,409,u-9,1,\n"
    "6,7,e@x.org,failed,503,,6,retries exhausted\n";
}  // namespace

TEST_CASE("html_escape turns markup into text") {
    CHECK(report::html_escape("<script>alert('x')</script> & \"q\"") ==
          "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
    CHECK(report::html_escape("plain") == "plain");
}

TEST_CASE("read_report_back counts every status and keeps the rows that need a human") {
    TempDir dir;
    const auto path = dir.write("r.csv", csv_report);
    auto data = report::read_report_back(path, report::Format::csv);
    REQUIRE(data.has_value());
    CHECK(data->total_rows == 6);
    CHECK(data->human_rows == 4);
    REQUIRE(data->counts.size() == 6);
    CHECK(data->counts[0] == std::pair<std::string, std::uint64_t>{"invited", 1});
    CHECK(data->counts[1].first == "exists");
    CHECK(data->counts.back().first == "failed");
    REQUIRE(data->rows.size() == 4);
    CHECK(data->rows[0].status == "invalid");
    CHECK(data->rows[2].error == "server: \"clinicRole\" unknown & more");
    auto capped = report::read_report_back(path, report::Format::csv, 2);
    REQUIRE(capped.has_value());
    CHECK(capped->rows.size() == 2);
    CHECK(capped->human_rows == 4);
}

TEST_CASE("read_report_back reads JSONL reports too") {
    TempDir dir;
    const auto path = dir.write("r.jsonl",
                                "{\"row\":1,\"line\":2,\"email\":\"a@x.org\",\"status\":\"valid\",\"http_"
                                "status\":null,\"user_id\":null,"
                                "\"attempts\":0,\"error\":\"\"}\n"
                                "{\"row\":2,\"line\":3,\"email\":\"<b>@x.org\",\"status\":\"invalid\",\"http_"
                                "status\":null,\"user_id\":null,"
                                "\"attempts\":0,\"error\":\"email: no domain\"}\n");
    auto data = report::read_report_back(path, report::Format::jsonl);
    REQUIRE(data.has_value());
    CHECK(data->total_rows == 2);
    REQUIRE(data->rows.size() == 1);
    CHECK(data->rows[0].row == "2");
    CHECK(data->rows[0].email == "<b>@x.org");
    CHECK(data->rows[0].http_status.empty());
}

TEST_CASE("read_report_back refuses a file that is not a report") {
    TempDir dir;
    CHECK_FALSE(report::read_report_back(dir.write("x.csv", "a,b\n1,2\n"), report::Format::csv).has_value());
    CHECK_FALSE(
        report::read_report_back(dir.write("x.jsonl", "not json\n"), report::Format::jsonl).has_value());
    CHECK_FALSE(report::read_report_back(dir.file("missing.csv"), report::Format::csv).has_value());
}

TEST_CASE("render_html_report: self-contained, every value escaped, counts in the DOM") {
    TempDir dir;
    auto data = report::read_report_back(dir.write("r.csv", csv_report), report::Format::csv);
    REQUIRE(data.has_value());
    const auto page = report::render_html_report(
        *data, {.report_path = "r.csv", .roster = "<i>staff</i>.csv", .command = "run"});
    CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(page.find("<script>alert(1)</script>") == std::string::npos);
    CHECK(page.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(page.find("<i>staff</i>") == std::string::npos);
    CHECK(page.find("&lt;i&gt;staff&lt;/i&gt;.csv") != std::string::npos);
    CHECK(page.find("<span id=\"total\">6</span>") != std::string::npos);
    CHECK(page.find("<li data-status=\"invalid\"") != std::string::npos);
    CHECK(page.find("<tr data-status=\"failed\"") != std::string::npos);
    CHECK(page.find("<tr data-status=\"invited\"") == std::string::npos);  // done rows are not listed
    // Nothing to fetch: no URL to another origin, and a policy that forbids any.
    CHECK(page.find("http://") == std::string::npos);
    CHECK(page.find("https://") == std::string::npos);
    CHECK(page.find(" src=") == std::string::npos);
    CHECK(page.find("default-src 'none'") != std::string::npos);
}

TEST_CASE("write_html_report writes the page with mode 0600") {
    TempDir dir;
    const auto report_path = dir.write("r.csv", csv_report);
    const auto html = dir.file("r.html");
    REQUIRE(report::write_html_report(html, {.report_path = report_path, .roster = "r.csv", .command = "run"})
                .has_value());
    struct stat st {};
    REQUIRE(::stat(html.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(read_file(html).find("Rows that need a human (4)") != std::string::npos);
    CHECK_FALSE(
        report::write_html_report(dir.file("x.html"), {.report_path = dir.file("none.csv")}).has_value());
}

TEST_SUITE_END();
