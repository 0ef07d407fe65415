#pragma once
// What `run` and `validate` share before any row is read: the config file, the report's default
// path, and the guard that no output would overwrite the roster.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "avara_onboard/read/roster_input.hpp"
#include "avara_onboard/report/report_writer.hpp"
#include "avara_onboard/util/error.hpp"
#include "avara_onboard/validate/config.hpp"
#include "avara_onboard/validate/validated_rows.hpp"

namespace CLI {
class App;
}

namespace avara::app {

// The roster argument and the output options that `run` and `validate` share.
void add_roster_and_report_options(CLI::App& cmd, std::string& roster, std::optional<std::string>& report,
                                   std::optional<std::string>& report_format,
                                   std::optional<std::string>& summary);

// How to read the roster (`run` and `validate`): each flag overrides its config key.
struct RosterReadFlags {
    std::optional<std::string> delimiter, encoding, sheet;
};
void add_roster_read_options(CLI::App& cmd, RosterReadFlags& flags);
// The flags over the config's keys. Errors (ErrorKind::usage): a --delimiter that is none of the four.
Result<read::ReadOptions> read_options_for(const RosterReadFlags& flags,
                                           const validate::RunSettings& settings);
// Opens the roster ("-": standard input) as `run` and `validate` read it.
Result<std::unique_ptr<validate::ValidatedRows>> open_roster_rows(const std::string& roster,
                                                                  const RosterReadFlags& flags,
                                                                  const validate::Config& config);

// The outputs beside the report that `run`, `validate` and `sync` share: --html-report, --log-format
// and, for the commands that send (run, sync), --metrics-file. Resolved and written by job_outputs.hpp.
struct JobOutputFlags {
    std::optional<std::string> html_report, metrics_file, log_format;
};
enum class MetricsFlag { offered, absent };
void add_job_output_options(CLI::App& cmd, JobOutputFlags& flags, MetricsFlag metrics);

// ROSTER.csv -> ROSTER.report.csv beside the input (also for --report-format jsonl: the contract
// fixes one default path); empty for standard input ("-"), which has no "beside".
std::string default_report_path(const std::string& roster);

// Loads the config when one is named; an empty Config otherwise.
Result<validate::Config> load_optional_config(const std::optional<std::string>& path);

// Refuses an output path that is the roster itself or another output (it would be truncated), and a
// roster read from standard input without a report path (`outputs[0]` is the report).
Result<void> check_outputs_distinct(const std::string& roster, const std::vector<std::string>& outputs);

// Runs a command's body: an AppError becomes its message on stderr and the contract's exit code, any
// other exception a message and exit 3. The one place where a command's exceptions stop.
int run_guarded(const std::function<int()>& body) noexcept;

// Names, once, the roster columns that map to no field.
void warn_unknown_columns(const std::vector<std::string>& columns);

// Picks the flag, else the config's value, else the default.
template <class T>
T pick(const std::optional<T>& flag, const std::optional<T>& config, T fallback) {
    if (flag)
        return *flag;
    if (config)
        return *config;
    return fallback;
}

}  // namespace avara::app
