// libFuzzer target for the roster input path. For now it drives the CSV reader; the roster validator
// will be added on top of it.
//
// Each input is parsed twice, once in one big read and once in tiny reads, and the two parses must
// agree exactly: where reads fall is invisible to the caller. Every record must also keep the reader's
// promises (lines strictly increasing, errors carry a line and no cells, no record over the limit, the
// buffer bounded by the limit), and a good record's cells, written back as CSV, must read back the same.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "avara_onboard/read/csv_reader.hpp"

namespace {

using avara::read::CsvReader;
using avara::read::CsvRecord;

// Small, so the fuzzer reaches the over-limit paths with short inputs.
constexpr std::size_t max_record = 64;

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
    return 0;
}
