#include "avara_onboard/app/job_files.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>

#include "avara_onboard/util/log.hpp"

namespace avara::app {

namespace fs = std::filesystem;

void add_roster_and_report_options(CLI::App& cmd, std::string& roster, std::optional<std::string>& report,
                                   std::optional<std::string>& report_format,
                                   std::optional<std::string>& summary) {
    cmd.add_option("roster", roster, "Roster CSV (first line is the header)")->required();
    cmd.add_option("--report", report, "Per-row report [default: ROSTER.report.csv beside the input]");
    cmd.add_option("--report-format", report_format, "Report format: csv or jsonl [default: csv]");
    cmd.add_option("--summary", summary, "Also write a JSON summary (counts per status, duration, rate)");
}

std::string default_report_path(const std::string& roster) {
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
