#pragma once
// The record stream that RosterReader consumes, whatever the file format: a CSV (any separator, any
// encoding, transcoded on the way in) or a worksheet of an .xlsx workbook. Nothing above `read/`
// learns which one it is, except how a column is best named in a message.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace avara::read {

struct CsvRecord {
    std::uint64_t line = 0;  // 1-based file line (a worksheet's row number) where the record starts
    // Unquoted, doubled quotes resolved, CRLF inside quotes turned into "\n", NOT trimmed. The views
    // point into the reader's buffer and are valid until the next call to next().
    std::vector<std::string_view> cells;
    // Set for a broken record, whose `cells` is then empty: "unterminated quoted field (opened on
    // line N)", "record is over 1 MiB", "unexpected character after closing quote (column N)".
    std::optional<std::string> error;
    // The reader has checked the record's bytes to be valid UTF-8 already (a CSV reader checks what
    // it reads in large runs, which is far cheaper than record by record). False means unknown.
    bool known_utf8 = false;
};

// How messages name a column: by its 1-based number (CSV) or by its letter (a worksheet: "column C").
enum class ColumnNaming : std::uint8_t { numbered, lettered };
// What a record's cells are: views into one buffer, in order (a CSV: its UTF-8 is checked once over
// the whole record), or texts already known to be valid UTF-8 (a worksheet: expat decoded them).
enum class CellText : std::uint8_t { one_buffer, checked_utf8 };
// A worksheet column's letters: 0 -> "A", 25 -> "Z", 26 -> "AA".
std::string column_letters(std::size_t index);

class RecordSource {
  public:
    virtual ~RecordSource() = default;

    // Fills `out` with the next record; false at the end of input. A read error throws
    // AppError(ErrorKind::input).
    virtual bool next(CsvRecord& out) = 0;
    // Input consumed so far and the whole input's size when known, for progress.
    virtual std::uint64_t bytes_consumed() const noexcept = 0;
    virtual std::optional<std::uint64_t> total_bytes() const noexcept = 0;
    virtual const std::string& name() const noexcept = 0;
    virtual ColumnNaming column_naming() const noexcept { return ColumnNaming::numbered; }
    virtual CellText cell_text() const noexcept { return CellText::one_buffer; }
    // The encoding the text was read from; empty for UTF-8 (which is what every record holds).
    virtual std::string_view source_encoding() const noexcept { return {}; }
};

// A stream of raw bytes under a CsvReader: a file descriptor, or a transcoder in front of one.
class ByteSource {
  public:
    virtual ~ByteSource() = default;
    // Up to `len` bytes into `dst`; 0 only at the end of input. Throws AppError(ErrorKind::input).
    virtual std::size_t read(char* dst, std::size_t len) = 0;
};

}  // namespace avara::read
