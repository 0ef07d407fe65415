#include "avara_onboard/util/file_lock.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "test_files.hpp"

using namespace avara;

namespace {

// A child process that takes the lock, says so on a pipe, and waits to be killed.
struct LockHolder {
    pid_t pid = -1;
    explicit LockHolder(const std::string& path) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(fds[0]);
            auto lock = FileLock::acquire(path);
            const char answer = lock.has_value() ? 'y' : 'n';
            (void)::write(fds[1], &answer, 1);
            for (;;)
                ::pause();
        }
        ::close(fds[1]);
        char answer = 0;
        REQUIRE(::read(fds[0], &answer, 1) == 1);
        ::close(fds[0]);
        REQUIRE(answer == 'y');
    }
    int kill_and_reap(int signal_number) {
        ::kill(pid, signal_number);
        int status = 0;
        ::waitpid(pid, &status, 0);
        pid = -1;
        return status;
    }
    ~LockHolder() {
        if (pid > 0)
            kill_and_reap(SIGKILL);
    }
};

}  // namespace

TEST_SUITE_BEGIN("util");

TEST_CASE("util::FileLock is exclusive, names its holder, and is free again once released") {
    TempDir dir;
    const auto path = dir.file("r.csv.lock");
    auto first = FileLock::acquire(path);
    REQUIRE(first.has_value());
    CHECK(first->held());
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(read_file(path).starts_with("pid " + std::to_string(::getpid()) + ", started 20"));

    auto second = FileLock::acquire(path);  // another open file description: refused like a process
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().kind == ErrorKind::usage);
    CHECK(second.error().message.find("pid " + std::to_string(::getpid()) + ", started ") !=
          std::string::npos);
    CHECK(second.error().message.find(" UTC") != std::string::npos);
    CHECK(second.error().message.find(path) != std::string::npos);

    first->release();
    CHECK_FALSE(first->held());
    auto third = FileLock::acquire(path);
    CHECK(third.has_value());
}

TEST_CASE("util::FileLock held by another process is refused; SIGKILL of the holder frees it") {
    TempDir dir;
    const auto path = dir.file("r.csv.lock");
    LockHolder holder(path);
    auto refused = FileLock::acquire(path);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message.find("pid " + std::to_string(holder.pid) + ",") != std::string::npos);

    const int status = holder.kill_and_reap(SIGKILL);
    CHECK(WIFSIGNALED(status));
    auto after = FileLock::acquire(path);
    REQUIRE(after.has_value());
    CHECK(read_file(path).starts_with("pid " + std::to_string(::getpid()) + ","));
}

TEST_CASE("util::FileLock names a path it cannot create") {
    auto lock = FileLock::acquire("/nonexistent-dir/r.csv.lock");
    REQUIRE_FALSE(lock.has_value());
    CHECK(lock.error().kind == ErrorKind::input);
    CHECK(lock.error().message.find("/nonexistent-dir/r.csv.lock") != std::string::npos);
}

TEST_SUITE_END();
