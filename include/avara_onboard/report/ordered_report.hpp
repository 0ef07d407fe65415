#pragma once
// The run's report in row order although results complete out of order, without ever holding a
// finished row only in memory: a result that cannot be written yet (an earlier row is still in
// flight) is appended to a journal, `path + ".pending"`, flushed at once. At any instant the report
// plus the journal hold every completed row, so a killed run loses nothing (--resume reads both);
// finish() leaves the report alone, one line per handled row in row order, and removes the journal
// (unless a row whose write failed left a gap: the report then ends before it, the journal stays).
//
// Memory: a row held out of order is not kept in memory at all, only where its line sits in the
// journal; when its turn comes the line is read back from there (the journal's lines are the report's
// lines, byte for byte). So one 16-byte ring slot per row between the lowest unfinished row and the
// highest finished one, and one row stuck in a long backoff costs the rows behind it 16 bytes each,
// not their whole results. The caller bounds that window (its read-ahead) with span().
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "avara_onboard/report/report_writer.hpp"
#include "avara_onboard/report/row_result.hpp"
#include "avara_onboard/util/error.hpp"
#include "avara_onboard/util/output_file.hpp"

namespace avara::report {

class OrderedReport {
  public:
    // Creates/truncates `path` (0600, header for CSV) and `path + ".pending"` (0600, empty: a journal
    // left by an older run must not be mistaken for this one's).
    static Result<std::unique_ptr<OrderedReport>> create(const std::string& path, Format format);

    OrderedReport(const OrderedReport&) = delete;
    OrderedReport& operator=(const OrderedReport&) = delete;
    // Without finish() (an exception unwinding, a test simulating a kill) the journal stays.
    ~OrderedReport() = default;

    // Rows are numbered from 1; each row 1..N is eventually completed or skipped, once, in any order.
    // The next row in order goes straight to the report (a write(2) per row) with every buffered row
    // it unblocks; a result that arrives early is held and appended to the journal (a write(2)).
    // A row out of range (0, already written, completed or skipped twice) is a caller's bug:
    // AppError(internal). A failed write (a full disk): AppError(io); the file that failed then takes
    // nothing more and holds whole lines only, so the report plus the journal still hold every row
    // whose complete() returned, and the caller must stop (the engine aborts, exit 3, resumable).
    void complete(RowResult result);
    // The row will not be in the report (never handled: e.g. the run stopped before sending it).
    void skip(std::uint64_t row);

    std::uint64_t next_in_order() const noexcept { return next_; }  // lowest row neither written nor skipped
    std::size_t buffered() const noexcept { return buffered_; }     // completed rows held out of order
    // Rows from next_in_order() to the highest completed or skipped one: the ring's extent.
    std::uint64_t span() const noexcept { return highest_ >= next_ ? highest_ - next_ + 1 : 0; }

    // Writes everything still held in row order (rows never completed nor skipped count as skipped),
    // fsyncs and closes the report, and only then removes the journal. Throws AppError(io) on failure;
    // the journal then stays for --resume.
    void finish();

    const std::string& path() const noexcept { return writer_->path(); }
    const std::string& journal_path() const noexcept { return journal_.path(); }

  private:
    enum class SlotState : std::uint8_t { empty, completed, skipped };
    struct Slot {  // a completed row's line: journal bytes [offset, offset + length)
        std::uint64_t offset = 0;
        std::uint32_t length = 0;
        SlotState state = SlotState::empty;
    };

    OrderedReport(std::unique_ptr<ReportWriter> writer, OutputFile journal, Format format);

    Slot& slot_for(std::uint64_t row);  // grows the ring so that `row` fits
    void check_row(std::uint64_t row, const char* what);
    void settle(std::uint64_t row, const char* what, RowResult* result);  // result null: skipped
    void drain();  // writes/advances past every finished row at the front
    void write_journal(const RowResult& r, Slot& slot);  // and notes where its line went
    void write_held(const Slot& slot);                   // a journaled line into the report

    std::unique_ptr<ReportWriter> writer_;
    OutputFile journal_;
    Format format_;
    std::string line_;  // a held line on its way from the journal to the report
    // Ring of slots for rows [next_, next_ + ring_.size()), row r at ring_[r & (size - 1)]: in steady
    // state no allocation per row (a map or deque would allocate).
    std::vector<Slot> ring_;
    std::uint64_t next_ = 1;
    std::uint64_t highest_ = 0;  // highest row completed or skipped so far
    std::size_t buffered_ = 0;
    bool finished_ = false;
};

}  // namespace avara::report
