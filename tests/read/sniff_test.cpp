#include "avara_onboard/read/sniff.hpp"

#include <doctest/doctest.h>

#include "avara_onboard/schema/schema.hpp"

using namespace avara::read;

namespace {
bool schema_field(std::string_view cell) {
    return avara::schema::field_from_header(cell).has_value();
}
}  // namespace

TEST_SUITE_BEGIN("read");

TEST_CASE("read::sniff_kind tells files apart by their first bytes") {
    using namespace std::string_view_literals;
    CHECK(sniff_kind("email,first_name\n") == FileKind::text);
    CHECK(sniff_kind("\xEF\xBB\xBF"
                     "email\n") == FileKind::text);
    CHECK(sniff_kind("M\xFCller;x\n") == FileKind::text);
    CHECK(sniff_kind("") == FileKind::text);
    CHECK(sniff_kind("PK\x03\x04\x14\x00"sv) == FileKind::xlsx);
    CHECK(sniff_kind("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00"sv) == FileKind::xls);
    CHECK(sniff_kind("%PDF-1.7\n") == FileKind::pdf);
    CHECK(sniff_kind("\xFF\xFE"
                     "e\x00m\x00"sv) == FileKind::utf16le);
    CHECK(sniff_kind("\xFE\xFF\x00"
                     "e\x00m"sv) == FileKind::utf16be);
    CHECK(sniff_kind("e\x00m\x00"
                     "a\x00i\x00l\x00"sv) == FileKind::utf16_no_bom);
    CHECK(sniff_kind("\x7f"
                     "ELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00"sv) ==
          FileKind::binary);
    CHECK(sniff_kind("a,b\n\x00\x00\x00\x00\x01\x02\x03"sv) == FileKind::binary);
    CHECK(bom_bytes(FileKind::utf16le) == 2);
    CHECK(bom_bytes(FileKind::text) == 0);
}

TEST_CASE("read::refusal says what a refused file looks like") {
    CHECK(refusal(FileKind::xls) == "looks like an old Excel .xls workbook; save it as .xlsx or CSV");
    CHECK(refusal(FileKind::pdf).find("looks like a PDF document") == 0);
    CHECK(refusal(FileKind::binary).find("looks like a binary file") == 0);
    CHECK(refusal(FileKind::utf16_no_bom).find("--encoding utf-16le") != std::string::npos);
    CHECK(refusal(FileKind::text).empty());
    CHECK(refusal(FileKind::xlsx).empty());
}

TEST_CASE("read::parse_delimiter takes the four separators") {
    CHECK(parse_delimiter(",") == ',');
    CHECK(parse_delimiter(";") == ';');
    CHECK(parse_delimiter("|") == '|');
    CHECK(parse_delimiter("tab") == '\t');
    CHECK(parse_delimiter("TAB") == '\t');
    CHECK(parse_delimiter("\t") == '\t');
    CHECK_FALSE(parse_delimiter(":").has_value());
    CHECK_FALSE(parse_delimiter(",,").has_value());
    CHECK(delimiter_name('\t') == "tab");
}

TEST_CASE("read::detect_delimiter picks the separator naming the most fields, then the most cells") {
    CHECK(detect_delimiter("email;first_name;last_name;clinic_role", schema_field) == ';');
    CHECK(detect_delimiter("email\tfirst_name\tlast_name", schema_field) == '\t');
    CHECK(detect_delimiter("email|first_name|last_name", schema_field) == '|');
    CHECK(detect_delimiter("email,first_name,last_name", schema_field) == ',');
    // "Smith, Jr." style commas inside a semicolon header do not fool it: fields count first.
    CHECK(detect_delimiter("email;\"Name, first\";first_name;last_name", schema_field) == ';');
    // A quoted header cell holding a separator is one cell.
    CHECK(detect_delimiter("\"email;x\",first_name,last_name", schema_field) == ',');
    // Nothing names a field: the most cells win.
    CHECK(detect_delimiter("Work Mail;Given;Family", schema_field) == ';');
    CHECK(detect_delimiter("a|b,c|d|e", schema_field) == '|');
    CHECK(detect_delimiter("one", schema_field) == ',');
    CHECK(detect_delimiter("", schema_field) == ',');
}
