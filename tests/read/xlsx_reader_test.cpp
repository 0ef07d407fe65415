#include "avara_onboard/read/xlsx_reader.hpp"

#include <doctest/doctest.h>

#include "avara_onboard/read/roster.hpp"
#include "read/record_dump.hpp"
#include "read/xlsx_fixture.hpp"

using namespace avara;
using namespace avara::read;
using avara::test::dump;
using avara::test::make_workbook;
using avara::test::make_zip;
using avara::test::shared_strings_xml;
using avara::test::sheet_xml;

namespace {

std::unique_ptr<XlsxReader> open_ok(const std::string& bytes, std::optional<std::string> sheet = {},
                                    const XlsxLimits& limits = {}) {
    auto r = XlsxReader::from_bytes(bytes, "book.xlsx", sheet, limits);
    if (!r)
        FAIL(r.error().message);
    return std::move(*r);
}

const std::string header_row =
    "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>"
    "<c r=\"C1\" t=\"s\"><v>2</v></c></row>";

}  // namespace

TEST_SUITE_BEGIN("read");

TEST_CASE("read::XlsxReader reads shared and inline strings, booleans and numbers as written") {
    const auto book = make_workbook(
        {{"Staff", sheet_xml(header_row +
                             "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>a@b.org</t></is></c>"
                             "<c r=\"B2\" t=\"b\"><v>1</v></c><c r=\"C2\"><v>5551234567</v></c></row>"
                             "<row r=\"3\"><c r=\"A3\" t=\"s\"><v>3</v></c><c r=\"B3\" t=\"b\"><v>0</v></c>"
                             "<c r=\"C3\"><v>5.551234567E9</v></c></row>"
                             "<row r=\"4\"><c r=\"A4\" t=\"str\"><f>A3</f><v>x</v></c>"
                             "<c r=\"B4\"><v>2.5</v></c><c r=\"C4\"><v>15551234567.0</v></c></row>")}},
        shared_strings_xml({"Email", "Active", "Phone", "M&#252;ller &amp; Co"}));
    auto reader = open_ok(book);
    CHECK(reader->column_naming() == ColumnNaming::lettered);
    CHECK(reader->sheet_name() == "Staff");
    CHECK(dump(*reader) ==
          "1:[Email][Active][Phone]\n"
          "2:[a@b.org][true][5551234567]\n"
          "3:[M\xc3\xbcller & Co][false][5551234567]\n"
          "4:[x][2.5][15551234567]\n");
}

TEST_CASE("read::XlsxReader places cells by their reference and keeps sheet row numbers") {
    const auto book = make_workbook(
        {{"S", sheet_xml(header_row + "<row r=\"5\"><c r=\"C5\" t=\"inlineStr\"><is><t>c</t></is></c></row>"
                                      "<row r=\"6\"></row>"
                                      "<row r=\"7\"><c r=\"A7\" t=\"inlineStr\"><is><t>a</t></is></c>"
                                      "<c r=\"D7\" t=\"inlineStr\"><is><t>far</t></is></c></row>"
                                      "<row><c t=\"inlineStr\"><is><r><t>ri</t></r><r><t>ch</t></r>"
                                      "<rPh><t>PH</t></rPh></is></c></row>")}},
        shared_strings_xml({"Email", "First", "Last"}));
    auto reader = open_ok(book);
    CHECK(dump(*reader) ==
          "1:[Email][First][Last]\n"
          "5:[][][c]\n"
          "7:!has a value in column D, beyond the header's 3 columns\n"
          "8:[rich][][]\n");
}

TEST_CASE("read::XlsxReader picks a sheet by name and names the sheets there are") {
    const auto book = make_workbook(
        {{"Intro", sheet_xml("<row r=\"1\"><c t=\"inlineStr\"><is><t>hi</t></is></c></row>")},
         {"Staff List", sheet_xml("<row r=\"3\"><c t=\"inlineStr\"><is><t>x</t></is></c></row>")}});
    CHECK(dump(*open_ok(book)) == "1:[hi]\n");
    CHECK(dump(*open_ok(book, std::string("Staff List"))) == "3:[x]\n");
    CHECK(dump(*open_ok(book, std::string("staff list"))) == "3:[x]\n");
    auto missing = XlsxReader::from_bytes(book, "book.xlsx", std::string("Payroll"), {});
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().kind == ErrorKind::usage);
    CHECK(missing.error().message ==
          "book.xlsx: the workbook has no sheet 'Payroll' (its sheets: 'Intro', 'Staff List')");
}

TEST_CASE("read::XlsxReader refuses what is not a workbook") {
    auto not_zip = XlsxReader::from_bytes("PK\x03\x04 not really", "x.xlsx", {}, {});
    REQUIRE_FALSE(not_zip.has_value());
    CHECK(not_zip.error().kind == ErrorKind::input);
    CHECK(not_zip.error().message.find("x.xlsx: cannot be read as a zip archive") == 0);

    auto plain_zip = XlsxReader::from_bytes(make_zip({{"notes.txt", "hello"}}), "x.zip", {}, {});
    REQUIRE_FALSE(plain_zip.has_value());
    CHECK(plain_zip.error().message ==
          "x.zip: is a zip archive but not an Excel workbook (it has no xl/workbook.xml)");
}

