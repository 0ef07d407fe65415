#pragma once
// A buffered output file for personal data: created (or truncated) readable by its owner only
// (mode 0600, also when the file already existed with a wider mode), written with plain write(2) so
// that what was flushed survives the process being killed.
#include <string>
#include <string_view>

#include "avara_onboard/util/error.hpp"

namespace avara {

class OutputFile {
  public:
    enum class Mode { truncate, append };
    static Result<OutputFile> open_private(const std::string& path, Mode mode = Mode::truncate);

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
    void sync();   // flush + fsync, for the end of a run
    void close();  // flush + close; throws AppError(io) if the data could not be written
    bool is_open() const noexcept { return fd_ >= 0; }
    const std::string& path() const noexcept { return path_; }

    static constexpr std::size_t flush_threshold = std::size_t{64} * 1024;

  private:
    OutputFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    int fd_ = -1;
    std::string path_;
    std::string buffer_;
};

// Writes a whole small file (summary JSON) privately, replacing it.
Result<void> write_private_file(const std::string& path, std::string_view content);

}  // namespace avara
