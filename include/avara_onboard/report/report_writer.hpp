#pragma once
// Writes the per-row report (CSV or JSONL) exactly as the contract fixes it, flushing as results are
// known so a killed run loses no finished row.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "avara_onboard/report/row_result.hpp"
#include "avara_onboard/util/error.hpp"
#include "avara_onboard/util/output_file.hpp"

namespace avara::report {

enum class Format { csv, jsonl };
std::optional<Format> parse_format(std::string_view text) noexcept;

inline constexpr std::string_view csv_header = "row,line,email,status,http_status,user_id,attempts,error";

// A report line's fields as views: what `validate` writes straight from the row it holds, with no
// copy into a RowResult.
struct RowFields {
    std::uint64_t row = 0;
    std::uint64_t line = 0;
    std::string_view email;
    Status status = Status::invalid;
    unsigned http_status = 0;
    std::string_view user_id;
    unsigned attempts = 0;
    std::string_view error;
    bool from_roster = true;
};
RowFields fields_of(const RowResult& r) noexcept;

// One line of the report, newline included.
void append_csv_line(std::string& out, const RowFields& r);
void append_jsonl_line(std::string& out, const RowFields& r);
inline void append_csv_line(std::string& out, const RowResult& r) {
    append_csv_line(out, fields_of(r));
}
inline void append_jsonl_line(std::string& out, const RowResult& r) {
    append_jsonl_line(out, fields_of(r));
}
// Cells a spreadsheet would run as a formula get a leading apostrophe (CSV only: JSONL is for machines).
bool needs_formula_guard(std::string_view cell) noexcept;
// The CSV writer's rule: a formula cell gets the apostrophe, and so does a cell that already starts
// with one, so that reading strips exactly one and every cell reads back as it was written
// ("'=x" is written "''=x"; without that, --resume would read it as "=x").
bool needs_apostrophe(std::string_view cell) noexcept;
std::string_view strip_apostrophe(std::string_view written) noexcept;  // what --resume reads back

class ReportWriter {
  public:
    // each_row: a write(2) per result (a run: rows finish at network pace, and each must survive a
    // kill). batched: 64 KiB at a time (validate: millions of rows a second, nothing to lose).
    enum class Flush { each_row, batched };

    static Result<std::unique_ptr<ReportWriter>> create(const std::string& path, Format format, Flush flush);

    void write(const RowFields& r);  // throws AppError(io)
    void write(const RowResult& r) { write(fields_of(r)); }
    // A line this writer's format already made (append_csv_line / append_jsonl_line), as it is.
    void write_line(std::string_view line);
    void flush() { file_.flush(); }
    void sync() { file_.sync(); }  // flush + fsync; throws AppError(io)
    void close() { file_.close(); }
    const std::string& path() const noexcept { return file_.path(); }
    Format format() const noexcept { return format_; }

  private:
    ReportWriter(OutputFile file, Format format, Flush flush)
        : file_(std::move(file)), format_(format), flush_(flush) {}
    void end_line();  // the flush policy, after each line
    OutputFile file_;
    Format format_;
    Flush flush_;
};

}  // namespace avara::report
