#include "process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace avara::test {

std::string ExitStatus::describe() const {
    if (timed_out)
        return "timed out (killed)";
    if (exited)
        return "exit " + std::to_string(code);
    if (signal != 0)
        return "signal " + std::to_string(signal);
    return "unknown";
}

namespace {

// Frees the posix_spawn helper objects however spawn() leaves.
struct SpawnState {
    posix_spawn_file_actions_t actions{};
    posix_spawnattr_t attr{};
    SpawnState() {
        ::posix_spawn_file_actions_init(&actions);
        ::posix_spawnattr_init(&attr);
    }
    ~SpawnState() {
        ::posix_spawn_file_actions_destroy(&actions);
        ::posix_spawnattr_destroy(&attr);
    }
    SpawnState(const SpawnState&) = delete;
    SpawnState& operator=(const SpawnState&) = delete;
};

void check(int rc, const char* what) {
    if (rc != 0)
        throw std::runtime_error(std::string(what) + ": " + std::strerror(rc));
}

std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string entry(*e);
        const auto name = entry.substr(0, entry.find('='));
        // The developer's own key or base URL must never leak into a test's run.
        if (name.rfind("AVARA_", 0) == 0 || extra.contains(name))
            continue;
        env.push_back(entry);
    }
    for (const auto& [name, value] : extra)
        env.push_back(name + "=" + value);
    return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

}  // namespace

ChildProcess ChildProcess::spawn(const std::string& program, const SpawnOptions& options) {
    SpawnState state;
    const int out_flags = O_WRONLY | O_CREAT | O_TRUNC;
    check(::posix_spawn_file_actions_addopen(&state.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0),
          "posix_spawn stdin");
    const std::string out = options.stdout_path.empty() ? "/dev/null" : options.stdout_path;
    const std::string err = options.stderr_path.empty() ? "/dev/null" : options.stderr_path;
    check(::posix_spawn_file_actions_addopen(&state.actions, STDOUT_FILENO, out.c_str(), out_flags, 0600),
          "posix_spawn stdout");
    check(::posix_spawn_file_actions_addopen(&state.actions, STDERR_FILENO, err.c_str(), out_flags, 0600),
          "posix_spawn stderr");
    check(::posix_spawn_file_actions_addclosefrom_np(&state.actions, 3), "posix_spawn closefrom");
    if (!options.cwd.empty()) {
        check(::posix_spawn_file_actions_addchdir_np(&state.actions, options.cwd.c_str()),
              "posix_spawn chdir");
    }

    // A test runner may block or ignore signals; the child must see SIGINT/SIGTERM like a shell's would.
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT})
        sigaddset(&defaults, s);
    check(::posix_spawnattr_setsigmask(&state.attr, &none), "posix_spawnattr_setsigmask");
    check(::posix_spawnattr_setsigdefault(&state.attr, &defaults), "posix_spawnattr_setsigdefault");
    check(::posix_spawnattr_setflags(&state.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF),
          "posix_spawnattr_setflags");

    std::vector<std::string> argv_strings{program};
    argv_strings.insert(argv_strings.end(), options.args.begin(), options.args.end());
    auto env_strings = child_environment(options.env);
    auto argv = pointers(argv_strings);
    auto envp = pointers(env_strings);

    pid_t pid = -1;
    check(::posix_spawn(&pid, program.c_str(), &state.actions, &state.attr, argv.data(), envp.data()),
          ("posix_spawn " + program).c_str());
    return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), reaped_(other.reaped_), status_(other.status_) {
    other.pid_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            reap(true);
        }
        pid_ = other.pid_;
        reaped_ = other.reaped_;
        status_ = other.status_;
        other.pid_ = -1;
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
        ::kill(pid_, SIGKILL);
        reap(true);
    }
}

bool ChildProcess::reap(bool block) {
    if (pid_ <= 0 || reaped_)
        return true;
    int raw = 0;
    pid_t got = 0;
    do {
        got = ::waitpid(pid_, &raw, block ? 0 : WNOHANG);
    } while (got < 0 && errno == EINTR);
    if (got == 0)
        return false;
    reaped_ = true;
    if (got == pid_) {
        if (WIFEXITED(raw)) {
            status_.exited = true;
            status_.code = WEXITSTATUS(raw);
        } else if (WIFSIGNALED(raw)) {
            status_.signal = WTERMSIG(raw);
        }
    }
    return true;
}

bool ChildProcess::running() {
    return !reap(false);
}

void ChildProcess::send_signal(int signal_number) {
    if (pid_ > 0 && !reaped_)
        ::kill(pid_, signal_number);
}

ExitStatus ChildProcess::wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!reap(false)) {
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid_, SIGKILL);
            reap(true);
            status_.timed_out = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status_;
}

ExitStatus run_and_wait(const std::string& program, const SpawnOptions& options,
                        std::chrono::milliseconds timeout) {
    auto child = ChildProcess::spawn(program, options);
    return child.wait(timeout);
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (condition())
            return true;
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::size_t count_complete_lines(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::size_t n = 0;
    char buf[65536];
    while (in) {
        in.read(buf, sizeof buf);
        for (std::streamsize i = 0; i < in.gcount(); ++i)
            n += buf[i] == '\n' ? 1 : 0;
    }
    return n;
}

}  // namespace avara::test
