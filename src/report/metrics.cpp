#include "avara_onboard/report/metrics.hpp"

#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "avara_onboard/util/atomic_file.hpp"

namespace avara::report {

namespace {

// Label values: backslash, double quote and line feed escaped, as the format requires.
std::string escape_label(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string number(double value) {
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    char text[40];
    std::snprintf(text, sizeof text, "%.17g", value);
    return text;
}

class Writer {
  public:
    explicit Writer(const MetricsSnapshot& s)
        : labels_("roster=\"" + escape_label(s.roster) + "\",command=\"" + escape_label(s.command) + "\"") {}

    void family(const char* name, const char* type, const char* help) {
        name_ = name;
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }
    void sample(double value, std::string_view extra_label = {}) {
        out_ += name_;
        out_ += '{';
        out_ += labels_;
        if (!extra_label.empty()) {
            out_ += ',';
            out_ += extra_label;
        }
        out_ += "} ";
        out_ += number(value);
        out_ += '\n';
    }
    void gauge(const char* name, const char* help, double value) {
        family(name, "gauge", help);
        sample(value);
    }
    std::string take() { return std::move(out_); }

  private:
    std::string labels_;
    std::string name_;
    std::string out_;
};

}  // namespace

std::string render_metrics(const MetricsSnapshot& s) {
    Writer w(s);
    w.family("avara_onboard_rows", "gauge", "Rows of the roster per status, in the last or current run.");
    for (const auto status : all_statuses) {
        w.sample(static_cast<double>(s.counts[static_cast<std::size_t>(status)]),
                 "status=\"" + std::string(to_string(status)) + "\"");
    }
    w.gauge("avara_onboard_requests", "HTTP requests sent by the run, retries included.",
            static_cast<double>(s.requests));
    w.gauge("avara_onboard_retries", "Requests that were retries of an earlier attempt.",
            static_cast<double>(s.retries));
    if (s.throttled) {
        w.gauge("avara_onboard_throttled_responses", "Answers with status 429 (Too Many Requests).",
                static_cast<double>(*s.throttled));
    }
    if (s.current_rate) {
        w.gauge("avara_onboard_current_rate", "Requests per second the run is allowed now (429s lower it).",
                *s.current_rate);
    }
    w.gauge("avara_onboard_rate_limit", "The configured limit in requests per second (--rate); 0 is none.",
            s.rate_limit);
    w.gauge("avara_onboard_duration_seconds", "How long the run took, or has taken so far.",
            s.duration_seconds);
    if (s.exit_code) {
        w.gauge("avara_onboard_exit_code",
                "Exit code of the last run: 0 all done, 1 rows need a human, 2 setup error, 3 stopped early.",
                *s.exit_code);
    }
    w.gauge("avara_onboard_last_run_timestamp_seconds", "Unix time at which these figures were written.",
            s.timestamp_seconds);
    w.gauge("avara_onboard_running", "1 while the run is going, 0 once it has ended.", s.running ? 1 : 0);
    return w.take();
}

Result<void> write_metrics_file(const std::string& path, const MetricsSnapshot& snapshot) {
    try {
        auto file = AtomicFile::open(path);
        if (!file)
            return file.error();
        file->write(render_metrics(snapshot));
        // AtomicFile creates 0600; the collector reads as another user, and nothing here is personal.
        if (::chmod(file->temp_path().c_str(), 0644) != 0)
            return make_error(ErrorKind::io, "cannot make " + path + " readable for the metrics collector");
        file->commit();
    } catch (const AppError& e) {
        return make_error(e.kind(), e.what());
    }
    return {};
}

std::string metrics_roster_label(const std::string& roster, const std::string& config_path) {
    if (!config_path.empty())
        return std::filesystem::path(config_path).stem().string();
    if (roster == "-")
        return "stdin";
    return std::filesystem::path(roster).stem().string();
}

}  // namespace avara::report
