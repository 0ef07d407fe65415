#include "avara_onboard/app/job_outputs.hpp"

#include <chrono>

#include "avara_onboard/report/html_report.hpp"
#include "avara_onboard/report/metrics.hpp"
#include "avara_onboard/util/atomic_file.hpp"
#include "avara_onboard/util/log.hpp"

namespace avara::app {

namespace {

Result<void> probe_writable(const std::string& path) {
    if (path.empty())
        return {};
    auto file = AtomicFile::open(path);  // dropped uncommitted: its temporary file is removed
    if (!file)
        return file.error();
    return {};
}

report::MetricsSnapshot metrics_of(const report::Summary& summary, const JobFacts& facts) {
    report::MetricsSnapshot m;
    m.roster = report::metrics_roster_label(summary.roster, facts.config_path);
    m.command = summary.command;
    m.counts = summary.counts;
    m.requests = summary.requests;
    m.retries = summary.retries;
    m.rate_limit = facts.rate_limit;
    m.duration_seconds = summary.duration_seconds;
    m.exit_code = summary.exit_code;
    m.throttled = facts.throttled;
    m.current_rate = facts.current_rate;
    m.timestamp_seconds =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    m.running = false;
    return m;
}

}  // namespace

Result<JobOutputs> resolve_job_outputs(const JobOutputFlags& flags, const validate::RunSettings& settings) {
    const auto format_name = pick<std::string>(flags.log_format, settings.log_format, "text");
    const auto format = log::parse_format(format_name);
    if (!format)
        return make_error(ErrorKind::usage, "--log-format must be text or json, not '" + format_name + "'");
    log::set_format(*format);

    JobOutputs out;
    out.html_report = pick<std::string>(flags.html_report, settings.html_report, "");
    out.metrics_file = pick<std::string>(flags.metrics_file, settings.metrics_file, "");
    if (auto r = probe_writable(out.html_report); !r)
        return r.error();
    if (auto r = probe_writable(out.metrics_file); !r)
        return r.error();
    return out;
}

bool write_running_metrics(const JobOutputs& outputs, const report::Summary& summary, const JobFacts& facts) {
    if (outputs.metrics_file.empty())
        return true;
    auto metrics = metrics_of(summary, facts);
    metrics.exit_code.reset();
    metrics.running = true;
    if (auto r = report::write_metrics_file(outputs.metrics_file, metrics); !r) {
        log::warning("the metrics file: " + r.error().message + " (the run goes on)");
        return false;
    }
    return true;
}

bool write_job_outputs(const JobOutputs& outputs, const report::Summary& summary, report::Format format,
                       const JobFacts& facts) {
    bool written = true;
    if (!outputs.html_report.empty()) {
        auto page = report::write_html_report(outputs.html_report, {.report_path = summary.report,
                                                                    .format = format,
                                                                    .roster = summary.roster,
                                                                    .command = summary.command});
        if (page) {
            log::info("HTML report: " + outputs.html_report);
        } else {
            log::error("the HTML report: " + page.error().message);
            written = false;
        }
    }
    if (!outputs.metrics_file.empty()) {
        auto metrics = metrics_of(summary, facts);
        if (!written)
            metrics.exit_code = exit_code::aborted;
        if (auto r = report::write_metrics_file(outputs.metrics_file, metrics); !r) {
            log::error("the metrics file: " + r.error().message);
            written = false;
        }
    }
    return written;
}

}  // namespace avara::app
