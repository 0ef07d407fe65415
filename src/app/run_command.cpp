#include "avara_onboard/app/run_command.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "avara_onboard/app/job_files.hpp"
#include "avara_onboard/app/job_outputs.hpp"
#include "avara_onboard/app/run_job.hpp"
#include "avara_onboard/net/base_url.hpp"
#include "avara_onboard/net/tls_context.hpp"
#include "avara_onboard/report/ordered_report.hpp"
#include "avara_onboard/report/report_lock.hpp"
#include "avara_onboard/report/resume_store.hpp"
#include "avara_onboard/send/run_engine.hpp"
#include "avara_onboard/util/atomic_file.hpp"
#include "avara_onboard/util/log.hpp"
#include "avara_onboard/util/text.hpp"

namespace avara::app {

CLI::App* add_run_command(CLI::App& root, RunOptions& o) {
    auto* cmd = root.add_subcommand("run", "Validate a roster and invite every valid row");
    add_run_options(*cmd, o);
    cmd->footer(
        "Every row ends with exactly one line in the report: invited, exists, invalid, duplicate, rejected\n"
        "or failed. A run cut short (Ctrl-C, a kill, a refused key) continues with --resume.\n"
        "Exit codes: 0 all invited/exists, 1 some rows not, 2 usage/config/input error (nothing sent),\n"
        "3 aborted (key refused, TLS failure, interrupted, server pause over --max-wait).\n"
        "Example:\n"
        "  AVARA_API_KEY=$(cat ~/.avara-key) avara-onboard run staff.csv --config hr-export.toml\n"
        "  avara-onboard run staff.csv --api-key-file /etc/avara/key --resume");
    return cmd;
}

void add_run_options(CLI::App& cmd_ref, RunOptions& o) {
    auto* cmd = &cmd_ref;
    add_roster_and_report_options(*cmd, o.roster, o.report, o.report_format, o.summary);
    add_roster_read_options(*cmd, o.read);
    add_job_output_options(*cmd, o.outputs, MetricsFlag::offered);
    cmd->add_option("--config", o.config,
                    "TOML config: any option below, [columns], [values.FIELD], [defaults]");
    cmd->add_option("--base-url", o.base_url,
                    "API base URL; env AVARA_BASE_URL [default: https://api.avarasoftware.com]");
    cmd->add_option(
        "--api-key-file", o.api_key_file,
        "File holding the API key (mode 0600); else env AVARA_API_KEY. Never on the command line");
    cmd->add_option("--concurrency", o.concurrency, "Most requests in flight at once [default: 8]");
    cmd->add_option("--rate", o.rate,
                    "Most requests per second, retries included; 0 = unlimited [default: 10]");
    cmd->add_option("--max-retries", o.max_retries, "Retries per row after the first attempt [default: 5]");
    cmd->add_option("--timeout", o.timeout,
                    "Seconds per attempt: connect + TLS + request + response [default: 30]");
    cmd->add_option("--max-wait", o.max_wait,
                    "Longest server-requested pause (Retry-After) to sit through, in seconds [default: 300]");
    cmd->add_option("--ca-file", o.ca_file, "Extra trusted CA certificates (PEM), besides the system store");
    cmd->add_flag("--allow-insecure-http", o.allow_insecure_http,
                  "Permit an http:// base URL (the key travels in clear)");
    cmd->add_flag("--resume", o.resume,
                  "Skip rows already invited/exists in the existing report; process the rest and merge");
    cmd->add_flag("-v,--verbose", o.verbose, "More detail on stderr (retries, each failed row)");
    cmd->add_flag("-q,--quiet", o.quiet, "Only errors on stderr; no progress line");
}

namespace {

int run_or_throw(const RunOptions& o, const RunContext& context) {
    Job job = prepare_job(o, context);
    // The roster is opened (and its header checked) before the old report is touched, so an input
    // error leaves the previous report as it was.
    auto rows = open_roster_rows(o.roster, o.read, job.config);
    if (!rows)
        throw AppError(rows.error());
    warn_unknown_columns((*rows)->unknown_columns());
    auto previous = open_resume_store(o, job);
    auto ordered = report::OrderedReport::create(job.report_path, job.format);
    if (!ordered)
        throw AppError(ordered.error());

    report::Summary summary;
    summary.command = "run";
    summary.roster = o.roster;
    summary.report = job.report_path;
    char rate_text[32];
    std::snprintf(rate_text, sizeof rate_text, "%g/s", job.engine.rate);
    log::info("inviting from " + o.roster + " to " + job.engine.base.to_string() + " (concurrency " +
              std::to_string(job.engine.concurrency) + ", rate " +
              (job.engine.rate > 0 ? rate_text : "unlimited") + ")");
    send::RosterWork work(**rows, previous.get());
    watch_metrics(job, summary);
    send::RunEngine run_engine(job.engine, work, **ordered, summary);
    auto outcome = run_engine.run();
    summary.skipped_by_resume = work.skipped_by_resume();

    std::string again = "avara-onboard run " + shell_quote(o.roster) + " --resume";
    if (o.report)
        again += " --report " + shell_quote(*o.report);
    if (o.config)
        again += " --config " + shell_quote(*o.config);
    return finish_job(job, **ordered, previous.get(), summary, outcome, again);
}

}  // namespace

int run_run_command(const RunOptions& o, const RunContext& context) {
    log::set_level(o.quiet ? log::Level::quiet : (o.verbose ? log::Level::verbose : log::Level::normal));
    return run_guarded([&] { return run_or_throw(o, context); });
}

}  // namespace avara::app
