#include "avara_onboard/app/run_job.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "avara_onboard/net/base_url.hpp"
#include "avara_onboard/net/tls_context.hpp"
#include "avara_onboard/report/report_lock.hpp"
#include "avara_onboard/util/log.hpp"
#include "avara_onboard/util/text.hpp"

namespace avara::app {

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

}  // namespace

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

namespace {

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

void set_limits(send::EngineConfig& engine, const RunOptions& o, const validate::RunSettings& s) {
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
}

void set_server(send::EngineConfig& engine, const RunOptions& o, const validate::RunSettings& s,
                const RunContext& context) {
    std::string base_text = "https://api.avarasoftware.com";
    if (o.base_url) {
        base_text = *o.base_url;
    } else if (const char* env = std::getenv("AVARA_BASE_URL"); env != nullptr && *env != '\0') {
        base_text = env;
    } else if (s.base_url) {
        base_text = *s.base_url;
    }
    const bool allow_http = o.allow_insecure_http || s.allow_insecure_http.value_or(false);
    auto base = net::parse_base_url(base_text, allow_http ? net::PlainHttp::allow : net::PlainHttp::refuse);
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
}

void set_progress(send::EngineConfig& engine, bool quiet) {
    if (quiet) {
        engine.progress = send::ProgressMode::none;
    } else if (::isatty(STDERR_FILENO) != 0 && log::format() == log::Format::text) {
        engine.progress = send::ProgressMode::live;
        engine.progress_interval = std::chrono::milliseconds(250);
    } else {
        engine.progress = send::ProgressMode::periodic;
        engine.progress_interval = std::chrono::seconds(5);
    }
}

}  // namespace

Job prepare_job(const RunOptions& o, const RunContext& context,
                const std::vector<std::string>& extra_outputs) {
    Job job;
    auto config = load_optional_config(o.config);
    if (!config)
        throw AppError(config.error());
    job.config = std::move(*config);
    job.config_path = o.config.value_or("");
    const auto& s = job.config.settings;

    job.quiet = o.quiet || (!o.verbose && s.quiet.value_or(false));
    const bool verbose = o.verbose || (!o.quiet && s.verbose.value_or(false));
    log::set_level(job.quiet ? log::Level::quiet : (verbose ? log::Level::verbose : log::Level::normal));

    const auto format_text = pick<std::string>(o.report_format, s.report_format, "csv");
    const auto format = report::parse_format(format_text);
    if (!format)
        throw AppError(ErrorKind::usage, "--report-format must be csv or jsonl, not '" + format_text + "'");
    job.format = *format;
    job.report_path = pick<std::string>(o.report, s.report, default_report_path(o.roster));
    job.summary_path = pick<std::string>(o.summary, s.summary, "");
    auto outputs = resolve_job_outputs(o.outputs, s);
    if (!outputs)
        throw AppError(outputs.error());
    job.outputs = *outputs;
    std::vector<std::string> paths{job.report_path, job.summary_path, job.outputs.html_report,
                                   job.outputs.metrics_file};
    paths.insert(paths.end(), extra_outputs.begin(), extra_outputs.end());
    if (auto r = check_outputs_distinct(o.roster, paths); !r)
        throw AppError(r.error());
    // One run at a time per report: held as long as the Job lives, the report final by then.
    auto lock = report::lock_report(job.report_path);
    if (!lock)
        throw AppError(lock.error());
    job.lock.emplace(std::move(*lock));

    set_limits(job.engine, o, s);
    job.engine.budget = send::make_budget(job.engine);  // one for every request of the job
    set_server(job.engine, o, s, context);
    job.engine.handle_signals = context.handle_signals;
    set_progress(job.engine, job.quiet);
    // Every output is opened before the first request: a path that cannot be written is refused
    // now, exit 2, not found after the last invite.
    auto summary_file = AtomicFile::open_optional(job.summary_path);
    if (!summary_file)
        throw AppError(summary_file.error());
    if (*summary_file)
        job.summary_file.emplace(std::move(**summary_file));
    return job;
}

void watch_metrics(Job& job, const report::Summary& summary) {
    if (job.outputs.metrics_file.empty())
        return;
    const Job* j = &job;
    const report::Summary* live = &summary;
    job.engine.on_tick = [j, live](const send::EngineTick& tick) {
        report::Summary now = *live;
        now.requests = tick.requests;
        now.retries = tick.retries;
        now.duration_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - j->started).count();
        write_running_metrics(j->outputs, now,
                              {j->config_path, j->engine.rate, tick.throttled, tick.current_rate});
    };
}

std::unique_ptr<report::ResumeStore> open_resume_store(const RunOptions& o, const Job& job) {
    const bool resume = o.resume || job.config.settings.resume.value_or(false);
    if (!resume) {
        std::error_code ignored;  // a fresh run replaces the report; stale crash leftovers go with it
        std::filesystem::remove(job.report_path + ".previous", ignored);
        return nullptr;
    }
    auto store = report::ResumeStore::open(job.report_path);
    if (!store)
        throw AppError(store.error());
    log::info("resuming: " + std::to_string((*store)->size()) + " email(s) already done in " +
              job.report_path);
    return std::move(*store);
}

int finish_job(Job& job, report::OrderedReport& ordered, report::ResumeStore* previous,
               report::Summary& summary, send::EngineResult& outcome, const std::string& again) {
    finish_report(ordered, previous, outcome);
    summary.requests = outcome.requests;
    summary.retries = outcome.retries;
    summary.duration_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - job.started).count();
    std::uint64_t good = 0;
    for (const auto status : report::all_statuses) {
        if (report::is_success(status))
            good += summary.count(status);
    }
    if (outcome.abort) {
        // Requests may have gone out before any abort, so it is always "stopped early, resume" (3),
        // even when the cause was, say, a read error in the roster halfway through.
        summary.exit_code = exit_code::aborted;
        summary.interrupted = outcome.abort->kind == ErrorKind::interrupted;
        summary.abort_reason = outcome.abort->message;
    } else {
        summary.exit_code = good == summary.rows() ? exit_code::ok : exit_code::rows_failed;
    }
    if (!write_job_outputs(job.outputs, summary, job.format,
                           {job.config_path, job.engine.rate, outcome.throttled, outcome.final_rate}))
        summary.exit_code = exit_code::aborted;  // an output was lost; requests went out: never 2
    if (job.summary_file && !write_summary(*job.summary_file, summary))
        summary.exit_code = exit_code::aborted;  // requests went out: never 2

    log::info(summary.counts_line() + "; " + std::to_string(summary.requests) + " requests, " +
              std::to_string(summary.retries) + " retries, " + std::to_string(outcome.connections_opened) +
              " connections");
    log::info("report: " + job.report_path);
    if (outcome.abort) {
        log::error(outcome.abort->message);
        log::error("to continue where this run stopped: " + again);
    }
    return summary.exit_code;
}

}  // namespace avara::app
