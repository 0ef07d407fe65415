#pragma once
// One user of the mock's directory, as the tests of its JSON and its PATCH rules start from.
#include <string>

#include "avara_onboard/mock/user_record.hpp"

namespace avara::test {

inline mock::UserRecord sample_user(std::string level) {
    mock::UserRecord u;
    u.id = "usr_0123456789abcdef0123456789abcdef";
    u.email = "ada@example.org";
    u.first_name = "Ada";
    u.last_name = "Lovelace";
    u.clinic_role = "Radiologist";
    u.level = std::move(level);
    return u;
}

}  // namespace avara::test
