#pragma once
// The read -> validate -> de-duplicate stage shared by `validate` and `run`: pulls one roster row at
// a time and says what it is (valid, invalid with every reason, or a duplicate naming the first row).
#include <array>
#include <cstdint>
#include <exception>
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
    // The next row, held here until the following call; nullptr at the end of the roster. A read
    // error (AppError) is thrown once every row before it has been returned, as the reader threw it.
    const ValidatedRow* next();

    // False: the rows' invites carry no names (first, last, middle, suffixes), for a caller that
    // needs only each row's verdict and email. Set before the first next().
    void set_invites_needed(bool needed) noexcept { validator_.set_fill_names(needed); }

    const std::vector<std::string>& unknown_columns() const noexcept { return reader_->unknown_columns(); }
    std::uint64_t bytes_consumed() const noexcept { return reader_->records().bytes_consumed(); }
    std::optional<std::uint64_t> total_bytes() const noexcept { return reader_->records().total_bytes(); }

  private:
    static Result<std::unique_ptr<ValidatedRows>> wrap(Result<std::unique_ptr<read::RosterReader>> reader,
                                                       const RosterMapping& mapping);
    ValidatedRows(std::unique_ptr<read::RosterReader> reader, const RosterMapping& mapping)
        : reader_(std::move(reader)),
          validator_(mapping),
          depth_(reader_->records().total_bytes() ? lookahead : 1) {}
    static constexpr std::uint64_t sample_rows = 4096;
    static constexpr std::size_t max_reserved_rows = std::size_t{1} << 21;
    // Rows are read and validated this far ahead of the one returned, so that the duplicate table's
    // slot of each email, fetched from memory when the row is read, is in cache when it is looked up.
    // Only a file is read ahead: a pipe (standard input) may bring its rows slowly, and each is
    // handled as soon as it comes.
    static constexpr std::size_t lookahead = 8;

    struct Pending {
        ValidatedRow row;
        bool claims_email = false;  // the row takes part in duplicate detection
        std::uint64_t key = 0;      // EmailIndex::key_of its email
    };
    void size_index_from_sample(std::uint64_t rows);
    void read_ahead();
    bool read_into(Pending& p);
    void settle(Pending& p);

    std::unique_ptr<read::RosterReader> reader_;
    RowValidator validator_;
    std::size_t depth_ = 1;  // rows read ahead at most: lookahead, or 1 for a pipe
    EmailIndex first_row_of_email_;
    read::RosterRow raw_;
    std::array<Pending, lookahead> ahead_;
    std::size_t head_ = 0;  // ahead_[head_] is the row returned last, when `returned_`
    std::size_t held_ = 0;  // rows in ahead_ from head_ on
    bool returned_ = false;
    bool reader_done_ = false;
    std::exception_ptr read_error_;  // thrown by the reader, rethrown when the rows before it are out
};

}  // namespace avara::validate
