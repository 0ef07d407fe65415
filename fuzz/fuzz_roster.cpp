// libFuzzer target for the roster input path: the CSV reader, then the whole validation stage.
//
// CSV reader: each input is parsed twice, once in one big read and once in tiny reads, and the two
// parses must agree exactly: where reads fall is invisible to the caller. Every record must also keep
// the reader's promises (lines strictly increasing, errors carry a line and no cells, no record over
// the limit, the buffer bounded by the limit), and a good record's cells, written back as CSV, must
// read back the same.
//
// Validation (validate::ValidatedRows): random bytes almost never form a header that names every
// required column, so the first input byte picks a mode: even bytes put a valid header in front of the
// rest of the input (odd bytes use the input as it is, which keeps the plain CSV seeds meaningful), and
// bit 1 swaps the standard mapping for one with a renamed column, value maps and defaults, as a config
// file would give. Every row must then keep the stage's promises: rows and lines strictly increasing,
// a valid row has no error and a body that is well-formed JSON agreeing with the schema, an invalid or
// duplicate row says why, and the outcome does not depend on how reads fall.
//
// Transcoder (read::Transcoder): the input is decoded from an encoding the first byte picks, once in
// one read and once in tiny reads; the two must agree, and the output is valid UTF-8 once the 0xFF
// markers of undecodable bytes are taken out.
//
// Workbook (read::XlsxReader): the input is read as a whole .xlsx (corrupt zips), and as the sheet XML
// and the shared strings of a well-formed workbook (hostile XML: DTDs, entities, huge or missing
// references), under small limits so the bounds on inflation and row size are reached. Nothing may
// crash or throw; records keep their promises (lines increasing, an error carries no cells, a row
// stays under the record limit) and the stream ends.
#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../tests/read/xlsx_fixture.hpp"
#include "avara_onboard/read/csv_reader.hpp"
#include "avara_onboard/read/transcode.hpp"
#include "avara_onboard/read/xlsx_reader.hpp"
#include "avara_onboard/report/row_result.hpp"
#include "avara_onboard/schema/schema.hpp"
#include "avara_onboard/util/text.hpp"
#include "avara_onboard/validate/config.hpp"
#include "avara_onboard/validate/validated_rows.hpp"

