#include "avara_onboard/read/transcode.hpp"

#include <iconv.h>

#include <cerrno>
#include <cstring>

#include "avara_onboard/util/text.hpp"

namespace avara::read {

namespace {

iconv_t handle(void* cd) noexcept {
    return static_cast<iconv_t>(cd);
}

// The unit a decoder steps over after an invalid sequence.
std::size_t unit_of(const std::string& encoding) {
    std::string folded;
    for (char c : encoding) {
        if (c != '-' && c != '_')
            folded.push_back(text::ascii_lower(c));
    }
    if (folded.rfind("utf16", 0) == 0 || folded.rfind("ucs2", 0) == 0)
        return 2;
    if (folded.rfind("utf32", 0) == 0 || folded.rfind("ucs4", 0) == 0)
        return 4;
    return 1;
}

constexpr char invalid_marker = '\xFF';

}  // namespace

Result<Iconv> Iconv::to_utf8(const std::string& from_encoding) {
    iconv_t cd = ::iconv_open("UTF-8", from_encoding.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) {
        return make_error(ErrorKind::usage, "unknown encoding '" + from_encoding +
                                                "' (--encoding takes any name iconv knows, like "
                                                "windows-1252, latin1 or utf-16; `iconv -l` lists them)");
    }
    return Iconv(static_cast<void*>(cd));
}

Iconv::Iconv(Iconv&& other) noexcept : cd_(other.cd_) {
    other.cd_ = nullptr;
}

Iconv::~Iconv() {
    if (cd_ != nullptr)
        ::iconv_close(handle(cd_));
}

int Iconv::convert(const char*& in, std::size_t& in_left, char*& out, std::size_t& out_left) noexcept {
    // glibc's iconv takes char** for its input although it never writes through it.
    char* in_ptr = const_cast<char*>(in);
    const std::size_t rc = ::iconv(handle(cd_), &in_ptr, &in_left, &out, &out_left);
    in = in_ptr;
    return rc == static_cast<std::size_t>(-1) ? errno : 0;
}

void Iconv::reset() noexcept {
    ::iconv(handle(cd_), nullptr, nullptr, nullptr, nullptr);
}

Transcoder::Transcoder(std::unique_ptr<ByteSource> inner, Iconv cd, std::size_t unit)
    : inner_(std::move(inner)),
      cd_(std::move(cd)),
      unit_(unit),
      in_(new char[buffer_bytes]),
      out_(new char[buffer_bytes]) {}

Result<std::unique_ptr<Transcoder>> Transcoder::open(std::unique_ptr<ByteSource> inner,
                                                     const std::string& from_encoding) {
    auto cd = Iconv::to_utf8(from_encoding);
    if (!cd)
        return cd.error();
    return std::unique_ptr<Transcoder>(
        new Transcoder(std::move(inner), std::move(*cd), unit_of(from_encoding)));
}

// Moves the unconverted tail to the front and reads more behind it. False at the end of input.
bool Transcoder::refill_input() {
    if (in_eof_)
        return false;
    std::memmove(in_.get(), in_.get() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
    const std::size_t n = inner_->read(in_.get() + in_end_, buffer_bytes - in_end_);
    if (n == 0) {
        in_eof_ = true;
        return false;
    }
    in_end_ += n;
    return true;
}

// Converts until some output is ready or the input is exhausted.
void Transcoder::refill_output() {
    out_begin_ = out_end_ = 0;
    // Room for the longest UTF-8 sequence a conversion step may need to write at once.
    constexpr std::size_t headroom = 16;
    while (out_end_ == 0) {
        if (in_begin_ == in_end_ && !refill_input())
            return;
        const char* in = in_.get() + in_begin_;
        std::size_t in_left = in_end_ - in_begin_;
        char* out = out_.get();
        std::size_t out_left = buffer_bytes - headroom;
        const int err = cd_.convert(in, in_left, out, out_left);
        in_begin_ = static_cast<std::size_t>(in - in_.get());
        out_end_ = static_cast<std::size_t>(out - out_.get());
        if (err == EILSEQ) {
            out_.get()[out_end_++] = invalid_marker;
            in_begin_ = std::min(in_end_, in_begin_ + unit_);
        } else if (err == EINVAL) {
            // A sequence cut by the end of the buffer: read on, unless the file ends inside it.
            if (out_end_ == 0 && !refill_input()) {
                out_.get()[out_end_++] = invalid_marker;
                in_begin_ = in_end_;
            }
        }
    }
}

std::size_t Transcoder::read(char* dst, std::size_t len) {
    if (out_begin_ == out_end_)
        refill_output();
    const std::size_t n = std::min(len, out_end_ - out_begin_);
    std::memcpy(dst, out_.get() + out_begin_, n);
    out_begin_ += n;
    return n;
}

std::optional<std::string> windows_1252_reading(std::string_view bytes) {
    static auto cd = Iconv::to_utf8("WINDOWS-1252");
    if (!cd)
        return std::nullopt;
    cd->reset();
    std::string out(bytes.size() * 3, '\0');
    const char* in = bytes.data();
    std::size_t in_left = bytes.size();
    char* o = out.data();
    std::size_t out_left = out.size();
    if (cd->convert(in, in_left, o, out_left) != 0)
        return std::nullopt;  // a byte Windows-1252 leaves undefined
    out.resize(out.size() - out_left);
    for (unsigned char c : bytes) {
        if (c < 0x20 && c != '\t')
            return std::nullopt;
    }
    return out;
}

std::string escape_bytes(std::string_view bytes) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7f) {
            out.push_back(static_cast<char>(c));
        } else {
            out += "\\x";
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

}  // namespace avara::read
