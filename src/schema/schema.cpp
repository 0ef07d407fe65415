#include "avara_onboard/schema/schema.hpp"

#include <algorithm>
#include <cstring>

#include "avara_onboard/schema/byte_scan.hpp"
#include "avara_onboard/util/text.hpp"

namespace avara::schema {

namespace {
struct FieldInfo {
    std::string_view name;
    std::string_view snake;
    bool required;
};
constexpr std::array<FieldInfo, field_count> field_info = {{
    {"email", "email", true},
    {"firstName", "first_name", true},
    {"lastName", "last_name", true},
    {"middleName", "middle_name", false},
    {"suffix1", "suffix1", false},
    {"suffix2", "suffix2", false},
    {"clinicRole", "clinic_role", true},
    {"level", "level", true},
    {"canManageStudies", "can_manage_studies", true},
    {"hasDashboardAccess", "has_dashboard_access", true},
    {"phoneNumber", "phone_number", false},
}};

// Folds a header or enum spelling to lowercase with separators removed, so `First Name`,
// `first_name`, `firstName` and `FIRST-NAME` all compare equal.
std::string fold(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == ' ' || c == '_' || c == '-' || c == '\t')
            continue;
        out.push_back(text::ascii_lower(c));
    }
    return out;
}
}  // namespace

std::string_view field_name(Field f) noexcept {
    return field_info[static_cast<std::size_t>(f)].name;
}
bool is_required(Field f) noexcept {
    return field_info[static_cast<std::size_t>(f)].required;
}

std::optional<Field> field_from_header(std::string_view header) noexcept {
    const std::string folded = fold(text::trim(header));
    if (folded.empty())
        return std::nullopt;
    for (Field f : all_fields) {
        if (folded == fold(field_name(f)))
            return f;
    }
    // "Suffix 1" folds to "suffix1" already; nothing else needs a special case.
    return std::nullopt;
}

namespace {
// What each byte folds to in a role spelling: lowercase ASCII, or 0 for the separators that do not
// count (spaces, `_`, `-`, tabs, apostrophes). Other bytes stay as they are.
constexpr std::array<char, 256> role_fold_table = [] {
    std::array<char, 256> t{};
    for (int b = 0; b < 256; ++b)
        t[static_cast<std::size_t>(b)] = static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b);
    for (char skip : {' ', '_', '-', '\t', '\''})
        t[static_cast<unsigned char>(skip)] = 0;
    return t;
}();

struct Folded {
    std::size_t size = 0;
    std::uint64_t hash = 14695981039346656037ull;  // FNV-1a of the folded bytes
};

// Folds a role spelling into `out` (also dropping a typographic apostrophe, as spreadsheets
// autocorrect one), hashing as it goes. Nothing when it would not fit.
std::optional<Folded> fold_role(std::string_view text, char* out, std::size_t cap) noexcept {
    constexpr std::string_view right_quote = "\xE2\x80\x99";  // U+2019
    const auto t = trim_cell(text);
    Folded f;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const char c = role_fold_table[static_cast<unsigned char>(t[i])];
        if (c == 0)
            continue;
        if (c == right_quote[0] && t.substr(i, 3) == right_quote) {
            i += 2;
            continue;
        }
        if (f.size == cap)
            return std::nullopt;
        out[f.size++] = c;
        f.hash = (f.hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    }
    return f;
}

// Cheap and good enough to spread role spellings: length, first and last eight bytes.
std::uint64_t spelling_hash(std::string_view s) noexcept {
    std::uint64_t head = 0;
    std::uint64_t tail = 0;
    if (s.size() >= 8) {
        std::memcpy(&head, s.data(), 8);
        std::memcpy(&tail, s.data() + s.size() - 8, 8);
    } else {
        head = byte_scan::packed_word(s);
    }
    std::uint64_t h = (head ^ (s.size() * 0x9E3779B97F4A7C15ull)) * 0xff51afd7ed558ccdull;
    h ^= (tail + (h >> 29)) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 32);
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    return out;
}

const ClinicRoleTable& builtin_roles() {
    static const ClinicRoleTable table;
    return table;
}
}  // namespace

std::string clinic_role_constant(std::string_view display) {
    std::string out;
    out.reserve(display.size());
    for (char c : text::trim(display)) {
        if (c == '\'')
            continue;
        out.push_back(c == ' ' || c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c));
    }
    return out;
}

ClinicRoleTable::ClinicRoleTable() {
    for (const auto& role : clinic_roles)
        add(role.display);
    rebuild_slots();
    add_spellings();
}

ClinicRoleTable::ClinicRoleTable(const std::vector<std::string>& extra) {
    for (const auto& role : clinic_roles)
        add(role.display);
    for (const auto& name : extra)
        add(text::trim(name));
    rebuild_slots();
    add_spellings();
}

