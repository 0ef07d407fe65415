#include "avara_onboard/read/sniff.hpp"

#include <array>

#include "avara_onboard/read/csv_reader.hpp"
#include "avara_onboard/util/text.hpp"

namespace avara::read {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.substr(0, prefix.size()) == prefix;
}

// True when the NULs sit in every other byte, as in ASCII text written as UTF-16.
bool looks_like_bomless_utf16(std::string_view head) noexcept {
    std::array<std::size_t, 2> nuls{};
    for (std::size_t i = 0; i < head.size(); ++i) {
        if (head[i] == '\0')
            ++nuls[i % 2];
    }
    const std::size_t pairs = head.size() / 2;
    return pairs >= 2 && (nuls[0] == 0 || nuls[1] == 0) && (nuls[0] + nuls[1]) * 4 >= pairs * 3;
}

}  // namespace

FileKind sniff_kind(std::string_view head) noexcept {
    if (starts_with(head, "PK\x03\x04") || starts_with(head, "PK\x05\x06"))
        return FileKind::xlsx;
    if (starts_with(head, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"))
        return FileKind::xls;
    if (starts_with(head, "%PDF-"))
        return FileKind::pdf;
    if (starts_with(head, "\xFF\xFE"))
        return FileKind::utf16le;
    if (starts_with(head, "\xFE\xFF"))
        return FileKind::utf16be;
    if (head.find('\0') == std::string_view::npos)
        return FileKind::text;
    return looks_like_bomless_utf16(head) ? FileKind::utf16_no_bom : FileKind::binary;
}

std::size_t bom_bytes(FileKind kind) noexcept {
    return kind == FileKind::utf16le || kind == FileKind::utf16be ? 2 : 0;
}

std::string refusal(FileKind kind) {
    switch (kind) {
        case FileKind::xls:
            return "looks like an old Excel .xls workbook; save it as .xlsx or CSV";
        case FileKind::pdf:
            return "looks like a PDF document, not a roster; export the roster as CSV or .xlsx";
        case FileKind::binary:
            return "looks like a binary file (it holds NUL bytes), not a CSV or .xlsx roster";
        case FileKind::utf16_no_bom:
            return "looks like UTF-16 text without a byte-order mark; name its encoding with "
                   "--encoding utf-16le (or utf-16be)";
        case FileKind::text:
        case FileKind::utf16le:
        case FileKind::utf16be:
        case FileKind::xlsx:
            break;
    }
    return {};
}

std::optional<char> parse_delimiter(std::string_view text) noexcept {
    if (text == "," || text == ";" || text == "|" || text == "\t")
        return text[0];
    if (text::iequals(text, "tab") || text == "\\t")
        return '\t';
    return std::nullopt;
}

std::string_view delimiter_name(char delimiter) noexcept {
    switch (delimiter) {
        case ';':
            return ";";
        case '\t':
            return "tab";
        case '|':
            return "|";
        default:
            return ",";
    }
}

char detect_delimiter(std::string_view header_line,
                      const std::function<bool(std::string_view cell)>& names_column) {
    constexpr std::array<char, 4> candidates = {',', ';', '\t', '|'};
    char best = ',';
    std::size_t best_known = 0;
    std::size_t best_cells = 0;
    for (char candidate : candidates) {
        // The header goes through the real reader, so quoting is exactly as for the records.
        auto reader = CsvReader::from_string(std::string(header_line) + "\n");
        reader->set_delimiter(candidate);
        CsvRecord record;
        if (!reader->next(record) || record.error)
            continue;
        std::size_t known = 0;
        for (auto cell : record.cells) {
            if (names_column(text::trim(cell)))
                ++known;
        }
        const std::size_t cells = record.cells.size();
        if (known > best_known || (known == best_known && cells > best_cells)) {
            best = candidate;
            best_known = known;
            best_cells = cells;
        }
    }
    return best;
}

}  // namespace avara::read
