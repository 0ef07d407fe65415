#include "avara_onboard/flow/retry_after.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace avara;
using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

// A fixed "now": 2025-03-01 12:00:00 UTC.
const system_clock::time_point now = sys_days{2025y / March / 1} + 12h;

system_clock::time_point utc(year_month_day ymd, hours h, minutes m, seconds s) {
    return sys_days{ymd} + h + m + s;
}

}  // namespace

TEST_SUITE_BEGIN("flow");

TEST_CASE("flow::parse_http_date reads the three forms of RFC 9110") {
    const auto expected = utc(1994y / November / 6, 8h, 49min, 37s);
    SUBCASE("IMF-fixdate") {
        CHECK(flow::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", now) == expected);
    }
    SUBCASE("RFC 850") {
        CHECK(flow::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", now) == expected);
    }
    SUBCASE("asctime, day padded with a space or two digits") {
        CHECK(flow::parse_http_date("Sun Nov  6 08:49:37 1994", now) == expected);
        CHECK(flow::parse_http_date("Wed Nov 16 08:49:37 1994", now) ==
              utc(1994y / November / 16, 8h, 49min, 37s));
    }
    SUBCASE("case and surrounding whitespace do not matter") {
        CHECK(flow::parse_http_date("  sun, 06 nov 1994 08:49:37 gmt\t", now) == expected);
        CHECK(flow::parse_http_date("SUNDAY, 06-NOV-94 08:49:37 GMT", now) == expected);
    }
    SUBCASE("leap days and leap seconds") {
        CHECK(flow::parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT", now) ==
              utc(2024y / February / 29, 0h, 0min, 0s));
        CHECK(flow::parse_http_date("Wed, 31 Dec 2025 23:59:60 GMT", now) ==
              utc(2026y / January / 1, 0h, 0min, 0s));
    }
}

TEST_CASE("flow::parse_http_date resolves RFC 850 two-digit years around now") {
    // now is in 2025: up to 50 years ahead stays in this century, further ahead is the last one.
    CHECK(flow::parse_http_date("Friday, 01-Mar-30 00:00:00 GMT", now) ==
          utc(2030y / March / 1, 0h, 0min, 0s));
    CHECK(flow::parse_http_date("Friday, 01-Mar-75 00:00:00 GMT", now) ==
          utc(2075y / March / 1, 0h, 0min, 0s));
    CHECK(flow::parse_http_date("Friday, 01-Mar-76 00:00:00 GMT", now) ==
          utc(1976y / March / 1, 0h, 0min, 0s));
    CHECK(flow::parse_http_date("Friday, 01-Mar-24 00:00:00 GMT", now) ==
          utc(2024y / March / 1, 0h, 0min, 0s));
}

TEST_CASE("flow::parse_http_date refuses what is not a date") {
    const char* bad[] = {
        "",
        "tomorrow",
        "120",
        "Sun, 06 Nov 1994 08:49:37",          // no zone
        "Sun, 06 Nov 1994 08:49:37 PST",      // not GMT
        "Sun, 06 Nov 1994 08:49:37 GMT x",    // trailing text
        "Foo, 06 Nov 1994 08:49:37 GMT",      // no such day
        "Sun, 06 Nol 1994 08:49:37 GMT",      // no such month
        "Sun, 31 Feb 2024 08:49:37 GMT",      // no such date
        "Fri, 29 Feb 2023 00:00:00 GMT",      // not a leap year
        "Sun, 00 Nov 1994 08:49:37 GMT",      // day 0
        "Sun, 06 Nov 1994 24:00:00 GMT",      // hour 24
        "Sun, 06 Nov 1994 08:60:00 GMT",      // minute 60
        "Sun, 06 Nov 1994 08:49:61 GMT",      // second 61
        "Sun, 006 Nov 1994 08:49:37 GMT",     // three-digit day
        "Sun, 06 Nov 94 08:49:37 GMT",        // IMF needs four digits
        "Sun, 06 Nov 19945 08:49:37 GMT",     // five digits
        "Sun, 06 Nov 1994 8:49:37 GMT",       // one-digit hour
        "Sunday, 06-Nov-1994 08:49:37 GMT",   // RFC 850 has two digits
        "Sun Nov  6 08:49:37 1994 GMT",       // asctime has no zone
        "Sun 06 Nov 1994 08:49:37 GMT",       // missing comma
        "Sun,06 Nov 1994 08:49:37 GMT",       // missing space
        "Sun, 06 Nov 1994 08:49:37 GMT\x01",  // control character
    };
    for (const char* text : bad) {
        CAPTURE(text);
        CHECK_FALSE(flow::parse_http_date(text, now).has_value());
    }
}

TEST_CASE("flow::parse_retry_after_ms reads milliseconds and clamps") {
    CHECK(flow::parse_retry_after_ms("1500") == 1500ms);
    CHECK(flow::parse_retry_after_ms(" 250 ") == 250ms);
    CHECK(flow::parse_retry_after_ms("0") == 0ms);
    CHECK(flow::parse_retry_after_ms("1.2") == 2ms);  // rounded up, never shorter than asked
    CHECK(flow::parse_retry_after_ms("-5") == 0ms);   // negative: no wait
    CHECK(flow::parse_retry_after_ms("99999999999999") == flow::max_server_wait);
    CHECK(flow::parse_retry_after_ms(std::string(400, '9')) == flow::max_server_wait);  // beyond a double
    CHECK(flow::parse_retry_after_ms("0." + std::string(400, '0') + "1") == 0ms);       // below a double
    CHECK(flow::parse_retry_after_ms("-" + std::string(400, '9')) == 0ms);
    for (const char* text :
         {"", "  ", "abc", "12abc", "1e3", "nan", "inf", "-inf", "+5", "0x10", "1,5", "5 s"}) {
        CAPTURE(text);
        CHECK_FALSE(flow::parse_retry_after_ms(text).has_value());
    }
}

TEST_CASE("flow::parse_retry_after reads seconds or a date") {
    SUBCASE("delta-seconds") {
        CHECK(flow::parse_retry_after("120", now) == 120s);
        CHECK(flow::parse_retry_after("0", now) == 0ms);
        CHECK(flow::parse_retry_after("1.5", now) == 1500ms);
        CHECK(flow::parse_retry_after("-3", now) == 0ms);
        CHECK(flow::parse_retry_after("99999999999999", now) == flow::max_server_wait);
    }
    SUBCASE("a date in the future is the time until then") {
        CHECK(flow::parse_retry_after("Sat, 01 Mar 2025 12:00:42 GMT", now) == 42s);
        CHECK(flow::parse_retry_after("Saturday, 01-Mar-25 12:05:00 GMT", now) == 5min);
        CHECK(flow::parse_retry_after("Sat Mar  1 13:00:00 2025", now) == 1h);
        CHECK(flow::parse_retry_after("Sat, 15 Mar 2025 12:00:00 GMT", now) == flow::max_server_wait);
    }
    SUBCASE("a date in the past or now means no wait") {
        CHECK(flow::parse_retry_after("Sat, 01 Mar 2025 11:59:59 GMT", now) == 0ms);
        CHECK(flow::parse_retry_after("Sat, 01 Mar 2025 12:00:00 GMT", now) == 0ms);
        CHECK(flow::parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now) == 0ms);
    }
    SUBCASE("garbage is no answer") {
        for (const char* text : {"", "soon", "12 seconds", "Sat, 01 Mar 2025", "nan"}) {
            CAPTURE(text);
            CHECK_FALSE(flow::parse_retry_after(text, now).has_value());
        }
    }
}

TEST_CASE("flow::parse_should_retry reads true and false only") {
    CHECK(flow::parse_should_retry("true") == true);
    CHECK(flow::parse_should_retry(" TRUE ") == true);
    CHECK(flow::parse_should_retry("false") == false);
    CHECK(flow::parse_should_retry("False") == false);
    CHECK_FALSE(flow::parse_should_retry("").has_value());
    CHECK_FALSE(flow::parse_should_retry("yes").has_value());
    CHECK_FALSE(flow::parse_should_retry("1").has_value());
    CHECK_FALSE(flow::parse_should_retry("truee").has_value());
}

TEST_SUITE_END();
