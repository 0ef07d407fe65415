#include "avara_onboard/flow/retry_after.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include "avara_onboard/util/text.hpp"

namespace avara::flow {

namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

constexpr std::array<std::string_view, 7> short_days = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> long_days = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                       "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// A forward-only reader over the header value; every step either consumes what it expects or fails
// without consuming, so the three date forms can be told apart by trying.
class Cursor {
  public:
    explicit Cursor(std::string_view s) noexcept : s_(s) {}

    bool done() const noexcept { return pos_ == s_.size(); }
    bool peek(char c) const noexcept { return pos_ < s_.size() && s_[pos_] == c; }

    bool literal(char c) noexcept {
        if (!peek(c))
            return false;
        ++pos_;
        return true;
    }

    // One or more spaces: senders pad asctime's day with a space, and lenient parsing costs nothing.
    bool spaces() noexcept {
        const std::size_t start = pos_;
        while (pos_ < s_.size() && s_[pos_] == ' ')
            ++pos_;
        return pos_ > start;
    }

    std::string_view word() noexcept {
        const std::size_t start = pos_;
        while (pos_ < s_.size() &&
               ((s_[pos_] >= 'A' && s_[pos_] <= 'Z') || (s_[pos_] >= 'a' && s_[pos_] <= 'z'))) {
            ++pos_;
        }
        return s_.substr(start, pos_ - start);
    }

    // Exactly `min_digits` to `max_digits` ASCII digits.
    std::optional<int> number(std::size_t min_digits, std::size_t max_digits) noexcept {
        const std::size_t start = pos_;
        int value = 0;
        while (pos_ < s_.size() && pos_ - start < max_digits && s_[pos_] >= '0' && s_[pos_] <= '9') {
            value = value * 10 + (s_[pos_] - '0');
            ++pos_;
        }
        const std::size_t n = pos_ - start;
        if (n < min_digits || (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9')) {
            pos_ = start;
            return std::nullopt;
        }
        return value;
    }

  private:
    std::string_view s_;
    std::size_t pos_ = 0;
};

template <std::size_t N>
bool is_one_of(std::string_view word, const std::array<std::string_view, N>& names) noexcept {
    for (auto name : names) {
        if (text::iequals(word, name))
            return true;
    }
    return false;
}

std::optional<unsigned> month_of(std::string_view word) noexcept {
    for (std::size_t i = 0; i < months.size(); ++i) {
        if (text::iequals(word, months[i]))
            return static_cast<unsigned>(i + 1);
    }
    return std::nullopt;
}

struct TimeOfDay {
    int hour = 0;
    int minute = 0;
    int second = 0;
};

std::optional<TimeOfDay> time_of_day(Cursor& c) noexcept {
    auto h = c.number(2, 2);
    if (!h || !c.literal(':'))
        return std::nullopt;
    auto m = c.number(2, 2);
    if (!m || !c.literal(':'))
        return std::nullopt;
    auto s = c.number(2, 2);
    // 60 is a leap second; RFC 9110 allows it, and one second more or less is harmless here.
    if (!s || *h > 23 || *m > 59 || *s > 60)
        return std::nullopt;
    return TimeOfDay{*h, *m, *s};
}

std::optional<system_clock::time_point> assemble(int year, unsigned month, int day, TimeOfDay t) noexcept {
    if (day < 1 || day > 31)
        return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{month},
                                          std::chrono::day{static_cast<unsigned>(day)}};
    if (!ymd.ok())
        return std::nullopt;  // 31 Feb and friends
    return std::chrono::sys_days{ymd} + std::chrono::hours{t.hour} + std::chrono::minutes{t.minute} +
           std::chrono::seconds{t.second};
}

bool gmt(Cursor& c) noexcept {
    return text::iequals(c.word(), "GMT");
}

// `06 Nov 1994 08:49:37 GMT`, after the day name, comma and space.
std::optional<system_clock::time_point> imf_fixdate_rest(Cursor& c) noexcept {
    auto day = c.number(1, 2);
    if (!day || !c.spaces())
        return std::nullopt;
    auto month = month_of(c.word());
    if (!month || !c.spaces())
        return std::nullopt;
    auto year = c.number(4, 4);
    if (!year || !c.spaces())
        return std::nullopt;
    auto t = time_of_day(c);
    if (!t || !c.spaces() || !gmt(c) || !c.done())
        return std::nullopt;
    return assemble(*year, *month, *day, *t);
}

// `06-Nov-94 08:49:37 GMT`, after the day name, comma and space.
std::optional<system_clock::time_point> rfc850_rest(Cursor& c, system_clock::time_point now) noexcept {
    auto day = c.number(1, 2);
    if (!day || !c.literal('-'))
        return std::nullopt;
    auto month = month_of(c.word());
    if (!month || !c.literal('-'))
        return std::nullopt;
    auto yy = c.number(2, 2);
    if (!yy || !c.spaces())
        return std::nullopt;
    auto t = time_of_day(c);
    if (!t || !c.spaces() || !gmt(c) || !c.done())
        return std::nullopt;
    const int this_year =
        static_cast<int>(std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(now)}.year());
    int year = this_year / 100 * 100 + *yy;
    if (year > this_year + 50)
        year -= 100;
    return assemble(year, *month, *day, *t);
}

