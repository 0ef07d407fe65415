#pragma once
// One self-contained HTML page for the people who own the roster (HR): the counts per status as a
// bar chart, then the rows that need a human (invalid, duplicate, rejected, failed) with their
// reasons, filterable and sortable. No external asset, no network (a Content-Security-Policy says
// so to the browser too). It is made from the finished report file, read back, so it shows exactly
// what the report says and never touches the run:
//
//   (*ordered)->finish();
//   auto page = report::write_html_report(html_path, {.report_path = report_path, .format = format,
//                                                     .roster = roster, .command = "run"});
//
// Every value from the report is HTML-escaped. The page is written atomically with mode 0600.
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "avara_onboard/report/report_writer.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::report {

struct HtmlReportSource {
    std::string report_path{};  // the finished report
    Format format = Format::csv;
    std::string roster{};   // shown in the title
    std::string command{};  // "run", "validate", "sync"
    std::chrono::system_clock::time_point generated = std::chrono::system_clock::now();
};

// A report line that needs a human, as read back (values as the report holds them).
struct HumanRow {
    std::string row, line, email, status, http_status, error;
};

// What the page shows: rows per status (in the report's order of statuses: outcomes first, known
// statuses before any other), and the rows that need a human, at most `max_rows` of them.
struct HtmlReportData {
    std::vector<std::pair<std::string, std::uint64_t>> counts;
    std::vector<HumanRow> rows;
    std::uint64_t total_rows = 0;
    std::uint64_t human_rows = 0;  // all of them, also those past max_rows
    // sync's changes (updated, reactivated, revoked): shown for a sync's report.
    std::vector<HumanRow> changes;
    std::uint64_t change_rows = 0;
};

// True for what a sync changed beyond inviting: updated, reactivated, revoked.
bool is_sync_change(std::string_view status) noexcept;

inline constexpr std::size_t html_max_rows = 10000;

// True for invalid, duplicate, rejected and failed.
bool needs_a_human(std::string_view status) noexcept;

// Reads a report file (CSV with its header, or JSONL). Errors (ErrorKind::input): the file cannot be
// read, or a line is not a report line, with the file and line.
Result<HtmlReportData> read_report_back(const std::string& path, Format format,
                                        std::size_t max_rows = html_max_rows);

// The whole page.
std::string render_html_report(const HtmlReportData& data, const HtmlReportSource& source);

// & < > " ' as entities: safe in element content and in quoted attributes.
std::string html_escape(std::string_view text);

// read_report_back + render_html_report, written atomically to `html_path` with mode 0600.
Result<void> write_html_report(const std::string& html_path, const HtmlReportSource& source);

}  // namespace avara::report
