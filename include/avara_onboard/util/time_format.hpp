#pragma once
// Durations and instants in the words an operator reads in a log line: "2m05s", "2026-12-01 09:30:00 UTC".
#include <chrono>
#include <string>

namespace avara::text {

// Whole seconds, rounded: "45s", "2m05s", "1h02m"; "?" for a negative or non-finite value.
std::string format_duration(double seconds);
// The instant in UTC, to the second.
std::string format_wall_time(std::chrono::system_clock::time_point t);

}  // namespace avara::text
