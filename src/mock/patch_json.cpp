#include "avara_onboard/mock/patch_json.hpp"

#include <simdjson.h>

#include "avara_onboard/schema/schema.hpp"

namespace avara::mock {

namespace {

using schema::Field;

// What a key held: nothing (absent), null, a string, a boolean, or the wrong type.
struct Value {
    enum class Kind : std::uint8_t { absent, null, text, flag, other } kind = Kind::absent;
    std::string text;
    bool flag = false;
};

Value read_value(simdjson::dom::element e) {
    Value v;
    std::string_view s;
    if (e.is_null()) {
        v.kind = Value::Kind::null;
    } else if (!e.get_string().get(s)) {
        v.kind = Value::Kind::text;
        v.text.assign(s);
    } else if (!e.get_bool().get(v.flag)) {
        v.kind = Value::Kind::flag;
    } else {
        v.kind = Value::Kind::other;
    }
    return v;
}

std::optional<simdjson::dom::object> parse_object(std::string_view body,
                                                  std::optional<std::string>& malformed) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (auto error = parser.parse(body.data(), body.size(), true).get(doc); error) {
        malformed = std::string("request body is not valid JSON: ") + simdjson::error_message(error);
        return std::nullopt;
    }
    simdjson::dom::object object;
    if (doc.get_object().get(object)) {
        malformed = "request body must be a JSON object";
        return std::nullopt;
    }
    return object;
}

// The first of duplicate keys counts, as in check_invite_json.
Value field_value(simdjson::dom::object object, Field f) {
    for (auto [key, value] : object) {
        if (key == schema::field_name(f))
            return read_value(value);
    }
    return {};
}

std::optional<std::string> check_text(Field f, const std::string& text) {
    switch (f) {
        case Field::first_name:
        case Field::last_name:
            return schema::check_required_text(text);
        case Field::middle_name:
        case Field::suffix1:
        case Field::suffix2:
            return schema::check_optional_text(text);
        case Field::phone_number:
            return schema::check_wire_phone(text);
        case Field::clinic_role:
            if (!schema::clinic_role_from_display(text))
                return std::string(
                    "must be one of the clinic role names, as displayed (like \"Registered Nurse\")");
            return std::nullopt;
        case Field::level:
            if (!schema::level_from_wire(text))
                return std::string("must be \"admin\" or \"member\" (lowercase)");
            return std::nullopt;
        default:
            return std::nullopt;
    }
}

bool is_nullable(Field f) noexcept {
    return f == Field::middle_name || f == Field::suffix1 || f == Field::suffix2 || f == Field::phone_number;
}

std::optional<std::optional<std::string>>* nullable_slot(UserPatch& p, Field f) {
    switch (f) {
        case Field::middle_name:
            return &p.middle_name;
        case Field::suffix1:
            return &p.suffix1;
        case Field::suffix2:
            return &p.suffix2;
        case Field::phone_number:
            return &p.phone_number;
        default:
            return nullptr;
    }
}

std::optional<std::string>* text_slot(UserPatch& p, Field f) {
    switch (f) {
        case Field::first_name:
            return &p.first_name;
        case Field::last_name:
            return &p.last_name;
        case Field::clinic_role:
            return &p.clinic_role;
        case Field::level:
            return &p.level;
        default:
            return nullptr;
    }
}

// One field of the body into the patch, or the reason it cannot go there.
std::optional<std::string> take_field(UserPatch& p, Field f, Value v) {
    const bool boolean = f == Field::can_manage_studies || f == Field::has_dashboard_access;
    if (v.kind == Value::Kind::null) {
        if (is_nullable(f)) {
            *nullable_slot(p, f) = std::optional<std::string>{};
            return std::nullopt;
        }
        if (f == Field::clinic_role)
            return std::nullopt;
        return std::string("must not be null");
    }
    if (boolean) {
        if (v.kind != Value::Kind::flag)
            return std::string("must be true or false");
        (f == Field::can_manage_studies ? p.can_manage_studies : p.has_dashboard_access) = v.flag;
        return std::nullopt;
    }
    if (v.kind != Value::Kind::text)
        return std::string("must be a string");
    if (auto reason = check_text(f, v.text))
        return reason;
    if (is_nullable(f)) {
        *nullable_slot(p, f) = std::optional<std::string>(std::move(v.text));
    } else {
        *text_slot(p, f) = std::move(v.text);
    }
    return std::nullopt;
}

// The API's ids: a 4-character prefix, then 32 lowercase hex digits.
bool is_prefixed_hex_id(std::string_view id, std::string_view prefix) noexcept {
    if (id.size() != prefix.size() + 32 || !id.starts_with(prefix))
        return false;
    for (char c : id.substr(prefix.size())) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

}  // namespace

PatchCheck check_patch_json(std::string_view body) {
    PatchCheck out;
    const auto object = parse_object(body, out.malformed);
    if (!object)
        return out;
    UserPatch patch;
    for (Field f : schema::all_fields) {
        Value v = field_value(*object, f);
        if (v.kind == Value::Kind::absent)
            continue;
        if (f == Field::email) {
            if (v.kind != Value::Kind::null)
                out.errors.push_back({"email", "cannot be changed through the API"});
            continue;
        }
        if (auto reason = take_field(patch, f, std::move(v)))
            out.errors.push_back({std::string(schema::field_name(f)), std::move(*reason)});
    }
    if (out.errors.empty())
        out.patch = std::move(patch);
    return out;
}

std::vector<FieldError> apply_patch(UserRecord& user, const UserPatch& p) {
    UserRecord next = user;
    auto set = [](auto& target, const auto& value) {
        if (value)
            target = *value;
    };
    set(next.first_name, p.first_name);
    set(next.last_name, p.last_name);
    set(next.clinic_role, p.clinic_role);
    set(next.level, p.level);
    set(next.middle_name, p.middle_name);
    set(next.suffix1, p.suffix1);
    set(next.suffix2, p.suffix2);
    set(next.phone_number, p.phone_number);
    set(next.can_manage_studies, p.can_manage_studies);
    set(next.has_dashboard_access, p.has_dashboard_access);
    if (next.level == "admin" && !next.has_dashboard_access)
        return {{"hasDashboardAccess", std::string(schema::admin_needs_dashboard_reason)}};
    user = std::move(next);
    return {};
}

UserRefCheck check_user_ref_json(std::string_view body) {
    UserRefCheck out;
    const auto object = parse_object(body, out.malformed);
    if (!object)
        return out;
    Value v;
    for (auto [key, value] : *object) {
        if (key == "userId") {
            v = read_value(value);
            break;
        }
    }
    if (v.kind == Value::Kind::absent || v.kind == Value::Kind::null) {
        out.errors.push_back({"userId", "is required"});
    } else if (v.kind != Value::Kind::text) {
        out.errors.push_back({"userId", "must be a string"});
    } else if (!is_user_id(v.text)) {
        out.errors.push_back({"userId", "must be usr_ followed by 32 hex digits"});
    } else {
        out.user_id = std::move(v.text);
    }
    return out;
}

InvitationRefCheck check_invitation_ref_json(std::string_view body) {
    InvitationRefCheck out;
    const auto object = parse_object(body, out.malformed);
    if (!object)
        return out;
    auto read_id = [&](std::string_view key, bool (*valid)(std::string_view) noexcept, const char* shape,
                       std::optional<std::string>& target) {
        for (auto [k, value] : *object) {
            if (k != key)
                continue;
            Value v = read_value(value);
            if (v.kind == Value::Kind::null)
                return;
            if (v.kind != Value::Kind::text || !valid(v.text)) {
                out.errors.push_back(
                    {std::string(key), std::string("must be ") + shape + " followed by 32 hex digits"});
            } else {
                target = std::move(v.text);
            }
            return;
        }
    };
    read_id("invitationId", is_invitation_id, "inv_", out.invitation_id);
    read_id("userId", is_user_id, "usr_", out.user_id);
    if (out.errors.empty() && !out.invitation_id && !out.user_id)
        out.errors.push_back({"invitationId", "or userId is required"});
    return out;
}

bool is_invitation_id(std::string_view id) noexcept {
    return is_prefixed_hex_id(id, "inv_");
}

bool is_user_id(std::string_view id) noexcept {
    return is_prefixed_hex_id(id, "usr_");
}

}  // namespace avara::mock
