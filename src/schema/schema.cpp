#include "avara_onboard/schema/schema.hpp"

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
    const auto t = text::trim(text);
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
}

ClinicRoleTable::ClinicRoleTable(const std::vector<std::string>& extra) {
    for (const auto& role : clinic_roles)
        add(role.display);
    for (const auto& name : extra)
        add(text::trim(name));
    rebuild_slots();
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

void ClinicRoleTable::rebuild_slots() {
    std::size_t size = 16;
    while (size < entries_.size() * 4)
        size *= 2;
    slots_.assign(size, -1);
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        std::size_t at = entries_[i].hash & (size - 1);
        while (slots_[at] >= 0)
            at = (at + 1) & (size - 1);
        slots_[at] = static_cast<std::int16_t>(i);
    }
}

std::optional<std::string_view> ClinicRoleTable::find(std::string_view text) const noexcept {
    // Hot path (once per row): fold into a stack buffer, one hash, usually one comparison.
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

std::optional<std::string> check_email(std::string_view email) {
    if (email.empty())
        return "is required";
    if (email.size() > max_email_length) {
        return "is " + std::to_string(email.size()) + " characters; at most 254 are allowed";
    }
    for (char c : email) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            return std::string("must not contain spaces");
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            return std::string("must not contain control characters");
        }
    }
    const auto at = email.find('@');
    if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos) {
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

LevelOrReason parse_level(std::string_view text) {
    const auto t = text::trim(text);
    if (t.empty())
        return {std::nullopt, "is required"};
    if (text::iequals(t, "admin"))
        return {Level::admin, {}};
    if (text::iequals(t, "member"))
        return {Level::member, {}};
    if (text::iequals(t, "owner"))
        return {std::nullopt, "owner cannot be invited via the API (use admin or member)"};
    return {std::nullopt, "must be admin or member"};
}

std::optional<Level> level_from_wire(std::string_view text) noexcept {
    if (text == "admin")
        return Level::admin;
    if (text == "member")
        return Level::member;
    return std::nullopt;
}

std::optional<bool> parse_bool(std::string_view text) noexcept {
    // Hot path (two cells a row): dispatch on length rather than comparing with all eight spellings.
    const auto t = text::trim(text);
    switch (t.size()) {
        case 1: {
            const char c = text::ascii_lower(t[0]);
            if (c == 'y' || c == '1')
                return true;
            if (c == 'n' || c == '0')
                return false;
            return std::nullopt;
        }
        case 2:
            if (text::iequals(t, "no"))
                return false;
            return std::nullopt;
        case 3:
            if (text::iequals(t, "yes"))
                return true;
            return std::nullopt;
        case 4:
            if (text::iequals(t, "true"))
                return true;
            return std::nullopt;
        case 5:
            if (text::iequals(t, "false"))
                return false;
            return std::nullopt;
        default:
            return std::nullopt;
    }
}

PhoneOrReason normalize_phone(std::string_view text) {
    const auto t = text::trim(text);
    std::string digits;
    digits.reserve(t.size());
    for (std::size_t i = 0; i < t.size(); ++i) {
        const char c = t[i];
        if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')')
            continue;
        if (c == '+' && digits.empty() && t.find('+', i + 1) == std::string_view::npos &&
            t.find_first_not_of(" -.()", 0) == i) {
            continue;
        }
        if (c < '0' || c > '9')
            return {std::nullopt, "must hold only digits (and + ( ) - . or spaces)"};
        digits.push_back(c);
    }
    if (digits.size() < 10 || digits.size() > 15) {
        return {std::nullopt, "must have 10 to 15 digits, has " + std::to_string(digits.size())};
    }
    return {std::move(digits), {}};
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