void ClinicRoleTable::add(std::string_view display) {
    char buf[max_name_bytes];
    const auto f = fold_role(display, buf, sizeof buf);
    if (!f || f->size == 0)
        return;
    const std::string_view folded(buf, f->size);
    for (const auto& e : entries_) {
        if (e.folded == folded)
            return;
    }
    entries_.push_back({std::string(folded), f->hash, display});
}

namespace {
// An open-addressing index over `items` (each with a `hash`), at most a quarter full: slot -> the
// item's position, -1 = empty. Lookups probe linearly from hash & (size - 1).
template <class Item>
std::vector<std::int16_t> index_by_hash(const std::vector<Item>& items) {
    std::size_t size = 16;
    while (size < items.size() * 4)
        size *= 2;
    std::vector<std::int16_t> slots(size, -1);
    for (std::size_t i = 0; i < items.size(); ++i) {
        std::size_t at = items[i].hash & (size - 1);
        while (slots[at] >= 0)
            at = (at + 1) & (size - 1);
        slots[at] = static_cast<std::int16_t>(i);
    }
    return slots;
}
}  // namespace

void ClinicRoleTable::rebuild_slots() {
    slots_ = index_by_hash(entries_);
}

void ClinicRoleTable::add_spellings() {
    for (const auto& e : entries_) {
        const std::string constant = clinic_role_constant(e.display);
        for (const std::string& spelling : {std::string(e.display), text::to_lower(e.display),
                                            upper(e.display), constant, text::to_lower(constant)}) {
            const auto display = find_folded(spelling);
            if (display && find_spelling(spelling) == nullptr)
                spellings_.push_back({spelling, spelling_hash(spelling), *display});
        }
    }
    spelling_slots_ = index_by_hash(spellings_);
}

const ClinicRoleTable::Spelling* ClinicRoleTable::find_spelling(std::string_view text) const noexcept {
    if (spelling_slots_.empty())
        return nullptr;
    const std::size_t mask = spelling_slots_.size() - 1;
    const std::uint64_t hash = spelling_hash(text);
    for (std::size_t at = hash & mask; spelling_slots_[at] >= 0; at = (at + 1) & mask) {
        const Spelling& s = spellings_[static_cast<std::size_t>(spelling_slots_[at])];
        if (s.hash == hash && s.text == text)
            return &s;
    }
    return nullptr;
}

std::optional<std::string_view> ClinicRoleTable::find(std::string_view text) const noexcept {
    // Hot path (once per row): most rosters spell a role one of the usual ways, found byte for byte.
    if (const Spelling* s = find_spelling(text))
        return s->display;
    return find_folded(text);
}

std::optional<std::string_view> ClinicRoleTable::find_folded(std::string_view text) const noexcept {
    // Fold into a stack buffer, one hash, usually one comparison.
    char buf[max_name_bytes];
    const auto f = fold_role(text, buf, sizeof buf);
    if (!f || f->size == 0)
        return std::nullopt;
    const std::string_view folded(buf, f->size);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = f->hash & mask; slots_[at] >= 0; at = (at + 1) & mask) {
        const Entry& e = entries_[static_cast<std::size_t>(slots_[at])];
        if (e.hash == f->hash && e.folded == folded)
            return e.display;
    }
    return std::nullopt;
}

std::optional<std::size_t> parse_clinic_role(std::string_view text) noexcept {
    const auto display = builtin_roles().find(text);
    if (!display)
        return std::nullopt;
    return clinic_role_from_display(*display);
}

std::optional<std::size_t> clinic_role_from_display(std::string_view display) noexcept {
    for (std::size_t i = 0; i < clinic_roles.size(); ++i) {
        if (display == clinic_roles[i].display)
            return i;
    }
    return std::nullopt;
}

std::string_view level_name(Level l) noexcept {
    return l == Level::admin ? "admin" : "member";
}

namespace {
// The reason for an email that holds a space or a control character: the first one decides.
std::string bad_email_character(std::string_view email) {
    for (char c : email) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            return "must not contain spaces";
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return "must not contain control characters";
    }
    return {};
}
}  // namespace

std::optional<std::string> check_email(std::string_view email) {
    if (email.empty())
        return "is required";
    if (email.size() > max_email_length) {
        return "is " + std::to_string(email.size()) + " characters; at most 254 are allowed";
    }
    // One pass (every row): spaces and control characters (all at or below 0x20, or DEL), and '@'s.
    std::size_t at = std::string_view::npos;
    bool another_at = false;
    const bool bad = byte_scan::any_block(email, [&](const byte_scan::Block& b) {
        if ((b.at_most(0x20) | b.equal(0x7f)) != 0)
            return true;
        if (const auto ats = b.equal('@'); ats != 0) {
            another_at |= at != std::string_view::npos || (ats & (ats - 1)) != 0;
            if (at == std::string_view::npos)
                at = b.at + static_cast<std::size_t>(__builtin_ctz(ats));
        }
        return false;
    });
    if (bad)
        return bad_email_character(email);
    if (at == std::string_view::npos || another_at) {
        return std::string("must contain exactly one '@'");
    }
    if (at == 0)
        return std::string("needs a local part before '@'");
    const auto domain = email.substr(at + 1);
    const auto dot = domain.find('.');
    if (domain.empty() || dot == std::string_view::npos || dot == 0 || domain.back() == '.') {
        return std::string("needs a domain with a dot after '@' (like example.org)");
    }
    return std::nullopt;
}

