#include "avara_onboard/read/roster_input.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "avara_onboard/schema/schema.hpp"
#include "read/record_dump.hpp"
#include "read/xlsx_fixture.hpp"
#include "test_files.hpp"

using namespace avara;
using namespace avara::read;
using avara::test::dump;

namespace {

bool schema_field(std::string_view cell) {
    return schema::field_from_header(cell).has_value();
}

std::string read_all(const std::string& path, const ReadOptions& options = {}) {
    auto records = open_records(path, options, schema_field);
    if (!records)
        return "error: " + records.error().message;
    return dump(**records);
}

std::string utf16(std::string_view ascii, bool little_endian) {
    std::string out = little_endian ? "\xFF\xFE" : "\xFE\xFF";
    for (char c : ascii) {
        if (!little_endian)
            out.push_back('\0');
        out.push_back(c);
        if (little_endian)
            out.push_back('\0');
    }
    return out;
}

}  // namespace

TEST_SUITE_BEGIN("read");

TEST_CASE("read::open_records detects the separator from the header line") {
    TempDir dir;
    CHECK(read_all(dir.write("semi.csv", "email;first_name\na@b.org;\"Ann; Marie\"\n")) ==
          "1:[email][first_name]\n2:[a@b.org][Ann; Marie]\n");
    CHECK(read_all(dir.write("tab.csv", "email\tfirst_name\na@b.org\tAnn, Jr\n")) ==
          "1:[email][first_name]\n2:[a@b.org][Ann, Jr]\n");
    CHECK(read_all(dir.write("pipe.csv", "email|first_name\r\na|b\r\n")) ==
          "1:[email][first_name]\n2:[a][b]\n");
    CHECK(read_all(dir.write("comma.csv", "email,first_name\na,\"b;c\"\n")) ==
          "1:[email][first_name]\n2:[a][b;c]\n");
    ReadOptions forced;
    forced.delimiter = ',';
    CHECK(read_all(dir.file("semi.csv"), forced) == "1:[email;first_name]\n2:[a@b.org;\"Ann; Marie\"]\n");
}

TEST_CASE("read::open_records transcodes UTF-16 with a BOM and --encoding, keeping line numbers") {
    TempDir dir;
    const std::string text = "email\tfirst_name\n\"a@b.org\"\t\"Two\nlines\"\nc@d.org\tC\n";
    const std::string want = "1:[email][first_name]\n2:[a@b.org][Two\nlines]\n4:[c@d.org][C]\n";
    CHECK(read_all(dir.write("le.csv", utf16(text, true))) == want);
    CHECK(read_all(dir.write("be.csv", utf16(text, false))) == want);
    ReadOptions cp1252;
    cp1252.encoding = "windows-1252";
    CHECK(read_all(dir.write("w.csv", "email;last_name\nm@x.org;M\xFCller\n"), cp1252) ==
          "1:[email][last_name]\n2:[m@x.org][M\xC3\xBCller]\n");
    ReadOptions nonsense;
    nonsense.encoding = "no-such-code";
    auto refused = open_records(dir.file("w.csv"), nonsense, schema_field);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == ErrorKind::usage);
    // Named explicitly, UTF-16 without a BOM is read (its NUL bytes are part of it).
    std::string no_bom = utf16("email\nx\n", true).substr(2);
    ReadOptions le;
    le.encoding = "UTF-16LE";
    CHECK(read_all(dir.write("nobom.csv", no_bom), le) == "1:[email]\n2:[x]\n");
    CHECK(read_all(dir.file("nobom.csv")).find("without a byte-order mark") != std::string::npos);
}

TEST_CASE("read::open_records refuses .xls, PDF and binary files, saying what they look like") {
    TempDir dir;
    CHECK(read_all(dir.write("old.xls", std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0", 12))) ==
          "error: " + dir.file("old.xls") +
              ": looks like an old Excel .xls workbook; save it as .xlsx or CSV");
    CHECK(read_all(dir.write("r.pdf", "%PDF-1.4\n...")).find(": looks like a PDF document") !=
          std::string::npos);
    CHECK(read_all(dir.write("b.csv", std::string("a,b\n\0\0\x01\x02\0\x03", 10)))
              .find(": looks like a binary file") != std::string::npos);
    CHECK(read_all(dir.file("missing.csv")).find("cannot open") != std::string::npos);
    CHECK(read_all(dir.path.string()).find("it is a directory") != std::string::npos);
}

TEST_CASE("read::open_records takes a workbook by its content, whatever its name") {
    TempDir dir;
    const auto book = test::make_workbook(
        {{"Sheet1", test::sheet_xml("<row r=\"1\"><c t=\"inlineStr\"><is><t>email</t></is></c></row>"
                                    "<row r=\"2\"><c t=\"inlineStr\"><is><t>a@b.org</t></is></c></row>")}});
    CHECK(read_all(dir.write("roster.csv", book)) == "1:[email]\n2:[a@b.org]\n");
    ReadOptions sheet;
    sheet.sheet = "Nope";
    CHECK(read_all(dir.file("roster.csv"), sheet).find("no sheet 'Nope'") != std::string::npos);
}

TEST_CASE("read::open_records detects separator, encoding and workbooks on a pipe (no seeking)") {
    TempDir dir;
    const auto fifo = dir.file("pipe");
    const auto book = test::make_workbook(
        {{"S", test::sheet_xml("<row r=\"2\"><c t=\"inlineStr\"><is><t>email</t></is></c></row>")}});
    for (const std::string& content : {utf16("email;first_name\na;b\n", true), book}) {
        REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
        std::thread writer([&] { std::ofstream(fifo, std::ios::binary) << content; });
        const auto text = read_all(fifo);
        writer.join();
        ::unlink(fifo.c_str());
        CHECK((text == "1:[email][first_name]\n2:[a][b]\n" || text == "2:[email]\n"));
    }
}
