#include "avara_onboard/report/ordered_report.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace avara::report {

namespace {

constexpr std::size_t min_ring_size = 64;

std::size_t ring_size_for(std::uint64_t span) {
    std::size_t size = min_ring_size;
    while (size < span)
        size *= 2;
    return size;
}

}  // namespace

Result<std::unique_ptr<OrderedReport>> OrderedReport::create(const std::string& path, Format format) {
    auto writer = ReportWriter::create(path, format, ReportWriter::Flush::each_row);
    if (!writer)
        return writer.error();
    auto journal = OutputFile::open_private(path + ".pending", OutputFile::Mode::truncate,
                                            OutputFile::Access::read_back);
    if (!journal)
        return journal.error();
    return std::unique_ptr<OrderedReport>(new OrderedReport(std::move(*writer), std::move(*journal), format));
}

OrderedReport::OrderedReport(std::unique_ptr<ReportWriter> writer, OutputFile journal, Format format)
    : writer_(std::move(writer)), journal_(std::move(journal)), format_(format) {
    static_assert(sizeof(Slot) == 16, "a held row costs 16 bytes (the header says so)");
}

void OrderedReport::check_row(std::uint64_t row, const char* what) {
    if (finished_)
        throw AppError(ErrorKind::internal, std::string("report: ") + what + " after finish()");
    if (row < next_) {
        throw AppError(ErrorKind::internal, std::string("report: ") + what + " of row " +
                                                std::to_string(row) +
                                                ", which is already written or skipped");
    }
}

OrderedReport::Slot& OrderedReport::slot_for(std::uint64_t row) {
    const std::uint64_t span = row - next_ + 1;
    if (span > ring_.size()) {
        std::vector<Slot> grown(ring_size_for(span));
        const std::size_t old_mask = ring_.size() - 1;
        const std::size_t new_mask = grown.size() - 1;
        for (std::uint64_t r = next_; r < next_ + ring_.size(); ++r)
            grown[r & new_mask] = ring_[r & old_mask];
        ring_ = std::move(grown);
    }
    return ring_[row & (ring_.size() - 1)];
}

void OrderedReport::write_journal(const RowResult& r, Slot& slot) {
    auto& buffer = journal_.buffer();
    const std::size_t start = buffer.size();
    if (format_ == Format::csv) {
        append_csv_line(buffer, r);
    } else {
        append_jsonl_line(buffer, r);
    }
    const std::uint64_t offset = journal_.size() + start;
    const std::size_t length = buffer.size() - start;
    journal_.flush();  // throws before the slot says anything: a row is held only once it is on disk
    slot.offset = offset;
    slot.length = static_cast<std::uint32_t>(length);
}

void OrderedReport::write_held(const Slot& slot) {
    line_.clear();
    journal_.read_back(slot.offset, slot.length, line_);
    writer_->write_line(line_);
}

void OrderedReport::drain() {
    if (ring_.empty())
        return;
    const std::size_t mask = ring_.size() - 1;
    for (;;) {
        Slot& s = ring_[next_ & mask];
        if (s.state == SlotState::empty)
            return;
        if (s.state == SlotState::completed) {
            write_held(s);
            --buffered_;
        }
        s.state = SlotState::empty;
        ++next_;
    }
}

void OrderedReport::complete(RowResult result) {
    const std::uint64_t row = result.row;
    settle(row, "complete()", &result);
}

void OrderedReport::skip(std::uint64_t row) {
    settle(row, "skip()", nullptr);
}

// One path for both ways a row ends: the front row is written (or passed over) at once; a later one
// waits in its slot, a completed one safe in the journal first.
void OrderedReport::settle(std::uint64_t row, const char* what, RowResult* result) {
    check_row(row, what);
    if (row > highest_)
        highest_ = row;
    if (row == next_) {
        // Its slot may hold nothing else: the front row has never been stored ahead.
        if (result != nullptr)
            writer_->write(*result);
        ++next_;
        drain();
        return;
    }
    Slot& s = slot_for(row);
    if (s.state != SlotState::empty) {
        throw AppError(ErrorKind::internal, std::string("report: ") + what + " of row " +
                                                std::to_string(row) + ", which is already finished");
    }
    if (result == nullptr) {
        s.state = SlotState::skipped;
        return;
    }
    // Journal first, and only the journal: the slot keeps where the line is.
    write_journal(*result, s);
    s.state = SlotState::completed;
    ++buffered_;
}

void OrderedReport::finish() {
    if (finished_)
        return;
    // Only the gap-free prefix goes in the report. A row that never settled (its write failed: a full
    // disk) leaves a gap; the rows after it stay in the journal, and the journal stays, for --resume.
    bool gap = false;
    if (!ring_.empty()) {
        const std::size_t mask = ring_.size() - 1;
        for (; next_ <= highest_; ++next_) {
            Slot& s = ring_[next_ & mask];
            if (s.state == SlotState::empty) {
                gap = true;
                break;
            }
            if (s.state == SlotState::completed) {
                write_held(s);
                --buffered_;
            }
            s.state = SlotState::empty;
        }
    }
    finished_ = true;
    // The journal may only go once the report's lines are on disk, not just in the page cache:
    // otherwise a power cut right after finish() could lose rows that only the journal held.
    writer_->sync();
    writer_->close();
    journal_.close();
    if (gap)
        return;
    if (::unlink(journal_.path().c_str()) != 0 && errno != ENOENT)
        throw AppError(ErrorKind::io, "cannot remove " + journal_.path() + ": " + std::strerror(errno));
}

}  // namespace avara::report
