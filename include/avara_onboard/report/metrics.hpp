#pragma once
// A run's figures in Prometheus' text exposition format, for node_exporter's textfile collector:
// pure rendering from a plain struct, and a writer that replaces the file atomically (so the
// collector never reads half of it). The run writes it at the end; the engine may write it during
// a run too (running = true), every 15 s:
//
//   report::MetricsSnapshot m{.roster = "northside", .command = "run"};
//   m.counts = summary.counts; m.requests = ...; m.running = true;
//   if (auto r = report::write_metrics_file(path, m); !r) log::warning(r.error().message);
//
// Every metric carries the labels roster (the config's name, else the roster file's) and command.
// Figures the caller does not know (throttled answers, the current rate) are left out, not zero.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "avara_onboard/report/row_result.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::report {

struct MetricsSnapshot {
    std::string roster;                                // label value
    std::string command;                               // "run", "sync", "validate"
    std::array<std::uint64_t, status_count> counts{};  // rows per status, indexed by Status
    std::uint64_t requests = 0;
    std::uint64_t retries = 0;
    std::optional<std::uint64_t> throttled;  // answers with status 429
    std::optional<double> current_rate;      // requests/s the run is allowed now (429s lower it)
    double rate_limit = 0;                   // --rate; 0 = unlimited
    double duration_seconds = 0;
    std::optional<int> exit_code;  // unset while running
    double timestamp_seconds = 0;  // Unix time of this snapshot (the end, for the last one)
    bool running = false;
};

// The textfile: # HELP and # TYPE for each metric, then its samples; label values escaped.
std::string render_metrics(const MetricsSnapshot& snapshot);

// Writes render_metrics(snapshot) to `path` atomically (a temporary file beside it, renamed over
// it), readable by all (mode 0644: node_exporter runs as another user; the figures name nobody).
Result<void> write_metrics_file(const std::string& path, const MetricsSnapshot& snapshot);

// The `roster` label for a run: the config file's name without folder and extension when there is
// one ("/etc/avara-onboard/northside.toml" -> "northside"), else the roster's ("-": "stdin").
std::string metrics_roster_label(const std::string& roster, const std::string& config_path);

}  // namespace avara::report
