#include "avara_onboard/report/html_report.hpp"

#include <array>
#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>

#include "avara_onboard/read/csv_reader.hpp"
#include "avara_onboard/util/atomic_file.hpp"

namespace avara::report {

namespace {

// The order of the chart: outcomes first, then what needs a human; unknown statuses last.
constexpr std::array<std::string_view, 11> status_order = {"invited",     "exists",   "updated", "unchanged",
                                                           "reactivated", "revoked",  "valid",   "invalid",
                                                           "duplicate",   "rejected", "failed"};

// Bar colours: done (green), left alone or changed (blue), needs a human (amber, red).
std::string_view status_colour(std::string_view status) {
    if (status == "invited" || status == "exists" || status == "valid")
        return "#2e7d32";
    if (status == "invalid" || status == "duplicate")
        return "#ef6c00";
    if (status == "rejected" || status == "failed")
        return "#c62828";
    return "#1565c0";
}

// Collects the counts and the rows that need a human while a report is read.
class Collector {
  public:
    explicit Collector(std::size_t max_rows) : max_rows_(max_rows) {}

    void add(HumanRow row) {
        ++data_.total_rows;
        ++counts_[row.status];
        if (is_sync_change(row.status)) {
            ++data_.change_rows;
            if (data_.changes.size() < max_rows_)
                data_.changes.push_back(row);
        }
        if (!needs_a_human(row.status))
            return;
        ++data_.human_rows;
        if (data_.rows.size() < max_rows_)
            data_.rows.push_back(std::move(row));
    }

    HtmlReportData take() {
        for (const auto status : status_order) {
            if (auto it = counts_.find(std::string(status)); it != counts_.end()) {
                data_.counts.emplace_back(it->first, it->second);
                counts_.erase(it);
            }
        }
        for (auto& [status, count] : counts_)
            data_.counts.emplace_back(status, count);
        return std::move(data_);
    }

  private:
    std::size_t max_rows_;
    std::map<std::string, std::uint64_t> counts_;
    HtmlReportData data_;
};

Error bad_line(const std::string& path, std::uint64_t line, const std::string& what) {
    return make_error(ErrorKind::input, path + ":" + std::to_string(line) + ": " + what);
}

Result<HtmlReportData> read_csv_report(const std::string& path, std::size_t max_rows) {
    auto reader = read::CsvReader::open(path);
    if (!reader)
        return reader.error();
    Collector collector(max_rows);
    read::CsvRecord record;
    bool header = true;
    while ((*reader)->next(record)) {
        if (record.error)
            return bad_line(path, record.line, *record.error);
        if (header) {
            std::string joined;
            for (const auto cell : record.cells)
                joined.append(joined.empty() ? "" : ",").append(cell);
            if (joined != csv_header)
                return bad_line(path, record.line, "not a report header: " + joined);
            header = false;
            continue;
        }
        if (record.cells.size() != 8)
            return bad_line(path, record.line, "a report line has 8 cells");
        const auto& c = record.cells;
        collector.add({std::string(c[0]), std::string(c[1]), std::string(c[2]), std::string(c[3]),
                       std::string(c[4]), std::string(c[7])});
    }
    return collector.take();
}

std::string json_text(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null())
        return {};
    if (v->is_string())
        return std::string(v->get_string());
    return boost::json::serialize(*v);
}

Result<HtmlReportData> read_jsonl_report(const std::string& path, std::size_t max_rows) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return make_error(ErrorKind::input, "cannot read " + path);
    Collector collector(max_rows);
    std::string text;
    std::uint64_t line = 0;
    while (std::getline(in, text)) {
        ++line;
        if (text.empty())
            continue;
        boost::system::error_code ec;
        auto value = boost::json::parse(text, ec);
        if (ec || !value.is_object() || !value.get_object().contains("status"))
            return bad_line(path, line, "not a report line (JSON object with a status)");
        const auto& o = value.get_object();
        collector.add({json_text(o, "row"), json_text(o, "line"), json_text(o, "email"),
                       json_text(o, "status"), json_text(o, "http_status"), json_text(o, "error")});
    }
    if (in.bad())
        return make_error(ErrorKind::input, "cannot read " + path);
    return collector.take();
}

std::string utc_text(std::chrono::system_clock::time_point t) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    char out[32];
    std::strftime(out, sizeof out, "%Y-%m-%d %H:%M UTC", &tm);
    return out;
}

