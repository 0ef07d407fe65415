#include "avara_onboard/report/resume_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>

#include "avara_onboard/read/csv_reader.hpp"
#include "avara_onboard/report/report_writer.hpp"
#include "avara_onboard/util/atomic_file.hpp"
#include "avara_onboard/util/text.hpp"

namespace avara::report {

namespace {

constexpr std::size_t column_count = 8;
constexpr std::array<std::string_view, column_count> columns = {
    "row", "line", "email", "status", "http_status", "user_id", "attempts", "error"};

std::string system_message(int err) {
    return std::strerror(err);
}

Error input_error(const std::string& file, std::uint64_t line, const std::string& what) {
    return make_error(ErrorKind::input, file + ":" + std::to_string(line) + ": " + what);
}

// What a later run skips: every outcome its command meant (sync's too), never a problem to retry.
bool kept(Status s) noexcept {
    return is_success(s);
}

template <class T>
bool parse_number(std::string_view s, T& out) noexcept {
    if (s.empty())
        return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size();
}

// One data record of a CSV report. Returns what is wrong with it, or nothing.
std::optional<std::string> row_from_cells(const std::vector<std::string_view>& cells, RowResult& out) {
    if (cells.size() != column_count) {
        return "expected " + std::to_string(column_count) + " cells (" + std::string(csv_header) +
               "), found " + std::to_string(cells.size());
    }
    // A user sync revoked has no roster row: both cells empty.
    out.from_roster = !(cells[0].empty() && cells[1].empty());
    if (out.from_roster && !parse_number(cells[0], out.row))
        return "row: not a number: '" + std::string(cells[0]) + "'";
    if (out.from_roster && !parse_number(cells[1], out.line))
        return "line: not a number: '" + std::string(cells[1]) + "'";
    const auto status = parse_status(cells[3]);
    if (!status)
        return "status: unknown status '" + std::string(cells[3]) + "'";
    out.status = *status;
    out.http_status = 0;
    if (!cells[4].empty() && !parse_number(cells[4], out.http_status))
        return "http_status: not a number: '" + std::string(cells[4]) + "'";
    if (!parse_number(cells[6], out.attempts))
        return "attempts: not a number: '" + std::string(cells[6]) + "'";
    out.email.assign(strip_apostrophe(cells[2]));
    out.user_id.assign(strip_apostrophe(cells[5]));
    out.error.assign(strip_apostrophe(cells[7]));
    // The consolidated file is JSON, which must be UTF-8; our writer never writes anything else.
    for (const std::string* s : {&out.email, &out.user_id, &out.error}) {
        if (!text::is_valid_utf8(*s))
            return std::string("a cell is not valid UTF-8");
    }
    return std::nullopt;
}

template <class T>
std::optional<std::string> json_number(const boost::json::object& o, std::string_view key, T& out,
                                       bool nullable) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) {
        if (v != nullptr && !nullable)
            return std::string(key) + ": must be a number";
        out = 0;
        return std::nullopt;
    }
    boost::system::error_code ec;
    out = v->to_number<T>(ec);
    if (ec)
        return std::string(key) + ": not a whole number in range";
    return std::nullopt;
}

std::optional<std::string> json_text(const boost::json::object& o, std::string_view key, std::string& out) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) {
        out.clear();
        return std::nullopt;
    }
    const auto* s = v->if_string();
    if (s == nullptr)
        return std::string(key) + ": must be a string";
    out.assign(s->data(), s->size());
    return std::nullopt;
}

// One line of a JSONL report (or of the consolidated file). Returns what is wrong with it, or nothing.
std::optional<std::string> row_from_json(std::string_view line, RowResult& out) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(line, ec);
    if (ec)
        return "not JSON: " + ec.message();
    const auto* o = v.if_object();
    if (o == nullptr)
        return std::string("not a JSON object");
    // row, email and status identify a report line; the other keys may be absent (treated as null).
    for (std::string_view key : {"row", "email", "status"}) {
        if (!o->contains(key))
            return "missing key '" + std::string(key) + "'";
    }
    out.from_roster = !o->at("row").is_null();
    if (auto e = json_number(*o, "row", out.row, !out.from_roster))
        return e;
    if (auto e = json_number(*o, "line", out.line, true))
        return e;
    if (auto e = json_text(*o, "email", out.email))
        return e;
    const auto* status_text = o->at("status").if_string();
    const auto status = status_text ? parse_status(*status_text) : std::nullopt;
    if (!status)
        return std::string("status: not a report status");
    out.status = *status;
    if (auto e = json_number(*o, "http_status", out.http_status, true))
        return e;
    if (auto e = json_text(*o, "user_id", out.user_id))
        return e;
    if (auto e = json_number(*o, "attempts", out.attempts, true))
        return e;
    if (auto e = json_text(*o, "error", out.error))
        return e;
    return std::nullopt;
}