namespace {

using avara::read::CsvReader;
using avara::read::CsvRecord;

// Small, so the fuzzer reaches the over-limit paths with short inputs.
constexpr std::size_t max_record = 64;
// The validation stage needs room for the header put in front of the input.
constexpr std::size_t validate_max_record = 512;

[[noreturn]] void broken(const char* what, int line) {
    std::fprintf(stderr, "fuzz_roster: invariant broken at line %d: %s\n", line, what);
    std::abort();
}
#define FUZZ_CHECK(cond)             \
    do {                             \
        if (!(cond)) {               \
            broken(#cond, __LINE__); \
        }                            \
    } while (false)

struct Seen {
    std::uint64_t line = 0;
    std::vector<std::string> cells;
    std::optional<std::string> error;
    bool operator==(const Seen&) const = default;
};

std::vector<Seen> walk(const std::string& input, std::size_t max, std::size_t chunk) {
    const auto max_line = static_cast<std::uint64_t>(std::count(input.begin(), input.end(), '\n')) + 1;
    auto reader = CsvReader::from_string(input, max, chunk);
    std::vector<Seen> seen;
    CsvRecord rec;
    std::uint64_t last_line = 0;
    while (reader->next(rec)) {
        FUZZ_CHECK(rec.line > last_line);
        FUZZ_CHECK(rec.line <= max_line);
        last_line = rec.line;
        if (rec.error) {
            FUZZ_CHECK(!rec.error->empty());
            FUZZ_CHECK(rec.cells.empty());
        } else {
            FUZZ_CHECK(!rec.cells.empty());
            std::size_t bytes = 0;
            for (auto cell : rec.cells) {
                bytes += cell.size() + 1;  // + its comma or line end
            }
            FUZZ_CHECK(bytes <= max + 1);
        }
        FUZZ_CHECK(reader->bytes_consumed() <= input.size());
        FUZZ_CHECK(reader->buffer_capacity() <= max + 2 + chunk);
        seen.push_back({rec.line, {rec.cells.begin(), rec.cells.end()}, rec.error});
    }
    FUZZ_CHECK(reader->bytes_consumed() == input.size());
    FUZZ_CHECK(!reader->next(rec));
    return seen;
}

// Writes good records back as CSV, every cell quoted. Cells holding CRLF are left out: reading turns a
// quoted CRLF into LF, so they cannot come back byte for byte.
std::string write_back(const std::vector<Seen>& records, std::vector<std::vector<std::string>>& expected) {
    std::string out;
    for (const Seen& r : records) {
        if (r.error || std::any_of(r.cells.begin(), r.cells.end(), [](const std::string& c) {
                return c.find("\r\n") != std::string::npos;
            })) {
            continue;
        }
        for (std::size_t i = 0; i < r.cells.size(); ++i) {
            out += i == 0 ? "\"" : ",\"";
            for (char c : r.cells[i]) {
                out += c;
                if (c == '"') {
                    out += '"';
                }
            }
            out += '"';
        }
        out += '\n';
        expected.push_back(r.cells);
    }
    return out;
}

using avara::report::Status;
using avara::schema::Field;
using avara::validate::RosterMapping;
using avara::validate::ValidatedRow;
using avara::validate::ValidatedRows;

constexpr std::string_view standard_header =
    "email,first_name,last_name,middle_name,suffix1,suffix2,clinic_role,level,can_manage_studies,"
    "has_dashboard_access,phone_number\n";
// For the configured mapping: email under another name, level and the booleans left to defaults.
constexpr std::string_view mapped_header = "Work E-mail,First Name,lastName,Job,Phone,Access\n";

RosterMapping make_mapped() {
    RosterMapping m;
    auto at = [](Field f) { return static_cast<std::size_t>(f); };
    m.column_header[at(Field::email)] = "work e-mail";
    m.column_header[at(Field::clinic_role)] = "Job";
    m.column_header[at(Field::phone_number)] = "Phone";
    m.column_header[at(Field::has_dashboard_access)] = "Access";
    m.value_map[at(Field::clinic_role)] = {{"RN", "Registered Nurse"}, {"", "Other"}, {"x", "Janitor"}};
    m.value_map[at(Field::level)] = {{"boss", "admin"}};
    m.value_map[at(Field::has_dashboard_access)] = {{"full", "yes"}, {"none", "no"}};
    m.defaults[at(Field::level)] = "member";
    m.defaults[at(Field::can_manage_studies)] = " no ";
    m.defaults[at(Field::suffix1)] = "PhD";
    return m;
}

const RosterMapping& mapping_for(bool mapped) {
    static const RosterMapping standard;
    static const RosterMapping configured = make_mapped();
    return mapped ? configured : standard;
}

std::string_view view(const boost::json::string& s) {
    return {s.data(), s.size()};
}

std::string_view json_string(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    FUZZ_CHECK(v != nullptr && v->is_string());
    return view(v->get_string());
}

// A valid row's body must parse as JSON and say what the schema allows.
void check_body(const ValidatedRow& r) {
    const std::string body = r.invite.to_json();
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(body, ec);
    FUZZ_CHECK(!ec);
    FUZZ_CHECK(doc.is_object());
    const auto& o = doc.get_object();
    FUZZ_CHECK(json_string(o, "email") == r.email);
    FUZZ_CHECK(!avara::schema::check_email(r.email));
    FUZZ_CHECK(!json_string(o, "firstName").empty());
    FUZZ_CHECK(!json_string(o, "lastName").empty());
    FUZZ_CHECK(avara::schema::clinic_role_from_display(json_string(o, "clinicRole")).has_value());
    const auto level = json_string(o, "level");
    FUZZ_CHECK(level == "admin" || level == "member");
    const auto* manage = o.if_contains("canManageStudies");
    const auto* dashboard = o.if_contains("hasDashboardAccess");
    FUZZ_CHECK(manage != nullptr && manage->is_bool());
    FUZZ_CHECK(dashboard != nullptr && dashboard->is_bool());
    FUZZ_CHECK(level != "admin" || dashboard->get_bool());
    for (std::string_view optional : {"middleName", "suffix1", "suffix2"}) {
        if (const auto* v = o.if_contains(optional)) {
            FUZZ_CHECK(v->is_string() && !v->get_string().empty());
        }
    }
    if (const auto* phone = o.if_contains("phoneNumber")) {
        FUZZ_CHECK(phone->is_string());
        const std::string_view digits = view(phone->get_string());
        FUZZ_CHECK(digits.size() >= 10 && digits.size() <= 15);
        FUZZ_CHECK(std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }));
    }
}