TEST_CASE("read::XlsxReader refuses a DTD (no entity expansion) and bad XML as a broken record") {
    const std::string laughs =
        "<?xml version=\"1.0\"?><!DOCTYPE w [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]>"
        "<worksheet><sheetData><row r=\"1\"><c "
        "t=\"inlineStr\"><is><t>&b;</t></is></c></row></sheetData></worksheet>";
    auto reader = open_ok(make_workbook({{"S", laughs}}));
    CHECK(dump(*reader) ==
          "1:!the workbook is broken here, reading stops: a DTD is not allowed in a workbook\n");

    auto bad = open_ok(make_workbook(
        {{"S", sheet_xml("<row r=\"1\"><c t=\"inlineStr\"><is><t>ok</t></is></c></row>") + "<row"}}));
    const auto text = dump(*bad);
    CHECK(text.find("1:[ok]\n") == 0);
    CHECK(text.find("the workbook is broken here, reading stops: line ") != std::string::npos);

    auto dtd_in_workbook = XlsxReader::from_bytes(
        make_zip({{"xl/workbook.xml", "<!DOCTYPE x [<!ENTITY e \"e\">]><workbook/>"}}), "w.xlsx", {}, {});
    REQUIRE_FALSE(dtd_in_workbook.has_value());
    CHECK(dtd_in_workbook.error().message.find("a DTD is not allowed") != std::string::npos);
}

TEST_CASE("read::XlsxReader bounds what it inflates (zip bombs) and each row's size") {
    std::string rows;
    for (int i = 1; i <= 2000; ++i)
        rows += "<row r=\"" + std::to_string(i) + "\"><c t=\"inlineStr\"><is><t>" + std::string(100, 'z') +
                "</t></is></c></row>";
    XlsxLimits small;
    small.max_sheet_bytes = 64 * 1024;
    auto reader = open_ok(make_workbook({{"S", sheet_xml(rows)}}), {}, small);
    const auto text = dump(*reader);
    CHECK(text.find("the sheet inflates to more than 65536 bytes") != std::string::npos);
    CHECK(std::count(text.begin(), text.end(), '\n') < 1000);

    XlsxLimits row_limit;
    row_limit.max_record_bytes = 50;
    auto big_row = open_ok(
        make_workbook(
            {{"S",
              sheet_xml("<row r=\"1\"><c t=\"inlineStr\"><is><t>h</t></is></c></row>"
                        "<row r=\"2\"><c t=\"inlineStr\"><is><t>" +
                        std::string(80, 'x') +
                        "</t></is></c></row><row r=\"3\"><c t=\"inlineStr\"><is><t>ok</t></is></c></row>")}}),
        {}, row_limit);
    CHECK(dump(*big_row) == "1:[h]\n2:!record is over 50 bytes\n3:[ok]\n");
}

TEST_CASE("read::XlsxReader reports a missing shared string as that row's error") {
    auto reader =
        open_ok(make_workbook({{"S", sheet_xml("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>"
                                               "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>7</v></c></row>")}},
                              shared_strings_xml({"Email"})));
    CHECK(dump(*reader) == "1:[Email]\n2:!column A: shared string '7' is missing from the workbook\n");
}

TEST_CASE("read::number_as_written keeps numbers, writing integral ones in full digits") {
    CHECK(number_as_written("5551234567") == "5551234567");
    CHECK(number_as_written("5.551234567E9") == "5551234567");
    CHECK(number_as_written("5.551234567E+9") == "5551234567");
    CHECK(number_as_written("15551234567.0") == "15551234567");
    CHECK(number_as_written("-3") == "-3");
    CHECK(number_as_written("2.5") == "2.5");
    CHECK(number_as_written("1E+300") == "1E+300");
    CHECK(number_as_written("abc") == "abc");
    CHECK(number_as_written("12345678901234567890") == "12345678901234567890");
}

TEST_CASE("read::RosterReader names a worksheet's columns by letter and header") {
    const auto book = make_workbook(
        {{"S", sheet_xml("<row r=\"1\">"
                         "<c r=\"A1\" t=\"inlineStr\"><is><t>Email</t></is></c>"
                         "<c r=\"B1\" t=\"inlineStr\"><is><t>First Name</t></is></c>"
                         "<c r=\"C1\" t=\"inlineStr\"><is><t>Surname</t></is></c></row>"
                         "<row r=\"4\"><c r=\"A4\" t=\"inlineStr\"><is><t>a@b.org</t></is></c></row>")}});
    HeaderOptions options;
    options.column_header[static_cast<std::size_t>(schema::Field::last_name)] = "Surname";
    for (auto f : {schema::Field::clinic_role, schema::Field::level, schema::Field::can_manage_studies,
                   schema::Field::has_dashboard_access})
        options.has_default[static_cast<std::size_t>(f)] = true;
    auto roster = RosterReader::open(open_ok(book), options);
    REQUIRE(roster.has_value());
    RosterRow row;
    REQUIRE((*roster)->next(row));
    CHECK(row.line == 4);
    REQUIRE(row.column_labels != nullptr);
    CHECK((*row.column_labels)[static_cast<std::size_t>(schema::Field::last_name)] == "column C (Surname)");
    CHECK(row.cell(schema::Field::last_name) == std::string_view(""));
}
