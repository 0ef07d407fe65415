#include "avara_onboard/app/demo_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>

#include "avara_onboard/app/job_files.hpp"
#include "avara_onboard/app/run_command.hpp"
#include "avara_onboard/app/sample_roster.hpp"
#include "avara_onboard/mock/mock_server.hpp"
#include "avara_onboard/util/log.hpp"
#include "avara_onboard/util/output_file.hpp"

namespace avara::app {

CLI::App* add_demo_command(CLI::App& root, DemoOptions& o) {
    auto* cmd = root.add_subcommand(
        "demo",
        "Run the sample roster through `run` against a built-in mock server (nothing leaves this machine)");
    cmd->add_option("--roster", o.roster, "Use this roster instead of the built-in sample");
    cmd->add_option("--report", o.report, "Where to write the report [default: in a new folder under /tmp]");
    cmd->add_option("--fail-rate", o.fail_rate, "Share of requests the mock server answers with 503 (0..1)")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--drop-rate", o.drop_rate,
                    "Share of connections the mock server drops unanswered (0..1)")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_flag("-q,--quiet", o.quiet, "Only errors on stderr");
    return cmd;
}

namespace {

int demo_or_throw(const DemoOptions& o) {
    std::string folder = (std::filesystem::temp_directory_path() / "avara-demo-XXXXXX").string();
    if (::mkdtemp(folder.data()) == nullptr)
        throw AppError(ErrorKind::io, "cannot create a folder under /tmp");

    const std::string demo_key = "demo-key";
    mock::ServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    server_options.api_key = demo_key;
    server_options.faults.fail_rate = o.fail_rate;
    server_options.faults.drop_rate = o.drop_rate;
    auto server = mock::MockServer::start(server_options);
    if (!server)
        throw AppError(server.error());

    const std::string ca_path = folder + "/mock-ca.pem";
    if (auto r = write_private_file(ca_path, (*server)->ca_pem()); !r)
        throw AppError(r.error());
    std::string roster = o.roster.value_or(folder + "/roster.csv");
    if (!o.roster) {
        if (auto r = write_private_file(roster, sample_roster_csv); !r)
            throw AppError(r.error());
    }

    RunOptions run;
    run.roster = roster;
    run.report = o.report.value_or(folder + "/roster.report.csv");
    run.summary = folder + "/summary.json";
    run.base_url = "https://" + (*server)->address();
    run.ca_file = ca_path;
    run.rate = 50;
    run.quiet = o.quiet;
    RunContext context;
    context.api_key = demo_key;

    log::info("demo: mock server listening on https://" + (*server)->address() + " with a fresh CA (" +
              ca_path + "), verified like any other");
    const int rc = run_run_command(run, context);
    const auto stats = (*server)->stats();
    (*server)->stop();
    log::info("demo: the mock server created " + std::to_string(stats.users_created) + " users from " +
              std::to_string(stats.total_requests) + " requests");
    log::info("demo: summary: " + *run.summary);
    log::info("demo: the report is " + *run.report);
    // Invalid rows in the sample are the point of the demo, not its failure.
    return rc == exit_code::rows_failed ? exit_code::ok : rc;
}

}  // namespace

int run_demo_command(const DemoOptions& o) {
    log::set_level(o.quiet ? log::Level::quiet : log::Level::normal);
    return run_guarded([&] { return demo_or_throw(o); });
}

}  // namespace avara::app
