#pragma once
// Messages for the operator on stderr. One prefix for the whole tool so a cron mail or a CI log shows
// where a line came from. Never pass secrets here.
#include <string_view>

namespace avara::log {

enum class Level { quiet = 0, normal = 1, verbose = 2 };
void set_level(Level level) noexcept;
Level level() noexcept;

void error(std::string_view message);    // always shown
void warning(std::string_view message);  // hidden by --quiet
void info(std::string_view message);     // hidden by --quiet
void debug(std::string_view message);    // only with --verbose

}  // namespace avara::log
