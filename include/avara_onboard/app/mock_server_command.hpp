#pragma once
// `avara-onboard mock-server`: the flags, and running the server until SIGINT/SIGTERM.
#include <string>

#include "avara_onboard/mock/mock_server.hpp"

namespace CLI {
class App;
}

namespace avara::app {

struct MockServerCommand {
    mock::ServerOptions options;
    // --seed: a number, or any other text (hashed to one). Empty: a fresh seed, printed on stderr
    // when faults are on, so a surprising run can be repeated.
    std::string seed_text;
};

// Registers the `mock-server` subcommand and its flags on `root`, writing into `cmd`.
CLI::App* add_mock_server_command(CLI::App& root, MockServerCommand& cmd);

// Starts the server, prints the address it listens on ("127.0.0.1:43123") as the first line of
// stdout, serves until SIGINT or SIGTERM, stops cleanly (writing --state-file). Returns the exit
// code: 0, or the code of the error that kept it from starting or from writing its state.
int run_mock_server_command(const MockServerCommand& cmd);

}  // namespace avara::app
