#pragma once
// The real `avara-onboard` binary as a child process, for end-to-end tests: spawned with a chosen
// environment (never the test's own AVARA_* variables), stdout and stderr in files, signalled, and
// always reaped, even when a REQUIRE unwinds the test.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace avara::test {

struct ExitStatus {
    bool exited = false;  // ended by exit(): `code` holds its status
    int code = -1;
    int signal = 0;                // ended by this signal
    bool timed_out = false;        // wait() gave up on it and killed it
    std::string describe() const;  // "exit 3", "signal 9", "timed out" (for failure messages)
};

struct SpawnOptions {
    std::vector<std::string> args;           // argv[1..]
    std::map<std::string, std::string> env;  // added to the inherited environment, AVARA_* removed
    std::string stdout_path;                 // created 0600 and truncated; empty: /dev/null
    std::string stderr_path;
    std::string cwd;  // empty: the test's working directory
};

class ChildProcess {
  public:
    // posix_spawn of `program`, stdin from /dev/null, every descriptor above 2 closed (a test's
    // sockets must not live on in the child: a server closing a connection would go unnoticed),
    // signals unblocked and at their default action. Throws std::runtime_error when it cannot start.
    static ChildProcess spawn(const std::string& program, const SpawnOptions& options);

    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    // Kills (SIGKILL) and reaps a child still running: no test leaves a process behind.
    ~ChildProcess();

    pid_t pid() const noexcept { return pid_; }
    // Reaps without blocking; false once it has ended.
    bool running();
    void send_signal(int signal_number);
    // Waits for the end; past `timeout` kills it (SIGKILL), reaps it and reports timed_out.
    ExitStatus wait(std::chrono::milliseconds timeout);
    // Meaningful once running() returned false or wait() returned.
    const ExitStatus& status() const noexcept { return status_; }

  private:
    explicit ChildProcess(pid_t pid) : pid_(pid) {}
    bool reap(bool block);

    pid_t pid_ = -1;
    bool reaped_ = false;
    ExitStatus status_;
};

// Spawns and waits: the usual shape of a test's run.
ExitStatus run_and_wait(const std::string& program, const SpawnOptions& options,
                        std::chrono::milliseconds timeout);

// Polls `condition` every 20 ms until it holds or `timeout` passes; its last value.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// The whole file ("" when it cannot be read), and its number of complete ('\n'-ended) lines.
std::string slurp(const std::string& path);
std::size_t count_complete_lines(const std::string& path);

}  // namespace avara::test
