#pragma once
// The invite schema of POST /v1/viewer/users, defined once: the roster validator and the mock server
// both check against these rules, so the client can never drift from the server it is tested on.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
    std::string_view constant;  // PHYSICIAN_ASSISTANT
    std::string_view display;   // Physician Assistant (what the API takes)
};
// The seed's 21 roles, then the 41 the API added: 62, in this order for good (an index is stable).
inline constexpr std::array<ClinicRole, 62> clinic_roles = {{
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
    // Added by the API in May 2026 (avara-api.md, "clinicRole").
    {"ONCOLOGIST", "Oncologist"},
    {"RADIATION_ONCOLOGIST", "Radiation Oncologist"},
    {"HEMATOLOGIST", "Hematologist"},
    {"GASTROENTEROLOGIST", "Gastroenterologist"},
    {"PULMONOLOGIST", "Pulmonologist"},
    {"NEPHROLOGIST", "Nephrologist"},
    {"RHEUMATOLOGIST", "Rheumatologist"},
    {"DERMATOLOGIST", "Dermatologist"},
    {"OPHTHALMOLOGIST", "Ophthalmologist"},
    {"OTOLARYNGOLOGIST", "Otolaryngologist"},
    {"PEDIATRICIAN", "Pediatrician"},
    {"OBSTETRICIAN", "Obstetrician"},
    {"PSYCHIATRIST", "Psychiatrist"},
    {"ANESTHESIOLOGIST", "Anesthesiologist"},
    {"EMERGENCY_MEDICINE_PHYSICIAN", "Emergency Medicine Physician"},
    {"FAMILY_MEDICINE_PHYSICIAN", "Family Medicine Physician"},
    {"INTERNAL_MEDICINE_PHYSICIAN", "Internal Medicine Physician"},
    {"PATHOLOGIST", "Pathologist"},
    {"NUCLEAR_MEDICINE_PHYSICIAN", "Nuclear Medicine Physician"},
    {"PAIN_MANAGEMENT_SPECIALIST", "Pain Management Specialist"},
    {"INFECTIOUS_DISEASE_SPECIALIST", "Infectious Disease Specialist"},
    {"IMMUNOLOGIST", "Immunologist"},
    {"CERTIFIED_REGISTERED_NURSE_ANESTHETIST", "Certified Registered Nurse Anesthetist"},
    {"PSYCHOLOGIST", "Psychologist"},
    {"MEDICAL_ASSISTANT", "Medical Assistant"},
    {"SCRIBE", "Scribe"},
    {"NURSE_MANAGER", "Nurse Manager"},
    {"LABORATORY_TECHNICIAN", "Laboratory Technician"},
    {"MEDICAL_LABORATORY_SCIENTIST", "Medical Laboratory Scientist"},
    {"PATHOLOGISTS_ASSISTANT", "Pathologists' Assistant"},
    {"PHLEBOTOMIST", "Phlebotomist"},
    {"PHARMACIST", "Pharmacist"},
    {"PHARMACY_TECHNICIAN", "Pharmacy Technician"},
    {"PHYSICAL_THERAPIST", "Physical Therapist"},
    {"OCCUPATIONAL_THERAPIST", "Occupational Therapist"},
    {"SPEECH_LANGUAGE_PATHOLOGIST", "Speech-Language Pathologist"},
    {"RESPIRATORY_THERAPIST", "Respiratory Therapist"},
    {"NUTRITIONIST", "Nutritionist"},
    {"LEGAL_ADMINISTRATOR", "Legal Administrator"},
    {"IT_ADMINISTRATOR", "IT Administrator"},
    {"IT_SUPPORT", "IT Support"},
}};

// The enum constant of a display name: upper-cased, `_` for spaces and `-`, apostrophes dropped
// (`Pathologists' Assistant` -> `PATHOLOGISTS_ASSISTANT`).
std::string clinic_role_constant(std::string_view display);

// Lenient, for rosters: a built-in role's display name in any case, its enum constant, or the
// constant with spaces for underscores. Returns the index into `clinic_roles`.
std::optional<std::size_t> parse_clinic_role(std::string_view text) noexcept;
// Strict, for the wire: exactly a display name.
std::optional<std::size_t> clinic_role_from_display(std::string_view display) noexcept;

// The built-in roles plus the names a config adds (`[schema] clinic-roles`), matched as leniently as
// parse_clinic_role, in one lookup per row (a hash of the folded spelling, not a scan of the list).
class ClinicRoleTable {
  public:
    // Longest role name (folded) a table holds; longer config names are refused by the config.
    static constexpr std::size_t max_name_bytes = 128;

    ClinicRoleTable();  // the built-in roles only
    // `extra` names must outlive the table: the display views returned point into them. A name that
    // folds to a role already present is skipped.
    explicit ClinicRoleTable(const std::vector<std::string>& extra);

    // The display name to send, or nothing when `text` names no role.
    std::optional<std::string_view> find(std::string_view text) const noexcept;
    std::size_t size() const noexcept { return entries_.size(); }

  private:
    struct Entry {
        std::string folded;
        std::uint64_t hash;
        std::string_view display;
    };
    // A spelling as rosters usually write it (the display name, its constant, all lower or upper
    // case), byte for byte: found without folding. Each was looked up the folding way when the
    // table was built, so the answer is the same either way.
    struct Spelling {
        std::string text;
        std::uint64_t hash;
        std::string_view display;
    };
    void add(std::string_view display);
    void rebuild_slots();
    void add_spellings();
    std::optional<std::string_view> find_folded(std::string_view text) const noexcept;
    const Spelling* find_spelling(std::string_view text) const noexcept;

    std::vector<Entry> entries_;
    std::vector<std::int16_t> slots_;  // open addressing over entries_; -1 = empty
    std::vector<Spelling> spellings_;
    std::vector<std::int16_t> spelling_slots_;  // open addressing over spellings_; -1 = empty
};

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
// The same into `digits` (reused: no allocation a row); nothing when valid, else the reason.
std::optional<std::string> normalize_phone_into(std::string_view text, std::string& digits);
std::optional<std::string> check_wire_phone(std::string_view digits);  // already normalised
// The contract's cross-field rule.
inline constexpr std::string_view admin_needs_dashboard_reason = "must be true when level is admin";

inline constexpr std::size_t max_email_length = 254;

// The contract's trim (text::trim: spaces and tabs), without a call for the usual cell that has none.
inline std::string_view trim_cell(std::string_view s) noexcept {
    auto space = [](char c) { return c == ' ' || c == '\t'; };
    if (s.empty() || (!space(s.front()) && !space(s.back())))
        return s;  // the usual cell
    while (!s.empty() && space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && space(s.back()))
        s.remove_suffix(1);
    return s;
}

}  // namespace avara::schema
