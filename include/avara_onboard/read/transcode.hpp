#pragma once
// Text in another encoding, turned into UTF-8 while it streams (glibc's iconv), so the CSV reader
// above sees UTF-8 whatever the file held. Memory is two fixed buffers, however long the file.
//
// A line break stays one line break, so line numbers in the report are those of the original file.
// Bytes that are not valid in the source encoding become one 0xFF byte each (never valid UTF-8), so
// the cell that holds them makes its row invalid instead of being sent with a replacement character.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "avara_onboard/read/record_source.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::read {

// An iconv conversion descriptor to UTF-8, closed by the destructor.
class Iconv {
  public:
    // Errors (ErrorKind::usage): iconv does not know `from_encoding`.
    static Result<Iconv> to_utf8(const std::string& from_encoding);
    Iconv(Iconv&& other) noexcept;
    Iconv& operator=(Iconv&&) = delete;
    Iconv(const Iconv&) = delete;
    ~Iconv();

    // iconv(3) itself: converts what it can, advancing the four arguments; returns its errno, or 0.
    int convert(const char*& in, std::size_t& in_left, char*& out, std::size_t& out_left) noexcept;
    void reset() noexcept;

  private:
    explicit Iconv(void* cd) : cd_(cd) {}
    void* cd_;
};

class Transcoder final : public ByteSource {
  public:
    static constexpr std::size_t buffer_bytes = 1u << 16;

    // Errors (ErrorKind::usage): iconv does not know `from_encoding`.
    static Result<std::unique_ptr<Transcoder>> open(std::unique_ptr<ByteSource> inner,
                                                    const std::string& from_encoding);
    std::size_t read(char* dst, std::size_t len) override;

  private:
    Transcoder(std::unique_ptr<ByteSource> inner, Iconv cd, std::size_t unit);
    void refill_output();
    bool refill_input();

    std::unique_ptr<ByteSource> inner_;
    Iconv cd_;
    std::size_t unit_;  // bytes skipped past an invalid sequence: 1, or 2 / 4 for UTF-16 / UTF-32
    std::unique_ptr<char[]> in_;
    std::size_t in_begin_ = 0, in_end_ = 0;
    bool in_eof_ = false;
    std::unique_ptr<char[]> out_;
    std::size_t out_begin_ = 0, out_end_ = 0;
};

// `bytes` (not valid UTF-8) as Windows-1252 text would read, in UTF-8; nothing when they are not
// Windows-1252 text either (a byte it leaves undefined, or a control character).
std::optional<std::string> windows_1252_reading(std::string_view bytes);
// `bytes` for a message: printable ASCII as is, every other byte as \xNN.
std::string escape_bytes(std::string_view bytes);

}  // namespace avara::read
