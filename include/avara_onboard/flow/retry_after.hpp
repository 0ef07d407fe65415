#pragma once
// Parsing of the response headers that steer retries: `retry-after-ms`, `Retry-After` (RFC 9110
// 10.2.3) and `x-should-retry`. Pure functions of their input and of the caller's "now"; no clock is
// read here, so every case is reproducible in a test.
//
// These return std::optional rather than Result<T>: a header we cannot read is not an error to report
// to anyone, the contract says to ignore it and fall back to our own backoff.
#include <chrono>
#include <optional>
#include <string_view>

namespace avara::flow {

// The longest wait a header can ask for. Larger (absurd) values are clamped to it, so arithmetic on
// time points can never overflow; any --max-wait below it turns such a request into an abort.
inline constexpr std::chrono::milliseconds max_server_wait = std::chrono::hours(24);

// An HTTP date in IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850
// (`Sunday, 06-Nov-94 08:49:37 GMT`) or asctime (`Sun Nov  6 08:49:37 1994`) form. `now` only
// resolves RFC 850's two-digit year (RFC 9110: a year more than 50 years ahead is the previous century).
// Month and day names are matched case-insensitively, runs of spaces are accepted between tokens.
std::optional<std::chrono::system_clock::time_point> parse_http_date(
    std::string_view text, std::chrono::system_clock::time_point now) noexcept;

// `retry-after-ms`: a decimal number of milliseconds. Negative values mean no wait, huge ones are
// clamped to max_server_wait, fractions round up. Anything else (empty, trailing text, nan) is nullopt.
std::optional<std::chrono::milliseconds> parse_retry_after_ms(std::string_view text) noexcept;

// `Retry-After`: delta-seconds (a decimal number is tolerated, as the official SDKs do), else an HTTP
// date, turned into the wait from `now` (a date in the past means 0). Clamped like retry-after-ms.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view text, std::chrono::system_clock::time_point now) noexcept;

// `x-should-retry`: `true` or `false` in any case; anything else is no opinion (nullopt).
std::optional<bool> parse_should_retry(std::string_view text) noexcept;

}  // namespace avara::flow
