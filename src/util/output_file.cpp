#include "avara_onboard/util/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace avara {

Result<OutputFile> OutputFile::open_private(const std::string& path, Mode mode) {
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (mode == Mode::truncate ? O_TRUNC : O_APPEND);
    const int fd = ::open(path.c_str(), flags, 0600);
    if (fd < 0) {
        return make_error(ErrorKind::input, "cannot create " + path + ": " + std::strerror(errno));
    }
    // O_CREAT's mode does not apply to an existing file: narrow it ourselves.
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0077) != 0) {
        if (::fchmod(fd, 0600) != 0) {
            const int err = errno;
            ::close(fd);
            return make_error(ErrorKind::input,
                              "cannot restrict " + path + " to mode 0600: " + std::strerror(err));
        }
    }
    OutputFile file(fd, path);
    file.buffer_.reserve(flush_threshold * 2);
    return file;
}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)), buffer_(std::move(other.buffer_)) {
    other.fd_ = -1;
}

OutputFile& OutputFile::operator=(OutputFile&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = other.fd_;
        path_ = std::move(other.path_);
        buffer_ = std::move(other.buffer_);
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

void OutputFile::write(std::string_view data) {
    buffer_.append(data);
    maybe_flush();
}

void OutputFile::flush() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
        const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int err = errno;
            buffer_.erase(0, done);
            throw AppError(ErrorKind::io, "cannot write " + path_ + ": " + std::strerror(err));
        }
        done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
}

void OutputFile::sync() {
    flush();
    if (fd_ >= 0)
        ::fsync(fd_);
}

void OutputFile::close() {
    if (fd_ < 0)
        return;
    flush();
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0)
        throw AppError(ErrorKind::io, "cannot close " + path_ + ": " + std::strerror(errno));
}

Result<void> write_private_file(const std::string& path, std::string_view content) {
    auto file = OutputFile::open_private(path);
    if (!file)
        return file.error();
    try {
        file->write(content);
        file->close();
    } catch (const AppError& e) {
        return make_error(ErrorKind::io, e.what());
    }
    return {};
}

}  // namespace avara
