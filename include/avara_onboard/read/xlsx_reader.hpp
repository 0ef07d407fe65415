#pragma once
// Reads a worksheet of an .xlsx workbook (libzip + expat) as the same record stream a CSV gives:
// record = sheet row, `line` = the sheet's row number, cells placed by their `r` reference (so an
// empty cell stays an empty column), shared strings, inline strings, booleans and numbers as written
// (an integral number in full digits: a phone number stored as a number is not 5.55E+09).
//
// The sheet is inflated and parsed a piece at a time, so memory holds the shared strings (the
// workbook's distinct texts) and a few rows, not the sheet. What is inflated is bounded, so a zip
// bomb ends in an error, not a full disk or memory; XML with a DTD is refused (no entity expansion).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "avara_onboard/read/record_source.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::read {

class XmlStream;
// A number as the sheet holds it, an integral one in full digits ("5.551234567E9" -> "5551234567").
std::string number_as_written(std::string_view v);

struct XlsxLimits {
    std::uint64_t max_part_bytes = 64ull << 20;  // workbook.xml, its relationships, sharedStrings.xml
    std::uint64_t max_sheet_bytes = 4ull << 30;  // the worksheet's XML, inflated
    std::size_t max_record_bytes = 1u << 20;     // one row's cells together, as for a CSV record
    std::size_t max_columns = 16384;             // Excel's XFD
};

class XlsxReader final : public RecordSource {
  public:
    // Takes ownership of `fd`, whose first bytes `head` were already read from it (a pipe is first
    // copied to an unlinked temporary file: a zip is read from its end). `sheet`: a worksheet's name
    // (exact, else case-insensitive); nothing for the first. Errors: ErrorKind::input (not a
    // readable workbook, over a limit) or ErrorKind::usage (no such sheet, naming the sheets there are).
    static Result<std::unique_ptr<XlsxReader>> open(int fd, std::string head, std::string name,
                                                    const std::optional<std::string>& sheet,
                                                    const XlsxLimits& limits = {});
    // For tests and fuzzing: a workbook held in memory.
    static Result<std::unique_ptr<XlsxReader>> from_bytes(std::string bytes, std::string name,
                                                          const std::optional<std::string>& sheet,
                                                          const XlsxLimits& limits = {});
    ~XlsxReader() override;

    // A broken sheet (bad XML, over a limit) ends the stream with one record carrying the error;
    // nothing is thrown for what the file holds.
    bool next(CsvRecord& out) override;
    std::uint64_t bytes_consumed() const noexcept override { return inflated_; }
    std::optional<std::uint64_t> total_bytes() const noexcept override { return sheet_size_; }
    const std::string& name() const noexcept override { return name_; }
    ColumnNaming column_naming() const noexcept override { return ColumnNaming::lettered; }
    CellText cell_text() const noexcept override { return CellText::checked_utf8; }
    const std::string& sheet_name() const noexcept { return sheet_name_; }

    struct Row {
        std::uint64_t number = 0;
        std::vector<std::string> cells;
        std::optional<std::string> error;
    };
    class SheetParser;

  private:
    XlsxReader(std::string name, const XlsxLimits& limits);
    static Result<std::unique_ptr<XlsxReader>> open_archive(void* archive, std::string name,
                                                            const std::optional<std::string>& sheet,
                                                            const XlsxLimits& limits);
    Result<void> load(const std::optional<std::string>& sheet);
    bool pump();
    bool shape(Row& row);

    std::string name_;
    XlsxLimits limits_;
    std::string bytes_;     // from_bytes' workbook, which libzip reads in place
    void* zip_ = nullptr;   // zip_t*
    void* file_ = nullptr;  // zip_file_t* of the sheet
    std::string sheet_name_;
    std::vector<std::string> shared_;
    std::unique_ptr<SheetParser> parser_;
    std::unique_ptr<XmlStream> xml_;
    std::deque<Row> ready_;
    Row current_;
    std::uint64_t inflated_ = 0;
    std::optional<std::uint64_t> sheet_size_;
    std::size_t header_width_ = 0;
    bool header_seen_ = false;
    bool done_ = false;
};

}  // namespace avara::read