std::optional<std::string> check_required_text(std::string_view value) {
    if (text::trim(value).empty())
        return std::string("is required");
    return std::nullopt;
}

std::optional<std::string> check_optional_text(std::string_view value) {
    if (text::trim(value).empty())
        return std::string("must not be empty when present");
    return std::nullopt;
}

namespace {
enum LevelWord : std::int8_t { admin_word, member_word, owner_word, empty_word };
constexpr auto level_words = byte_scan::WordTable::of(
    {{"admin", admin_word}, {"member", member_word}, {"owner", owner_word}, {"", empty_word}});
constexpr auto bool_words = byte_scan::WordTable::of(
    {{"true", 1}, {"yes", 1}, {"y", 1}, {"1", 1}, {"false", 0}, {"no", 0}, {"n", 0}, {"0", 0}});
}  // namespace

LevelOrReason parse_level(std::string_view text) {
    switch (level_words.find(byte_scan::folded_word(trim_cell(text)))) {
        case empty_word:
            return {std::nullopt, "is required"};
        case admin_word:
            return {Level::admin, {}};
        case member_word:
            return {Level::member, {}};
        case owner_word:
            return {std::nullopt, "owner cannot be invited via the API (use admin or member)"};
        default:
            return {std::nullopt, "must be admin or member"};
    }
}

std::optional<Level> level_from_wire(std::string_view text) noexcept {
    if (text == "admin")
        return Level::admin;
    if (text == "member")
        return Level::member;
    return std::nullopt;
}

std::optional<bool> parse_bool(std::string_view text) noexcept {
    // Hot path (two cells a row): one folded word, one table slot.
    const int value = bool_words.find(byte_scan::folded_word(trim_cell(text)));
    if (value < 0)
        return std::nullopt;
    return value == 1;
}

PhoneOrReason normalize_phone(std::string_view text) {
    std::string digits;
    if (auto reason = normalize_phone_into(text, digits))
        return {std::nullopt, std::move(*reason)};
    return {std::move(digits), {}};
}

namespace {
// What each byte of a phone number is: a digit, a separator to drop, '+', or anything else.
enum PhoneByte : std::uint8_t { digit_byte, separator_byte, plus_byte, other_byte };
constexpr std::array<std::uint8_t, 256> phone_bytes = [] {
    std::array<std::uint8_t, 256> t{};
    t.fill(other_byte);
    for (char c = '0'; c <= '9'; ++c)
        t[static_cast<unsigned char>(c)] = digit_byte;
    for (char c : {' ', '-', '.', '(', ')'})
        t[static_cast<unsigned char>(c)] = separator_byte;
    t['+'] = plus_byte;
    return t;
}();
}  // namespace

std::optional<std::string> normalize_phone_into(std::string_view text, std::string& digits) {
    const auto t = trim_cell(text);
    constexpr std::size_t max_digits = 15;
    char kept[max_digits + 1];
    std::size_t count = 0;  // digits seen; the first max_digits are kept
    for (std::size_t i = 0; i < t.size(); ++i) {
        const auto kind = phone_bytes[static_cast<unsigned char>(t[i])];
        if (kind >= plus_byte) [[unlikely]] {
            // One leading '+', before any digit; anything else that is no digit or separator is wrong.
            if (kind == plus_byte && count == 0 && t.find('+', i + 1) == std::string_view::npos &&
                t.find_first_not_of(" -.()", 0) == i) {
                continue;
            }
            return std::string("must hold only digits (and + ( ) - . or spaces)");
        }
        // Without a branch: digits and separators come mixed. A separator is written and then
        // overwritten, as `count` does not move past it.
        kept[std::min(count, max_digits)] = t[i];
        count += kind == digit_byte ? 1 : 0;
    }
    if (count < 10 || count > max_digits)
        return "must have 10 to 15 digits, has " + std::to_string(count);
    digits.assign(kept, count);
    return std::nullopt;
}

std::optional<std::string> check_wire_phone(std::string_view digits) {
    for (char c : digits) {
        if (c < '0' || c > '9')
            return std::string("must be 10 to 15 digits");
    }
    if (digits.size() < 10 || digits.size() > 15)
        return std::string("must be 10 to 15 digits");
    return std::nullopt;
}

}  // namespace avara::schema
