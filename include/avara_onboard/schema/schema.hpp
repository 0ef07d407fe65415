#pragma once
// The invite schema of POST /v1/viewer/users, defined once: the roster validator and the mock server
// both check against these rules, so the client can never drift from the server it is tested on.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace avara::schema {

enum class Field : std::uint8_t {
    email,
    first_name,
    last_name,
    middle_name,
    suffix1,
    suffix2,
    clinic_role,
    level,
    can_manage_studies,
    has_dashboard_access,
    phone_number,
};
inline constexpr std::size_t field_count = 11;
inline constexpr std::array<Field, field_count> all_fields = {Field::email,
                                                              Field::first_name,
                                                              Field::last_name,
                                                              Field::middle_name,
                                                              Field::suffix1,
                                                              Field::suffix2,
                                                              Field::clinic_role,
                                                              Field::level,
                                                              Field::can_manage_studies,
                                                              Field::has_dashboard_access,
                                                              Field::phone_number};

// The JSON name of a field (`firstName`), as the API and the report use it.
std::string_view field_name(Field f) noexcept;
bool is_required(Field f) noexcept;
// Recognises camelCase (`firstName`), snake_case (`first_name`) and words (`First Name`), any case.
std::optional<Field> field_from_header(std::string_view header) noexcept;

struct ClinicRole {
    std::string_view constant;  // RADIOLOGIST
    std::string_view display;   // Radiologist (what the API takes)
};
inline constexpr std::array<ClinicRole, 21> clinic_roles = {{
    {"RADIOLOGIST", "Radiologist"},
    {"CARDIOLOGIST", "Cardiologist"},
    {"NEUROLOGIST", "Neurologist"},
    {"UROLOGIST", "Urologist"},
    {"GYNECOLOGIST", "Gynecologist"},
    {"ENDOCRINOLOGIST", "Endocrinologist"},
    {"DOCTOR", "Doctor"},
    {"SURGEON", "Surgeon"},
    {"PHYSICIAN", "Physician"},
    {"PHYSICIAN_ASSISTANT", "Physician Assistant"},
    {"NURSE_PRACTITIONER", "Nurse Practitioner"},
    {"REGISTERED_NURSE", "Registered Nurse"},
    {"PATIENT_CARE_COORDINATOR", "Patient Care Coordinator"},
    {"FRONT_DESK_OPERATOR", "Front Desk Operator"},
    {"IMAGING_TECHNOLOGIST", "Imaging Technologist"},
    {"PACS_ADMINISTRATOR", "PACS Administrator"},
    {"SOFTWARE_ENGINEER", "Software Engineer"},
    {"REVENUE_CYCLE_MANAGER", "Revenue Cycle Manager"},
    {"ADMINISTRATIVE_DIRECTOR", "Administrative Director"},
    {"ADMINISTRATIVE_ASSISTANT", "Administrative Assistant"},
    {"OTHER", "Other"},
}};

// Lenient, for rosters: a display name in any case, the enum constant, or the constant with spaces
// for underscores. Returns the index into `clinic_roles`.
std::optional<std::size_t> parse_clinic_role(std::string_view text) noexcept;
// Strict, for the wire: exactly a display name.
std::optional<std::size_t> clinic_role_from_display(std::string_view display) noexcept;

enum class Level : std::uint8_t { admin, member };
std::string_view level_name(Level l) noexcept;

// Each check returns nothing when the value is acceptable, else the reason, phrased to follow the
// field's name ("email: must contain exactly one '@'").
std::optional<std::string> check_email(std::string_view email);
std::optional<std::string> check_required_text(std::string_view value);
std::optional<std::string> check_optional_text(std::string_view value);
// Lenient level parsing: admin or member in any case; `owner` gets its own reason.
struct LevelOrReason {
    std::optional<Level> level;
    std::string reason;
};
LevelOrReason parse_level(std::string_view text);
std::optional<Level> level_from_wire(std::string_view text) noexcept;  // exactly "admin" / "member"
// true/false, yes/no, y/n, 1/0, any case.
std::optional<bool> parse_bool(std::string_view text) noexcept;
// Strips spaces, '-', '.', '(', ')' and one leading '+'; the rest must be 10 to 15 ASCII digits.
struct PhoneOrReason {
    std::optional<std::string> digits;
    std::string reason;
};
PhoneOrReason normalize_phone(std::string_view text);
std::optional<std::string> check_wire_phone(std::string_view digits);  // already normalised
// The contract's cross-field rule.
inline constexpr std::string_view admin_needs_dashboard_reason = "must be true when level is admin";

inline constexpr std::size_t max_email_length = 254;

}  // namespace avara::schema
