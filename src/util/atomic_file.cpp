#include "avara_onboard/util/atomic_file.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace avara {

namespace {

Error cannot_create(const std::string& path, int err) {
    return make_error(ErrorKind::input, "cannot create " + path + ": " + std::strerror(err));
}

// The temporary file beside `target`, created 0600 (mkstemp's mode; O_CREAT's for the fixed name).
Result<OutputFile> create_temp(const std::string& target, AtomicFile::TempName name) {
    if (name == AtomicFile::TempName::fixed)
        return OutputFile::open_private(target + ".tmp", OutputFile::Mode::truncate);
    std::string temp = target + ".tmp.XXXXXX";
    const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0)
        return cannot_create(target, errno);
    ::close(fd);  // reopened through the one place that opens output files
    return OutputFile::open_private(temp, OutputFile::Mode::truncate);
}

}  // namespace

Result<AtomicFile> AtomicFile::open(const std::string& path, TempName name) {
    std::string target = path;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        std::error_code ec;
        target = std::filesystem::weakly_canonical(path, ec).string();
        if (ec)
            return cannot_create(path, ec.value());
    }
    if (::stat(target.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode))
            return cannot_create(path, EISDIR);
        auto direct = OutputFile::open_private(target, OutputFile::Mode::truncate);
        if (!direct)
            return direct.error();
        return AtomicFile(std::move(*direct), target, Writes::in_place);
    }
    auto temp = create_temp(target, name);
    if (!temp)
        return make_error(temp.error().kind, "cannot create " + path + ": " + temp.error().message);
    return AtomicFile(std::move(*temp), target, Writes::through_temp);
}

Result<std::optional<AtomicFile>> AtomicFile::open_optional(const std::string& path) {
    if (path.empty())
        return std::optional<AtomicFile>();
    auto file = open(path);
    if (!file)
        return file.error();
    return std::optional<AtomicFile>(std::move(*file));
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : file_(std::move(other.file_)),
      target_(std::move(other.target_)),
      in_place_(other.in_place_),
      committed_(other.committed_) {
    other.committed_ = true;  // the moved-from object owns no temporary file any more
}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
    if (this != &other) {
        discard();
        file_ = std::move(other.file_);
        target_ = std::move(other.target_);
        in_place_ = other.in_place_;
        committed_ = other.committed_;
        other.committed_ = true;
    }
    return *this;
}

AtomicFile::~AtomicFile() {
    discard();
}

void AtomicFile::discard() noexcept {
    if (committed_ || in_place_)
        return;
    committed_ = true;
    const std::string temp = file_.path();
    try {
        file_.close();
    } catch (...) {
        // Nothing to keep: the temporary file goes anyway.
    }
    ::unlink(temp.c_str());
}

void AtomicFile::commit() {
    if (committed_)
        throw AppError(ErrorKind::internal, "AtomicFile: " + target_ + " committed twice");
    if (in_place_) {
        committed_ = true;
        file_.close();
        return;
    }
    file_.sync();
    file_.close();
    rename_durably(file_.path(), target_);
    committed_ = true;
}

}  // namespace avara
