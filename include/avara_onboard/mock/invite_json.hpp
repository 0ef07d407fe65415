#pragma once
// The body of `POST /v1/viewer/users` as the server reads it: strict JSON types, the shared schema
// rules of schema.hpp, every failing field reported at once. Pure: no I/O, no server state.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace avara::mock {

struct FieldError {
    std::string field;    // JSON name, `firstName`
    std::string message;  // follows the field name: "must contain exactly one '@'"
};

struct WireInvite {
    std::string email, first_name, last_name, clinic_role, level;
    std::optional<std::string> middle_name, suffix1, suffix2, phone_number;
    bool can_manage_studies = false;
    bool has_dashboard_access = false;
};

struct InviteCheck {
    // Set when the body is not a JSON object (syntax, encoding or type); nothing else is then set.
    std::optional<std::string> malformed;
    // The `email` string whenever the body is an object holding one, valid or not: the server
    // counts attempts per email for every POST that got this far.
    std::optional<std::string> email;
    std::vector<FieldError> errors;  // in schema order; empty when `invite` is set
    std::optional<WireInvite> invite;
};

// Unknown fields are ignored; `null` counts as absent; optional text fields, when present, must not
// be empty; `owner` is refused as a level.
InviteCheck check_invite_json(std::string_view body);

}  // namespace avara::mock
