#pragma once
// Messages for the operator on stderr. One prefix for the whole tool so a cron mail or a CI log shows
// where a line came from. Never pass secrets here.
#include <string_view>

namespace avara::log {

enum class Level { quiet = 0, normal = 1, verbose = 2 };
void set_level(Level level) noexcept;
Level level() noexcept;

// While a live progress line sits on the terminal, messages first clear it so they never land in
// the middle of it; the progress line is redrawn on its next tick.
void set_live_line(bool active) noexcept;

void error(std::string_view message);    // always shown
void warning(std::string_view message);  // hidden by --quiet
void info(std::string_view message);     // hidden by --quiet
void debug(std::string_view message);    // only with --verbose

}  // namespace avara::log
