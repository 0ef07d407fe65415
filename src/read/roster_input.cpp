#include "avara_onboard/read/roster_input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "avara_onboard/read/sniff.hpp"
#include "avara_onboard/read/transcode.hpp"
#include "avara_onboard/read/xlsx_reader.hpp"
#include "avara_onboard/util/log.hpp"

namespace avara::read {

namespace {

Error input_error(std::string message) {
    return make_error(ErrorKind::input, std::move(message));
}

std::string system_message(int err) {
    return std::system_category().message(err);
}

// A descriptor that owns its fd and first hands out the bytes already peeked from it.
class FdSource final : public ByteSource {
  public:
    FdSource(int fd, std::string name, std::string prefix)
        : fd_(fd), name_(std::move(name)), prefix_(std::move(prefix)) {}
    ~FdSource() override { ::close(fd_); }
    FdSource(const FdSource&) = delete;
    FdSource& operator=(const FdSource&) = delete;

    std::size_t read(char* dst, std::size_t len) override {
        if (pos_ < prefix_.size()) {
            const std::size_t n = std::min(len, prefix_.size() - pos_);
            std::memcpy(dst, prefix_.data() + pos_, n);
            pos_ += n;
            return n;
        }
        return read_fd(fd_, dst, len, name_);
    }

    static std::size_t read_fd(int fd, char* dst, std::size_t len, const std::string& name) {
        for (;;) {
            const ssize_t n = ::read(fd, dst, len);
            if (n >= 0)
                return static_cast<std::size_t>(n);
            if (errno != EINTR) {
                const int err = errno;
                throw AppError(ErrorKind::input, "cannot read " + name + ": " + system_message(err));
            }
        }
    }

  private:
    int fd_;
    std::string name_;
    std::string prefix_;
    std::size_t pos_ = 0;
};

struct OpenedFd {
    int fd = -1;
    std::optional<std::uint64_t> size;  // for a regular file
};

Result<OpenedFd> open_fd(const std::string& path, const std::string& name) {
    const int fd =
        path == "-" ? ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        return input_error("cannot open '" + name + "': " + system_message(err));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        const int err = errno;
        ::close(fd);
        return input_error(S_ISDIR(st.st_mode) ? "cannot read '" + name + "': it is a directory"
                                               : "cannot open '" + name + "': " + system_message(err));
    }
    OpenedFd out{fd, std::nullopt};
    if (S_ISREG(st.st_mode)) {
        out.size = static_cast<std::uint64_t>(st.st_size);
        (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    return out;
}

// The first bytes, read without seeking (a pipe cannot be rewound); the reader replays them.
std::string peek(int fd, const std::string& name) {
    std::string head(sniff_bytes, '\0');
    std::size_t got = 0;
    while (got < head.size()) {
        const std::size_t n = FdSource::read_fd(fd, head.data() + got, head.size() - got, name);
        if (n == 0)
            break;
        got += n;
    }
    head.resize(got);
    return head;
}

std::optional<std::string> encoding_for(FileKind kind, const ReadOptions& options) {
    if (options.encoding)
        return options.encoding;
    if (kind == FileKind::utf16le)
        return std::string("UTF-16LE");
    if (kind == FileKind::utf16be)
        return std::string("UTF-16BE");
    return std::nullopt;
}

Result<std::unique_ptr<RecordSource>> open_csv(OpenedFd file, std::string head, FileKind kind,
                                               const std::string& name, const ReadOptions& options,
                                               std::function<bool(std::string_view)> names_column) {
    const auto encoding = encoding_for(kind, options);
    if (!options.encoding)
        head.erase(0, bom_bytes(kind));  // the transcoder is told the byte order, so the mark goes
    std::unique_ptr<ByteSource> bytes = std::make_unique<FdSource>(file.fd, name, std::move(head));
    if (encoding) {
        auto transcoder = Transcoder::open(std::move(bytes), *encoding);
        if (!transcoder)
            return transcoder.error();
        bytes = std::move(*transcoder);
    }
    // Progress counts UTF-8 bytes, which a transcoded file's size does not predict: no total then.
    const auto total = encoding ? std::nullopt : file.size;
    auto csv = CsvReader::from_source(std::move(bytes), name, total, options.max_record_bytes);
    if (encoding)
        csv->set_source_encoding(*encoding);
    if (options.delimiter) {
        csv->set_delimiter(*options.delimiter);
    } else {
        csv->set_delimiter_detector([names = std::move(names_column)](std::string_view line) {
            return detect_delimiter(line, names);
        });
    }
    return std::unique_ptr<RecordSource>(std::move(csv));
}

// Options that do not apply to what the file turned out to be are named, not silently dropped.
void warn_unused_options(FileKind kind, const ReadOptions& options, const std::string& name) {
    if (kind == FileKind::xlsx && (options.delimiter || options.encoding)) {
        log::warning(name + " is an .xlsx workbook: --delimiter and --encoding do not apply to it");
    } else if (kind != FileKind::xlsx && options.sheet) {
        log::warning(name + " is not an .xlsx workbook: --sheet does not apply to it");
    }
}

}  // namespace

std::string display_name(const std::string& path) {
    return path == "-" ? std::string("standard input") : path;
}

Result<std::unique_ptr<RecordSource>> open_records(const std::string& path, const ReadOptions& options,
                                                   std::function<bool(std::string_view)> names_column) {
    const std::string name = display_name(path);
    auto file = open_fd(path, name);
    if (!file)
        return file.error();
    std::string head;
    try {
        head = peek(file->fd, name);
    } catch (const AppError& e) {
        ::close(file->fd);
        return input_error(e.what());
    }
    FileKind kind = sniff_kind(head);
    if (options.encoding && kind != FileKind::xlsx && kind != FileKind::xls && kind != FileKind::pdf)
        kind = FileKind::text;  // the administrator named the encoding: NUL bytes may be part of it
    if (auto why = refusal(kind); !why.empty()) {
        ::close(file->fd);
        return input_error(name + ": " + why);
    }
    warn_unused_options(kind, options, name);
    if (kind == FileKind::xlsx) {
        auto workbook = XlsxReader::open(file->fd, std::move(head), name, options.sheet);
        if (!workbook)
            return workbook.error();
        return std::unique_ptr<RecordSource>(std::move(*workbook));
    }
    return open_csv(*file, std::move(head), kind, name, options, std::move(names_column));
}

}  // namespace avara::read
