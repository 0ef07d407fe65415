#pragma once
// An exclusive advisory lock on a file (flock(2)), taken without waiting, held until the object is
// destroyed or the process ends, however it ends (the kernel releases it with the last descriptor, so a
// SIGKILLed holder never leaves a stale lock). The holder writes its process id and start time into the
// file, so a refused process can name it:
//
//   auto lock = FileLock::acquire("r.csv.lock");   // Result: held elsewhere, or cannot be created
//
// The file itself stays after release (removing it would race with a process about to lock it).
#include <string>

#include "avara_onboard/util/error.hpp"

namespace avara {

class FileLock {
  public:
    // Creates `path` (0600) if needed and locks it; release() (or the destructor) removes it again, so
    // only a crashed holder leaves one behind, which the next acquire() takes over. Held by another
    // process: ErrorKind::usage (exit 2), the message naming the holder ("pid 1234, started
    // 2026-12-01 09:30:00 UTC"). Cannot be created or locked: ErrorKind::input.
    static Result<FileLock> acquire(const std::string& path);

    FileLock() = default;  // holds nothing
    FileLock(FileLock&& other) noexcept;
    FileLock& operator=(FileLock&& other) noexcept;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock();

    bool held() const noexcept { return fd_ >= 0; }
    const std::string& path() const noexcept { return path_; }
    void release() noexcept;

  private:
    FileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    int fd_ = -1;
    std::string path_;
};

}  // namespace avara
