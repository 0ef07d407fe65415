#include "avara_onboard/validate/validated_rows.hpp"

#include <algorithm>
#include <utility>

namespace avara::validate {

Result<std::unique_ptr<ValidatedRows>> ValidatedRows::wrap(Result<std::unique_ptr<read::RosterReader>> reader,
                                                           const RosterMapping& mapping) {
    if (!reader)
        return reader.error();
    return std::unique_ptr<ValidatedRows>(new ValidatedRows(std::move(*reader), mapping));
}

Result<std::unique_ptr<ValidatedRows>> ValidatedRows::open(const std::string& roster_path,
                                                           const RosterMapping& mapping,
                                                           const read::ReadOptions& read_options) {
    return wrap(read::RosterReader::open(roster_path, RowValidator(mapping).header_options(), read_options),
                mapping);
}

Result<std::unique_ptr<ValidatedRows>> ValidatedRows::open(std::unique_ptr<read::RecordSource> records,
                                                           const RosterMapping& mapping) {
    return wrap(read::RosterReader::open(std::move(records), RowValidator(mapping).header_options()),
                mapping);
}

// Once the first rows are read, the duplicate table is sized from their average length: a roster's
// rows are alike, so it is neither rehashed and held twice on the way up nor much bigger than the
// file needs. Capped so an odd file cannot make us reserve more than it needs; past that it grows.
void ValidatedRows::size_index_from_sample(std::uint64_t rows) {
    const auto total = total_bytes();
    const auto consumed = bytes_consumed();
    if (!total || consumed == 0 || *total <= consumed)
        return;
    const double rows_per_byte = static_cast<double>(rows) / static_cast<double>(consumed);
    const double expected =
        static_cast<double>(rows) + static_cast<double>(*total - consumed) * rows_per_byte;
    first_row_of_email_.reserve(
        static_cast<std::size_t>(std::min(expected * 1.1 + 1024, static_cast<double>(max_reserved_rows))));
}

// Reads and validates one row into `p`; false at the end of the roster. The email's key is hashed
// once, from the cell as read (or from the mapped value, when a config maps emails), and its slot
// fetched while the rows before it are handed out.
bool ValidatedRows::read_into(Pending& p) {
    if (!reader_->next(raw_))
        return false;
    if (raw_.row == sample_rows)
        size_index_from_sample(raw_.row);
    auto& out = p.row;
    const auto email_cell = raw_.cell(schema::Field::email);
    out.row = raw_.row;
    out.line = raw_.line;
    const bool valid = validator_.validate(raw_, out.invite, out.error);
    if (raw_.error) {
        out.email.assign(raw_.email_hint);
    } else {
        out.email = out.invite.email;
    }
    out.status = valid ? report::Status::valid : report::Status::invalid;
    // The first row with an email claims it, whatever else is wrong with that row: two rows for one
    // person are a roster problem the administrator must settle, not something to guess at.
    p.claims_email = !raw_.error && (valid || !schema::check_email(out.invite.email));
    if (p.claims_email) {
        const bool cell_is_email = email_cell && validator_.passes_through(schema::Field::email);
        p.key = EmailIndex::key_of(cell_is_email ? *email_cell : std::string_view(out.invite.email));
        first_row_of_email_.prefetch_key(p.key);
    }
    return true;
}

void ValidatedRows::settle(Pending& p) {
    if (!p.claims_email)
        return;
    auto& out = p.row;
    if (auto first = first_row_of_email_.first_row_or_insert_key(p.key, out.row)) {
        if (out.status == report::Status::valid) {
            out.status = report::Status::duplicate;
            out.error = "duplicate of row " + std::to_string(*first) + " (same email)";
        } else {
            out.error += "; also a duplicate of row " + std::to_string(*first) + " (same email)";
        }
    }
}

void ValidatedRows::read_ahead() {
    try {
        while (!reader_done_ && held_ < depth_) {
            if (read_into(ahead_[(head_ + held_) % lookahead])) {
                ++held_;
            } else {
                reader_done_ = true;
            }
        }
    } catch (...) {
        read_error_ = std::current_exception();
        reader_done_ = true;
    }
}

const ValidatedRow* ValidatedRows::next() {
    if (returned_) {
        head_ = (head_ + 1) % lookahead;
        --held_;
        returned_ = false;
    }
    read_ahead();
    if (held_ == 0) {
        if (read_error_)
            std::rethrow_exception(std::exchange(read_error_, nullptr));
        return nullptr;
    }
    auto& p = ahead_[head_];
    settle(p);
    returned_ = true;
    return &p.row;
}

bool ValidatedRows::next(ValidatedRow& out) {
    if (next() == nullptr)
        return false;
    std::swap(out, ahead_[head_].row);  // `out`'s buffers are reused for a later row
    return true;
}

}  // namespace avara::validate
