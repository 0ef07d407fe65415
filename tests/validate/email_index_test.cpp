#include "avara_onboard/validate/email_index.hpp"

#include <doctest/doctest.h>

#include <string>

using avara::validate::EmailIndex;

TEST_SUITE_BEGIN("validate");

TEST_CASE("validate::EmailIndex returns the first row of an email, case-insensitively") {
    EmailIndex index;
    CHECK_FALSE(index.first_row_or_insert("a@b.org", 1));
    CHECK_FALSE(index.first_row_or_insert("c@b.org", 2));
    CHECK(index.first_row_or_insert("A@B.ORG", 5) == 1u);
    CHECK(index.first_row_or_insert("a@b.org", 9) == 1u);
    CHECK(index.find("C@b.org") == 2u);
    CHECK_FALSE(index.find("x@b.org"));
    CHECK(index.size() == 2);
}

TEST_CASE("validate::EmailIndex survives growth with every entry intact") {
    EmailIndex index;
    constexpr int n = 200000;
    for (int i = 0; i < n; ++i) {
        REQUIRE_FALSE(index.first_row_or_insert("user" + std::to_string(i) + "@example.org", i + 1));
    }
    CHECK(index.size() == n);
    for (int i = 0; i < n; i += 997) {
        CHECK(index.find("USER" + std::to_string(i) + "@example.org") == static_cast<std::uint64_t>(i + 1));
    }
}

TEST_CASE("validate::EmailIndex takes a key hashed once, the same as the email's") {
    EmailIndex index;
    CHECK(EmailIndex::key_of("Ann@B.org") == EmailIndex::key_of("ann@b.org"));
    CHECK(EmailIndex::key_of("ann@b.org") != EmailIndex::key_of("ann@b.orh"));
    CHECK(EmailIndex::key_of("") != 0u);
    index.prefetch_key(EmailIndex::key_of("ann@b.org"));  // nothing reserved yet: a no-op
    CHECK_FALSE(index.first_row_or_insert_key(EmailIndex::key_of("ann@b.org"), 3));
    CHECK(index.first_row_or_insert("ANN@b.org", 7) == 3u);
    CHECK(index.first_row_or_insert_key(EmailIndex::key_of("aNN@B.ORG"), 9) == 3u);
}

TEST_CASE("validate::EmailIndex keeps rows past 32 bits, and its entries when reserved late") {
    EmailIndex index;
    const std::uint64_t big = (std::uint64_t{1} << 33) + 5;
    CHECK_FALSE(index.first_row_or_insert("big@x.org", big));
    CHECK_FALSE(index.first_row_or_insert("edge@x.org", 0xffffffffu));
    for (int i = 0; i < 3000; ++i)
        REQUIRE_FALSE(index.first_row_or_insert("u" + std::to_string(i) + "@x.org", 10 + i));
    index.reserve(100000);
    CHECK(index.find("BIG@x.org") == big);
    CHECK(index.find("edge@x.org") == 0xffffffffu);
    for (int i = 0; i < 3000; i += 7)
        CHECK(index.first_row_or_insert("U" + std::to_string(i) + "@X.org", 1) ==
              static_cast<std::uint64_t>(10 + i));
    CHECK(index.size() == 3002);
}

TEST_SUITE_END();
