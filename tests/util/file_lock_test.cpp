#include "avara_onboard/util/file_lock.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

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
    CHECK(::stat(path.c_str(), &st) != 0);  // no lock file is left behind
    auto third = FileLock::acquire(path);
    CHECK(third.has_value());
}

// Three processes take and release the lock as fast as they can, each holding it while it makes a
// marker file with O_EXCL: two holders at once would find the other's marker. The holder removes the
// lock file as it lets go, so a process that opened it just before must notice and open it again.
TEST_CASE("util::FileLock stays exclusive while holders come and go and remove their file") {
    TempDir dir;
    const auto path = dir.file("r.csv.lock");
    const auto marker = dir.file("held");
    constexpr int processes = 3;
    constexpr int rounds = 8000;
    std::vector<pid_t> children;
    for (int i = 0; i < processes; ++i) {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            int held = 0;
            for (int round = 0; round < rounds; ++round) {
                auto lock = FileLock::acquire(path);
                if (!lock) {
                    if (lock.error().kind != ErrorKind::usage)
                        ::_exit(3);
                    continue;
                }
                const int fd = ::open(marker.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
                if (fd < 0)
                    ::_exit(2);  // someone else holds the lock too
                ::close(fd);
                ::unlink(marker.c_str());
                ++held;
            }
            ::_exit(held > 0 ? 0 : 4);
        }
        children.push_back(pid);
    }
    for (const pid_t pid : children) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    struct stat st {};
    CHECK(::stat(path.c_str(), &st) != 0);
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
    struct stat st {};
    CHECK(::stat(path.c_str(), &st) == 0);  // a killed holder leaves its file, unlocked
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
