#pragma once
// Messages for the operator on stderr. One prefix for the whole tool so a cron mail or a CI log shows
// where a line came from. Never pass secrets here.
//
// Two forms (--log-format): text, "avara-onboard: warning: MESSAGE", for people and cron mail; and
// json, one object per line for journald and Kubernetes log shippers:
//   {"time":"2026-12-01T02:30:04.512Z","level":"warning","message":"...","row":17,"http_status":503}
// Fields about one row or one pause travel beside the message (in text they are left out: the
// message already says what a person needs):
//   log::warning("row 17 failed after 6 attempts", {.row = 17, .status = "failed", .attempt = 6});
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace avara::log {

enum class Level { quiet = 0, normal = 1, verbose = 2 };
void set_level(Level level) noexcept;
Level level() noexcept;

enum class Format { text, json };
void set_format(Format format) noexcept;
Format format() noexcept;
// "text" or "json"; nothing for anything else.
std::optional<Format> parse_format(std::string_view name) noexcept;

// While a live progress line sits on the terminal, messages first clear it so they never land in
// the middle of it; the progress line is redrawn on its next tick. JSON lines never clear it:
// a JSON log is read by a program, and the run draws no live line then.
void set_live_line(bool active) noexcept;

// What a line is about, besides its message. Empty/absent members are left out of the JSON.
struct Fields {
    std::optional<std::uint64_t> row{};
    std::string_view email{};
    std::string_view status{};
    std::optional<unsigned> attempt{};
    std::optional<unsigned> http_status{};
    std::optional<double> wait{};  // seconds
};

void error(std::string_view message, const Fields& fields = {});    // always shown
void warning(std::string_view message, const Fields& fields = {});  // hidden by --quiet
void info(std::string_view message, const Fields& fields = {});     // hidden by --quiet
void debug(std::string_view message, const Fields& fields = {});    // only with --verbose

// One JSON log line, newline included: the json form's whole formatting, pure for tests. Text that
// is not valid UTF-8 (a roster cell) has its bad bytes replaced by U+FFFD, so the line stays JSON.
std::string json_line(std::string_view level, std::string_view message, const Fields& fields,
                      std::chrono::system_clock::time_point time);

}  // namespace avara::log
