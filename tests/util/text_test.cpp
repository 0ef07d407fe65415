#include "avara_onboard/util/text.hpp"

#include <doctest/doctest.h>

using namespace avara;

TEST_SUITE_BEGIN("util");

TEST_CASE("text::trim removes spaces and tabs only") {
    CHECK(text::trim("  a b\t") == "a b");
    CHECK(text::trim("\t\t") == "");
    CHECK(text::trim("\na\n") == "\na\n");
}

TEST_CASE("text::is_valid_utf8") {
    CHECK(text::is_valid_utf8("plain ascii, long enough for the fast path"));
    CHECK(text::is_valid_utf8("Zo\xc3\xab M\xc3\xbcller"));
    CHECK(text::is_valid_utf8("\xf0\x9f\x98\x80"));
    CHECK_FALSE(text::is_valid_utf8("\xff"));
    CHECK_FALSE(text::is_valid_utf8("\xc0\xaf"));          // overlong '/'
    CHECK_FALSE(text::is_valid_utf8("\xed\xa0\x80"));      // surrogate
    CHECK_FALSE(text::is_valid_utf8("abc\xc3"));           // truncated
    CHECK_FALSE(text::is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST_CASE("text::append_json_string escapes what JSON requires") {
    CHECK(text::json_string("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
    CHECK(text::json_string("Zo\xc3\xab") == "\"Zo\xc3\xab\"");
}

TEST_CASE("text::lower_hash ignores ASCII case") {
    CHECK(text::lower_hash("A@B.org") == text::lower_hash("a@b.ORG"));
    CHECK(text::lower_hash("a@b.org") != text::lower_hash("a@b.orh"));
}

TEST_SUITE_END();
