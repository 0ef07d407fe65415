#pragma once
#include <optional>
#include <string>

#include "avara_onboard/app/job_files.hpp"

namespace CLI {
class App;
}

namespace avara::app {

struct ValidateOptions {
    std::string roster;
    std::optional<std::string> report, report_format, summary, config, payloads;
    RosterReadFlags read;
    JobOutputFlags outputs;  // --html-report, --log-format
    bool verbose = false;
    bool quiet = false;
};

CLI::App* add_validate_command(CLI::App& root, ValidateOptions& options);
// Validates the roster with no network at all; returns the contract's exit code. Never throws.
int run_validate_command(const ValidateOptions& options);

}  // namespace avara::app
