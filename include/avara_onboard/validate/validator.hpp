#pragma once
// Normalises and validates one roster row against the invite schema, producing the exact request
// body, or one message that names every failing field and why.
#include <cstddef>
#include <cstdint>
#include <string>

#include "avara_onboard/read/roster.hpp"
#include "avara_onboard/schema/schema.hpp"
#include "avara_onboard/validate/config.hpp"

namespace avara::validate {

struct Invite {
    std::string email;
    std::string first_name;
    std::string last_name;
    std::string middle_name;                                         // empty: omitted from the JSON
    std::string suffix1;                                             // empty: omitted
    std::string suffix2;                                             // empty: omitted
    std::string phone_number;                                        // digits only; empty: omitted
    std::string_view clinic_role = schema::clinic_roles[0].display;  // the display name sent
    schema::Level level = schema::Level::member;
    bool can_manage_studies = false;
    bool has_dashboard_access = false;

    // The exact body of POST /v1/viewer/users.
    void append_json(std::string& out) const;
    std::string to_json() const;
};

class RowValidator {
  public:
    // `mapping` must outlive the validator (and the invites it fills: their clinic role may be a view
    // of one of its extra role names).
    explicit RowValidator(const RosterMapping& mapping);

    // True when the row is valid (`invite` filled). Otherwise false and `error` names every failing
    // field. The buffers are reused, so a caller validating millions of rows allocates almost nothing.
    bool validate(const read::RosterRow& row, Invite& invite, std::string& error) const;

    // The HeaderOptions that this mapping implies for the roster reader.
    read::HeaderOptions header_options() const;

    // Whether validate() copies the names (first, last, middle, suffixes) into the invite: true
    // unless set otherwise, by a caller that needs only the verdict and the email.
    void set_fill_names(bool fill) noexcept { fill_names_ = fill; }

    // True when the schema rules see field `f`'s cell as read: no default or value map applies.
    bool passes_through(schema::Field f) const noexcept {
        return (mapped_ & (1u << static_cast<unsigned>(f))) == 0;
    }

  private:
    std::string_view effective(const read::RosterRow& row, schema::Field f) const;
    std::string_view mapped_value(std::string_view value, std::size_t field) const;

    const RosterMapping& mapping_;
    schema::ClinicRoleTable roles_;
    std::uint32_t mapped_ = 0;  // bit i: field i has a default or a value map
    bool fill_names_ = true;
};

}  // namespace avara::validate
