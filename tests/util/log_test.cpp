#include "avara_onboard/util/log.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace avara;

TEST_SUITE_BEGIN("util");

namespace {
// 2026-12-01T02:30:04.512Z
const auto when = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796092204512));
}  // namespace

TEST_CASE("log::json_line holds time, level and message, then only the fields that are set") {
    CHECK(log::json_line("info", "report: staff.report.csv", {}, when) ==
          "{\"time\":\"2026-12-01T02:30:04.512Z\",\"level\":\"info\",\"message\":\"report: "
          "staff.report.csv\"}\n");
    const auto line = log::json_line(
        "warning", "row 17 failed",
        {.row = 17, .email = "a@b.org", .status = "failed", .attempt = 6, .http_status = 503, .wait = 2.5},
        when);
    CHECK(line ==
          "{\"time\":\"2026-12-01T02:30:04.512Z\",\"level\":\"warning\",\"message\":\"row 17 failed\","
          "\"row\":17,\"email\":\"a@b.org\",\"status\":\"failed\",\"attempt\":6,\"http_status\":503,"
          "\"wait\":2.500}\n");
    const auto parsed = boost::json::parse(line).as_object();
    CHECK(parsed.at("row").as_int64() == 17);
    CHECK(parsed.at("wait").as_double() == 2.5);
}

TEST_CASE("log::json_line escapes quotes and control characters and keeps a line one line") {
    const auto line = log::json_line("error", "bad \"cell\"\nnext\tline \\", {.email = "x\"@y.org"}, when);
    CHECK(line.find('\n') == line.size() - 1);
    const auto parsed = boost::json::parse(line).as_object();
    CHECK(parsed.at("message").as_string() == "bad \"cell\"\nnext\tline \\");
    CHECK(parsed.at("email").as_string() == "x\"@y.org");
}

TEST_CASE("log::json_line replaces bytes that are not UTF-8, so the line stays JSON") {
    const auto line = log::json_line("warning", "M\xfcller \xc3\xa9t\xc3", {.email = "\xff@x.org"}, when);
    CHECK(line.find("M\xEF\xBF\xBDller \xc3\xa9t\xEF\xBF\xBD") != std::string::npos);
    const auto parsed = boost::json::parse(line).as_object();
    CHECK(parsed.at("email").as_string() == "\xEF\xBF\xBD@x.org");
}

TEST_CASE("log::parse_format knows text and json only") {
    CHECK(log::parse_format("text") == log::Format::text);
    CHECK(log::parse_format("json") == log::Format::json);
    CHECK_FALSE(log::parse_format("JSON"));
    CHECK_FALSE(log::parse_format(""));
}

TEST_SUITE_END();
