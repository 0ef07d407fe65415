#include "avara_onboard/validate/validated_rows.hpp"

namespace avara::validate {

Result<std::unique_ptr<ValidatedRows>> ValidatedRows::open(const std::string& roster_path,
                                                           const RosterMapping& mapping) {
    auto reader = read::RosterReader::open(roster_path, RowValidator(mapping).header_options());
    if (!reader)
        return reader.error();
    return std::unique_ptr<ValidatedRows>(new ValidatedRows(std::move(*reader), mapping));
}

Result<std::unique_ptr<ValidatedRows>> ValidatedRows::open(std::unique_ptr<read::CsvReader> csv,
                                                           const RosterMapping& mapping) {
    auto reader = read::RosterReader::open(std::move(csv), RowValidator(mapping).header_options());
    if (!reader)
        return reader.error();
    return std::unique_ptr<ValidatedRows>(new ValidatedRows(std::move(*reader), mapping));
}

bool ValidatedRows::next(ValidatedRow& out) {
    if (!reader_->next(raw_))
        return false;
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
    if (!raw_.error && !schema::check_email(out.invite.email)) {
        if (auto first = first_row_of_email_.first_row_or_insert(out.invite.email, out.row)) {
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
