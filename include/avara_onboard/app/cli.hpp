#pragma once
namespace avara::app {
// The whole command line: parses argv, runs the chosen command, returns the process exit code.
// Never throws.
int main(int argc, char** argv);
}  // namespace avara::app
