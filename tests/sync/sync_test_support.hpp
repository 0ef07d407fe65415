#pragma once
// Builders shared by the sync tests: a listed user and a valid roster row with sensible defaults.
#include <string>
#include <vector>

#include "avara_onboard/sync/directory_user.hpp"
#include "avara_onboard/validate/validator.hpp"

namespace avara::sync::testing {

inline DirectoryUser::Listed listed(std::string_view email, std::string_view id) {
    DirectoryUser::Listed l;
    l.email = email;
    l.user_id = id;
    l.first_name = "Ada";
    l.last_name = "Lovelace";
    l.clinic_role = "Radiologist";
    l.level = UserLevel::member;
    l.source = Source::api;
    l.can_manage_studies = true;
    l.has_dashboard_access = true;
    return l;
}

inline DirectoryUser user(const DirectoryUser::Listed& l) {
    return DirectoryUser::make(l).value();
}

inline validate::Invite row(std::string email) {
    validate::Invite in;
    in.email = std::move(email);
    in.first_name = "Ada";
    in.last_name = "Lovelace";
    in.clinic_role = "Radiologist";
    in.level = schema::Level::member;
    in.can_manage_studies = true;
    in.has_dashboard_access = true;
    return in;
}

// "usr_" + 32 hex digits ending in `n`.
inline std::string id(int n) {
    std::string digits = std::to_string(n);
    return "usr_" + std::string(32 - digits.size(), '0') + digits;
}

inline Directory directory_of(std::vector<DirectoryUser> users) {
    Directory d;
    d.add(std::move(users));
    REQUIRE(d.finish().has_value());
    return d;
}

}  // namespace avara::sync::testing
