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
    add_roster_and_report_options(*cmd, o.roster, o.report, o.report_format, o.summary);
    add_roster_read_options(*cmd, o.read);
    add_job_output_options(*cmd, o.outputs, true);
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

namespace {

std::string read_api_key(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw AppError(ErrorKind::config, "cannot read API key file " + path);
    if ((st.st_mode & 0077) != 0) {
        log::warning("API key file " + path + " can be read by group or others; run: chmod 600 " + path);
    }
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw AppError(ErrorKind::config, "cannot read API key file " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string key(ss.str());
    while (!key.empty() &&
           (key.back() == '\n' || key.back() == '\r' || key.back() == ' ' || key.back() == '\t')) {
        key.pop_back();
    }
    key = std::string(text::trim(key));
    if (key.empty())
        throw AppError(ErrorKind::config, "API key file " + path + " is empty");
    if (key.find_first_of("\r\n") != std::string::npos) {
        throw AppError(ErrorKind::config, "API key file " + path + " holds more than one line");
    }
    return key;
}

// A key must travel in an HTTP header: visible ASCII only. The message names where and what, never the key.
std::string checked_api_key(std::string key, const std::string& source) {
    for (std::size_t i = 0; i < key.size(); ++i) {
        const auto c = static_cast<unsigned char>(key[i]);
        if (c > 0x20 && c < 0x7f)
            continue;
        const char* what = c == '\r'   ? "a carriage return (CR; a file with Windows line endings?)"
                           : c == '\n' ? "a line feed"
                           : c == ' '  ? "a space"
                           : c == '\t' ? "a tab"
                           : c >= 0x80 ? "a non-ASCII byte"
                                       : "a control character";
        throw AppError(ErrorKind::config, "the API key from " + source + " holds " + what + " at position " +
                                              std::to_string(i + 1) + " of " + std::to_string(key.size()) +
                                              ": it cannot be sent in an HTTP header; nothing was sent");
    }
    return key;
}

std::string resolve_api_key(const RunOptions& o, const validate::RunSettings& s, const RunContext& context) {
    if (context.api_key)
        return *context.api_key;
    if (o.api_key_file)
        return read_api_key(*o.api_key_file);
    if (s.api_key_file)
        return read_api_key(*s.api_key_file);
    if (const char* env = std::getenv("AVARA_API_KEY"); env != nullptr && *env != '\0') {
        return std::string(text::trim(env));
    }
    throw AppError(ErrorKind::config,
                   "no API key: set AVARA_API_KEY or pass --api-key-file FILE (a file readable only by you)");
}

template <class T>
T in_range(const char* flag, T value, T low, T high) {
    if (value < low || value > high) {
        std::ostringstream msg;
        msg << flag << " must be between " << low << " and " << high << ", not " << value;
        throw AppError(ErrorKind::usage, msg.str());
    }
    return value;
}

std::string shell_quote(const std::string& s) {
    if (s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:@") ==
        std::string::npos) {
        return s;
    }
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out.push_back(c);
        }
    }
    return out + "'";
}

// Makes the report final: held rows written, synced, the journal removed, and `.previous` too when
// the run went to its end. A file that cannot be written stops the run like any abort (exit 3,
// resumable), the journal and `.previous` left for --resume.
void finish_report(report::OrderedReport& ordered, report::ResumeStore* previous,
                   send::EngineResult& outcome) {
    try {
        ordered.finish();
        if (previous != nullptr && !outcome.abort)
            previous->discard();
    } catch (const AppError& e) {
        if (!outcome.abort) {
            outcome.abort = Error{e.kind(), e.what()};
        } else if (outcome.abort->message != e.what()) {
            log::error(e.what());
        }
    }
}

// False (the error logged) when the summary cannot be written.
bool write_summary(AtomicFile& file, const report::Summary& summary) {
    try {
        file.write(summary.to_json());
        file.commit();
        return true;
    } catch (const AppError& e) {
        log::error(std::string("the summary: ") + e.what());
        return false;
    }
}

