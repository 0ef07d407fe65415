#pragma once
// What the engine carries out, one piece at a time, in report order: `run` streams the roster
// (RosterWork, below); `sync` walks its plan. A piece is either a row already settled (it needs no
// request: invalid, duplicate, done by an earlier run, unchanged), a change to send, or a barrier
// (everything before it finishes before anything after it starts: sync's revocations go last).
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "avara_onboard/flow/row_lifecycle.hpp"
#include "avara_onboard/report/resume_store.hpp"
#include "avara_onboard/report/row_result.hpp"
#include "avara_onboard/validate/validated_rows.hpp"

namespace avara::send {

struct Work {
    enum class Kind { settled, change, barrier, skip };  // skip: row `result.row` has no line
    Kind kind = Kind::settled;
    report::RowResult result;  // settled: the row's line as it stands; change: its row, line and email
    flow::Operation operation = flow::Operation::invite;
    flow::FollowUp follow_up = flow::FollowUp::none;
    std::string body;     // invite: the exact POST body; update (and reactivate's follow-up): the PATCH body
    std::string user_id;  // update, revoke, reactivate: whose
};

class WorkSource {
  public:
    virtual ~WorkSource() = default;
    // The next piece; false after the last. May throw AppError (a roster that cannot be read on).
    virtual bool next(Work& out) = 0;
    // For the progress line: how far through its input the source is.
    virtual std::optional<std::uint64_t> total_bytes() const { return std::nullopt; }
    virtual std::uint64_t bytes_consumed() const { return 0; }
};

// A list made beforehand (sync's rows and plan), handed out in order and freed as it goes. A deque:
// no doubling of a 100,000-row list while it is built.
class ListWork final : public WorkSource {
  public:
    explicit ListWork(std::deque<Work> items) : items_(std::move(items)), total_(items_.size()) {}
    bool next(Work& out) override {
        if (items_.empty())
            return false;
        out = std::move(items_.front());
        items_.pop_front();
        return true;
    }
    std::optional<std::uint64_t> total_bytes() const override { return total_; }
    std::uint64_t bytes_consumed() const override { return total_ - items_.size(); }

  private:
    std::deque<Work> items_;
    std::size_t total_;
};

// `run`: each roster row becomes an invite, unless it is invalid or a duplicate, or `resume` (may be
// null) says an earlier run already got it done.
class RosterWork final : public WorkSource {
  public:
    RosterWork(validate::ValidatedRows& rows, const report::ResumeStore* resume)
        : rows_(rows), resume_(resume) {}
    bool next(Work& out) override;
    std::optional<std::uint64_t> total_bytes() const override { return rows_.total_bytes(); }
    std::uint64_t bytes_consumed() const override { return rows_.bytes_consumed(); }
    std::uint64_t skipped_by_resume() const noexcept { return skipped_by_resume_; }

  private:
    validate::ValidatedRows& rows_;
    const report::ResumeStore* resume_;
    validate::ValidatedRow row_;
    std::uint64_t skipped_by_resume_ = 0;
};

}  // namespace avara::send
