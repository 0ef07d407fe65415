#pragma once
// What `run` and `sync` share around the engine: the settings resolved from flags, config and
// environment before anything is read or sent (RunOptions: the flags; validate::RunSettings: the
// config file's keys; send::EngineConfig: what the engine is handed), and the end of a job (report
// final, summary and outputs written, counts logged, the exit code).
#include <chrono>
#include <optional>
#include <string>

#include "avara_onboard/app/job_outputs.hpp"
#include "avara_onboard/app/run_command.hpp"
#include "avara_onboard/report/ordered_report.hpp"
#include "avara_onboard/report/resume_store.hpp"
#include "avara_onboard/report/summary.hpp"
#include "avara_onboard/send/run_engine.hpp"
#include "avara_onboard/util/atomic_file.hpp"
#include "avara_onboard/util/file_lock.hpp"
#include "avara_onboard/validate/config.hpp"

namespace avara::app {

struct Job {
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    validate::Config config;
    std::string config_path;  // --config, or empty
    bool quiet = false;
    report::Format format = report::Format::csv;
    std::string report_path, summary_path;
    JobOutputs outputs;
    std::optional<FileLock> lock;  // held until the Job goes: one run at a time per report
    send::EngineConfig engine;
    std::optional<AtomicFile> summary_file;
};

// Config, log level, report and output paths (checked, the report locked), the engine's settings
// (concurrency, rate, retries, timeouts, base URL, key, TLS, progress). Throws AppError (exit 2).
// `extra_outputs` are further paths that must differ from the roster and the other outputs.
Job prepare_job(const RunOptions& o, const RunContext& context,
                const std::vector<std::string>& extra_outputs = {});

// With --metrics-file: has the engine write the metrics every 15 s while it runs (`summary` must
// outlive the engine run).
void watch_metrics(Job& job, const report::Summary& summary);

// For --resume: what earlier runs on this report achieved; else clears a fresh run's leftovers.
std::unique_ptr<report::ResumeStore> open_resume_store(const RunOptions& o, const Job& job);

// Makes the report final, writes summary and outputs, logs the counts and, after an abort, how to
// continue (`again` is the command line that resumes). Returns the exit code.
int finish_job(Job& job, report::OrderedReport& ordered, report::ResumeStore* previous,
               report::Summary& summary, send::EngineResult& outcome, const std::string& again);

// 's' quoted for a shell when it needs it.
std::string shell_quote(const std::string& s);

}  // namespace avara::app
