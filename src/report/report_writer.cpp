#include "avara_onboard/report/report_writer.hpp"

#include <charconv>
#include <cstring>

#include "avara_onboard/schema/byte_scan.hpp"
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

RowFields fields_of(const RowResult& r) noexcept {
    return {r.row, r.line, r.email, r.status, r.http_status, r.user_id, r.attempts, r.error, r.from_roster};
}

namespace {

void append_number(std::string& out, std::uint64_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    (void)ec;
    out.append(buf, end);
}

// The CSV line is written through a pointer into room made once (at most twice each cell's size, plus
// the numbers): a few million lines a second, so no per-character capacity checks.
constexpr std::size_t max_number_chars = 20;

char* put(char* p, std::string_view s) noexcept {
    if (s.empty())
        return p;  // an empty view may have no data pointer, which memcpy must not be given
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
}

char* put_number(char* p, std::uint64_t n) noexcept {
    if (n < 10) {  // attempts, mostly
        *p = static_cast<char>('0' + n);
        return p + 1;
    }
    return std::to_chars(p, p + max_number_chars, n).ptr;
}

char* put_csv_cell(char* p, std::string_view cell) noexcept {
    const bool guard = needs_apostrophe(cell);
    const bool quote = guard || schema::byte_scan::any_block(cell, [](const schema::byte_scan::Block& b) {
                           return (b.equal(',') | b.equal('"') | b.equal('\r') | b.equal('\n')) != 0;
                       });
    if (!quote)
        return put(p, cell);
    *p++ = '"';
    if (guard)
        *p++ = '\'';
    for (char c : cell) {
        if (c == '"')
            *p++ = '"';
        *p++ = c;
    }
    *p++ = '"';
    return p;
}

std::size_t csv_cell_bound(std::string_view cell) noexcept {
    return 2 * cell.size() + 3;  // every byte a doubled quote, plus the quotes and an apostrophe
}

}  // namespace

void append_csv_line(std::string& out, const RowFields& r) {
    const std::string_view status = to_string(r.status);
    const std::size_t bound = 4 * max_number_chars + csv_cell_bound(r.email) + csv_cell_bound(r.user_id) +
                              csv_cell_bound(r.error) + status.size() + 8;
    const std::size_t old = out.size();
    out.resize(old + bound);
    char* p = out.data() + old;
    if (r.from_roster) {
        p = put_number(p, r.row);
        *p++ = ',';
        p = put_number(p, r.line);
    } else {
        *p++ = ',';
    }
    *p++ = ',';
    p = put_csv_cell(p, r.email);
    *p++ = ',';
    p = put(p, status);
    *p++ = ',';
    if (r.http_status != 0)
        p = put_number(p, r.http_status);
    *p++ = ',';
    p = put_csv_cell(p, r.user_id);
    *p++ = ',';
    p = put_number(p, r.attempts);
    *p++ = ',';
    p = put_csv_cell(p, r.error);
    *p++ = '\n';
    out.resize(static_cast<std::size_t>(p - out.data()));
}

void append_jsonl_line(std::string& out, const RowFields& r) {
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

void ReportWriter::write(const RowFields& r) {
    auto& buffer = file_.buffer();
    if (format_ == Format::csv) {
        append_csv_line(buffer, r);
    } else {
        append_jsonl_line(buffer, r);
    }
    end_line();
}

void ReportWriter::write_line(std::string_view line) {
    file_.buffer().append(line);
    end_line();
}

void ReportWriter::end_line() {
    if (flush_ == Flush::each_row) {
        file_.flush();
    } else {
        file_.maybe_flush();
    }
}

}  // namespace avara::report
