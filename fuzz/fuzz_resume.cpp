// libFuzzer target for what `--resume` reads: the last report (CSV or JSONL), the journal
// (REPORT.pending) and the consolidated file of an earlier resume (REPORT.previous), through
// report::ResumeStore::open. It must give a clear error or an exact merge, never a wrong skip (an
// email reported done that no file says is done, or with another outcome) and never a crash.
//
// The first input byte picks a mode:
//  - structured (even): the rest of the input describes rows, written by the real report writers
//    (or as an older JSONL writer would, without the optional keys), each file possibly cut short at
//    a fuzzed byte as a kill mid-write leaves it. The merge must equal a model of the rules: newest
//    file first (journal, report, previous), the first line of a file first, only invited/exists
//    rows count. A torn last line may count or not; an error is allowed only for a file cut mid-line,
//    and must name that file. The consolidated file, read back on its own, must give the same answers.
//  - raw (odd): the rest is split into the three files as they are (garbled, truncated, anything). An
//    error must be ErrorKind::input naming one of the files, leaving every file as it was; a success
//    must leave the report as it was and write a consolidated file that reads back to the same answers.
#include <fuzzer/FuzzedDataProvider.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "avara_onboard/report/report_writer.hpp"
#include "avara_onboard/report/resume_store.hpp"
#include "avara_onboard/util/text.hpp"
#include "fuzz_check.hpp"

