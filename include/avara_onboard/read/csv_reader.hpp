#pragma once
// Streaming RFC 4180 record reader: the bottom of the roster pipeline.
//
// Memory is one read buffer that grows only as far as the longest record needs (bounded by
// `max_record_bytes` plus one read), however long the file. Input comes through plain read() on a
// file descriptor, so pipes and /dev/stdin work, and a broken record is resynchronised by replaying
// bytes still held in the buffer rather than by seeking.
//
// A broken record (unterminated quote, over the size limit, garbage after a closing quote) is
// returned with `error` set and reading goes on: the roster layer reports it as an invalid row.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "avara_onboard/read/record_source.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::read {

inline constexpr std::size_t default_max_record_bytes = 1u << 20;  // the contract's 1 MiB
// Large enough that a syscall is amortised over thousands of rows, small enough to stay in L2.
inline constexpr std::size_t default_read_chunk_bytes = 1u << 17;

class CsvReader final : public RecordSource {
  public:
    // Errors (kind ErrorKind::input): the file cannot be opened (with the system's reason), or it is
    // a directory.
    static Result<std::unique_ptr<CsvReader>> open(const std::string& path,
                                                   std::size_t max_record_bytes = default_max_record_bytes,
                                                   std::size_t read_chunk_bytes = default_read_chunk_bytes);
    // Takes ownership of `fd` (closed by the destructor); `name` is used in error messages. A negative
    // fd is a caller's bug: AppError(ErrorKind::internal).
    static std::unique_ptr<CsvReader> from_fd(int fd, std::string name,
                                              std::size_t max_record_bytes = default_max_record_bytes,
                                              std::size_t read_chunk_bytes = default_read_chunk_bytes);
    // For tests and fuzzing. The data is handed over in reads of at most `read_chunk_bytes`, so a
    // small chunk exercises exactly the buffer-boundary paths a file or pipe would.
    static std::unique_ptr<CsvReader> from_string(std::string data,
                                                  std::size_t max_record_bytes = default_max_record_bytes,
                                                  std::size_t read_chunk_bytes = default_read_chunk_bytes);

    // Reads through `source` (a transcoder, or a descriptor with bytes already sniffed from it).
    static std::unique_ptr<CsvReader> from_source(std::unique_ptr<ByteSource> source, std::string name,
                                                  std::optional<std::uint64_t> total_bytes,
                                                  std::size_t max_record_bytes = default_max_record_bytes,
                                                  std::size_t read_chunk_bytes = default_read_chunk_bytes);

    ~CsvReader() override;
    CsvReader(const CsvReader&) = delete;
    CsvReader& operator=(const CsvReader&) = delete;

    // The cell separator (`,` unless set): `;`, tab and `|` follow the same quoting rules.
    void set_delimiter(char delimiter) noexcept { delim_ = delimiter; }
    // Picks the separator from the first line (up to its line break, or the record limit) before the
    // first record is read: no seeking, so it works on a pipe.
    void set_delimiter_detector(std::function<char(std::string_view first_line)> detect) {
        detect_ = std::move(detect);
    }
    char delimiter() const noexcept { return delim_; }
    void set_source_encoding(std::string name) { encoding_ = std::move(name); }

    // Fills `out` with the next record; false at the end of input. Blank lines (empty, or only spaces
    // and tabs) produce no record. A read error throws AppError(ErrorKind::input).
    bool next(CsvRecord& out) override;

    // Bytes of input handed out as records or skipped so far, for progress.
    std::uint64_t bytes_consumed() const noexcept override { return base_offset_ + head_; }
    // The file's size when it is a regular file (or the string's size), for progress.
    std::optional<std::uint64_t> total_bytes() const noexcept override { return total_; }
    // Current size of the read buffer: lets tests check that memory stays flat.
    std::size_t buffer_capacity() const noexcept { return cap_; }
    const std::string& name() const noexcept override { return name_; }
    std::string_view source_encoding() const noexcept override { return encoding_; }

