#include "avara_onboard/read/transcode.hpp"

#include <doctest/doctest.h>

#include <cstring>

using namespace avara;
using namespace avara::read;

namespace {

// Hands out its bytes in reads of at most `chunk`.
class StringSource final : public ByteSource {
  public:
    StringSource(std::string data, std::size_t chunk) : data_(std::move(data)), chunk_(chunk) {}
    std::size_t read(char* dst, std::size_t len) override {
        const std::size_t n = std::min({len, chunk_, data_.size() - pos_});
        std::memcpy(dst, data_.data() + pos_, n);
        pos_ += n;
        return n;
    }

  private:
    std::string data_;
    std::size_t chunk_;
    std::size_t pos_ = 0;
};

std::string transcode(const std::string& input, const std::string& encoding, std::size_t chunk,
                      std::size_t read_len = 7) {
    auto t = Transcoder::open(std::make_unique<StringSource>(input, chunk), encoding);
    REQUIRE(t.has_value());
    std::string out;
    char buf[64];
    for (;;) {
        const std::size_t n = (*t)->read(buf, std::min(read_len, sizeof buf));
        if (n == 0)
            break;
        out.append(buf, n);
    }
    return out;
}

std::string utf16le(std::string_view ascii_and_latin1) {
    std::string out;
    for (unsigned char c : ascii_and_latin1) {
        out.push_back(static_cast<char>(c));
        out.push_back('\0');
    }
    return out;
}

}  // namespace

TEST_SUITE_BEGIN("read");

TEST_CASE("read::Transcoder turns UTF-16 and Windows-1252 into UTF-8 however reads fall") {
    const std::string text = utf16le("email\tname\nm@x.org\tM\xFCller\r\n");
    const std::string want = "email\tname\nm@x.org\tM\xC3\xBCller\r\n";
    for (std::size_t chunk : {1u, 2u, 3u, 5u, 4096u}) {
        CAPTURE(chunk);
        CHECK(transcode(text, "UTF-16LE", chunk) == want);
        CHECK(transcode(text, "utf-16le", chunk, 1) == want);
    }
    CHECK(transcode("M\xFCller;\x80\n", "windows-1252", 3) == "M\xC3\xBCller;\xE2\x82\xAC\n");
    // A character split across reads (the euro sign in UTF-16BE is 20 AC).
    CHECK(transcode(std::string("\x20\xAC\x00\n", 4), "UTF-16BE", 1) == "\xE2\x82\xAC\n");
}

TEST_CASE("read::Transcoder marks bytes the encoding does not allow, and a cut-off last character") {
    // A lone low surrogate (DC00) in UTF-16LE: one marker, then the text goes on.
    CHECK(transcode(std::string("a\x00\x00\xDC"
                                "b\x00",
                                6),
                    "UTF-16LE", 2) ==
          "a\xFF"
          "b");
    // An odd trailing byte.
    CHECK(transcode(std::string("a\x00"
                                "b",
                                3),
                    "UTF-16LE", 1) == "a\xFF");
    // 0x81 is undefined in Windows-1252.
    CHECK(transcode("x\x81y", "WINDOWS-1252", 1) == "x\xFFy");
}

TEST_CASE("read::Transcoder refuses an encoding iconv does not know") {
    auto t = Transcoder::open(std::make_unique<StringSource>("x", 1), "klingon-8");
    REQUIRE_FALSE(t.has_value());
    CHECK(t.error().kind == ErrorKind::usage);
    CHECK(t.error().message.find("unknown encoding 'klingon-8'") == 0);
}

TEST_CASE("read::Transcoder keeps memory flat on a long input") {
    std::string big;
    for (int i = 0; i < 20000; ++i)
        big += "ab\xE9\n";
    const auto out = transcode(big, "latin1", 1 << 16, 64);
    CHECK(out.size() == 20000u * 5);
    CHECK(out.substr(0, 5) == "ab\xC3\xA9\n");
}

TEST_CASE("read::windows_1252_reading and escape_bytes") {
    CHECK(windows_1252_reading("M\xFCller") == std::string("M\xC3\xBCller"));
    CHECK(windows_1252_reading("\x93quoted\x94") == std::string("\xE2\x80\x9Cquoted\xE2\x80\x9D"));
    CHECK_FALSE(windows_1252_reading("x\x81").has_value());
    CHECK_FALSE(windows_1252_reading(std::string("a\x01\xFC", 3)).has_value());
    CHECK(escape_bytes("M\xFCller") == "M\\xfcller");
    CHECK(escape_bytes(std::string("\x00\x7f", 2)) == "\\x00\\x7f");
}