namespace {

using avara::AppError;
using avara::ErrorKind;
using avara::report::Format;
using avara::report::PreviousOutcome;
using avara::report::ResumeStore;
using avara::report::RowResult;
using avara::report::Status;

struct Paths {
    std::string dir, report, pending, previous;
};

const Paths& paths() {
    static const Paths p = [] {
        std::string tmpl = (std::filesystem::temp_directory_path() / "fuzz-resume-XXXXXX").string();
        FUZZ_CHECK(::mkdtemp(tmpl.data()) != nullptr);
        const std::string report = tmpl + "/r.report";
        return Paths{tmpl, report, report + ".pending", report + ".previous"};
    }();
    return p;
}

void put(const std::string& path, const std::optional<std::string>& content) {
    std::filesystem::remove(path);
    if (content)
        std::ofstream(path, std::ios::binary) << *content;
}

std::optional<std::string> get(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void clean() {
    const auto& p = paths();
    for (const auto& f : {p.report, p.pending, p.previous, p.previous + ".tmp"})
        std::filesystem::remove(f);
}

bool same(const std::optional<PreviousOutcome>& a, const std::optional<PreviousOutcome>& b) {
    if (a.has_value() != b.has_value())
        return false;
    return !a || (a->status == b->status && a->http_status == b->http_status && a->user_id == b->user_id &&
                  a->attempts == b->attempts);
}

// The emails of the consolidated file (one JSON object a line), as written.
std::vector<std::string> consolidated_emails() {
    std::vector<std::string> emails;
    std::istringstream in(get(paths().previous).value_or(""));
    std::string line;
    while (std::getline(in, line)) {
        boost::system::error_code ec;
        const auto v = boost::json::parse(line, ec);
        FUZZ_CHECK(!ec && v.is_object() && v.as_object().at("email").is_string());
        emails.emplace_back(v.as_object().at("email").as_string());
    }
    return emails;
}

// The consolidated file alone (report and journal gone) must answer as the merge did.
void check_reads_back(const ResumeStore& first, const std::vector<std::string>& emails) {
    std::filesystem::remove(paths().report);
    std::filesystem::remove(paths().pending);
    auto again = ResumeStore::open(paths().report);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK((*again)->size() == first.size());
    for (const auto& email : emails)
        FUZZ_CHECK(same((*again)->find(email), first.find(email)));
}

bool names_a_source(const std::string& message) {
    const auto& p = paths();
    for (const auto& f : {p.report, p.pending, p.previous}) {
        if (message.starts_with(f + ":") || message.starts_with("cannot read " + f))
            return true;
    }
    return false;
}

// ---- raw mode --------------------------------------------------------------------------------------

void run_raw(FuzzedDataProvider& in) {
    const auto& p = paths();
    std::array<std::optional<std::string>, 3> files;
    for (auto& f : files) {
        if (in.ConsumeBool())
            f = in.ConsumeRandomLengthString(4096);
    }
    put(p.report, files[0]);
    put(p.pending, files[1]);
    put(p.previous, files[2]);
    std::optional<avara::Result<std::unique_ptr<ResumeStore>>> store;
    try {
        store = ResumeStore::open(p.report);
    } catch (const AppError& e) {
        FUZZ_BROKEN(e.what());  // reading files that exist and are readable is no I/O failure
    }
    FUZZ_CHECK(get(p.report) == files[0]);
    if (!*store) {
        FUZZ_CHECK((*store).error().kind == ErrorKind::input);
        FUZZ_CHECK(names_a_source((*store).error().message));
        FUZZ_CHECK(get(p.pending) == files[1]);
        FUZZ_CHECK(get(p.previous) == files[2]);
        FUZZ_CHECK(!std::filesystem::exists(p.previous + ".tmp"));
        return;
    }
    const auto emails = consolidated_emails();
    FUZZ_CHECK(emails.size() == (**store)->size());
    for (const auto& email : emails) {
        const auto found = (**store)->find(email);
        FUZZ_CHECK(found.has_value());
        FUZZ_CHECK(avara::report::is_success(found->status));
    }
    check_reads_back(***store, emails);
}

// ---- structured mode -------------------------------------------------------------------------------

struct Line {
    std::size_t start = 0, end = 0;  // byte offsets of the row's line in the file
    RowResult row;
};

struct Source {
    std::string text;
    std::vector<Line> lines;
    std::size_t header_end = 0;           // a CSV header's end (0: none)
    std::size_t cut = std::string::npos;  // where the file was cut short
    bool exists = true;

    // Cut inside a record (or the header), not between two: the reader may then refuse the file
    // (a quoted cell cut after one of its line breaks cannot be told from a stray quote).
    bool cut_mid_line() const {
        if (cut == std::string::npos || cut == 0 || cut == header_end)
            return false;
        for (const auto& l : lines) {
            if (l.end == cut)
                return false;
        }
        return true;
    }
    // The rows that survive the cut whole, and the one the cut tore (which may count or not).
    std::vector<RowResult> whole() const {
        std::vector<RowResult> out;
        for (const auto& l : lines) {
            if (l.end <= cut)
                out.push_back(l.row);
        }
        return out;
    }
    std::optional<RowResult> torn() const {
        for (const auto& l : lines) {
            if (l.start < cut && l.end > cut)
                return l.row;
        }
        return std::nullopt;
    }
};

// Cell text with what CSV must quote or guard. `alphabet` for user ids leaves out '\r': a CSV cell's
// CRLF reads back as LF (as a spreadsheet's would), and no server's user id holds one.
constexpr std::string_view any_text = "ab,\"\n\r'=+-@ \t1";
constexpr std::string_view id_text = "ab,\"\n'=+-@ \t1";

std::string pick_text(FuzzedDataProvider& in, std::size_t max, std::string_view alphabet) {
    std::string s;
    const auto n = in.ConsumeIntegralInRange<std::size_t>(0, max);
    for (std::size_t i = 0; i < n; ++i)
        s.push_back(alphabet[in.ConsumeIntegralInRange<std::size_t>(0, alphabet.size() - 1)]);
    return s;
}

RowResult pick_row(FuzzedDataProvider& in, std::uint64_t row) {
    RowResult r;
    r.row = row;
    r.line = row + 1;
    static constexpr std::array<std::string_view, 8> emails = {"ada@example.org",
                                                               "ADA@Example.org",
                                                               "bob@example.org",
                                                               "'=cy@example.org",
                                                               "=cy@example.org",
                                                               "d,e@example.org",
                                                               "",
                                                               "\"q\"@example.org"};
    r.email = emails[in.ConsumeIntegralInRange<std::size_t>(0, emails.size() - 1)];
    r.status = avara::report::all_statuses[in.ConsumeIntegralInRange<std::size_t>(
        0, avara::report::status_count - 1)];
    r.http_status = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<unsigned>(100, 599);
    r.user_id = in.ConsumeBool() ? "usr_" + std::to_string(in.ConsumeIntegral<std::uint16_t>())
                                 : pick_text(in, 6, id_text);
    r.attempts = in.ConsumeIntegralInRange<unsigned>(0, 12);
    r.error = pick_text(in, 12, any_text);
    return r;
}

// A line as an older JSONL writer would have written it: the optional keys left out.
void append_old_jsonl_line(std::string& out, const RowResult& r) {
    out += "{\"row\":" + std::to_string(r.row) + ",\"email\":";
    avara::text::append_json_string(out, r.email);
    out += ",\"status\":\"" + std::string(avara::report::to_string(r.status)) + "\"";
    if (!r.user_id.empty()) {
        out += ",\"user_id\":";
        avara::text::append_json_string(out, r.user_id);
    }
    out += "}\n";
}

enum class Kind { report, journal, previous };

Source make_source(FuzzedDataProvider& in, Kind kind, std::uint64_t& next_row) {
    Source s;
    s.exists = in.ConsumeIntegralInRange<int>(0, 7) != 0;
    if (!s.exists)
        return s;
    const bool jsonl = kind == Kind::previous || in.ConsumeBool();
    const bool old = jsonl && in.ConsumeIntegralInRange<int>(0, 3) == 0;
    if (!jsonl && kind != Kind::journal) {
        if (in.ConsumeIntegralInRange<int>(0, 7) == 0)
            s.text = "\xEF\xBB\xBF";  // saved by a spreadsheet
        s.text += std::string(avara::report::csv_header) + "\n";
        s.header_end = s.text.size();
    }
    const auto count = in.ConsumeIntegralInRange<int>(0, 12);
    for (int i = 0; i < count; ++i) {
        auto r = pick_row(in, next_row++);
        const auto start = s.text.size();
        if (old) {
            append_old_jsonl_line(s.text, r);
            r.http_status = 0;
            r.attempts = 0;
        } else if (jsonl) {
            avara::report::append_jsonl_line(s.text, r);
        } else {
            avara::report::append_csv_line(s.text, r);
        }
        s.lines.push_back(Line{start, s.text.size(), std::move(r)});
    }
    if (!s.text.empty() && in.ConsumeIntegralInRange<int>(0, 3) == 0)
        s.cut = in.ConsumeIntegralInRange<std::size_t>(0, s.text.size());
    if (s.cut != std::string::npos)
        s.text.resize(s.cut);
    return s;
}

bool kept(Status s) {
    return avara::report::is_success(s);
}

// The model of the merge: newest source first, first line first, only invited/exists rows.
std::map<std::string, PreviousOutcome> model(const std::array<std::vector<RowResult>, 3>& sources) {
    std::map<std::string, PreviousOutcome> out;
    for (const auto& rows : sources) {
        for (const auto& r : rows) {
            if (!kept(r.status) || r.email.empty())
                continue;
            out.emplace(avara::text::to_lower(r.email),
                        PreviousOutcome{r.status, r.http_status, r.user_id, r.attempts});
        }
    }
    return out;
}

void run_structured(FuzzedDataProvider& in) {
    const auto& p = paths();
    std::uint64_t next_row = 1;
    // Newest first, as the merge reads them.
    std::array<Source, 3> sources = {make_source(in, Kind::journal, next_row),
                                     make_source(in, Kind::report, next_row),
                                     make_source(in, Kind::previous, next_row)};
    const std::array<std::string, 3> files = {p.pending, p.report, p.previous};
    for (std::size_t i = 0; i < 3; ++i)
        put(files[i], sources[i].exists ? std::optional<std::string>(sources[i].text) : std::nullopt);

    auto store = ResumeStore::open(p.report);
    if (!store) {
        // Only a file cut short mid-line may be refused (a header torn, a quoted cell cut after a
        // line break): the error must then name a file that was cut.
        FUZZ_CHECK(store.error().kind == ErrorKind::input);
        bool named = false;
        for (std::size_t i = 0; i < 3; ++i)
            named |= sources[i].cut_mid_line() && store.error().message.starts_with(files[i] + ":");
        if (!named)
            FUZZ_BROKEN(store.error().message.c_str());
        return;
    }
    // Every combination of torn lines counted or not is a correct merge; each email must match one.
    std::vector<std::map<std::string, PreviousOutcome>> allowed;
    for (unsigned mask = 0; mask < 8; ++mask) {
        std::array<std::vector<RowResult>, 3> rows;
        for (std::size_t i = 0; i < 3; ++i) {
            rows[i] = sources[i].whole();
            const auto torn = sources[i].torn();
            if (torn && ((mask >> i) & 1U) != 0)
                rows[i].push_back(*torn);
        }
        allowed.push_back(model(rows));
    }
    std::vector<std::string> emails;
    for (const auto& m : allowed) {
        for (const auto& [email, outcome] : m)
            emails.push_back(email);
    }
    for (const auto& email : emails) {
        const auto found = (*store)->find(email);
        bool matches = false;
        for (const auto& m : allowed) {
            const auto it = m.find(email);
            matches |= same(found, it == m.end() ? std::nullopt : std::optional<PreviousOutcome>(it->second));
        }
        if (!matches) {
            for (std::size_t i = 0; i < 3; ++i)
                std::fprintf(stderr, "%s (cut %zu):\n%s\n", files[i].c_str(), sources[i].cut,
                             sources[i].text.c_str());
            if (found)
                std::fprintf(stderr, "found: %s user_id '%s' http %u attempts %u\n",
                             std::string(to_string(found->status)).c_str(), found->user_id.c_str(),
                             found->http_status, found->attempts);
            FUZZ_BROKEN(("merge answers wrongly for " + email).c_str());
        }
    }
    // No email that no file holds as done.
    const std::set<std::string> possible(emails.begin(), emails.end());
    for (const auto& email : consolidated_emails()) {
        FUZZ_CHECK(possible.count(avara::text::to_lower(email)) == 1);
        FUZZ_CHECK((*store)->find(email).has_value());
    }
    check_reads_back(**store, emails);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    clean();
    if (in.ConsumeIntegral<std::uint8_t>() % 2 == 0) {
        run_structured(in);
    } else {
        run_raw(in);
    }
    clean();
    return 0;
}
