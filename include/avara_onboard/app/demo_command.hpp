#pragma once
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace avara::app {

struct DemoOptions {
    std::optional<std::string> roster;  // default: the sample roster built into the binary
    std::optional<std::string> report;
    double fail_rate = 0;
    double drop_rate = 0;
    bool quiet = false;
};

CLI::App* add_demo_command(CLI::App& root, DemoOptions& options);
// Starts the mock server in-process on an ephemeral loopback port with a fresh CA (verified, never
// ignored), runs the roster through `run`, prints the summary and the report's path.
int run_demo_command(const DemoOptions& options);

}  // namespace avara::app
