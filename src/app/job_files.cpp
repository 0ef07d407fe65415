#include "avara_onboard/app/job_files.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>

#include "avara_onboard/read/sniff.hpp"
#include "avara_onboard/util/log.hpp"

namespace avara::app {

namespace fs = std::filesystem;

void add_roster_and_report_options(CLI::App& cmd, std::string& roster, std::optional<std::string>& report,
                                   std::optional<std::string>& report_format,
                                   std::optional<std::string>& summary) {
    cmd.add_option(
           "roster", roster,
           "Roster: CSV (separator , ; tab or |; UTF-8, UTF-16 with BOM, or --encoding) or an .xlsx "
           "workbook; the first row is the header; - reads standard input (then --report is required)")
        ->required();
    cmd.add_option("--report", report, "Per-row report [default: ROSTER.report.csv beside the input]");
    cmd.add_option("--report-format", report_format, "Report format: csv or jsonl [default: csv]");
    cmd.add_option("--summary", summary, "Also write a JSON summary (counts per status, duration, rate)");
}

void add_roster_read_options(CLI::App& cmd, RosterReadFlags& flags) {
    cmd.add_option("--delimiter", flags.delimiter,
                   "The roster's cell separator: , ; tab or | [default: detected from the header line]");
    cmd.add_option("--encoding", flags.encoding,
                   "The roster's encoding, any name iconv knows (windows-1252, latin1, utf-16) [default: "
                   "UTF-8; UTF-16 when the file starts with its BOM]");
    cmd.add_option("--sheet", flags.sheet, "The worksheet of an .xlsx roster [default: the first]");
}

Result<read::ReadOptions> read_options_for(const RosterReadFlags& flags,
                                           const validate::RunSettings& settings) {
    read::ReadOptions options;
    if (const auto& text = flags.delimiter ? flags.delimiter : settings.delimiter) {
        options.delimiter = read::parse_delimiter(*text);
        if (!options.delimiter) {
            return make_error(ErrorKind::usage, "--delimiter must be one of , ; tab |, not '" + *text + "'");
        }
    }
    options.encoding = flags.encoding ? flags.encoding : settings.encoding;
    options.sheet = flags.sheet ? flags.sheet : settings.sheet;
    return options;
}

Result<std::unique_ptr<validate::ValidatedRows>> open_roster_rows(const std::string& roster,
                                                                  const RosterReadFlags& flags,
                                                                  const validate::Config& config) {
    auto options = read_options_for(flags, config.settings);
    if (!options)
        return options.error();
    return validate::ValidatedRows::open(roster, config.mapping, *options);
}

void add_job_output_options(CLI::App& cmd, JobOutputFlags& flags, MetricsFlag metrics) {
    cmd.add_option(
        "--html-report", flags.html_report,
        "Also write a self-contained HTML page for HR: counts per status, the rows that need a human");
    if (metrics == MetricsFlag::offered) {
        cmd.add_option("--metrics-file", flags.metrics_file,
                       "Also write Prometheus metrics (textfile collector format), replaced atomically");
    }
    // Applied as soon as it is parsed, so every later message already has the chosen form.
    cmd.add_option("--log-format", flags.log_format,
                   "Lines on stderr: text, or json (one object per line) [default: text]")
        ->type_name("text|json")
        ->each([](const std::string& name) {
            if (auto format = log::parse_format(name))
                log::set_format(*format);
        });
}

std::string default_report_path(const std::string& roster) {
    if (roster == "-")
        return {};
    // The contract names one default whatever the format, so scripts can always find the report.
    fs::path p(roster);
    p.replace_extension(".report.csv");
    return p.string();
}

Result<validate::Config> load_optional_config(const std::optional<std::string>& path) {
    if (!path)
        return validate::Config{};
    return validate::load_config(*path);
}

namespace {
// Two names for one file: compare what they point at when both exist, else their normal forms.
bool same_file(const std::string& a, const std::string& b) {
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec))
        return fs::equivalent(a, b, ec);
    return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}
}  // namespace

Result<void> check_outputs_distinct(const std::string& roster, const std::vector<std::string>& outputs) {
    if (roster == "-" && (outputs.empty() || outputs[0].empty())) {
        return make_error(ErrorKind::usage,
                          "reading the roster from standard input (-) needs --report PATH: there is no "
                          "file beside which to put the report");
    }
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        if (outputs[i].empty())
            continue;
        if (same_file(roster, outputs[i])) {
            return make_error(ErrorKind::usage,
                              "output " + outputs[i] + " is the roster itself; it would be overwritten");
        }
        for (std::size_t j = i + 1; j < outputs.size(); ++j) {
            if (!outputs[j].empty() && same_file(outputs[i], outputs[j])) {
                return make_error(ErrorKind::usage, "two outputs are the same file: " + outputs[i]);
            }
        }
    }
    return {};
}

int run_guarded(const std::function<int()>& body) noexcept {
    try {
        return body();
    } catch (const AppError& e) {
        log::error(e.what());
        return exit_code_for(e.kind());
    } catch (const std::exception& e) {
        log::error(std::string("unexpected: ") + e.what());
        return exit_code::aborted;
    }
}

void warn_unknown_columns(const std::vector<std::string>& columns) {
    if (columns.empty())
        return;
    std::string names;
    for (const auto& c : columns)
        names += (names.empty() ? "" : ", ") + c;
    log::warning("ignoring column(s) that map to no field: " + names);
}

}  // namespace avara::app
