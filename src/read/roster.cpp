#include "avara_onboard/read/roster.hpp"

#include "avara_onboard/util/text.hpp"

namespace avara::read {

namespace {
Error input_error(std::string message) {
    return make_error(ErrorKind::input, std::move(message));
}
}  // namespace

Result<std::unique_ptr<RosterReader>> RosterReader::open(const std::string& path,
                                                         const HeaderOptions& options) {
    auto csv = CsvReader::open(path);
    if (!csv)
        return csv.error();
    auto reader = open(std::move(*csv), options);
    if (!reader)
        return make_error(reader.error().kind, path + ": " + reader.error().message);
    return reader;
}

Result<std::unique_ptr<RosterReader>> RosterReader::open(std::unique_ptr<CsvReader> csv,
                                                         const HeaderOptions& options) {
    std::unique_ptr<RosterReader> reader(new RosterReader(std::move(csv)));
    auto& header = reader->record_;
    if (!reader->csv_->next(header))
        return input_error("the roster is empty (no header line)");
    if (header.error) {
        return input_error("the header (line " + std::to_string(header.line) +
                           ") is broken: " + *header.error);
    }
    reader->column_of_field_.fill(-1);
    reader->header_cells_ = header.cells.size();

    for (std::size_t col = 0; col < header.cells.size(); ++col) {
        const auto raw = text::trim(header.cells[col]);
        if (!text::is_valid_utf8(raw)) {
            return input_error("header cell " + std::to_string(col + 1) + " is not valid UTF-8");
        }
        std::optional<schema::Field> field;
        // A configured header wins over the standard spellings.
        for (schema::Field f : schema::all_fields) {
            const auto& custom = options.column_header[static_cast<std::size_t>(f)];
            if (custom && text::iequals(*custom, raw)) {
                field = f;
                break;
            }
        }
        if (!field) {
            field = schema::field_from_header(raw);
            // A standard spelling that the config moved to another header is not this field's column.
            if (field && options.column_header[static_cast<std::size_t>(*field)])
                field.reset();
        }
        if (!field) {
            if (!raw.empty())
                reader->unknown_columns_.emplace_back(raw);
            continue;
        }
        auto& slot = reader->column_of_field_[static_cast<std::size_t>(*field)];
        if (slot >= 0) {
            return input_error("columns " + std::to_string(slot + 1) + " and " + std::to_string(col + 1) +
                               " both hold " + std::string(schema::field_name(*field)));
        }
        slot = static_cast<int>(col);
    }

    std::string missing;
    for (schema::Field f : schema::all_fields) {
        const auto i = static_cast<std::size_t>(f);
        if (schema::is_required(f) && reader->column_of_field_[i] < 0 && !options.has_default[i]) {
            if (!missing.empty())
                missing += ", ";
            missing += std::string(schema::field_name(f));
            if (options.column_header[i])
                missing += " (configured as '" + *options.column_header[i] + "')";
        }
    }
    if (!missing.empty()) {
        return input_error("missing required column(s): " + missing +
                           " (map other headers in the config's [columns], or give [defaults])");
    }
    return reader;
}

bool RosterReader::next(RosterRow& out) {
    if (!csv_->next(record_))
        return false;
    out.row = ++rows_;
    out.line = record_.line;
    out.error.reset();
    out.email_hint = {};
    out.cells.fill(std::nullopt);

    const int email_col = column_of_field_[static_cast<std::size_t>(schema::Field::email)];
    if (email_col >= 0 && static_cast<std::size_t>(email_col) < record_.cells.size()) {
        const auto hint = text::trim(record_.cells[static_cast<std::size_t>(email_col)]);
        if (text::is_valid_utf8(hint))
            out.email_hint = hint;
    }
    if (record_.error) {
        out.error = *record_.error;
        return true;
    }
    if (record_.cells.size() != header_cells_) {
        out.error = "has " + std::to_string(record_.cells.size()) + " cells but the header has " +
                    std::to_string(header_cells_);
        return true;
    }
    std::string bad_utf8;
    for (schema::Field f : schema::all_fields) {
        const int col = column_of_field_[static_cast<std::size_t>(f)];
        if (col < 0)
            continue;
        const auto value = text::trim(record_.cells[static_cast<std::size_t>(col)]);
        if (!text::is_valid_utf8(value)) {
            if (!bad_utf8.empty())
                bad_utf8 += ", ";
            bad_utf8 += std::string(schema::field_name(f));
            continue;
        }
        out.cells[static_cast<std::size_t>(f)] = value;
    }
    if (!bad_utf8.empty())
        out.error = "invalid UTF-8 in " + bad_utf8;
    return true;
}

}  // namespace avara::read