bool is_blank(std::string_view s) noexcept {
    return s.find_first_not_of(" \t\r") == std::string_view::npos;
}

using RowSink = std::function<void(const RowResult&)>;

struct SourceFile {
    int fd = -1;
    std::uint64_t size = 0;
    bool ends_with_newline = false;
    bool jsonl = false;
};

// Opens an earlier run's file. Returns fd -1 when it does not exist.
Result<SourceFile> open_source(const std::string& file) {
    SourceFile src;
    src.fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (src.fd < 0) {
        if (errno == ENOENT)
            return src;
        return make_error(ErrorKind::input, "cannot read " + file + ": " + system_message(errno));
    }
    struct stat st {};
    if (::fstat(src.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(src.fd);
        return make_error(ErrorKind::input, "cannot read " + file + ": not a regular file");
    }
    src.size = static_cast<std::uint64_t>(st.st_size);
    if (src.size == 0)
        return src;
    char last = 0;
    if (::pread(src.fd, &last, 1, static_cast<off_t>(src.size - 1)) == 1)
        src.ends_with_newline = last == '\n';
    // Detect the format by content: the first thing after a BOM and blank lines.
    std::array<char, 4096> head{};
    const ssize_t n = ::pread(src.fd, head.data(), head.size(), 0);
    std::string_view h(head.data(), n > 0 ? static_cast<std::size_t>(n) : 0);
    if (h.substr(0, 3) == "\xEF\xBB\xBF")
        h.remove_prefix(3);
    const auto first = h.find_first_not_of(" \t\r\n");
    src.jsonl = first != std::string_view::npos && h[first] == '{';
    return src;
}

// A line cut short by a kill mid-write is the file's last and has no newline: it is used when it
// still parses, ignored otherwise (its row counts as never finished, so it is simply sent again).
Result<void> read_jsonl(const std::string& file, const SourceFile& src, const RowSink& sink) {
    std::string buf;
    std::array<char, 1 << 16> chunk{};
    std::uint64_t line_no = 0;
    std::uint64_t offset = 0;
    RowResult r;
    bool eof = false;
    while (!eof) {
        const ssize_t n = ::pread(src.fd, chunk.data(), chunk.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw AppError(ErrorKind::io, "cannot read " + file + ": " + system_message(errno));
        }
        offset += static_cast<std::uint64_t>(n);
        eof = n == 0;
        buf.append(chunk.data(), static_cast<std::size_t>(n));
        std::size_t start = 0;
        for (;;) {
            const auto lf = buf.find('\n', start);
            const bool torn = lf == std::string::npos;
            if (torn && !(eof && start < buf.size()))
                break;
            std::string_view line(buf.data() + start, (torn ? buf.size() : lf) - start);
            start = torn ? buf.size() : lf + 1;
            ++line_no;
            if (line_no == 1 && line.substr(0, 3) == "\xEF\xBB\xBF")
                line.remove_prefix(3);
            if (is_blank(line))
                continue;
            if (auto e = row_from_json(line, r)) {
                if (torn)
                    break;
                return input_error(file, line_no, *e);
            }
            sink(r);
        }
        buf.erase(0, start);
    }
    return {};
}

// A CSV report starts with the contract's header; a CSV journal has none.
enum class Header { required, none };

Result<void> read_csv(const std::string& file, SourceFile& src, Header header, const RowSink& sink) {
    auto reader = read::CsvReader::from_fd(src.fd, file);
    src.fd = -1;  // the reader owns it now
    read::CsvRecord rec;
    RowResult r;
    bool first = true;
    while (reader->next(rec)) {
        // The last record of a file that does not end with a newline may have been cut by a kill.
        const bool torn =
            !src.ends_with_newline && (reader->bytes_consumed() >= src.size ||
                                       (rec.error && rec.error->starts_with("unterminated quoted field")));
        if (rec.error) {
            if (torn)
                break;
            return input_error(file, rec.line, *rec.error);
        }
        const bool is_header =
            rec.cells.size() == column_count && std::equal(columns.begin(), columns.end(), rec.cells.begin());
        if (first) {
            first = false;
            if (header == Header::required && !is_header) {
                return input_error(
                    file, rec.line,
                    "not an avara-onboard report: the header must be " + std::string(csv_header));
            }
            if (is_header)
                continue;
        }
        if (auto e = row_from_cells(rec.cells, r)) {
            if (torn)
                break;
            return input_error(file, rec.line, *e);
        }
        sink(r);
    }
    return {};
}

// Feeds every row of `file` (if it exists) to `sink`.
Result<void> read_source(const std::string& file, Header header, const RowSink& sink) {
    auto src = open_source(file);
    if (!src)
        return src.error();
    if (src->fd < 0)
        return {};
    struct Closer {
        SourceFile& s;
        ~Closer() {
            if (s.fd >= 0)
                ::close(s.fd);
        }
    } closer{*src};
    if (src->size == 0)
        return {};
    if (src->jsonl)
        return read_jsonl(file, *src, sink);
    return read_csv(file, *src, header, sink);
}

}  // namespace