struct Validated {
    std::uint64_t row = 0;
    std::uint64_t line = 0;
    Status status = Status::invalid;
    std::string email;
    std::string error;
    std::string body;
    bool operator==(const Validated&) const = default;
};

// Empty when the header is refused (a legitimate outcome for arbitrary bytes).
std::optional<std::vector<Validated>> validate_all(const std::string& input, const RosterMapping& mapping,
                                                   std::size_t chunk) {
    auto opened = ValidatedRows::open(CsvReader::from_string(input, validate_max_record, chunk), mapping);
    if (!opened) {
        FUZZ_CHECK(!opened.error().message.empty());
        return std::nullopt;
    }
    ValidatedRows& rows = **opened;
    std::vector<Validated> out;
    ValidatedRow r;
    std::uint64_t last_line = 0;
    while (rows.next(r)) {
        FUZZ_CHECK(r.row == out.size() + 1);  // every data record is a row, broken ones included
        FUZZ_CHECK(r.line > last_line);
        last_line = r.line;
        switch (r.status) {
            case Status::valid:
                FUZZ_CHECK(r.error.empty());
                check_body(r);
                break;
            case Status::duplicate:
                FUZZ_CHECK(r.error.find("duplicate of row ") != std::string::npos);
                FUZZ_CHECK(!avara::schema::check_email(r.email));
                break;
            case Status::invalid:
                FUZZ_CHECK(!r.error.empty());
                break;
            default:
                broken("a status only `run` may give", __LINE__);
        }
        out.push_back({r.row, r.line, r.status, r.email, r.error,
                       r.status == Status::valid ? r.invite.to_json() : std::string()});
    }
    FUZZ_CHECK(rows.bytes_consumed() == input.size());
    FUZZ_CHECK(!rows.next(r));
    return out;
}

// The first row of an email is never a duplicate, and a duplicate names an earlier row.
void check_duplicates(const std::vector<Validated>& rows) {
    for (const Validated& v : rows) {
        if (v.status != Status::duplicate) {
            continue;
        }
        const auto at = v.error.find("duplicate of row ");
        const std::uint64_t first = std::strtoull(v.error.c_str() + at + 17, nullptr, 10);
        FUZZ_CHECK(first >= 1 && first < v.row);
        FUZZ_CHECK(rows[first - 1].status != Status::duplicate);
        FUZZ_CHECK(avara::text::iequals(rows[first - 1].email, v.email));
    }
}

void fuzz_validation(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return;
    }
    const bool with_header = data[0] % 2 == 0;
    const bool mapped = (data[0] & 2) != 0;
    std::string input;
    if (with_header) {
        input = mapped ? mapped_header : standard_header;
    }
    input.append(reinterpret_cast<const char*>(data + 1), size - 1);
    const RosterMapping& mapping = mapping_for(mapped);

    const auto whole = validate_all(input, mapping, 1u << 16);
    const auto chunked = validate_all(input, mapping, 1 + size % 7);
    FUZZ_CHECK(whole.has_value() == chunked.has_value());
    if (whole) {
        FUZZ_CHECK(*whole == *chunked);
        check_duplicates(*whole);
    }
}

// Hands out a string in reads of at most `chunk` bytes.
class ChunkedSource final : public avara::read::ByteSource {
  public:
    ChunkedSource(const std::string& data, std::size_t chunk) : data_(data), chunk_(chunk) {}
    std::size_t read(char* dst, std::size_t len) override {
        const std::size_t n = std::min({len, chunk_, data_.size() - pos_});
        std::copy_n(data_.data() + pos_, n, dst);
        pos_ += n;
        return n;
    }

