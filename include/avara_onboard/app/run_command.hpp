#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "avara_onboard/app/job_files.hpp"

namespace CLI {
class App;
}

namespace avara::app {

struct RunOptions {
    std::string roster;
    std::optional<std::string> report, report_format, summary, config, base_url, api_key_file, ca_file;
    RosterReadFlags read;    // --delimiter, --encoding, --sheet
    JobOutputFlags outputs;  // --html-report, --metrics-file, --log-format
    std::optional<std::int64_t> concurrency, max_retries;
    std::optional<double> rate, timeout, max_wait;
    bool allow_insecure_http = false;
    bool resume = false;
    bool verbose = false;
    bool quiet = false;
};

// What `demo` (and tests) hand over besides the flags; a user's run never sets these.
struct RunContext {
    std::optional<std::string> api_key;  // used instead of --api-key-file / AVARA_API_KEY
    bool handle_signals = true;
};

CLI::App* add_run_command(CLI::App& root, RunOptions& options);
// The options of `run`, which `sync` takes too.
void add_run_options(CLI::App& cmd, RunOptions& options);
// Validates and invites; returns the contract's exit code. Never throws.
int run_run_command(const RunOptions& options, const RunContext& context = {});

}  // namespace avara::app
