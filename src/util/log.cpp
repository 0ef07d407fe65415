#include "avara_onboard/util/log.hpp"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>

#include "avara_onboard/util/text.hpp"

namespace avara::log {

namespace {
std::atomic<Level> current{Level::normal};
std::atomic<Format> current_format{Format::text};
std::atomic<bool> live_line{false};

// The valid UTF-8 runs of `s` as they are, each bad byte as U+FFFD.
std::string valid_utf8(std::string_view s) {
    if (text::is_valid_utf8(s))
        return std::string(s);
    std::string out;
    out.reserve(s.size() + 8);
    std::size_t i = 0;
    while (i < s.size()) {
        const auto byte = static_cast<unsigned char>(s[i]);
        const std::size_t len = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 0;
        if (len != 0 && i + len <= s.size() && text::is_valid_utf8(s.substr(i, len))) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out.append("\xEF\xBF\xBD");
            ++i;
        }
    }
    return out;
}

void append_key(std::string& line, std::string_view key) {
    line.append(",\"");
    line.append(key);
    line.append("\":");
}

void append_text_field(std::string& line, std::string_view key, std::string_view value) {
    if (value.empty())
        return;
    append_key(line, key);
    text::append_json_string(line, valid_utf8(value));
}

void append_number_field(std::string& line, std::string_view key, std::optional<std::uint64_t> value) {
    if (!value)
        return;
    append_key(line, key);
    line.append(std::to_string(*value));
}

// RFC 3339 in UTC with milliseconds: 2026-12-01T02:30:04.512Z.
std::string rfc3339(std::chrono::system_clock::time_point time) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    char out[40];
    const auto n = std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(out + n, sizeof out - n, ".%03dZ", static_cast<int>(ms % 1000));
    return out;
}

void emit_text(std::string_view prefix, std::string_view message) {
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

void emit(std::string_view level, std::string_view prefix, std::string_view message, const Fields& fields) {
    if (current_format.load() == Format::json) {
        const auto line = json_line(level, message, fields, std::chrono::system_clock::now());
        std::fwrite(line.data(), 1, line.size(), stderr);
    } else {
        emit_text(prefix, message);
    }
}
}  // namespace

std::string json_line(std::string_view level, std::string_view message, const Fields& fields,
                      std::chrono::system_clock::time_point time) {
    std::string line = "{\"time\":\"" + rfc3339(time) + "\"";
    append_text_field(line, "level", level);
    append_key(line, "message");
    text::append_json_string(line, valid_utf8(message));
    append_number_field(line, "row", fields.row);
    append_text_field(line, "email", fields.email);
    append_text_field(line, "status", fields.status);
    append_number_field(line, "attempt", fields.attempt);
    append_number_field(line, "http_status", fields.http_status);
    if (fields.wait && std::isfinite(*fields.wait)) {
        char wait[32];
        std::snprintf(wait, sizeof wait, "%.3f", *fields.wait);
        append_key(line, "wait");
        line.append(wait);
    }
    line.append("}\n");
    return line;
}

void set_level(Level level) noexcept {
    current.store(level);
}
void set_format(Format format) noexcept {
    current_format.store(format);
}
Format format() noexcept {
    return current_format.load();
}
std::optional<Format> parse_format(std::string_view name) noexcept {
    if (name == "text")
        return Format::text;
    if (name == "json")
        return Format::json;
    return std::nullopt;
}
void set_live_line(bool active) noexcept {
    live_line.store(active);
}
Level level() noexcept {
    return current.load();
}

void error(std::string_view message, const Fields& fields) {
    emit("error", "error: ", message, fields);
}
void warning(std::string_view message, const Fields& fields) {
    if (current.load() >= Level::normal)
        emit("warning", "warning: ", message, fields);
}
void info(std::string_view message, const Fields& fields) {
    if (current.load() >= Level::normal)
        emit("info", "", message, fields);
}
void debug(std::string_view message, const Fields& fields) {
    if (current.load() >= Level::verbose)
        emit("debug", "debug: ", message, fields);
}

}  // namespace avara::log
