#include "avara_onboard/validate/validator.hpp"

#include "avara_onboard/util/text.hpp"

namespace avara::validate {

using schema::Field;

void Invite::append_json(std::string& out) const {
    auto add_string = [&out](std::string_view key, std::string_view value) {
        out.push_back('"');
        out.append(key);
        out.append("\":");
        text::append_json_string(out, value);
        out.push_back(',');
    };
    auto add_bool = [&out](std::string_view key, bool value) {
        out.push_back('"');
        out.append(key);
        out.append(value ? "\":true," : "\":false,");
    };
    out.push_back('{');
    add_string("email", email);
    add_string("firstName", first_name);
    if (!middle_name.empty())
        add_string("middleName", middle_name);
    add_string("lastName", last_name);
    if (!suffix1.empty())
        add_string("suffix1", suffix1);
    if (!suffix2.empty())
        add_string("suffix2", suffix2);
    add_string("clinicRole", clinic_role);
    add_string("level", schema::level_name(level));
    add_bool("canManageStudies", can_manage_studies);
    add_bool("hasDashboardAccess", has_dashboard_access);
    if (!phone_number.empty())
        add_string("phoneNumber", phone_number);
    out.back() = '}';
}

std::string Invite::to_json() const {
    std::string out;
    out.reserve(256);
    append_json(out);
    return out;
}

read::HeaderOptions RowValidator::header_options() const {
    read::HeaderOptions options;
    options.column_header = mapping_.column_header;
    for (std::size_t i = 0; i < schema::field_count; ++i)
        options.has_default[i] = mapping_.defaults[i].has_value();
    return options;
}

RowValidator::RowValidator(const RosterMapping& mapping)
    : mapping_(mapping), roles_(mapping.extra_clinic_roles) {
    for (std::size_t i = 0; i < schema::field_count; ++i) {
        if (mapping.defaults[i] || !mapping.value_map[i].empty())
            mapped_ |= 1u << i;
    }
}

// The cell after defaults and value maps: what the schema rules see.
inline std::string_view RowValidator::effective(const read::RosterRow& row, Field f) const {
    const auto i = static_cast<std::size_t>(f);
    const std::string_view value = row.cells[i].value_or(std::string_view{});
    return passes_through(f) ? value : mapped_value(value, i);
}

std::string_view RowValidator::mapped_value(std::string_view value, std::size_t field) const {
    if (value.empty() && mapping_.defaults[field])
        value = text::trim(*mapping_.defaults[field]);
    for (const auto& [local, target] : mapping_.value_map[field]) {
        if (text::iequals(local, value))
            return target;
    }
    return value;
}

namespace {
// "lastName: is required", or for a worksheet "lastName in column C (Surname): is required".
void add_problem(std::string& error, const read::RosterRow& row, Field f, std::string_view reason) {
    if (!error.empty())
        error.append("; ");
    error.append(schema::field_name(f));
    if (row.column_labels != nullptr) {
        const auto& label = (*row.column_labels)[static_cast<std::size_t>(f)];
        if (!label.empty()) {
            error.append(" in ");
            error.append(label);
        }
    }
    error.append(": ");
    error.append(reason);
}

std::string quoted(std::string_view value) {
    std::string out = "'";
    // Keep messages one line and short even when a cell is a paragraph.
    out.append(value.substr(0, 60));
    if (value.size() > 60)
        out.append("...");
    out.push_back('\'');
    return out;
}
}  // namespace

bool RowValidator::validate(const read::RosterRow& row, Invite& invite, std::string& error) const {
    error.clear();
    if (row.error) {
        error = *row.error;
        return false;
    }

    const auto email = effective(row, Field::email);
    if (auto why = schema::check_email(email))
        add_problem(error, row, Field::email, *why);
    invite.email.assign(email);

    auto required_text = [&](Field f, std::string& slot) {
        const auto value = effective(row, f);
        if (value.empty())
            add_problem(error, row, f, "is required");
        if (fill_names_)
            slot.assign(value);
    };
    required_text(Field::first_name, invite.first_name);
    required_text(Field::last_name, invite.last_name);
    if (fill_names_) {
        invite.middle_name.assign(effective(row, Field::middle_name));
        invite.suffix1.assign(effective(row, Field::suffix1));
        invite.suffix2.assign(effective(row, Field::suffix2));
    }

    const auto role_text = effective(row, Field::clinic_role);
    if (role_text.empty()) {
        add_problem(error, row, Field::clinic_role, "is required");
    } else if (auto role = roles_.find(role_text)) {
        invite.clinic_role = *role;
    } else {
        add_problem(error, row, Field::clinic_role,
                    quoted(role_text) +
                        " is not a clinic role (expected one of Radiologist, Physician, "
                        "Registered Nurse, ... or map it in the config's [values.clinicRole], or add "
                        "it to [schema] clinic-roles)");
    }

    const auto level = schema::parse_level(effective(row, Field::level));
    if (level.level) {
        invite.level = *level.level;
    } else {
        add_problem(error, row, Field::level, level.reason);
    }

    auto required_bool = [&](Field f, bool& slot) -> bool {
        const auto value = effective(row, f);
        if (value.empty()) {
            add_problem(error, row, f, "is required (true or false)");
            return false;
        }
        if (auto b = schema::parse_bool(value)) {
            slot = *b;
            return true;
        }
        add_problem(error, row, f, quoted(value) + " is not a boolean (use true/false, yes/no, y/n or 1/0)");
        return false;
    };
    required_bool(Field::can_manage_studies, invite.can_manage_studies);
    const bool dashboard_ok = required_bool(Field::has_dashboard_access, invite.has_dashboard_access);
    if (dashboard_ok && level.level == schema::Level::admin && !invite.has_dashboard_access) {
        add_problem(error, row, Field::has_dashboard_access, schema::admin_needs_dashboard_reason);
    }

    const auto phone = effective(row, Field::phone_number);
    if (phone.empty()) {
        invite.phone_number.clear();
    } else if (auto why = schema::normalize_phone_into(phone, invite.phone_number)) {
        invite.phone_number.clear();
        add_problem(error, row, Field::phone_number, *why);
    }
    return error.empty();
}

}  // namespace avara::validate
