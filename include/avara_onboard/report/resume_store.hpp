#pragma once
// What earlier runs already achieved for a report path, for --resume: the rows whose email ended
// as meant (`invited`, `exists`, and sync's `updated`, `unchanged`, `revoked`, `reactivated`), so the new run
// can skip them and still write their outcome into the merged report.
//
// Earlier runs may have left up to three files; all are read (oldest first, a later one wins for the
// same email): `path + ".previous"` (what a resume carried over, left behind when that resume was
// itself killed), `path` (the last report, CSV or JSONL), `path + ".pending"` (the journal of a killed
// run: rows that finished out of order). The kept rows are consolidated into `path + ".previous"`, one
// JSONL line per email, and only a hash -> byte offset index stays in memory (16 bytes a slot, however
// many rows), find() reading the line back with pread(2).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "avara_onboard/report/row_result.hpp"
#include "avara_onboard/util/error.hpp"
#include "avara_onboard/validate/email_index.hpp"

namespace avara::report {

struct PreviousOutcome {
    Status status = Status::invited;  // one that report::is_success() holds
    unsigned http_status = 0;         // 0: none recorded
    std::string user_id;
    unsigned attempts = 0;
};

// Every line of a report (CSV with its header, or JSONL), in file order; a last line cut short by a
// kill is skipped. A missing file has no lines. Errors as ResumeStore::open's.
Result<void> read_report_lines(const std::string& file, const std::function<void(const RowResult&)>& sink);

class ResumeStore {
  public:
    // Reads the files above (any may be missing: a first run resumes into a normal run), writes the
    // consolidated `path + ".previous"` (temp file + rename, mode 0600), then removes `path + ".pending"`.
    // The caller then re-creates the report at `path`.
    // Errors: a file that exists but is not a report (wrong header, garbage, a bad cell) is
    // ErrorKind::input naming the file and line. A last line cut short without its newline (the process
    // was killed mid-write) is ignored. A file that cannot be written: ErrorKind::io.
    static Result<std::unique_ptr<ResumeStore>> open(const std::string& report_path);

    ~ResumeStore();
    ResumeStore(const ResumeStore&) = delete;
    ResumeStore& operator=(const ResumeStore&) = delete;

    // The outcome recorded for `email` (ASCII case-insensitive), if it was invited or exists. Throws
    // AppError(io) if the consolidated file cannot be read back.
    std::optional<PreviousOutcome> find(std::string_view email) const;
    std::size_t size() const noexcept { return index_.size(); }
    const std::string& previous_path() const noexcept { return previous_path_; }

    // Removes `path + ".previous"` once the new report is complete (the run finished or stopped
    // cleanly): the report then holds everything it held. find() answers nothing afterwards.
    // Throws AppError(io) if the file cannot be removed.
    void discard();

  private:
    ResumeStore(std::string previous_path, int fd, validate::EmailIndex index)
        : previous_path_(std::move(previous_path)), fd_(fd), index_(std::move(index)) {}

    std::string previous_path_;
    int fd_ = -1;  // the consolidated file, read-only; -1 when nothing was kept
    validate::EmailIndex index_;
};

}  // namespace avara::report
