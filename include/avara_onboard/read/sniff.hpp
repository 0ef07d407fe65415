#pragma once
// What a roster file is, from its first bytes (no seeking: the bytes come from a peek that the
// reader then replays), and which separator its header line uses.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace avara::read {

enum class FileKind : std::uint8_t {
    text,          // UTF-8 (with or without BOM) or an 8-bit encoding: read as CSV
    utf16le,       // UTF-16 with its byte-order mark FF FE ("Unicode text")
    utf16be,       // UTF-16 with its byte-order mark FE FF
    utf16_no_bom,  // NUL bytes in every other position: UTF-16 that lost its mark
    xlsx,          // a zip archive: an Office Open XML workbook
    xls,           // an OLE2 compound file: Excel 97-2003
    pdf,
    binary,  // NUL bytes outside UTF-16
};

// How many leading bytes sniff_kind wants (fewer are fine at the end of a short file).
inline constexpr std::size_t sniff_bytes = 4096;

FileKind sniff_kind(std::string_view head) noexcept;
// Bytes of byte-order mark that a kind starts with (2 for UTF-16, else 0).
std::size_t bom_bytes(FileKind kind) noexcept;
// For a kind that cannot be read: what it looks like and what to do ("looks like an old Excel .xls
// workbook; save it as .xlsx or CSV"). Empty for a readable kind.
std::string refusal(FileKind kind);

// `,` `;` `tab` (or a tab character) `|` -> the separator; nothing for anything else.
std::optional<char> parse_delimiter(std::string_view text) noexcept;
std::string_view delimiter_name(char delimiter) noexcept;  // "," ";" "tab" "|"

// The separator that splits `header_line` into the most cells that `names_column` accepts (schema
// fields or configured headers), then into the most cells; `,` on a tie. Quoting is honoured.
char detect_delimiter(std::string_view header_line,
                      const std::function<bool(std::string_view cell)>& names_column);

}  // namespace avara::read