// `Nov  6 08:49:37 1994`, after the day name and space.
std::optional<system_clock::time_point> asctime_rest(Cursor& c) noexcept {
    auto month = month_of(c.word());
    if (!month || !c.spaces())
        return std::nullopt;
    auto day = c.number(1, 2);
    if (!day || !c.spaces())
        return std::nullopt;
    auto t = time_of_day(c);
    if (!t || !c.spaces())
        return std::nullopt;
    auto year = c.number(4, 4);
    if (!year || !c.done())
        return std::nullopt;
    return assemble(*year, *month, *day, *t);
}

// A finite decimal number filling the whole of `text`.
std::optional<double> decimal(std::string_view text) noexcept {
    if (text.empty())
        return std::nullopt;
    double value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::fixed);
    if (ec == std::errc::result_out_of_range && ptr == end) {
        // Still a number, just not a double: absurdly large (clamped later) or vanishingly small.
        const bool negative = text.front() == '-';
        const std::string_view magnitude = negative ? text.substr(1) : text;
        const std::string_view integer_part = magnitude.substr(0, magnitude.find('.'));
        const bool tiny = integer_part.find_first_not_of('0') == std::string_view::npos;
        if (tiny)
            return 0.0;
        return negative ? -HUGE_VAL : HUGE_VAL;
    }
    if (ec != std::errc{} || ptr != end || !std::isfinite(value))
        return std::nullopt;
    return value;
}

milliseconds clamp_ms(double ms) noexcept {
    if (!(ms > 0))
        return milliseconds{0};
    if (ms >= static_cast<double>(max_server_wait.count()))
        return max_server_wait;
    // Round up: waiting a fraction of a millisecond too long is safe, too short is not.
    return milliseconds{static_cast<milliseconds::rep>(std::ceil(ms))};
}

}  // namespace

std::optional<system_clock::time_point> parse_http_date(std::string_view text,
                                                        system_clock::time_point now) noexcept {
    Cursor c(text::trim(text));
    const std::string_view day_name = c.word();
    const bool is_short = is_one_of(day_name, short_days);
    if (!is_short && !is_one_of(day_name, long_days))
        return std::nullopt;
    if (c.literal(',')) {
        if (!c.spaces())
            return std::nullopt;
        // IMF-fixdate separates the date with spaces, RFC 850 with dashes: look past the day digits.
        Cursor probe = c;
        if (probe.number(1, 2) && probe.peek('-'))
            return rfc850_rest(c, now);
        return imf_fixdate_rest(c);
    }
    if (!c.spaces())
        return std::nullopt;
    return asctime_rest(c);
}

std::optional<milliseconds> parse_retry_after_ms(std::string_view text) noexcept {
    auto value = decimal(text::trim(text));
    if (!value)
        return std::nullopt;
    return clamp_ms(*value);
}

std::optional<milliseconds> parse_retry_after(std::string_view text, system_clock::time_point now) noexcept {
    const std::string_view value = text::trim(text);
    if (auto seconds = decimal(value))
        return clamp_ms(*seconds * 1000.0);
    auto date = parse_http_date(value, now);
    if (!date)
        return std::nullopt;
    if (*date <= now)
        return milliseconds{0};
    const auto wait = std::chrono::duration<double, std::milli>(*date - now);
    return clamp_ms(wait.count());
}

std::optional<bool> parse_should_retry(std::string_view text) noexcept {
    const std::string_view value = text::trim(text);
    if (text::iequals(value, "true"))
        return true;
    if (text::iequals(value, "false"))
        return false;
    return std::nullopt;
}

}  // namespace avara::flow
