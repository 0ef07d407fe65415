#include "avara_onboard/report/report_writer.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "test_files.hpp"

using namespace avara;
using namespace avara::report;

TEST_SUITE_BEGIN("report");

TEST_CASE("report::append_csv_line writes the contract's columns") {
    std::string out;
    RowResult r;
    r.row = 3;
    r.line = 4;
    r.email = "a@b.org";
    r.status = Status::invited;
    r.http_status = 201;
    r.user_id = "usr_0123";
    r.attempts = 2;
    append_csv_line(out, r);
    CHECK(out == "3,4,a@b.org,invited,201,usr_0123,2,\n");
}

TEST_CASE("report::append_csv_line quotes and guards formula cells") {
    std::string out;
    RowResult r;
    r.row = 1;
    r.line = 2;
    r.email = "=HYPERLINK(\"x\")";
    r.status = Status::invalid;
    r.error = "email: must contain exactly one '@', really";
    append_csv_line(out, r);
    CHECK(out ==
          "1,2,\"'=HYPERLINK(\"\"x\"\")\",invalid,,,0,\"email: must contain exactly one '@', really\"\n");
    for (const char* cell : {"=1", "+1", "-1", "@x", "\tx", "\rx"})
        CHECK(needs_formula_guard(cell));
    CHECK_FALSE(needs_formula_guard("a=1"));
    CHECK_FALSE(needs_formula_guard(""));
}

TEST_CASE("report: a cell that starts with an apostrophe is guarded too, so every cell reads back") {
    for (const std::string cell : {"'=cy@example.org", "'abc", "'", "''=x", "=x", "abc", "", "a'b"}) {
        std::string out;
        RowResult r;
        r.email = cell;
        append_csv_line(out, r);
        const auto first = out.find(',', out.find(',') + 1) + 1;
        std::string written = out.substr(first, out.find(',', first) - first);
        if (written.size() >= 2 && written.front() == '"')
            written = written.substr(1, written.size() - 2);
        CAPTURE(cell);
        CHECK(strip_apostrophe(written) == cell);
        CHECK(needs_apostrophe(cell) == (written != cell));
    }
}

TEST_CASE("report::append_jsonl_line carries the same keys") {
    std::string out;
    RowResult r;
    r.row = 1;
    r.line = 2;
    r.email = "a@b.org";
    r.status = Status::valid;
    append_jsonl_line(out, r);
    CHECK(
        out ==
        R"({"row":1,"line":2,"email":"a@b.org","status":"valid","http_status":null,"user_id":null,"attempts":0,"error":null})"
        "\n");
}

TEST_CASE("report::ReportWriter writes the header, one line per row, mode 0600") {
    TempDir dir;
    const auto path = dir.file("r.csv");
    auto writer = ReportWriter::create(path, Format::csv, ReportWriter::Flush::each_row);
    REQUIRE(writer.has_value());
    RowResult r;
    r.row = 1;
    r.line = 2;
    r.email = "a@b.org";
    r.status = Status::duplicate;
    r.error = "duplicate of row 1 (same email)";
    (*writer)->write(r);
    // Flushed per row: visible before close.
    CHECK(read_file(path) ==
          std::string(csv_header) + "\n1,2,a@b.org,duplicate,,,0,duplicate of row 1 (same email)\n");
    (*writer)->close();
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("report::parse_status and parse_format") {
    for (Status s : all_statuses)
        CHECK(parse_status(to_string(s)) == s);
    CHECK_FALSE(parse_status("done"));
    CHECK(parse_format("jsonl") == Format::jsonl);
    CHECK_FALSE(parse_format("xml"));
}

TEST_CASE("report::append_csv_line writes the same line from views as from a RowResult") {
    const std::string long_error = std::string(17, 'e') + ", then \"quoted\"\nand more";
    for (const std::string& email :
         {std::string("a@b.org"), std::string("=x@b.org"), std::string(40, 'a') + ",@b.org", std::string()}) {
        for (const std::string& error : {std::string(), std::string("one"), long_error}) {
            RowResult r;
            r.row = 1234567;
            r.line = 1234568;
            r.email = email;
            r.status = Status::duplicate;
            r.error = error;
            RowFields fields;
            fields.row = r.row;
            fields.line = r.line;
            fields.email = email;
            fields.status = r.status;
            fields.error = error;
            std::string from_result = "kept|";
            std::string from_views = "kept|";
            append_csv_line(from_result, r);
            append_csv_line(from_views, fields);
            CAPTURE(from_result);
            CHECK(from_views == from_result);
            CHECK(from_result.find("1234567,1234568,") == 5);
            CHECK(from_result.back() == '\n');
        }
    }
    RowResult revoked;
    revoked.from_roster = false;
    revoked.email = "x@y.org";
    revoked.status = Status::revoked;
    revoked.http_status = 204;
    revoked.user_id = "usr_1";
    revoked.attempts = 1;
    std::string out;
    append_csv_line(out, revoked);
    CHECK(out == ",,x@y.org,revoked,204,usr_1,1,\n");
    CHECK(fields_of(revoked).user_id == "usr_1");
}

TEST_CASE("report::append_csv_line quotes a cell whose comma or quote lies past its first 16 bytes") {
    RowResult r;
    r.row = 1;
    r.line = 2;
    r.email = std::string(16, 'a') + "\"b@c.org";
    r.error = std::string(31, 'e') + "\r";
    std::string out;
    append_csv_line(out, r);
    CHECK(out ==
          "1,2,\"" + std::string(16, 'a') + "\"\"b@c.org\",invalid,,,0,\"" + std::string(31, 'e') + "\r\"\n");
}

TEST_SUITE_END();
