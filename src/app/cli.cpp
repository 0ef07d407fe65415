#include "avara_onboard/app/cli.hpp"

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "avara_onboard/app/demo_command.hpp"
#include "avara_onboard/app/mock_server_command.hpp"
#include "avara_onboard/app/run_command.hpp"
#include "avara_onboard/app/sync_command.hpp"
#include "avara_onboard/app/validate_command.hpp"
#include "avara_onboard/util/error.hpp"
#include "avara_onboard/util/log.hpp"

namespace avara::app {

namespace {
constexpr const char* description =
    "avara-onboard " AVARA_VERSION
    ": invite people into the Avara Viewer in bulk from a roster CSV.\n"
    "Every row is validated against the invite schema, sent at most once, and ends with exactly one\n"
    "line in the report.";

constexpr const char* footer =
    "Start with:\n"
    "  avara-onboard validate staff.csv            check a roster, send nothing\n"
    "  avara-onboard demo                          a full run against a built-in mock server\n"
    "  AVARA_API_KEY=... avara-onboard run staff.csv\n"
    "  AVARA_API_KEY=... avara-onboard sync staff.csv --plan   what keeping the Viewer in step would change\n"
    "Run 'avara-onboard COMMAND --help' for a command's options.";
}  // namespace

int main(int argc, char** argv) {
    // A reader that goes away (`avara-onboard ... | head`) must not kill a run mid-report.
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{description, "avara-onboard"};
    app.footer(footer);
    app.set_version_flag("--version", "avara-onboard " AVARA_VERSION);
    app.require_subcommand(1);

    RunOptions run_options;
    auto* run_cmd = add_run_command(app, run_options);
    SyncOptions sync_options;
    auto* sync_cmd = add_sync_command(app, sync_options);
    ValidateOptions validate_options;
    auto* validate_cmd = add_validate_command(app, validate_options);
    MockServerCommand mock_options;
    auto* mock_cmd = add_mock_server_command(app, mock_options);
    DemoOptions demo_options;
    auto* demo_cmd = add_demo_command(app, demo_options);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? exit_code::ok : exit_code::usage;
    }

    try {
        if (run_cmd->parsed())
            return run_run_command(run_options);
        if (sync_cmd->parsed())
            return run_sync_command(sync_options);
        if (validate_cmd->parsed())
            return run_validate_command(validate_options);
        if (mock_cmd->parsed())
            return run_mock_server_command(mock_options);
        if (demo_cmd->parsed())
            return run_demo_command(demo_options);
    } catch (const std::exception& e) {
        log::error(std::string("unexpected: ") + e.what());
        return exit_code::aborted;
    }
    return exit_code::usage;
}

}  // namespace avara::app
