#include "avara_onboard/schema/schema.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "avara_onboard/util/text.hpp"

using namespace avara::schema;

TEST_SUITE_BEGIN("schema");

TEST_CASE("schema::field_from_header accepts camelCase, snake_case and words in any case") {
    CHECK(field_from_header("firstName") == Field::first_name);
    CHECK(field_from_header("first_name") == Field::first_name);
    CHECK(field_from_header("First Name") == Field::first_name);
    CHECK(field_from_header("FIRSTNAME") == Field::first_name);
    CHECK(field_from_header("  Email ") == Field::email);
    CHECK(field_from_header("Has Dashboard Access") == Field::has_dashboard_access);
    CHECK(field_from_header("suffix1") == Field::suffix1);
    CHECK(field_from_header("Suffix 2") == Field::suffix2);
    CHECK(field_from_header("phone_number") == Field::phone_number);
    CHECK_FALSE(field_from_header("Department").has_value());
    CHECK_FALSE(field_from_header("").has_value());
}

TEST_CASE("schema::required fields are the contract's") {
    CHECK(is_required(Field::email));
    CHECK(is_required(Field::clinic_role));
    CHECK(is_required(Field::has_dashboard_access));
    CHECK_FALSE(is_required(Field::middle_name));
    CHECK_FALSE(is_required(Field::phone_number));
}

TEST_CASE("schema::parse_clinic_role accepts display names, constants and spaced constants") {
    CHECK(clinic_roles.size() == 62);
    CHECK(parse_clinic_role("Physician Assistant") == 9u);
    CHECK(parse_clinic_role("physician assistant") == 9u);
    CHECK(parse_clinic_role("PHYSICIAN_ASSISTANT") == 9u);
    CHECK(parse_clinic_role("PHYSICIAN ASSISTANT") == 9u);
    CHECK(parse_clinic_role("  pacs administrator ") == 15u);
    CHECK(parse_clinic_role("Other") == 20u);
    CHECK_FALSE(parse_clinic_role("RN").has_value());
    CHECK_FALSE(parse_clinic_role("").has_value());
    CHECK_FALSE(parse_clinic_role(std::string(200, 'a')).has_value());
    CHECK(clinic_role_from_display("Registered Nurse") == 11u);
    CHECK_FALSE(clinic_role_from_display("registered nurse").has_value());
}

TEST_CASE("schema::clinic_roles are the seed's 21 and the API's 41, with the enum-constant rule") {
    CHECK(clinic_roles[20].display == "Other");
    CHECK(clinic_roles[21].display == "Oncologist");
    CHECK(clinic_roles[61].display == "IT Support");
    for (const auto& role : clinic_roles) {
        CAPTURE(role.display);
        CHECK(clinic_role_constant(role.display) == role.constant);
        CHECK(parse_clinic_role(role.display) == clinic_role_from_display(role.display));
        CHECK(parse_clinic_role(role.constant) == clinic_role_from_display(role.display));
    }
    CHECK(clinic_role_constant("Pathologists' Assistant") == "PATHOLOGISTS_ASSISTANT");
    CHECK(clinic_role_constant("Speech-Language Pathologist") == "SPEECH_LANGUAGE_PATHOLOGIST");
    CHECK(parse_clinic_role("PATHOLOGISTS_ASSISTANT") == 50u);
    CHECK(parse_clinic_role("pathologists\xe2\x80\x99 assistant") == 50u);  // a typographic apostrophe
    CHECK(parse_clinic_role("speech language pathologist") == 56u);
    CHECK(parse_clinic_role("it administrator") == 60u);
    CHECK(clinic_role_from_display("Certified Registered Nurse Anesthetist") == 43u);
}

TEST_CASE("schema::ClinicRoleTable adds a config's names to the built-in roles") {
    const std::vector<std::string> extra = {"Chaplain", " Child Life Specialist ", "doctor", "Chaplain"};
    const ClinicRoleTable table(extra);
    CHECK(table.size() == 64);  // "doctor" and the second Chaplain are already there
    CHECK(table.find("CHAPLAIN") == std::string_view("Chaplain"));
    CHECK(table.find("child_life_specialist") == std::string_view("Child Life Specialist"));
    CHECK(table.find("Doctor") == std::string_view("Doctor"));
    CHECK(table.find("Oncologist") == std::string_view("Oncologist"));
    CHECK_FALSE(table.find("Wizard").has_value());
    CHECK_FALSE(table.find("").has_value());
    CHECK_FALSE(table.find(std::string(500, 'x')).has_value());
    const ClinicRoleTable builtin;
    CHECK(builtin.size() == 62);
    CHECK_FALSE(builtin.find("Chaplain").has_value());
}

TEST_CASE("schema::check_email") {
    CHECK_FALSE(check_email("a@b.co"));
    CHECK_FALSE(check_email("dr.johnson+x@hospital.org"));
    CHECK(check_email("") == std::string("is required"));
    CHECK(check_email("a@@b.co").has_value());
    CHECK(check_email("a@b@c.co").has_value());
    CHECK(check_email("@b.co").has_value());
    CHECK(check_email("a@bco").has_value());
    CHECK(check_email("a@b.").has_value());
    CHECK(check_email("a@.b").has_value());
    CHECK(check_email("a b@c.co") == std::string("must not contain spaces"));
    const std::string local(64, 'x');
    const std::string long_email = local + "@" + std::string(190, 'd') + ".org";  // 64 + 1 + 194 = 259
    CHECK(check_email(long_email).has_value());
    const std::string max_email = local + "@" + std::string(185, 'd') + ".org";  // 254
    CHECK(max_email.size() == 254);
    CHECK_FALSE(check_email(max_email));
}

