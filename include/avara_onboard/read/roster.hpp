#pragma once
// Reads a roster: the header (of a CSV or a worksheet: see roster_input.hpp) is mapped to schema fields once,
// then every data record comes out as a RosterRow whose cells are indexed by field. Record-level problems
// (wrong cell count, a broken record, invalid UTF-8 in a used cell) are returned as rows with an error, so
// reading goes on.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "avara_onboard/read/csv_reader.hpp"
#include "avara_onboard/read/record_source.hpp"
#include "avara_onboard/read/roster_input.hpp"
#include "avara_onboard/schema/schema.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::read {

struct HeaderOptions {
    // A header to use for a field instead of the standard spellings (the config's [columns]).
    std::array<std::optional<std::string>, schema::field_count> column_header;
    // Fields whose missing column is acceptable because a default fills them (the config's [defaults]).
    std::array<bool, schema::field_count> has_default{};
};

struct RosterRow {
    std::uint64_t row = 0;   // 1-based data record index (header not counted)
    std::uint64_t line = 0;  // file line where the record starts
    // The trimmed cell of each field; nullopt when the roster has no column for it. Valid until next().
    std::array<std::optional<std::string_view>, schema::field_count> cells;
    std::optional<std::string> error;  // the record itself is broken
    // Best-effort email for the report of a broken row (empty when unknown).
    std::string_view email_hint;
    // For a worksheet, how messages name each field's column ("column C (Surname)"); empty entries
    // (and nullptr, for a CSV) mean messages name the field only. Owned by the reader.
    const std::array<std::string, schema::field_count>* column_labels = nullptr;

    std::optional<std::string_view> cell(schema::Field f) const { return cells[static_cast<std::size_t>(f)]; }
};

class RosterReader {
  public:
    // Reads and maps the header. Errors (ErrorKind::input): the roster cannot be opened, is empty, its
    // header is broken, two columns map to one field, or a required column is missing with no default.
    // `path` "-" is standard input. Also the errors of open_records.
    static Result<std::unique_ptr<RosterReader>> open(const std::string& path, const HeaderOptions& options,
                                                      const ReadOptions& read_options = {});
    static Result<std::unique_ptr<RosterReader>> open(std::unique_ptr<RecordSource> records,
                                                      const HeaderOptions& options);

    bool next(RosterRow& out);

    // Header cells that map to no field, in file order (named once in a warning by the caller).
    const std::vector<std::string>& unknown_columns() const noexcept { return unknown_columns_; }
    const RecordSource& records() const noexcept { return *csv_; }
    // True once a row held invalid UTF-8 that reads as Windows-1252 text (warned about once).
    bool saw_windows_1252() const noexcept { return saw_windows_1252_; }

  private:
    explicit RosterReader(std::unique_ptr<RecordSource> csv) : csv_(std::move(csv)) {}
    Result<void> map_header(const HeaderOptions& options);
    void label_columns();
    void note_bad_cell(schema::Field f, std::string_view value, std::string& bad);
    bool record_is_valid_utf8() const noexcept;
    void take_email_hint(RosterRow& out) const;

    std::unique_ptr<RecordSource> csv_;
    CsvRecord record_;
    std::array<int, schema::field_count> column_of_field_{};  // -1 when absent
    // The fields the header holds, in field order: (field index, column).
    std::vector<std::pair<std::size_t, std::size_t>> present_;
    std::vector<std::size_t> absent_;  // the fields it does not hold
    std::size_t header_cells_ = 0;
    std::vector<std::string> unknown_columns_;
    std::uint64_t rows_ = 0;
    std::array<std::string, schema::field_count> labels_;
    bool lettered_ = false;
    bool saw_windows_1252_ = false;
};

// Whether a header cell names a field, by a configured header or a standard spelling; the configured
// header wins, and a standard spelling that the config moved to another header names nothing.
std::optional<schema::Field> match_header(std::string_view cell, const HeaderOptions& options);

}  // namespace avara::read
