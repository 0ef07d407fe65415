#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "avara_onboard/app/run_command.hpp"

namespace CLI {
class App;
}

namespace avara::app {

struct SyncOptions {
    RunOptions run;  // the roster, the report, the key, TLS, rate, retries, resume: as `run`
    bool plan = false;
    std::optional<std::string> plan_out, apply, max_revoke;
    bool revoke_missing = false;
    std::optional<std::int64_t> min_valid_rows;
};

CLI::App* add_sync_command(CLI::App& root, SyncOptions& options);
// Lists the server's users, compares, guards, then shows (--plan) or applies the changes. Returns the
// contract's exit code. Never throws.
int run_sync_command(const SyncOptions& options, const RunContext& context = {});

}  // namespace avara::app
