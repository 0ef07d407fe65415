#include "avara_onboard/mock/invite_json.hpp"

#include <simdjson.h>

#include <array>

#include "avara_onboard/schema/schema.hpp"

namespace avara::mock {

namespace {

using schema::Field;

std::optional<Field> wire_field(std::string_view key) noexcept {
    for (Field f : schema::all_fields) {
        if (schema::field_name(f) == key)
            return f;
    }
    return std::nullopt;
}

std::size_t index_of(Field f) noexcept {
    return static_cast<std::size_t>(f);
}

bool is_boolean_field(Field f) noexcept {
    return f == Field::can_manage_studies || f == Field::has_dashboard_access;
}

// Per-field outcome while reading the object: the text or boolean seen, or why it is unusable.
struct Slot {
    bool present = false;  // a non-null value was given
    std::string text;
    bool flag = false;
    std::optional<std::string> reason;
};

using Slots = std::array<Slot, schema::field_count>;

// Each known field's value; unknown keys are ignored and the first of duplicate keys counts.
Slots read_slots(simdjson::dom::object object) {
    Slots slots{};
    std::array<bool, schema::field_count> seen{};
    for (auto [key, value] : object) {
        const auto field = wire_field(key);
        if (!field)
            continue;  // unknown fields are ignored, as the real API does
        const auto i = index_of(*field);
        if (seen[i])
            continue;  // the first of duplicate keys counts, as simdjson's at_key would
        seen[i] = true;
        Slot& slot = slots[i];
        if (value.is_null())
            continue;
        slot.present = true;
        if (is_boolean_field(*field)) {
            if (value.get_bool().get(slot.flag))
                slot.reason = "must be true or false";
        } else {
            std::string_view text;
            if (value.get_string().get(text)) {
                slot.reason = "must be a string";
            } else {
                slot.text.assign(text);
            }
        }
    }
    return slots;
}

// The schema's rule for one given value: why it is unusable, or nothing.
std::optional<std::string> value_problem(Field f, const Slot& slot) {
    switch (f) {
        case Field::email:
            return schema::check_email(slot.text);
        case Field::first_name:
        case Field::last_name:
            return schema::check_required_text(slot.text);
        case Field::middle_name:
        case Field::suffix1:
        case Field::suffix2:
            return schema::check_optional_text(slot.text);
        case Field::clinic_role:
            if (!schema::clinic_role_from_display(slot.text))
                return "must be one of the clinic role names, as displayed (like \"Registered Nurse\")";
            return std::nullopt;
        case Field::level:
            if (!schema::level_from_wire(slot.text)) {
                auto lenient = schema::parse_level(slot.text);
                return lenient.level ? std::string("must be \"admin\" or \"member\" (lowercase)")
                                     : std::move(lenient.reason);
            }
            return std::nullopt;
        case Field::phone_number:
            return schema::check_wire_phone(slot.text);
        case Field::can_manage_studies:
        case Field::has_dashboard_access:
            return std::nullopt;
    }
    return std::nullopt;
}

// Every field's reason, if it has one: missing, of the wrong type, against the schema, or an admin
// without dashboard access.
void check_slots(Slots& slots) {
    for (Field f : schema::all_fields) {
        Slot& slot = slots[index_of(f)];
        if (slot.reason)
            continue;
        if (!slot.present) {
            if (schema::is_required(f))
                slot.reason = "is required";
            continue;
        }
        slot.reason = value_problem(f, slot);
    }
    auto& dashboard = slots[index_of(Field::has_dashboard_access)];
    const auto& level = slots[index_of(Field::level)];
    if (!level.reason && !dashboard.reason && level.text == "admin" && !dashboard.flag)
        dashboard.reason = std::string(schema::admin_needs_dashboard_reason);
}

// The invite of slots that all passed check_slots().
WireInvite invite_of(Slots& slots) {
    auto take = [&](Field f) { return std::move(slots[index_of(f)].text); };
    auto take_optional = [&](Field f) -> std::optional<std::string> {
        if (!slots[index_of(f)].present)
            return std::nullopt;
        return take(f);
    };
    WireInvite invite;
    invite.email = take(Field::email);
    invite.first_name = take(Field::first_name);
    invite.last_name = take(Field::last_name);
    invite.clinic_role = take(Field::clinic_role);
    invite.level = take(Field::level);
    invite.middle_name = take_optional(Field::middle_name);
    invite.suffix1 = take_optional(Field::suffix1);
    invite.suffix2 = take_optional(Field::suffix2);
    invite.phone_number = take_optional(Field::phone_number);
    invite.can_manage_studies = slots[index_of(Field::can_manage_studies)].flag;
    invite.has_dashboard_access = slots[index_of(Field::has_dashboard_access)].flag;
    return invite;
}

}  // namespace

InviteCheck check_invite_json(std::string_view body) {
    InviteCheck out;
    // One parser per thread: its buffers are reused, so a request costs no allocation here.
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (auto error = parser.parse(body.data(), body.size(), true).get(doc); error) {
        out.malformed = std::string("request body is not valid JSON: ") + simdjson::error_message(error);
        return out;
    }
    simdjson::dom::object object;
    if (doc.get_object().get(object)) {
        out.malformed = "request body must be a JSON object";
        return out;
    }
    Slots slots = read_slots(object);
    const auto& email_slot = slots[index_of(Field::email)];
    if (email_slot.present && !email_slot.reason)
        out.email = email_slot.text;
    check_slots(slots);
    for (Field f : schema::all_fields) {
        auto& reason = slots[index_of(f)].reason;
        if (reason)
            out.errors.push_back({std::string(schema::field_name(f)), std::move(*reason)});
    }
    if (out.errors.empty())
        out.invite = invite_of(slots);
    return out;
}

}  // namespace avara::mock