  private:
    struct Span {
        std::size_t begin = 0;  // offsets from the start of the record
        std::size_t end = 0;
        bool unescape = false;  // holds "" or CRLF that must be rewritten
        bool quoted = false;
    };

    CsvReader(int fd, std::string name, std::string data, std::size_t max_record_bytes,
              std::size_t read_chunk_bytes);

    void push_span(const Span& s) {
        if (nspans_ == spans_.size()) [[unlikely]] {
            grow_spans();
        }
        spans_[nspans_++] = s;
    }
    void grow_spans();
    bool scan_record(CsvRecord& out);
    // Where scan_record's state machine (for a record with quotes, or not wholly held) stood when it
    // stopped: at the record's LF, at its limit, or at the end of input.
    enum class ScanState : std::uint8_t {
        cell_start,
        unquoted,
        quoted,
        after_quote,
        after_quote_cr,
        garbage
    };
    struct ScanStopped {
        std::uint64_t rec_line;
        ScanState st;
        std::size_t pos;       // offset from head_ where the scan stopped
        std::size_t first_lf;  // of the record's first line break (inside quotes); npos if none
        std::uint64_t lfs;     // line breaks inside the record
    };
    struct EofCell {  // the cell the end of input cut short
        std::size_t cell_begin;
        bool unescape;
        std::uint64_t quote_lfs;    // line breaks before its opening quote
        std::size_t garbage_field;  // 1-based field with junk after its closing quote; 0 = none
    };
    bool end_at_lf(CsvRecord& out, const ScanStopped& s, std::size_t garbage_field);
    bool give_up_over_limit(CsvRecord& out, const ScanStopped& s);
    bool end_at_eof(CsvRecord& out, const ScanStopped& s, const EofCell& c);
    bool scan_simple(std::size_t scan_cap, std::size_t& lf_at);
    bool emit_simple(CsvRecord& out, std::size_t lf_at);
    bool emit_at(CsvRecord& out, char* base, std::size_t content, std::uint64_t line,
                 std::size_t garbage_field);
    bool discard_rest_of_line();
    bool known_utf8(std::size_t begin, std::size_t end);
    void check_utf8_ahead();
    void skip_bom();
    void detect_delimiter();
    bool fill();
    std::size_t read_some(char* dst, std::size_t len);

    int fd_ = -1;
    std::string name_;
    std::string source_;                 // from_string's data, handed out by read_some
    std::unique_ptr<ByteSource> input_;  // from_source's stream
    std::size_t source_pos_ = 0;
    std::optional<std::uint64_t> total_;
    std::size_t max_record_;
    std::size_t chunk_;
    std::string over_limit_message_;
    char delim_ = ',';
    std::function<char(std::string_view)> detect_;
    std::string encoding_;

    std::unique_ptr<char[]> buf_;
    std::size_t cap_ = 0;
    std::size_t head_ = 0;  // start of the bytes not yet handed out (the current record's first byte)
    std::size_t tail_ = 0;  // end of the bytes read
    std::uint64_t base_offset_ = 0;  // input offset of buf_[0]
    std::uint64_t line_ = 1;         // file line at head_
    bool eof_ = false;
    bool bom_checked_ = false;
    bool skip_to_lf_ = false;  // after an oversize record: drop input up to the end of its line

    // UTF-8 is checked over all the bytes held, up to the last ASCII byte (so no character is cut),
    // once: buf_[utf8_from_, utf8_to_) is known valid, buf_[0, utf8_checked_) was checked.
    std::size_t utf8_from_ = 0;
    std::size_t utf8_to_ = 0;
    std::size_t utf8_checked_ = 0;

    // Cells of the record being scanned: the first nspans_ entries. Never shrunk, so after the first
    // records no cell costs an allocation.
    std::vector<Span> spans_;
    std::size_t nspans_ = 0;
    // The fast path's record: the offsets of its first ncommas_ commas.
    std::vector<std::size_t> commas_;
    std::size_t ncommas_ = 0;
};

}  // namespace avara::read