constexpr const char* page_style = R"(
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1d2430;background:#f5f6f8}
header{background:#1d3557;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;opacity:.85}
main{padding:24px 32px;max-width:1200px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:20px 24px;margin-bottom:24px}
h2{font-size:17px;margin:0 0 12px}
#counts{display:flex;flex-wrap:wrap;gap:12px;list-style:none;padding:0;margin:0 0 16px}
#counts li{border-left:6px solid var(--c);padding:4px 12px;background:#fafafa}
#counts .count{font-weight:700;font-size:20px;display:block}
svg text{font-size:13px;fill:#1d2430}
.toolbar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-bottom:12px}
.toolbar input{padding:6px 10px;font-size:14px;min-width:260px;border:1px solid #b8bfca;border-radius:4px}
.toolbar button{padding:6px 12px;border:1px solid #b8bfca;background:#fff;border-radius:4px;cursor:pointer}
.toolbar button.on{background:#1d3557;color:#fff;border-color:#1d3557}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{cursor:pointer;user-select:none;background:#eef1f5}
th[aria-sort=ascending]::after{content:" \25B2"}
th[aria-sort=descending]::after{content:" \25BC"}
td.status{font-weight:600;color:var(--c)}
td.error{white-space:pre-wrap;word-break:break-word}
.note{color:#5a6473}
)";

// Filtering (text box, status buttons) and sorting (column headings) move the existing rows; no
// value is ever turned back into markup.
constexpr const char* page_script = R"(
(function () {
  var table = document.getElementById('rows');
  if (!table) return;
  var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
  var box = document.getElementById('filter'), shown = document.getElementById('shown'), status = '';
  function apply() {
    var q = box.value.toLowerCase(), n = 0;
    rows.forEach(function (r) {
      var ok = (!status || r.dataset.status === status) && (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
      r.hidden = !ok; if (ok) n++;
    });
    shown.textContent = n;
  }
  box.addEventListener('input', apply);
  Array.prototype.forEach.call(document.querySelectorAll('.toolbar button'), function (b) {
    b.addEventListener('click', function () {
      status = b.dataset.filter;
      Array.prototype.forEach.call(document.querySelectorAll('.toolbar button'), function (o) { o.classList.toggle('on', o === b); });
      apply();
    });
  });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
    th.addEventListener('click', function () {
      var asc = th.getAttribute('aria-sort') !== 'ascending', numeric = th.dataset.type === 'number';
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { o.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      rows.sort(function (a, b) {
        var x = a.cells[i].textContent, y = b.cells[i].textContent;
        var d = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y);
        return asc ? d : -d;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  // A link can carry a view: #q=TEXT&status=STATUS&sort=COLUMN (or -COLUMN for descending).
  var view = new URLSearchParams(location.hash.slice(1));
  if (view.get('q')) box.value = view.get('q');
  Array.prototype.forEach.call(document.querySelectorAll('.toolbar button'), function (b) {
    if (view.get('status') && b.dataset.filter === view.get('status')) b.click();
  });
  var sort = view.get('sort') || '', th = table.querySelector('th[data-key="' + sort.replace(/^-/, '') + '"]');
  if (th) { th.click(); if (sort.charAt(0) === '-') th.click(); }
  apply();
})();
)";

void append_chart(std::string& out, const HtmlReportData& data) {
    out += "<ul id=\"counts\">";
    for (const auto& [status, count] : data.counts) {
        out += "<li data-status=\"" + html_escape(status) +
               "\" style=\"--c:" + std::string(status_colour(status)) + "\"><span class=\"count\">" +
               std::to_string(count) + "</span><span class=\"status\">" + html_escape(status) +
               "</span></li>";
    }
    out += "</ul>\n";
    std::uint64_t most = 1;
    for (const auto& entry : data.counts)
        most = std::max(most, entry.second);
    const int bar_height = 26;
    const int height = static_cast<int>(data.counts.size()) * bar_height + 8;
    out += "<svg id=\"chart\" role=\"img\" aria-label=\"rows per status\" width=\"100%\" height=\"" +
           std::to_string(height) + "\" viewBox=\"0 0 800 " + std::to_string(height) +
           "\" preserveAspectRatio=\"xMinYMin meet\">";
    int y = 4;
    for (const auto& [status, count] : data.counts) {
        const double width = 560.0 * static_cast<double>(count) / static_cast<double>(most);
        char bar[96];
        std::snprintf(bar, sizeof bar,
                      "<rect x=\"110\" y=\"%d\" width=\"%.1f\" height=\"%d\" rx=\"3\" fill=\"", y,
                      std::max(width, 2.0), bar_height - 6);
        out += "<g data-status=\"" + html_escape(status) + "\"><text x=\"100\" y=\"" +
               std::to_string(y + 15) + "\" text-anchor=\"end\">" + html_escape(status) + "</text>" + bar +
               std::string(status_colour(status)) + "\"/><text x=\"" +
               std::to_string(static_cast<int>(118 + std::max(width, 2.0))) + "\" y=\"" +
               std::to_string(y + 15) + "\">" + std::to_string(count) + "</text></g>";
        y += bar_height;
    }
    out += "</svg>\n";
}

void append_rows(std::string& out, const HtmlReportData& data) {
    out += "<section><h2>Rows that need a human (" + std::to_string(data.human_rows) + ")</h2>\n";
    if (data.human_rows == 0) {
        out += "<p id=\"nothing\">Nothing needs a human: every row went through.</p></section>\n";
        return;
    }
    out +=
        "<div class=\"toolbar\"><input id=\"filter\" type=\"search\" placeholder=\"Filter: any text, e.g. a "
        "domain or a field name\" aria-label=\"filter\"><button data-filter=\"\" class=\"on\">all</button>";
    for (const auto& [status, count] : data.counts) {
        if (needs_a_human(status))
            out += "<button data-filter=\"" + html_escape(status) + "\">" + html_escape(status) + "</button>";
    }
    out += "<span class=\"note\"><span id=\"shown\">" + std::to_string(data.rows.size()) +
           "</span> shown</span></div>\n";
    if (data.rows.size() < data.human_rows) {
        out += "<p class=\"note\">The first " + std::to_string(data.rows.size()) + " of " +
               std::to_string(data.human_rows) + " are listed; the report file holds them all.</p>\n";
    }
    out +=
        "<table id=\"rows\"><thead><tr><th data-key=\"row\" data-type=\"number\">Row</th>"
        "<th data-key=\"line\" data-type=\"number\">Line</th><th data-key=\"email\">Email</th>"
        "<th data-key=\"status\">Status</th><th data-key=\"http\" data-type=\"number\">HTTP</th>"
        "<th data-key=\"reason\">Reason</th></tr></thead><tbody>\n";
    for (const auto& r : data.rows) {
        out += "<tr data-status=\"" + html_escape(r.status) +
               "\" style=\"--c:" + std::string(status_colour(r.status)) + "\"><td>" + html_escape(r.row) +
               "</td><td>" + html_escape(r.line) + "</td><td>" + html_escape(r.email) +
               "</td><td class=\"status\">" + html_escape(r.status) + "</td><td>" +
               html_escape(r.http_status) + "</td><td class=\"error\">" + html_escape(r.error) +
               "</td></tr>\n";
    }
    out += "</tbody></table></section>\n";
}

// A sync's changes besides invites: who was updated, reactivated or revoked (the report's lines).
void append_changes(std::string& out, const HtmlReportData& data) {
    out += "<section><h2>Changes made (" + std::to_string(data.change_rows) + ")</h2>\n";
    if (data.change_rows == 0) {
        out += "<p id=\"no-changes\">No user was updated, reactivated or revoked.</p></section>\n";
        return;
    }
    out +=
        "<table id=\"changes\"><thead><tr><th>Email</th><th>Change</th><th>Note</th></tr></thead><tbody>\n";
    for (const auto& r : data.changes) {
        out += "<tr data-status=\"" + html_escape(r.status) + "\"><td>" + html_escape(r.email) +
               "</td><td class=\"status\">" + html_escape(r.status) + "</td><td>" + html_escape(r.error) +
               "</td></tr>\n";
    }
    out += "</tbody></table></section>\n";
}

}  // namespace

bool is_sync_change(std::string_view status) noexcept {
    return status == "updated" || status == "reactivated" || status == "revoked";
}

bool needs_a_human(std::string_view status) noexcept {
    return status == "invalid" || status == "duplicate" || status == "rejected" || status == "failed";
}

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

Result<HtmlReportData> read_report_back(const std::string& path, Format format, std::size_t max_rows) {
    return format == Format::csv ? read_csv_report(path, max_rows) : read_jsonl_report(path, max_rows);
}

std::string render_html_report(const HtmlReportData& data, const HtmlReportSource& source) {
    const auto roster = html_escape(source.roster);
    std::string out;
    out.reserve(4096 + data.rows.size() * 256);
    out +=
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
        "'unsafe-inline'; "
        "script-src 'unsafe-inline'\"><meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\">"
        "<title>avara-onboard: " +
        roster + "</title><style>" + page_style + "</style></head><body>\n";
    out += "<header><h1>Onboarding report: " + roster + "</h1><p>avara-onboard " +
           html_escape(source.command) + ", " + utc_text(source.generated) + " &middot; <span id=\"total\">" +
           std::to_string(data.total_rows) +
           "</span> rows &middot; report file: " + html_escape(source.report_path) +
           "</p></header>\n<main>\n";
    out += "<section><h2>Rows per status</h2>\n";
    append_chart(out, data);
    out += "</section>\n";
    append_rows(out, data);
    if (source.command == "sync")
        append_changes(out, data);
    out += "</main><script>";
    out += page_script;
    out += "</script></body></html>\n";
    return out;
}

Result<void> write_html_report(const std::string& html_path, const HtmlReportSource& source) {
    auto data = read_report_back(source.report_path, source.format);
    if (!data)
        return data.error();
    try {
        auto file = AtomicFile::open(html_path);
        if (!file)
            return file.error();
        file->write(render_html_report(*data, source));
        file->commit();
    } catch (const AppError& e) {
        return make_error(e.kind(), e.what());
    }
    return {};
}

}  // namespace avara::report
