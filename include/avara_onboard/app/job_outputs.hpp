#pragma once
// The outputs beside the report that watch a job or show it to people: the HTML page for HR
// (--html-report), the Prometheus textfile (--metrics-file) and the form of the log lines
// (--log-format). Resolved and checked before the first row is read; written once the report is
// final, from the report itself and the summary, so the engine knows nothing of them.
#include <cstdint>
#include <optional>
#include <string>

#include "avara_onboard/app/job_files.hpp"
#include "avara_onboard/report/report_writer.hpp"
#include "avara_onboard/report/summary.hpp"
#include "avara_onboard/util/error.hpp"
#include "avara_onboard/validate/config.hpp"

namespace avara::app {

struct JobOutputs {
    std::string html_report;   // empty: none
    std::string metrics_file;  // empty: none
};

// The flags over the config's keys. Applies the log format, and opens each output path once (and
// drops it) so that a folder that cannot be written is refused now, before anything is sent.
// Errors: ErrorKind::usage for a log format other than text/json, the path's error otherwise.
Result<JobOutputs> resolve_job_outputs(const JobOutputFlags& flags, const validate::RunSettings& settings);

// What the metrics say besides the summary.
struct JobFacts {
    std::string config_path;                 // names the `roster` label when set
    double rate_limit = 0;                   // --rate
    std::optional<std::uint64_t> throttled;  // 429 answers, when the job sent requests
    std::optional<double> current_rate;      // the limit in force at the time; 0 = none
};

// The metrics file while the job runs (running = true, no exit code yet). False, logged, on failure.
bool write_running_metrics(const JobOutputs& outputs, const report::Summary& summary, const JobFacts& facts);

// Writes the HTML page (from the finished report) and the metrics file. False, each failure
// logged, when one could not be written: the caller's exit is then 3 (an output was lost).
bool write_job_outputs(const JobOutputs& outputs, const report::Summary& summary, report::Format format,
                       const JobFacts& facts);

}  // namespace avara::app
