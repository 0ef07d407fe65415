#include "avara_onboard/validate/validated_rows.hpp"

#include <algorithm>

namespace avara::validate {

Result<std::unique_ptr<ValidatedRows>> ValidatedRows::wrap(Result<std::unique_ptr<read::RosterReader>> reader,
                                                           const RosterMapping& mapping) {
    if (!reader)
        return reader.error();
    std::unique_ptr<ValidatedRows> rows(new ValidatedRows(std::move(*reader), mapping));
    // Sized once from the file (a roster row is rarely under 64 bytes), so the table is not rehashed
    // and held twice on the way up; capped so an odd file cannot make us reserve more than it needs.
    if (auto total = rows->total_bytes())
        rows->first_row_of_email_.reserve(std::min<std::size_t>(*total / 64, std::size_t{1} << 21));
    return rows;
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

bool ValidatedRows::next(ValidatedRow& out) {
    if (!reader_->next(raw_))
        return false;
    // The email's key is hashed once, from the cell as read, and its slot fetched while the row is
    // validated; a config that maps emails makes the key come from the mapped value instead.
    const auto email_cell = raw_.cell(schema::Field::email);
    const bool cell_is_email = email_cell && validator_.passes_through(schema::Field::email);
    const std::uint64_t cell_key = email_cell ? EmailIndex::key_of(*email_cell) : 0;
    if (email_cell)
        first_row_of_email_.prefetch_key(cell_key);
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
    if (!raw_.error && (valid || !schema::check_email(out.invite.email))) {
        const auto key = cell_is_email ? cell_key : EmailIndex::key_of(out.invite.email);
        if (auto first = first_row_of_email_.first_row_or_insert_key(key, out.row)) {
            if (valid) {
                out.status = report::Status::duplicate;
                out.error = "duplicate of row " + std::to_string(*first) + " (same email)";
            } else {
                out.error += "; also a duplicate of row " + std::to_string(*first) + " (same email)";
            }
        }
    }
    return true;
}

}  // namespace avara::validate
