#pragma once
// A buffered output file for personal data: created (or truncated) readable by its owner only
// (mode 0600, also when the file already existed with a wider mode), written with plain write(2) so
// that what was flushed survives the process being killed.
//
// Durability has one policy, here: every write, fsync and directory sync either succeeds or throws
// AppError(io). A file whose write or fsync failed stays failed (every later call throws the same
// error): after a failed fsync the kernel may have dropped the dirty pages, so a later fsync that
// succeeds proves nothing. A failed write is cut back off the file, so it ends where the last
// successful flush ended: what reached the disk is always whole lines.
#include <cstdint>
#include <string>
#include <string_view>

#include "avara_onboard/util/error.hpp"

namespace avara {

class AtomicFile;

class OutputFile {
  public:
    enum class Mode { truncate, append };
    // read_back: the file is also opened for reading, so that read_back() can fetch what was written.
    enum class Access { write_only, read_back };
    static Result<OutputFile> open_private(const std::string& path, Mode mode = Mode::truncate,
                                           Access access = Access::write_only);

    OutputFile() = default;
    OutputFile(OutputFile&& other) noexcept;
    OutputFile& operator=(OutputFile&& other) noexcept;
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;
    ~OutputFile();

    // Buffers; writes through once the buffer holds `flush_threshold` bytes. Throws AppError(io).
    void write(std::string_view data);
    std::string& buffer() noexcept { return buffer_; }  // append directly, then call maybe_flush()
    void maybe_flush() {
        if (buffer_.size() >= flush_threshold)
            flush();
    }
    void flush();
    void sync();   // flush + fsync: the data is on disk when it returns. Throws AppError(io).
    void close();  // flush + close; throws AppError(io) if the data could not be written
    bool is_open() const noexcept { return fd_ >= 0; }
    // Bytes in the file that whole flushes put there (its size when opened, plus every flush since):
    // where the next flushed byte will land, unless the file is in append mode and shared.
    std::uint64_t size() const noexcept { return size_; }
    // Appends `length` flushed bytes from `offset` to `out` (pread(2); the file must be opened with
    // Access::read_back). A short or failed read throws AppError(io).
    void read_back(std::uint64_t offset, std::size_t length, std::string& out) const;
    bool failed() const noexcept { return !failure_.empty(); }
    const std::string& path() const noexcept { return path_; }

    static constexpr std::size_t flush_threshold = std::size_t{64} * 1024;

  private:
    friend class AtomicFile;
    OutputFile(int fd, std::string path, std::uint64_t size);
    [[noreturn]] void fail(const std::string& what, int err);

    int fd_ = -1;
    std::string path_;
    std::string buffer_;
    std::uint64_t size_ = 0;  // bytes known written: where a failed write is cut back to
    std::string failure_;     // set once a write or fsync failed
};

// fsync(2) of the folder holding `path`, so that a file created or renamed there survives a power
// cut. Throws AppError(io) (a file system that cannot sync folders at all, EINVAL, counts as done).
void sync_directory_of(const std::string& path);

// rename(2), then sync_directory_of(to). Throws AppError(io).
void rename_durably(const std::string& from, const std::string& to);

// Replaces a whole small file (summary JSON, a CA, a state file) atomically through AtomicFile:
// a reader sees the old content or the new, never half. Mode 0600.
Result<void> write_private_file(const std::string& path, std::string_view content);

}  // namespace avara
