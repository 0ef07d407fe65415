#pragma once
// A whole file replaced atomically (ccache's AtomicFile is the model): written to a temporary file in
// the same folder (mode 0600), fsynced, renamed over the target, the folder fsynced. A reader sees the
// old file or the new one, never half of it; a process killed before commit() leaves the target as
// it was. Open it before the work whose result it will hold: a folder that cannot be written is then
// found at once, not after the work is done.
//
//   auto summary = AtomicFile::open(path);     // Result: a path that cannot be created
//   summary->write(json);                      // throws AppError(io)
//   summary->commit();                         // throws AppError(io); the target now holds json
//
// Without commit() (an error unwinding) the destructor removes the temporary file.
#include <optional>
#include <string>
#include <string_view>

#include "avara_onboard/util/error.hpp"
#include "avara_onboard/util/output_file.hpp"

namespace avara {

class AtomicFile {
  public:
    enum class TempName {
        unique,  // TARGET.tmp.XXXXXX (mkstemp): concurrent writers of one target never collide
        fixed,   // TARGET.tmp, truncated: for a writer that holds a lock on the target, so that the
                 // leftover of a killed process is simply reused instead of piling up
    };

    // A target that exists but is not a regular file (a device, a FIFO) cannot be replaced: it is
    // written in place instead. A symbolic link is followed: the file it names is replaced.
    static Result<AtomicFile> open(const std::string& path, TempName name = TempName::unique);
    // Opens `path` when it is not empty: for optional outputs (--summary).
    static Result<std::optional<AtomicFile>> open_optional(const std::string& path);

    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&& other) noexcept;
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile();

    void write(std::string_view data) { file_.write(data); }
    std::string& buffer() noexcept { return file_.buffer(); }  // append, then maybe_flush()
    void maybe_flush() { file_.maybe_flush(); }
    // fsync, close, rename over the target, fsync the folder. Throws AppError(io).
    void commit();

    const std::string& path() const noexcept { return target_; }
    const std::string& temp_path() const noexcept { return file_.path(); }

  private:
    enum class Writes { through_temp, in_place };
    AtomicFile(OutputFile file, std::string target, Writes writes)
        : file_(std::move(file)), target_(std::move(target)), in_place_(writes == Writes::in_place) {}
    void discard() noexcept;

    OutputFile file_;
    std::string target_;
    bool in_place_ = false;  // the target is a device or FIFO: file_ writes it directly
    bool committed_ = false;
};

}  // namespace avara
