#include "avara_onboard/util/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "avara_onboard/util/atomic_file.hpp"

namespace avara {

namespace {

std::string folder_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos)
        return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

int fsync_retrying(int fd) {
    int rc = 0;
    do {
        rc = ::fsync(fd);
    } while (rc != 0 && errno == EINTR);
    return rc;
}

}  // namespace

Result<OutputFile> OutputFile::open_private(const std::string& path, Mode mode, Access access) {
    const int flags = (access == Access::read_back ? O_RDWR : O_WRONLY) | O_CREAT | O_CLOEXEC |
                      (mode == Mode::truncate ? O_TRUNC : O_APPEND);
    const int fd = ::open(path.c_str(), flags, 0600);
    if (fd < 0) {
        return make_error(ErrorKind::input, "cannot create " + path + ": " + std::strerror(errno));
    }
    // O_CREAT's mode does not apply to an existing file: narrow it ourselves.
    struct stat st {};
    const bool known = ::fstat(fd, &st) == 0;
    if (known && S_ISREG(st.st_mode) && (st.st_mode & 0077) != 0) {
        if (::fchmod(fd, 0600) != 0) {
            const int err = errno;
            ::close(fd);
            return make_error(ErrorKind::input,
                              "cannot restrict " + path + " to mode 0600: " + std::strerror(err));
        }
    }
    const auto size = known && S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
    return OutputFile(fd, path, size);
}

OutputFile::OutputFile(int fd, std::string path, std::uint64_t size)
    : fd_(fd), path_(std::move(path)), size_(size) {
    buffer_.reserve(flush_threshold * 2);
}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : fd_(other.fd_),
      path_(std::move(other.path_)),
      buffer_(std::move(other.buffer_)),
      size_(other.size_),
      failure_(std::move(other.failure_)) {
    other.fd_ = -1;
}

OutputFile& OutputFile::operator=(OutputFile&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = other.fd_;
        path_ = std::move(other.path_);
        buffer_ = std::move(other.buffer_);
        size_ = other.size_;
        failure_ = std::move(other.failure_);
        other.fd_ = -1;
    }
    return *this;
}

OutputFile::~OutputFile() {
    if (fd_ < 0)
        return;
    try {
        flush();
    } catch (...) {
        // A destructor cannot report; close() is the checked path.
    }
    ::close(fd_);
}

void OutputFile::fail(const std::string& what, int err) {
    failure_ = "cannot " + what + " " + path_ + ": " + std::strerror(err);
    buffer_.clear();
    throw AppError(ErrorKind::io, failure_);
}

void OutputFile::write(std::string_view data) {
    buffer_.append(data);
    maybe_flush();
}

void OutputFile::flush() {
    if (failed())
        throw AppError(ErrorKind::io, failure_);
    if (fd_ < 0) {
        if (buffer_.empty())
            return;
        throw AppError(ErrorKind::internal, "written after close: " + path_);
    }
    std::size_t done = 0;
    while (done < buffer_.size()) {
        const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int err = errno;
            // Cut the partial write back off (best effort: a device cannot be truncated), so that the
            // file holds only what whole flushes put there, e.g. no half report line.
            if (done > 0)
                (void)::ftruncate(fd_, static_cast<off_t>(size_));
            fail("write", err);
        }
        done += static_cast<std::size_t>(n);
    }
    size_ += done;
    buffer_.clear();
}

void OutputFile::read_back(std::uint64_t offset, std::size_t length, std::string& out) const {
    if (offset + length > size_)
        throw AppError(ErrorKind::internal, "read back beyond what was written to " + path_);
    const std::size_t start = out.size();
    out.resize(start + length);
    std::size_t done = 0;
    while (done < length) {
        const ssize_t n =
            ::pread(fd_, out.data() + start + done, length - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int err = n < 0 ? errno : EIO;  // 0: the file is shorter than it was written
            out.resize(start);
            throw AppError(ErrorKind::io, "cannot read back " + path_ + ": " + std::strerror(err));
        }
        done += static_cast<std::size_t>(n);
    }
}

void OutputFile::sync() {
    flush();
    if (fd_ >= 0 && fsync_retrying(fd_) != 0)
        fail("sync", errno);
}

void OutputFile::close() {
    if (fd_ < 0)
        return;
    const int fd = fd_;
    try {
        flush();
    } catch (...) {
        fd_ = -1;
        ::close(fd);
        throw;
    }
    fd_ = -1;
    if (::close(fd) != 0)
        fail("close", errno);
}

void sync_directory_of(const std::string& path) {
    const std::string dir = folder_of(path);
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        throw AppError(ErrorKind::io, "cannot open folder " + dir + " to sync it: " + std::strerror(errno));
    const int rc = fsync_retrying(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0 && err != EINVAL)
        throw AppError(ErrorKind::io, "cannot sync folder " + dir + ": " + std::strerror(err));
}

void rename_durably(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) != 0)
        throw AppError(ErrorKind::io, "cannot rename " + from + " to " + to + ": " + std::strerror(errno));
    sync_directory_of(to);
}

Result<void> write_private_file(const std::string& path, std::string_view content) {
    auto file = AtomicFile::open(path);
    if (!file)
        return file.error();
    try {
        file->write(content);
        file->commit();
    } catch (const AppError& e) {
        return make_error(ErrorKind::io, e.what());
    }
    return {};
}

}  // namespace avara
