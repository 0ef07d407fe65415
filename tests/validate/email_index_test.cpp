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

TEST_SUITE_END();