  private:
    const std::string& data_;
    std::size_t chunk_;
    std::size_t pos_ = 0;
};

std::string transcode_all(const std::string& input, const char* encoding, std::size_t chunk) {
    auto t = avara::read::Transcoder::open(std::make_unique<ChunkedSource>(input, chunk), encoding);
    FUZZ_CHECK(t.has_value());
    std::string out;
    std::string buf(1 + chunk % 11, '\0');
    for (std::size_t n; (n = (*t)->read(buf.data(), buf.size())) != 0;)
        out.append(buf.data(), n);
    return out;
}

void fuzz_transcoder(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return;
    static constexpr const char* encodings[] = {"UTF-16LE", "UTF-16BE", "WINDOWS-1252",
                                                "UTF-16",   "UTF-32LE", "ISO-8859-15"};
    const char* encoding = encodings[data[0] % std::size(encodings)];
    const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
    const auto whole = transcode_all(input, encoding, 1u << 16);
    FUZZ_CHECK(whole == transcode_all(input, encoding, 1 + size % 5));
    std::string cleaned;
    std::copy_if(whole.begin(), whole.end(), std::back_inserter(cleaned), [](char c) { return c != '\xFF'; });
    FUZZ_CHECK(avara::text::is_valid_utf8(cleaned));
}

void read_workbook(const std::string& bytes, const std::optional<std::string>& sheet) {
    avara::read::XlsxLimits limits;
    limits.max_part_bytes = 1u << 16;
    limits.max_sheet_bytes = 1u << 16;
    limits.max_record_bytes = 256;
    limits.max_columns = 64;
    auto reader = avara::read::XlsxReader::from_bytes(bytes, "fuzz.xlsx", sheet, limits);
    if (!reader) {
        FUZZ_CHECK(!reader.error().message.empty());
        return;
    }
    CsvRecord rec;
    std::uint64_t last_line = 0;
    std::size_t records = 0;
    while ((*reader)->next(rec)) {
        FUZZ_CHECK(rec.line > last_line);
        last_line = rec.line;
        FUZZ_CHECK(!rec.error || rec.cells.empty());
        FUZZ_CHECK(rec.cells.size() <= limits.max_columns);
        std::size_t bytes_in_row = 0;
        for (auto cell : rec.cells)
            bytes_in_row += cell.size();
        FUZZ_CHECK(bytes_in_row <= limits.max_record_bytes);
        FUZZ_CHECK(++records <= (1u << 16));
    }
    FUZZ_CHECK(!(*reader)->next(rec));
}

void fuzz_workbook(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    read_workbook(input, std::nullopt);  // a corrupt (or, from the seeds, real) zip
    // The same bytes as a sheet's rows and as the shared strings of a well-formed workbook.
    const auto half = size / 2;
    const std::string rows = input.substr(0, half);
    const std::string shared = "<sst><si><t>email</t></si>" + input.substr(half) + "</sst>";
    read_workbook(avara::test::make_workbook({{"S", avara::test::sheet_xml(rows)}, {"T", input}}, shared),
                  size % 2 == 0 ? std::nullopt : std::optional<std::string>("T"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);

    const auto whole = walk(input, max_record, 1u << 16);
    const auto chunked = walk(input, max_record, 1 + size % 13);
    FUZZ_CHECK(whole == chunked);

    std::vector<std::vector<std::string>> expected;
    const std::string csv = write_back(whole, expected);
    const auto again = walk(csv, avara::read::default_max_record_bytes, 1u << 16);
    FUZZ_CHECK(again.size() == expected.size());
    for (std::size_t i = 0; i < again.size(); ++i) {
        FUZZ_CHECK(!again[i].error);
        FUZZ_CHECK(again[i].cells == expected[i]);
    }

    fuzz_validation(data, size);
    fuzz_transcoder(data, size);
    fuzz_workbook(data, size);
    return 0;
}
