#pragma once
// Small text helpers shared by every layer. ASCII-only case folding on purpose: header names,
// emails' case-insensitive comparison and enum spellings are ASCII in the API.
#include <cstdint>
#include <string>
#include <string_view>

namespace avara::text {

// Trims surrounding spaces and tabs (the contract's rule for every cell), nothing else.
std::string_view trim(std::string_view s) noexcept;

inline char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}
std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b) noexcept;

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

// Appends `s` as a JSON string literal, quotes included. `s` must be valid UTF-8.
void append_json_string(std::string& out, std::string_view s);
std::string json_string(std::string_view s);

// 64-bit FNV-1a over the ASCII-lowercased bytes: the identity of an email for duplicate detection
// and resume, without keeping the email itself in memory.
std::uint64_t lower_hash(std::string_view s) noexcept;

}  // namespace avara::text
