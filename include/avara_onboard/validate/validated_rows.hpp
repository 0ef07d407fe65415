#pragma once
// The read -> validate -> de-duplicate stage shared by `validate` and `run`: pulls one roster row at
// a time and says what it is (valid, invalid with every reason, or a duplicate naming the first row).
#include <cstdint>
#include <memory>
#include <string>

#include "avara_onboard/read/roster.hpp"
#include "avara_onboard/report/row_result.hpp"
#include "avara_onboard/validate/config.hpp"
#include "avara_onboard/validate/email_index.hpp"
#include "avara_onboard/validate/validator.hpp"

namespace avara::validate {

struct ValidatedRow {
    std::uint64_t row = 0;
    std::uint64_t line = 0;
    report::Status status = report::Status::invalid;  // valid, invalid or duplicate
    std::string email;                                // as written (trimmed); best effort for a broken record
    std::string error;                                // empty when valid
    Invite invite;                                    // filled when valid
};

class ValidatedRows {
  public:
    // `mapping` must outlive this object.
    // `roster_path` "-" is standard input; `read_options` say how to read it (separator, encoding,
    // worksheet), each detected when not given.
    static Result<std::unique_ptr<ValidatedRows>> open(const std::string& roster_path,
                                                       const RosterMapping& mapping,
                                                       const read::ReadOptions& read_options = {});
    static Result<std::unique_ptr<ValidatedRows>> open(std::unique_ptr<read::RecordSource> records,
                                                       const RosterMapping& mapping);

    // Fills `out` (its buffers are reused). False at the end of the roster.
    bool next(ValidatedRow& out);

    const std::vector<std::string>& unknown_columns() const noexcept { return reader_->unknown_columns(); }
    std::uint64_t bytes_consumed() const noexcept { return reader_->records().bytes_consumed(); }
    std::optional<std::uint64_t> total_bytes() const noexcept { return reader_->records().total_bytes(); }

  private:
    static Result<std::unique_ptr<ValidatedRows>> wrap(Result<std::unique_ptr<read::RosterReader>> reader,
                                                       const RosterMapping& mapping);
    ValidatedRows(std::unique_ptr<read::RosterReader> reader, const RosterMapping& mapping)
        : reader_(std::move(reader)), validator_(mapping) {}

    std::unique_ptr<read::RosterReader> reader_;
    RowValidator validator_;
    EmailIndex first_row_of_email_;
    read::RosterRow raw_;
};

}  // namespace avara::validate
