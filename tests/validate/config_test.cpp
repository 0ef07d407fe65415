#include "avara_onboard/validate/config.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <utility>

#include "test_files.hpp"

using namespace avara;
using namespace avara::validate;
using avara::schema::Field;

TEST_SUITE_BEGIN("validate");

TEST_CASE("validate::parse_config reads run options, columns, values and defaults") {
    const auto cfg = parse_config(R"(
concurrency = 4
rate = 2.5
max_retries = 3
max-wait = 60
report = "out/report.csv"
base-url = "https://example.test"
allow-insecure-http = false

[columns]
email = "Work Email"
clinicRole = "Job Title"

[values.clinicRole]
RN = "Registered Nurse"
"Front desk" = "Front Desk Operator"

[defaults]
level = "member"
canManageStudies = false
has_dashboard_access = true
)",
                                  "test.toml", "/etc/avara");
    REQUIRE(cfg.has_value());
    CHECK(cfg->settings.concurrency == 4);
    CHECK(cfg->settings.rate == doctest::Approx(2.5));
    CHECK(cfg->settings.max_retries == 3);
    CHECK(cfg->settings.max_wait == doctest::Approx(60));
    CHECK(cfg->settings.report == std::string("/etc/avara/out/report.csv"));
    CHECK(cfg->settings.base_url == std::string("https://example.test"));
    CHECK(cfg->settings.allow_insecure_http == false);
    CHECK(cfg->mapping.column_header[static_cast<std::size_t>(Field::email)] == std::string("Work Email"));
    CHECK(cfg->mapping.column_header[static_cast<std::size_t>(Field::clinic_role)] ==
          std::string("Job Title"));
    const auto& roles = cfg->mapping.value_map[static_cast<std::size_t>(Field::clinic_role)];
    REQUIRE(roles.size() == 2);
    const auto rn = std::find_if(roles.begin(), roles.end(), [](const auto& p) { return p.first == "rn"; });
    REQUIRE(rn != roles.end());
    CHECK(rn->second == "Registered Nurse");
    CHECK(cfg->mapping.default_for(Field::level) == std::string("member"));
    CHECK(cfg->mapping.default_for(Field::can_manage_studies) == std::string("false"));
    CHECK(cfg->mapping.default_for(Field::has_dashboard_access) == std::string("true"));
}

TEST_CASE("validate::parse_config names the line of a mistake") {
    SUBCASE("unknown key") {
        auto cfg = parse_config("concurency = 4\n", "c.toml", "");
        REQUIRE_FALSE(cfg.has_value());
        CHECK(cfg.error().kind == ErrorKind::config);
        CHECK(cfg.error().message == "c.toml:1: unknown key 'concurency'");
    }
    SUBCASE("wrong type") {
        auto cfg = parse_config("\nconcurrency = \"eight\"\n", "c.toml", "");
        REQUIRE_FALSE(cfg.has_value());
        CHECK(cfg.error().message == "c.toml:2: 'concurrency' must be a whole number");
    }
    SUBCASE("not a field") {
        auto cfg = parse_config("[columns]\ndepartment = \"Dept\"\n", "c.toml", "");
        REQUIRE_FALSE(cfg.has_value());
        CHECK(cfg.error().message.find("'department', which is not a field") != std::string::npos);
    }
    SUBCASE("TOML syntax") {
        auto cfg = parse_config("rate = = 3\n", "c.toml", "");
        REQUIRE_FALSE(cfg.has_value());
        CHECK(cfg.error().message.rfind("c.toml:1:", 0) == 0);
    }
    SUBCASE("an API key in the file is refused") {
        auto cfg = parse_config("api_key = \"sk-123\"\n", "c.toml", "");
        REQUIRE_FALSE(cfg.has_value());
        CHECK(cfg.error().message.find("api-key-file") != std::string::npos);
        CHECK(cfg.error().message.find("sk-123") == std::string::npos);
    }
}

TEST_CASE("validate::parse_config says what each kind of key and table must hold") {
    const std::pair<const char*, const char*> cases[] = {
        {"report = 3\n", "c.toml:1: 'report' must be a string"},
        {"concurrency = 2.5\n", "c.toml:1: 'concurrency' must be a whole number"},
        {"max_wait = \"long\"\n", "c.toml:1: 'max-wait' must be a number"},
        {"resume = \"yes\"\n", "c.toml:1: 'resume' must be true or false"},
        {"defaults = 3\n", "c.toml:1: 'defaults' must be a table ([defaults])"},
        {"[columns]\nemail = \" \"\n", "c.toml:2: [columns] email must name a header (a non-empty string)"},
        {"[values]\nlevel = \"member\"\n",
         "c.toml:2: [values.level] must be a table of \"local value\" = \"schema value\""},
        {"[values.level]\nboss = [1]\n", "c.toml:2: [values.level] 'boss' must map to a string"},
        {"[defaults]\nlevel = [1]\n", "c.toml:2: [defaults] level must be a string, a boolean or a number"},
    };
    for (const auto& [text, message] : cases) {
        CAPTURE(text);
        auto cfg = parse_config(text, "c.toml", "");
        REQUIRE_FALSE(cfg.has_value());
        CHECK(cfg.error().kind == ErrorKind::config);
        CHECK(cfg.error().message == message);
    }
}

TEST_CASE("validate::load_config reads a real file and resolves paths beside it") {
    TempDir dir;
    const auto path = dir.write("c.toml", "summary = \"s.json\"\n");
    auto cfg = load_config(path);
    REQUIRE(cfg.has_value());
    CHECK(cfg->settings.summary == dir.file("s.json"));
    auto missing = load_config(dir.file("nope.toml"));
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().kind == ErrorKind::config);
}

TEST_SUITE_END();

TEST_CASE("validate::parse_config reads how to read the roster and [schema] clinic-roles") {
    const auto cfg = parse_config(R"(
delimiter = "tab"
encoding = "windows-1252"
sheet = "Staff"

[schema]
clinic-roles = ["Chaplain", "  Child Life Specialist "]
)",
                                  "c.toml", "");
    REQUIRE(cfg.has_value());
    CHECK(cfg->settings.delimiter == std::string("tab"));
    CHECK(cfg->settings.encoding == std::string("windows-1252"));
    CHECK(cfg->settings.sheet == std::string("Staff"));
    CHECK(cfg->mapping.extra_clinic_roles == std::vector<std::string>{"Chaplain", "Child Life Specialist"});

    auto bad_delimiter = parse_config("delimiter = \":\"\n", "c.toml", "");
    REQUIRE_FALSE(bad_delimiter.has_value());
    CHECK(bad_delimiter.error().message == "c.toml:1: 'delimiter' must be one of \",\" \";\" \"tab\" \"|\"");
    auto bad_roles = parse_config("[schema]\nclinic-roles = \"Chaplain\"\n", "c.toml", "");
    REQUIRE_FALSE(bad_roles.has_value());
    CHECK(bad_roles.error().message == "c.toml:2: [schema] clinic-roles must be a list of names");
    auto empty_role = parse_config("[schema]\nclinic_roles = [\"\"]\n", "c.toml", "");
    REQUIRE_FALSE(empty_role.has_value());
    CHECK(empty_role.error().message.find("c.toml:2: [schema] clinic-roles entries must be non-empty") == 0);
    auto unknown = parse_config("[schema]\nroles = []\n", "c.toml", "");
    REQUIRE_FALSE(unknown.has_value());
    CHECK(unknown.error().message == "c.toml:2: unknown key 'roles' in [schema] (only clinic-roles)");
}
