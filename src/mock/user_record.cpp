#include "avara_onboard/mock/user_record.hpp"

#include <array>
#include <charconv>
#include <ctime>

#include "avara_onboard/util/text.hpp"

namespace avara::mock {

namespace {

constexpr std::array<std::string_view, 4> status_names = {"sent", "accepted", "rejected", "revoked"};

void text_field(std::string& out, std::string_view name, std::string_view value) {
    out += ",\"";
    out += name;
    out += "\":";
    text::append_json_string(out, value);
}

void nullable_field(std::string& out, std::string_view name, const std::optional<std::string>& value) {
    if (value) {
        text_field(out, name, *value);
        return;
    }
    out += ",\"";
    out += name;
    out += "\":null";
}

void bool_field(std::string& out, std::string_view name, bool value) {
    out += ",\"";
    out += name;
    out += value ? "\":true" : "\":false";
}

void optional_fields(std::string& out, const UserRecord& u) {
    if (u.middle_name)
        text_field(out, "middleName", *u.middle_name);
    if (u.phone_number)
        text_field(out, "phoneNumber", *u.phone_number);
    if (u.suffix1)
        text_field(out, "suffix1", *u.suffix1);
    if (u.suffix2)
        text_field(out, "suffix2", *u.suffix2);
}

bool digits(std::string_view s, std::size_t at, std::size_t n, int& value) {
    if (at + n > s.size())
        return false;
    const auto [end, ec] = std::from_chars(s.data() + at, s.data() + at + n, value);
    return ec == std::errc{} && end == s.data() + at + n;
}

}  // namespace

std::string_view invitation_status_name(InvitationStatus s) noexcept {
    return status_names[static_cast<std::size_t>(s)];
}

std::optional<InvitationStatus> invitation_status_from(std::string_view name) noexcept {
    for (std::size_t i = 0; i < status_names.size(); ++i) {
        if (status_names[i] == name)
            return static_cast<InvitationStatus>(i);
    }
    return std::nullopt;
}

InvitationStatus UserRecord::invitation_status() const noexcept {
    // Accepted once the user has logged in; a pending invitation dies with revoked access, or when
    // it is revoked itself.
    if (last_login_at)
        return InvitationStatus::accepted;
    return revoked || invitation_revoked ? InvitationStatus::revoked : InvitationStatus::sent;
}

bool UserRecord::invitation_expired(std::int64_t now_unix) const noexcept {
    return created_unix + invitation_lifetime_s < now_unix;
}

void append_user_json(std::string& out, const UserRecord& u) {
    out += u.can_manage_studies ? "{\"canManageStudies\":true" : "{\"canManageStudies\":false";
    text_field(out, "clinicRole", u.clinic_role);
    nullable_field(out, "createdAt", u.created_at);
    text_field(out, "email", u.email);
    text_field(out, "firstName", u.first_name);
    bool_field(out, "hasDashboardAccess", u.has_dashboard_access);
    text_field(out, "invitedSource", u.invited_source);
    nullable_field(out, "lastLoginAt", u.last_login_at);
    text_field(out, "lastName", u.last_name);
    text_field(out, "level", u.level);
    text_field(out, "userId", u.id);
    optional_fields(out, u);
    out.push_back('}');
}

std::string user_json(const UserRecord& user) {
    std::string out;
    out.reserve(320);
    append_user_json(out, user);
    return out;
}

void append_invitation_json(std::string& out, const UserRecord& u, std::string_view clinic_id) {
    out += u.can_manage_studies ? "{\"canManageStudies\":true" : "{\"canManageStudies\":false";
    text_field(out, "clinicId", clinic_id);
    text_field(out, "clinicRole", u.clinic_role);
    nullable_field(out, "createdAt", u.created_at);
    text_field(out, "email", u.email);
    text_field(out, "expiry", format_rfc3339(u.created_unix + invitation_lifetime_s));
    text_field(out, "firstName", u.first_name);
    bool_field(out, "hasDashboardAccess", u.has_dashboard_access);
    text_field(out, "invitationId", u.invitation_id);
    text_field(out, "invitedSource", u.invited_source);
    out += ",\"inviterId\":null";
    text_field(out, "lastName", u.last_name);
    text_field(out, "level", u.level);
    text_field(out, "status", invitation_status_name(u.invitation_status()));
    text_field(out, "updatedAt", u.updated_at);
    text_field(out, "userId", u.id);
    out += ",\"invitedByApiKeyId\":null";
    optional_fields(out, u);
    out.push_back('}');
}

std::string format_rfc3339(std::int64_t unix_seconds) {
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf, n);
}

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
    std::tm tm{};
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(s, 0, 4, year) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
        !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, hour) || s[13] != ':' ||
        !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second)) {
        return std::nullopt;
    }
    std::size_t at = 19;
    if (s[at] == '.') {
        ++at;
        while (at < s.size() && s[at] >= '0' && s[at] <= '9')
            ++at;
    }
    std::int64_t offset = 0;
    const auto zone = s.substr(at);
    int oh = 0, om = 0;
    if (zone == "Z" || zone == "z") {
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && digits(zone, 1, 2, oh) &&
               zone[3] == ':' && digits(zone, 4, 2, om)) {
        offset = (zone[0] == '+' ? 1 : -1) * (std::int64_t{oh} * 3600 + std::int64_t{om} * 60);
    } else {
        return std::nullopt;
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return std::nullopt;
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

}  // namespace avara::mock
