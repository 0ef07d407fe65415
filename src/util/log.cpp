#include "avara_onboard/util/log.hpp"

#include <atomic>
#include <cstdio>
#include <string>

namespace avara::log {

namespace {
std::atomic<Level> current{Level::normal};
std::atomic<bool> live_line{false};

void emit(std::string_view prefix, std::string_view message) {
    std::string line;
    line.reserve(prefix.size() + message.size() + 24);
    if (live_line.load())
        line.append("\r\x1b[K");
    line.append("avara-onboard: ");
    line.append(prefix);
    line.append(message);
    line.push_back('\n');
    // One fwrite per line so lines from different threads never interleave mid-line.
    std::fwrite(line.data(), 1, line.size(), stderr);
}
}  // namespace

void set_level(Level level) noexcept {
    current.store(level);
}
void set_live_line(bool active) noexcept {
    live_line.store(active);
}
Level level() noexcept {
    return current.load();
}

void error(std::string_view message) {
    emit("error: ", message);
}
void warning(std::string_view message) {
    if (current.load() >= Level::normal)
        emit("warning: ", message);
}
void info(std::string_view message) {
    if (current.load() >= Level::normal)
        emit("", message);
}
void debug(std::string_view message) {
    if (current.load() >= Level::verbose)
        emit("debug: ", message);
}

}  // namespace avara::log
