#include "avara_onboard/schema/byte_scan.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace avara::schema::byte_scan;

TEST_SUITE_BEGIN("schema");

namespace {
// The masks of `text`'s blocks, joined: bit i for byte i, as a plain loop computes them.
std::string marks(std::string_view text, char c, bool at_most) {
    std::string out(text.size(), '.');
    any_block(text, [&](const Block& b) {
        const auto mask = at_most ? b.at_most(static_cast<unsigned char>(c)) : b.equal(c);
        for (std::size_t i = 0; i < 16; ++i) {
            if ((mask >> i) & 1u) {
                REQUIRE(b.at + i < text.size());
                out[b.at + i] = 'x';
            }
        }
        return false;
    });
    return out;
}
std::string expected(std::string_view text, char c, bool at_most) {
    std::string out(text.size(), '.');
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto b = static_cast<unsigned char>(text[i]);
        if (at_most ? b <= static_cast<unsigned char>(c) : text[i] == c)
            out[i] = 'x';
    }
    return out;
}
}  // namespace

TEST_CASE("schema::byte_scan masks say which bytes match, in every block, tail included") {
    std::string text;
    for (std::size_t n = 0; n < 50; ++n) {
        CAPTURE(n);
        CHECK(marks(text, '@', false) == expected(text, '@', false));
        CHECK(marks(text, ' ', true) == expected(text, ' ', true));
        CHECK(marks(text, '\0', false) == expected(text, '\0', false));
        text.push_back("a@ \x01\xC3\xA9\x7f,"[n % 8]);
    }
}

TEST_CASE("schema::byte_scan blocks overlap only in bytes that are not live twice") {
    for (std::size_t n = 0; n < 70; ++n) {
        const std::string text(n, '@');
        std::size_t seen = 0;
        any_block(text, [&](const Block& b) {
            seen += static_cast<std::size_t>(__builtin_popcount(b.equal('@')));
            return false;
        });
        CHECK(seen == n);
    }
}

TEST_CASE("schema::byte_scan::any_block stops at the first block that says so") {
    int calls = 0;
    CHECK(any_block(std::string(40, 'a') + "@", [&](const Block& b) {
        ++calls;
        return b.equal('@') != 0;
    }));
    CHECK(calls == 3);
    CHECK_FALSE(any_block("", [](const Block&) { return true; }));
}

TEST_CASE("schema::byte_scan::folded_word tells short spellings apart, any case") {
    CHECK(folded_word("TRUE") == word_of("true"));
    CHECK(folded_word("True") == word_of("true"));
    CHECK(folded_word("true") != word_of("tru"));
    CHECK(folded_word(std::string("y\0", 2)) != word_of("y"));
    CHECK(folded_word("") == word_of(""));
    CHECK(folded_word("member") == word_of("member"));
    CHECK(folded_word("1234567") == word_of("1234567"));
    CHECK(folded_word("12345678") == long_text);
    CHECK(folded_word("[@`{") == word_of("[@`{"));  // the bytes around A-Z and a-z stay as they are
    CHECK(ascii_lower8(0x5A41'5B40'7A61'C3C9ull) == 0x7A61'5B40'7A61'C3C9ull);
}

TEST_SUITE_END();
