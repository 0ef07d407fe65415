#include "avara_onboard/report/report_writer.hpp"

#include <charconv>

#include "avara_onboard/util/text.hpp"

namespace avara::report {

std::string_view to_string(Status s) noexcept {
    switch (s) {
        case Status::valid:
            return "valid";
        case Status::invalid:
            return "invalid";
        case Status::duplicate:
            return "duplicate";
        case Status::invited:
            return "invited";
        case Status::exists:
            return "exists";
        case Status::rejected:
            return "rejected";
        case Status::failed:
            return "failed";
        case Status::updated:
            return "updated";
        case Status::unchanged:
            return "unchanged";
        case Status::revoked:
            return "revoked";
        case Status::reactivated:
            return "reactivated";
    }
    return "invalid";
}

std::optional<Status> parse_status(std::string_view text) noexcept {
    for (Status s : all_statuses) {
        if (to_string(s) == text)
            return s;
    }
    return std::nullopt;
}

std::optional<Format> parse_format(std::string_view text) noexcept {
    if (text == "csv")
        return Format::csv;
    if (text == "jsonl")
        return Format::jsonl;
    return std::nullopt;
}

bool needs_formula_guard(std::string_view cell) noexcept {
    if (cell.empty())
        return false;
    const char c = cell.front();
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

bool needs_apostrophe(std::string_view cell) noexcept {
    return needs_formula_guard(cell) || (!cell.empty() && cell.front() == '\'');
}

std::string_view strip_apostrophe(std::string_view written) noexcept {
    if (written.size() >= 2 && written.front() == '\'' && needs_apostrophe(written.substr(1)))
        written.remove_prefix(1);
    return written;
}

namespace {

void append_number(std::string& out, std::uint64_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    (void)ec;
    out.append(buf, end);
}

void append_csv_cell(std::string& out, std::string_view cell) {
    const bool guard = needs_apostrophe(cell);
    bool quote = guard;
    for (char c : cell)
        quote |= (c == ',') | (c == '"') | (c == '\r') | (c == '\n');
    if (!quote) {
        out.append(cell);
        return;
    }
    out.push_back('"');
    if (guard)
        out.push_back('\'');
    for (char c : cell) {
        if (c == '"')
            out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
}

}  // namespace

void append_csv_line(std::string& out, const RowResult& r) {
    if (r.from_roster) {
        append_number(out, r.row);
        out.push_back(',');
        append_number(out, r.line);
        out.push_back(',');
    } else {
        out.append(",,");
    }
    append_csv_cell(out, r.email);
    out.push_back(',');
    out.append(to_string(r.status));
    out.push_back(',');
    if (r.http_status != 0)
        append_number(out, r.http_status);
    out.push_back(',');
    append_csv_cell(out, r.user_id);
    out.push_back(',');
    append_number(out, r.attempts);
    out.push_back(',');
    append_csv_cell(out, r.error);
    out.push_back('\n');
}

void append_jsonl_line(std::string& out, const RowResult& r) {
    if (r.from_roster) {
        out.append("{\"row\":");
        append_number(out, r.row);
        out.append(",\"line\":");
        append_number(out, r.line);
    } else {
        out.append("{\"row\":null,\"line\":null");
    }
    out.append(",\"email\":");
    text::append_json_string(out, r.email);
    out.append(",\"status\":\"");
    out.append(to_string(r.status));
    out.append("\",\"http_status\":");
    if (r.http_status != 0) {
        append_number(out, r.http_status);
    } else {
        out.append("null");
    }
    out.append(",\"user_id\":");
    if (r.user_id.empty()) {
        out.append("null");
    } else {
        text::append_json_string(out, r.user_id);
    }
    out.append(",\"attempts\":");
    append_number(out, r.attempts);
    out.append(",\"error\":");
    if (r.error.empty()) {
        out.append("null");
    } else {
        text::append_json_string(out, r.error);
    }
    out.append("}\n");
}

Result<std::unique_ptr<ReportWriter>> ReportWriter::create(const std::string& path, Format format,
                                                           Flush flush) {
    auto file = OutputFile::open_private(path);
    if (!file)
        return file.error();
    std::unique_ptr<ReportWriter> writer(new ReportWriter(std::move(*file), format, flush));
    if (format == Format::csv) {
        writer->file_.write(csv_header);
        writer->file_.write("\n");
    }
    writer->file_.flush();
    return writer;
}

void ReportWriter::write(const RowResult& r) {
    auto& buffer = file_.buffer();
    if (format_ == Format::csv) {
        append_csv_line(buffer, r);
    } else {
        append_jsonl_line(buffer, r);
    }
    if (flush_ == Flush::each_row) {
        file_.flush();
    } else {
        file_.maybe_flush();
    }
}

}  // namespace avara::report
