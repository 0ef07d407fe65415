#include "avara_onboard/read/roster.hpp"

#include <simdjson.h>

#include "avara_onboard/read/transcode.hpp"
#include "avara_onboard/util/log.hpp"
#include "avara_onboard/util/text.hpp"

namespace avara::read {

namespace {
Error input_error(std::string message) {
    return make_error(ErrorKind::input, std::move(message));
}
}  // namespace

std::optional<schema::Field> match_header(std::string_view cell, const HeaderOptions& options) {
    for (schema::Field f : schema::all_fields) {
        const auto& custom = options.column_header[static_cast<std::size_t>(f)];
        if (custom && text::iequals(*custom, cell))
            return f;
    }
    auto field = schema::field_from_header(cell);
    if (field && options.column_header[static_cast<std::size_t>(*field)])
        field.reset();
    return field;
}

std::string column_letters(std::size_t index) {
    std::string out;
    for (std::size_t n = index + 1; n > 0; n = (n - 1) / 26)
        out.insert(out.begin(), static_cast<char>('A' + (n - 1) % 26));
    return out;
}

Result<std::unique_ptr<RosterReader>> RosterReader::open(const std::string& path,
                                                         const HeaderOptions& options,
                                                         const ReadOptions& read_options) {
    auto records = open_records(path, read_options, [&options](std::string_view cell) {
        return match_header(cell, options).has_value();
    });
    if (!records)
        return records.error();
    auto reader = open(std::move(*records), options);
    if (!reader)
        return make_error(reader.error().kind, display_name(path) + ": " + reader.error().message);
    return reader;
}

Result<std::unique_ptr<RosterReader>> RosterReader::open(std::unique_ptr<RecordSource> records,
                                                         const HeaderOptions& options) {
    std::unique_ptr<RosterReader> reader(new RosterReader(std::move(records)));
    if (auto mapped = reader->map_header(options); !mapped)
        return mapped.error();
    return reader;
}

Result<void> RosterReader::map_header(const HeaderOptions& options) {
    auto& header = record_;
    if (!csv_->next(header))
        return input_error("the roster is empty (no header line)");
    if (header.error) {
        return input_error("the header (line " + std::to_string(header.line) +
                           ") is broken: " + *header.error);
    }
    column_of_field_.fill(-1);
    header_cells_ = header.cells.size();
    for (std::size_t col = 0; col < header.cells.size(); ++col) {
        const auto raw = text::trim(header.cells[col]);
        if (!text::is_valid_utf8(raw)) {
            return input_error("header cell " + std::to_string(col + 1) +
                               " is not valid UTF-8 (if the file is in another encoding, name it with "
                               "--encoding, like --encoding windows-1252)");
        }
        const auto field = match_header(raw, options);
        if (!field) {
            if (!raw.empty())
                unknown_columns_.emplace_back(raw);
            continue;
        }
        auto& slot = column_of_field_[static_cast<std::size_t>(*field)];
        if (slot >= 0) {
            return input_error("columns " + std::to_string(slot + 1) + " and " + std::to_string(col + 1) +
                               " both hold " + std::string(schema::field_name(*field)));
        }
        slot = static_cast<int>(col);
    }
    std::string missing;
    for (schema::Field f : schema::all_fields) {
        const auto i = static_cast<std::size_t>(f);
        if (schema::is_required(f) && column_of_field_[i] < 0 && !options.has_default[i]) {
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
    for (std::size_t f = 0; f < schema::field_count; ++f) {
        if (column_of_field_[f] >= 0) {
            present_.push_back({f, static_cast<std::size_t>(column_of_field_[f])});
        } else {
            absent_.push_back(f);
        }
    }
    lettered_ = csv_->column_naming() == ColumnNaming::lettered;
    if (lettered_)
        label_columns();
    return {};
}

// "column C (Surname)" for each field a worksheet column holds.
void RosterReader::label_columns() {
    for (schema::Field f : schema::all_fields) {
        const int col = column_of_field_[static_cast<std::size_t>(f)];
        if (col < 0)
            continue;
        const auto index = static_cast<std::size_t>(col);
        labels_[static_cast<std::size_t>(f)] =
            "column " + column_letters(index) + " (" + std::string(text::trim(record_.cells[index])) + ")";
    }
}

// Names a field whose cell is not valid UTF-8, and how its bytes read as Windows-1252 when they do.
void RosterReader::note_bad_cell(schema::Field f, std::string_view value, std::string& bad) {
    if (!bad.empty())
        bad += ", ";
    bad += std::string(schema::field_name(f));
    if (!csv_->source_encoding().empty())
        return;
    if (auto reading = windows_1252_reading(value)) {
        bad += " ('" + escape_bytes(value.substr(0, 60)) + "' reads as '" + *reading + "' in Windows-1252)";
        if (!saw_windows_1252_) {
            saw_windows_1252_ = true;
            log::warning(csv_->name() + ": line " + std::to_string(record_.line) +
                         " holds text that is not UTF-8 but reads as Windows-1252; if the file is a "
                         "Windows export, read it with --encoding windows-1252");
        }
    }
}

// A worksheet's texts come from expat, valid already. A CSV record's cells lie in one buffer: the bytes
// from the first cell to the end of the last, delimiters included, are checked at once. Unescaping
// may leave a few stale bytes between cells, which can only make this fail, never pass wrongly.
bool RosterReader::record_is_valid_utf8() const noexcept {
    if (record_.known_utf8 || csv_->cell_text() == CellText::checked_utf8)
        return true;
    const auto& cells = record_.cells;
    if (cells.empty())
        return true;
    const char* begin = cells.front().data();
    const char* end = cells.back().data() + cells.back().size();
    return end >= begin && simdjson::validate_utf8(begin, static_cast<std::size_t>(end - begin));
}

// The email of a row that is reported broken, when its cell is there and readable.
void RosterReader::take_email_hint(RosterRow& out) const {
    const int col = column_of_field_[static_cast<std::size_t>(schema::Field::email)];
    if (col >= 0 && static_cast<std::size_t>(col) < record_.cells.size()) {
        const auto hint = text::trim(record_.cells[static_cast<std::size_t>(col)]);
        if (text::is_valid_utf8(hint))
            out.email_hint = hint;
    }
}

bool RosterReader::next(RosterRow& out) {
    if (!csv_->next(record_))
        return false;
    out.row = ++rows_;
    out.line = record_.line;
    out.error.reset();
    out.email_hint = {};
    out.column_labels = lettered_ ? &labels_ : nullptr;
    // The usual record: whole, and valid UTF-8 by one check of the whole record (cells are split at
    // ASCII bytes, so a valid record has valid cells). It sets every field the header holds, so only
    // the others are cleared.
    if (record_.error || record_.cells.size() != header_cells_ || !record_is_valid_utf8()) {
        out.cells.fill(std::nullopt);
    } else {
        for (const std::size_t field : absent_)
            out.cells[field] = std::nullopt;
        for (const auto& [field, col] : present_)
            out.cells[field] = schema::trim_cell(record_.cells[col]);
        return true;
    }

    if (record_.error) {
        out.error = *record_.error;  // a broken record has no cells, so no email either
        return true;
    }
    if (record_.cells.size() != header_cells_) {
        take_email_hint(out);
        out.error = "has " + std::to_string(record_.cells.size()) + " columns but the header has " +
                    std::to_string(header_cells_);
        return true;
    }
    // A record that fails the UTF-8 check is checked cell by cell, to name the fields.
    std::string bad_utf8;
    for (const auto& [field, col] : present_) {
        const auto value = schema::trim_cell(record_.cells[col]);
        if (!text::is_valid_utf8(value)) {
            note_bad_cell(static_cast<schema::Field>(field), value, bad_utf8);
            continue;
        }
        out.cells[field] = value;
    }
    if (!bad_utf8.empty()) {
        take_email_hint(out);
        const auto encoding = csv_->source_encoding();
        out.error = encoding.empty() ? "invalid UTF-8 in " + bad_utf8
                                     : "text that is not valid " + std::string(encoding) + " in " + bad_utf8;
    }
    return true;
}

}  // namespace avara::read