int run_or_throw(const RunOptions& o, const RunContext& context) {
    const auto started = std::chrono::steady_clock::now();
    auto config = load_optional_config(o.config);
    if (!config)
        throw AppError(config.error());
    const auto& s = config->settings;

    const bool quiet = o.quiet || (!o.verbose && s.quiet.value_or(false));
    const bool verbose = o.verbose || (!o.quiet && s.verbose.value_or(false));
    log::set_level(quiet ? log::Level::quiet : (verbose ? log::Level::verbose : log::Level::normal));

    const auto format_text = pick<std::string>(o.report_format, s.report_format, "csv");
    const auto format = report::parse_format(format_text);
    if (!format)
        throw AppError(ErrorKind::usage, "--report-format must be csv or jsonl, not '" + format_text + "'");
    const auto report_path = pick<std::string>(o.report, s.report, default_report_path(o.roster));
    const auto summary_path = pick<std::string>(o.summary, s.summary, "");
    const auto outputs = resolve_job_outputs(o.outputs, s);
    if (!outputs)
        throw AppError(outputs.error());
    if (auto r = check_outputs_distinct(
            o.roster, {report_path, summary_path, outputs->html_report, outputs->metrics_file});
        !r)
        throw AppError(r.error());
    // One run at a time per report: held until this function returns, the report final by then.
    auto report_lock = report::lock_report(report_path);
    if (!report_lock)
        throw AppError(report_lock.error());

    send::EngineConfig engine;
    engine.concurrency = static_cast<unsigned>(in_range<std::int64_t>(
        "--concurrency", pick<std::int64_t>(o.concurrency, s.concurrency, 8), 1, 1024));
    engine.rate = in_range("--rate", pick<double>(o.rate, s.rate, 10.0), 0.0, 1e6);
    engine.retry.max_retries = static_cast<int>(
        in_range<std::int64_t>("--max-retries", pick<std::int64_t>(o.max_retries, s.max_retries, 5), 0, 100));
    const double timeout_s = in_range("--timeout", pick<double>(o.timeout, s.timeout, 30.0), 0.001, 86400.0);
    engine.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000));
    const double max_wait_s =
        in_range("--max-wait", pick<double>(o.max_wait, s.max_wait, 300.0), 0.0, 86400.0 * 7);
    engine.retry.max_wait = std::chrono::milliseconds(static_cast<std::int64_t>(max_wait_s * 1000));

    std::string base_text = "https://api.avarasoftware.com";
    if (o.base_url) {
        base_text = *o.base_url;
    } else if (const char* env = std::getenv("AVARA_BASE_URL"); env != nullptr && *env != '\0') {
        base_text = env;
    } else if (s.base_url) {
        base_text = *s.base_url;
    }
    const bool allow_http = o.allow_insecure_http || s.allow_insecure_http.value_or(false);
    auto base = net::parse_base_url(base_text, allow_http);
    if (!base)
        throw AppError(base.error());
    engine.base = *base;
    engine.api_key =
        checked_api_key(resolve_api_key(o, s, context), context.api_key  ? "the caller"
                                                        : o.api_key_file ? *o.api_key_file
                                                        : s.api_key_file ? *s.api_key_file
                                                                         : std::string("AVARA_API_KEY"));
    if (base->is_tls()) {
        auto tls = net::TlsClientContext::create(o.ca_file ? o.ca_file : s.ca_file);
        if (!tls)
            throw AppError(tls.error());
        engine.tls = *tls;
    }

    // The roster is opened (and its header checked) before the old report is touched, so an input
    // error leaves the previous report as it was.
    auto rows = open_roster_rows(o.roster, o.read, *config);
    if (!rows)
        throw AppError(rows.error());
    warn_unknown_columns((*rows)->unknown_columns());
    // Every output is opened before the first request (and before the old report is touched): a path
    // that cannot be written is refused now, exit 2, not found after the last invite. The report and
    // its journal are opened below; an output added later (--metrics-file) is opened here too.
    auto summary_file = AtomicFile::open_optional(summary_path);
    if (!summary_file)
        throw AppError(summary_file.error());

    const bool resume = o.resume || s.resume.value_or(false);
    std::unique_ptr<report::ResumeStore> previous;
    if (resume) {
        auto store = report::ResumeStore::open(report_path);
        if (!store)
            throw AppError(store.error());
        previous = std::move(*store);
        log::info("resuming: " + std::to_string(previous->size()) +
                  " email(s) already invited or existing in " + report_path);
    } else {
        std::error_code ignored;  // a fresh run replaces the report; stale crash leftovers go with it
        std::filesystem::remove(report_path + ".previous", ignored);
    }
    auto ordered = report::OrderedReport::create(report_path, *format);
    if (!ordered)
        throw AppError(ordered.error());

    engine.handle_signals = context.handle_signals;
    if (quiet) {
        engine.progress = send::ProgressMode::none;
    } else if (::isatty(STDERR_FILENO) != 0 && log::format() == log::Format::text) {
        engine.progress = send::ProgressMode::live;
        engine.progress_interval = std::chrono::milliseconds(250);
    } else {
        engine.progress = send::ProgressMode::periodic;
        engine.progress_interval = std::chrono::seconds(5);
    }

    report::Summary summary;
    summary.command = "run";
    summary.roster = o.roster;
    summary.report = report_path;
    char rate_text[32];
    std::snprintf(rate_text, sizeof rate_text, "%g/s", engine.rate);
    log::info("inviting from " + o.roster + " to " + base->to_string() + " (concurrency " +
              std::to_string(engine.concurrency) + ", rate " + (engine.rate > 0 ? rate_text : "unlimited") +
              ")");
    send::RunEngine run_engine(engine, **rows, **ordered, previous.get(), summary);
    auto outcome = run_engine.run();
    finish_report(**ordered, previous.get(), outcome);

    summary.requests = outcome.requests;
    summary.retries = outcome.retries;
    summary.skipped_by_resume = outcome.skipped_by_resume;
    summary.duration_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto good = summary.count(report::Status::invited) + summary.count(report::Status::exists);
    if (outcome.abort) {
        // Requests may have gone out before any abort, so it is always "stopped early, resume" (3),
        // even when the cause was, say, a read error in the roster halfway through.
        summary.exit_code = exit_code::aborted;
        summary.interrupted = outcome.abort->kind == ErrorKind::interrupted;
        summary.abort_reason = outcome.abort->message;
    } else {
        summary.exit_code = good == summary.rows() ? exit_code::ok : exit_code::rows_failed;
    }
    if (!write_job_outputs(*outputs, summary, *format, {o.config.value_or(""), engine.rate}))
        summary.exit_code = exit_code::aborted;  // an output was lost; requests went out: never 2
    if (*summary_file && !write_summary(**summary_file, summary))
        summary.exit_code = exit_code::aborted;  // requests went out: never 2

    log::info(summary.counts_line() + "; " + std::to_string(summary.requests) + " requests, " +
              std::to_string(summary.retries) + " retries, " + std::to_string(outcome.connections_opened) +
              " connections");
    log::info("report: " + report_path);
    if (outcome.abort) {
        log::error(outcome.abort->message);
        std::string again = "avara-onboard run " + shell_quote(o.roster) + " --resume";
        if (o.report)
            again += " --report " + shell_quote(*o.report);
        if (o.config)
            again += " --config " + shell_quote(*o.config);
        log::error("to continue where this run stopped: " + again);
    }
    return summary.exit_code;
}

}  // namespace

int run_run_command(const RunOptions& o, const RunContext& context) {
    log::set_level(o.quiet ? log::Level::quiet : (o.verbose ? log::Level::verbose : log::Level::normal));
    return run_guarded([&] { return run_or_throw(o, context); });
}

}  // namespace avara::app