TEST_CASE("schema::parse_level refuses owner with its own reason") {
    CHECK(parse_level("ADMIN").level == Level::admin);
    CHECK(parse_level(" member ").level == Level::member);
    auto owner = parse_level("Owner");
    CHECK_FALSE(owner.level);
    CHECK(owner.reason.find("owner cannot be invited") != std::string::npos);
    CHECK(parse_level("guest").reason == "must be admin or member");
    CHECK(level_from_wire("admin") == Level::admin);
    CHECK_FALSE(level_from_wire("Admin").has_value());
}

TEST_CASE("schema::parse_bool") {
    for (const char* t : {"true", "TRUE", "yes", "Y", "1"})
        CHECK(parse_bool(t) == true);
    for (const char* f : {"false", "No", "n", "0"})
        CHECK(parse_bool(f) == false);
    CHECK_FALSE(parse_bool("maybe").has_value());
    CHECK_FALSE(parse_bool("").has_value());
}

TEST_CASE("schema::normalize_phone") {
    CHECK(normalize_phone("+1 (555) 123-4567").digits == std::string("15551234567"));
    CHECK(normalize_phone("555.123.4567").digits == std::string("5551234567"));
    CHECK_FALSE(normalize_phone("555-1234").digits);
    CHECK_FALSE(normalize_phone("1234567890123456").digits);
    CHECK_FALSE(normalize_phone("++15551234567").digits);
    CHECK_FALSE(normalize_phone("555123456x").digits);
    CHECK_FALSE(normalize_phone("555+1234567").digits);
    CHECK(normalize_phone("555-1234").reason.find("10 to 15") != std::string::npos);
    CHECK_FALSE(check_wire_phone("5551234567"));
    CHECK(check_wire_phone("+15551234567").has_value());
}

TEST_CASE("schema::check_email names the first bad character and counts '@' across 16-byte blocks") {
    CHECK(check_email("a\x01 b@c.co") == std::string("must not contain control characters"));
    CHECK(check_email("a \x01b@c.co") == std::string("must not contain spaces"));
    CHECK(check_email("a@c.co\x7f") == std::string("must not contain control characters"));
    CHECK(check_email(std::string(20, 'x') + "@b.co\t") == std::string("must not contain spaces"));
    const std::string local(15, 'x');
    for (std::size_t pad = 0; pad < 40; ++pad) {
        const std::string p(pad, 'p');
        CAPTURE(pad);
        CHECK_FALSE(check_email(p + local + "@dom.org"));
        CHECK(check_email(p + local + "@dom@x.org") == std::string("must contain exactly one '@'"));
        CHECK(check_email(p + "@" + local + p + "@x.org") == std::string("must contain exactly one '@'"));
        CHECK(check_email(p + local + "dom.org") == std::string("must contain exactly one '@'"));
        CHECK(check_email("x" + p + "@" + local + std::string("\xC3\xA9.org")) == std::nullopt);
    }
}

TEST_CASE("schema::parse_level and parse_bool: words too long, or with odd bytes, are no spelling") {
    CHECK(parse_level("").reason == "is required");
    CHECK(parse_level("  ").reason == "is required");
    CHECK(parse_level("membership").reason == "must be admin or member");
    CHECK(parse_level(std::string("admin\0", 6)).reason == "must be admin or member");
    CHECK(parse_level("\tMeMbEr").level == Level::member);
    CHECK_FALSE(parse_bool("truetrue").has_value());
    CHECK_FALSE(parse_bool(std::string("y\0", 2)).has_value());
    CHECK_FALSE(parse_bool("yes please").has_value());
    CHECK(parse_bool(" False\t") == false);
    CHECK(parse_bool("YES") == true);
}

TEST_CASE("schema::trim_cell is the contract's trim") {
    for (const char* cell : {"", " ", "\t\t", " a ", "a", "\ta b\t ", "\n a\r"})
        CHECK(trim_cell(cell) == avara::text::trim(cell));
}

TEST_CASE("schema::normalize_phone_into reuses its buffer and says the same as normalize_phone") {
    std::string digits = "stale";
    CHECK_FALSE(normalize_phone_into("+1 (555) 123-4567", digits));
    CHECK(digits == "15551234567");
    for (const char* text : {"555-1234", "555123456x", "++15551234567", " 555.123.4567 ", "555+1234567"}) {
        CAPTURE(text);
        const auto reason = normalize_phone_into(text, digits);
        const auto expected = normalize_phone(text);
        CHECK(reason.has_value() == !expected.digits.has_value());
        if (reason)
            CHECK(*reason == expected.reason);
        else
            CHECK(digits == *expected.digits);
    }
}

TEST_CASE("schema::ClinicRoleTable: the usual spellings, found byte for byte, agree with folding") {
    const ClinicRoleTable builtin;
    for (const auto& role : clinic_roles) {
        std::string lower(role.display);
        for (char& c : lower)
            c = avara::text::ascii_lower(c);
        std::string spaced(role.constant);
        for (char& c : spaced)
            c = c == '_' ? ' ' : c;
        for (const std::string& spelling :
             {std::string(role.display), std::string(role.constant), lower, spaced, " " + lower + " ",
              avara::text::to_lower(role.constant)}) {
            CAPTURE(spelling);
            CHECK(builtin.find(spelling) == role.display);
        }
    }
    // A config name that folds like a built-in role is skipped: the built-in one is still found.
    const std::vector<std::string> extra = {"radiologist", "Chaplain"};
    const ClinicRoleTable table(extra);
    CHECK(table.find("radiologist") == std::string_view("Radiologist"));
    CHECK(table.find("CHAPLAIN") == std::string_view("Chaplain"));
    CHECK(table.find("chaplain") == std::string_view("Chaplain"));
    CHECK_FALSE(table.find("Chaplains").has_value());
}

TEST_SUITE_END();