Result<void> read_report_lines(const std::string& file, const std::function<void(const RowResult&)>& sink) {
    return read_source(file, Header::required, sink);
}

namespace {

void remove_file(const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        throw AppError(ErrorKind::io, "cannot remove " + path + ": " + system_message(errno));
}

// Reads the line starting at `offset`, newline excluded.
std::string read_line_at(int fd, std::uint64_t offset, const std::string& path) {
    std::string line;
    std::array<char, 512> chunk{};
    for (;;) {
        const ssize_t n = ::pread(fd, chunk.data(), chunk.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw AppError(ErrorKind::io, "cannot read " + path + ": " + system_message(errno));
        }
        if (n == 0)
            return line;
        std::string_view got(chunk.data(), static_cast<std::size_t>(n));
        const auto lf = got.find('\n');
        if (lf != std::string_view::npos) {
            line.append(got.substr(0, lf));
            return line;
        }
        line.append(got);
        offset += static_cast<std::uint64_t>(n);
    }
}

}  // namespace

Result<std::unique_ptr<ResumeStore>> ResumeStore::open(const std::string& report_path) {
    const std::string previous = report_path + ".previous";
    const std::string pending = report_path + ".pending";

    // Under the report lock, so a fixed temporary name: a merge killed halfway leaves PREVIOUS.tmp,
    // which the next merge simply reuses.
    auto out = AtomicFile::open(previous, AtomicFile::TempName::fixed);
    if (!out)
        return out.error();

    validate::EmailIndex index;
    std::uint64_t written = 0;
    // Newest first, and the first line seen for an email wins: that is "a later source wins" with an
    // index that never needs an update, and the consolidated file holds one line per email.
    const RowSink keep = [&](const RowResult& r) {
        if (!kept(r.status) || r.email.empty())
            return;
        if (index.first_row_or_insert(r.email, written))
            return;
        auto& buffer = out->buffer();
        const std::size_t before = buffer.size();
        append_jsonl_line(buffer, r);
        written += buffer.size() - before;
        out->maybe_flush();
    };

    const std::array<std::pair<const std::string*, Header>, 3> sources = {
        std::pair{&pending, Header::none}, std::pair{&report_path, Header::required},
        std::pair{&previous, Header::required}};
    for (const auto& [file, header] : sources) {
        auto done = read_source(*file, header, keep);
        if (!done)
            return done.error();  // `out` removes its temporary file
    }

    if (index.size() == 0) {
        remove_file(previous);
        remove_file(pending);
        return std::unique_ptr<ResumeStore>(new ResumeStore(previous, -1, std::move(index)));
    }
    // Synced, renamed, the folder synced: only once its rows are durable in the consolidated file may
    // the journal go (and the caller truncate the report).
    out->commit();
    remove_file(pending);

    const int fd = ::open(previous.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw AppError(ErrorKind::io, "cannot reopen " + previous + ": " + system_message(errno));
    return std::unique_ptr<ResumeStore>(new ResumeStore(previous, fd, std::move(index)));
}

ResumeStore::~ResumeStore() {
    if (fd_ >= 0)
        ::close(fd_);
}

std::optional<PreviousOutcome> ResumeStore::find(std::string_view email) const {
    if (fd_ < 0)
        return std::nullopt;
    const auto offset = index_.find(email);
    if (!offset)
        return std::nullopt;
    const std::string line = read_line_at(fd_, *offset, previous_path_);
    RowResult r;
    if (auto e = row_from_json(line, r)) {
        throw AppError(ErrorKind::io, previous_path_ + ": the line at byte " + std::to_string(*offset) +
                                          " cannot be read back: " + *e);
    }
    // The index knows only a 64-bit hash: a different email sharing it must not count as done.
    if (!text::iequals(r.email, email))
        return std::nullopt;
    return PreviousOutcome{r.status, r.http_status, std::move(r.user_id), r.attempts};
}

void ResumeStore::discard() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    remove_file(previous_path_);
}

}  // namespace avara::report
