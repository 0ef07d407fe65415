#include "avara_onboard/util/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>

namespace avara {

namespace {

std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    std::array<char, 32> text{};
    const auto n = std::strftime(text.data(), text.size(), "%Y-%m-%d %H:%M:%S UTC", &tm);
    return std::string(text.data(), n);
}

// "pid 1234, started 2026-12-01 09:30:00 UTC"; the holder writes it right after locking, so an empty
// file is read again for a moment before giving up.
std::string read_holder(int fd) {
    for (int attempt = 0; attempt < 20; ++attempt) {
        std::array<char, 256> text{};
        const ssize_t n = ::pread(fd, text.data(), text.size() - 1, 0);
        std::string holder(text.data(), n > 0 ? static_cast<std::size_t>(n) : 0);
        if (const auto lf = holder.find('\n'); lf != std::string::npos)
            return holder.substr(0, lf);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "process id unknown";
}

void write_holder(int fd) {
    const std::string holder = "pid " + std::to_string(::getpid()) + ", started " + utc_now() + "\n";
    // Best effort: the lock is what counts; the text only names its holder.
    if (::ftruncate(fd, 0) == 0)
        (void)::pwrite(fd, holder.data(), holder.size(), 0);
}

// Whether `path` still names the file open as `fd`: a holder removes the lock file as it lets go, so
// a file opened just before that is locked by nobody else and must not count.
bool still_named(int fd, const std::string& path) {
    struct stat held {};
    struct stat named {};
    return ::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
           held.st_ino == named.st_ino;
}

}  // namespace

Result<FileLock> FileLock::acquire(const std::string& path) {
    // Each retry means a holder let go (and removed the file) between our open and our lock; a path
    // that never settles is not waited on for ever.
    constexpr int max_attempts = 1000;
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return make_error(ErrorKind::input,
                              "cannot create lock file " + path + ": " + std::strerror(errno));
        int rc = 0;
        do {
            rc = ::flock(fd, LOCK_EX | LOCK_NB);
        } while (rc != 0 && errno == EINTR);
        if (rc != 0) {
            const int err = errno;
            if (err == EWOULDBLOCK) {
                std::string holder = read_holder(fd);
                ::close(fd);
                return make_error(ErrorKind::usage,
                                  "held by another process (" + holder + "; lock file " + path + ")");
            }
            ::close(fd);
            return make_error(ErrorKind::input, "cannot lock " + path + ": " + std::strerror(err));
        }
        if (!still_named(fd, path)) {
            ::close(fd);  // its holder removed it as it let go: lock the file the path names now
            continue;
        }
        write_holder(fd);
        return FileLock(fd, path);
    }
    return make_error(ErrorKind::input, "cannot lock " + path + ": the file keeps being replaced");
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
    other.fd_ = -1;
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = other.fd_;
        path_ = std::move(other.path_);
        other.fd_ = -1;
    }
    return *this;
}

FileLock::~FileLock() {
    release();
}

// The file goes while still locked, so a run that opened it meanwhile sees, once it has the lock, that
// the path no longer names it (acquire checks), and no lock file is left behind. After a crash the
// file stays, unlocked, and the next run takes it over.
void FileLock::release() noexcept {
    if (fd_ < 0)
        return;
    if (still_named(fd_, path_))
        (void)::unlink(path_.c_str());  // best effort: a file left behind is harmless
    ::close(fd_);                       // closing the last descriptor releases the flock
    fd_ = -1;
}

}  // namespace avara
