#pragma once
// The TOML config file: every `run` option as a key, plus the roster mapping tables
// ([columns], [values.FIELD], [defaults]). Flags override what is read here.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "avara_onboard/schema/schema.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::validate {

struct RosterMapping {
    // [columns]: the header in the file that holds a field, when it is not one of the standard spellings.
    std::array<std::optional<std::string>, schema::field_count> column_header;
    // [values.FIELD]: local vocabulary (matched case-insensitively after trimming) -> schema value.
    std::array<std::vector<std::pair<std::string, std::string>>, schema::field_count> value_map;
    // [defaults]: the value used when a field's cell is empty or its column is missing.
    std::array<std::optional<std::string>, schema::field_count> defaults;
    // [schema] clinic-roles: role names the server accepts beyond the built-in ones.
    std::vector<std::string> extra_clinic_roles;

    const std::optional<std::string>& default_for(schema::Field f) const {
        return defaults[static_cast<std::size_t>(f)];
    }
};

struct RunSettings {
    std::optional<std::string> report, report_format, summary, base_url, api_key_file, ca_file, payloads;
    std::optional<std::string> delimiter, encoding, sheet;             // how to read the roster
    std::optional<std::string> html_report, metrics_file, log_format;  // outputs beside the report
    std::optional<std::int64_t> concurrency, max_retries;
    std::optional<double> rate, timeout, max_wait;
    std::optional<bool> allow_insecure_http, resume, verbose, quiet;
};

// [sync]: what `sync` may change. scope = "api" (default) | "all"; keep = ["boss@x.org", "*@partner.org"];
// max-revoke = 25 | "5%"; revoke-missing = true.
struct SyncSettings {
    std::optional<std::string> scope, max_revoke;
    std::vector<std::string> keep;
    std::optional<bool> revoke_missing;
};

struct Config {
    RunSettings settings;
    RosterMapping mapping;
    SyncSettings sync;
};

// Relative paths in the file are resolved against the file's own folder, so a scheduled job behaves
// the same whatever its working directory. Unknown keys are errors (a typo must not silently change
// what a run does). Errors are ErrorKind::config and name the file, the key and the line.
Result<Config> load_config(const std::string& path);
Result<Config> parse_config(std::string_view toml_text, const std::string& source_name,
                            const std::string& base_dir);

}  // namespace avara::validate
