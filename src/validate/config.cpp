#include "avara_onboard/validate/config.hpp"

#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>

#include "avara_onboard/read/sniff.hpp"
#include "avara_onboard/util/text.hpp"

namespace avara::validate {

namespace {

std::string where(const std::string& source, const toml::node& node) {
    const auto& src = node.source();
    return source + ":" + std::to_string(src.begin.line);
}

Error config_error(std::string message) {
    return make_error(ErrorKind::config, std::move(message));
}

// `max-retries` and `max_retries` are both accepted: flags use hyphens, TOML users often write underscores.
std::string canonical_key(std::string_view key) {
    std::string out(key);
    for (char& c : out) {
        if (c == '_')
            c = '-';
    }
    return out;
}

std::string resolve_path(const std::string& base_dir, const std::string& value) {
    std::filesystem::path p(value);
    if (p.is_relative() && !base_dir.empty())
        p = std::filesystem::path(base_dir) / p;
    return p.lexically_normal().string();
}

// Defaults and value maps may be written as TOML booleans or numbers; the validator works on text.
std::optional<std::string> scalar_as_text(const toml::node& node) {
    if (auto s = node.value<std::string>())
        return *s;
    if (auto b = node.as_boolean())
        return b->get() ? "true" : "false";
    if (auto i = node.as_integer())
        return std::to_string(i->get());
    return std::nullopt;
}

Result<schema::Field> field_key(const std::string& source, std::string_view key, const toml::node& node,
                                std::string_view table) {
    if (auto f = schema::field_from_header(key))
        return *f;
    return config_error(where(source, node) + ": [" + std::string(table) + "] names '" + std::string(key) +
                        "', which is not a field of the invite schema");
}

std::optional<Error> want_delimiter(const toml::node& node, const std::string& at,
                                    std::optional<std::string>& slot) {
    auto v = node.value<std::string>();
    if (!v || !read::parse_delimiter(*v)) {
        return config_error(at + ": 'delimiter' must be one of \",\" \";\" \"tab\" \"|\"");
    }
    slot = *v;
    return std::nullopt;
}

// [schema] clinic-roles = ["Chaplain", ...]: role names the server accepts beyond the built-in ones.
std::optional<Error> read_schema_table(const std::string& source, const toml::table& table,
                                       RosterMapping& mapping) {
    for (auto&& [k, node] : table) {
        if (canonical_key(k.str()) != "clinic-roles") {
            return config_error(where(source, node) + ": unknown key '" + std::string(k.str()) +
                                "' in [schema] (only clinic-roles)");
        }
        const auto* names = node.as_array();
        if (names == nullptr)
            return config_error(where(source, node) + ": [schema] clinic-roles must be a list of names");
        for (auto&& name : *names) {
            auto v = name.value<std::string>();
            if (!v || text::trim(*v).empty() || v->size() > schema::ClinicRoleTable::max_name_bytes ||
                !text::is_valid_utf8(*v)) {
                return config_error(where(source, name) +
                                    ": [schema] clinic-roles entries must be non-empty names of at most " +
                                    std::to_string(schema::ClinicRoleTable::max_name_bytes) + " bytes");
            }
            mapping.extra_clinic_roles.emplace_back(text::trim(*v));
        }
    }
    return std::nullopt;
}

std::optional<Error> read_sync_table(const std::string& source, const toml::table& table, SyncSettings& out) {
    for (auto&& [k, node] : table) {
        const std::string key = canonical_key(k.str());
        const std::string at = where(source, node) + ": [sync] " + key;
        if (key == "scope" || key == "max-revoke") {
            auto v = node.is_integer()
                         ? std::optional<std::string>(std::to_string(*node.value<std::int64_t>()))
                         : node.value<std::string>();
            if (!v)
                return config_error(at + " must be a string");
            (key == "scope" ? out.scope : out.max_revoke) = *v;
        } else if (key == "revoke-missing") {
            auto v = node.value<bool>();
            if (!v)
                return config_error(at + " must be true or false");
            out.revoke_missing = *v;
        } else if (key == "keep") {
            const auto* list = node.as_array();
            if (list == nullptr)
                return config_error(at + " must be a list of emails and \"*@domain\" patterns");
            for (auto&& item : *list) {
                auto v = item.value<std::string>();
                if (!v)
                    return config_error(at + " entries must be strings");
                out.keep.push_back(*v);
            }
        } else {
            return config_error(where(source, node) + ": unknown key '" + std::string(k.str()) +
                                "' in [sync] (scope, keep, max-revoke, revoke-missing)");
        }
    }
    return std::nullopt;
}

// How a string setting's value is taken: as written, or as a path relative to the config file.
enum class Text { as_written, path };

template <class T>
using Slot = std::optional<T> RunSettings::*;

struct StringKey {
    std::string_view name;
    Slot<std::string> slot;
    Text text;
};
constexpr StringKey string_keys[] = {
    {"report", &RunSettings::report, Text::path},
    {"report-format", &RunSettings::report_format, Text::as_written},
    {"summary", &RunSettings::summary, Text::path},
    {"payloads", &RunSettings::payloads, Text::path},
    {"base-url", &RunSettings::base_url, Text::as_written},
    {"api-key-file", &RunSettings::api_key_file, Text::path},
    {"ca-file", &RunSettings::ca_file, Text::path},
    {"encoding", &RunSettings::encoding, Text::as_written},
    {"sheet", &RunSettings::sheet, Text::as_written},
    {"html-report", &RunSettings::html_report, Text::path},
    {"metrics-file", &RunSettings::metrics_file, Text::path},
    {"log-format", &RunSettings::log_format, Text::as_written},
};

template <class T>
struct ValueKey {
    std::string_view name;
    Slot<T> slot;
};
constexpr ValueKey<std::int64_t> whole_keys[] = {
    {"concurrency", &RunSettings::concurrency},
    {"max-retries", &RunSettings::max_retries},
};
constexpr ValueKey<double> number_keys[] = {
    {"rate", &RunSettings::rate},
    {"timeout", &RunSettings::timeout},
    {"max-wait", &RunSettings::max_wait},
};
constexpr ValueKey<bool> bool_keys[] = {
    {"allow-insecure-http", &RunSettings::allow_insecure_http},
    {"resume", &RunSettings::resume},
    {"verbose", &RunSettings::verbose},
    {"quiet", &RunSettings::quiet},
};

template <class Keys>
auto find_key(const Keys& keys, std::string_view name) -> decltype(&keys[0]) {
    for (const auto& k : keys) {
        if (k.name == name)
            return &k;
    }
    return nullptr;
}

// What read_setting() made of a key: `known` is false for a key that is none of the settings (the
// caller then checks the tables).
struct SettingRead {
    bool known = true;
    std::optional<Error> error;
};

// A number or boolean setting; false when the value has another type (a float for a whole number).
template <class T>
bool set_value(const ValueKey<T>& key, const toml::node& node, RunSettings& s) {
    const std::optional<T> v = node.value<T>();
    if (!v || (std::is_same_v<T, std::int64_t> && node.is_floating_point()))
        return false;
    s.*(key.slot) = *v;
    return true;
}

// One top-level key of the file (`key` with hyphens): its value into its slot in `s`.
SettingRead read_setting(const std::string& key, const toml::node& node, const std::string& at,
                         const std::string& base_dir, RunSettings& s) {
    const auto fail = [&](std::string_view what) {
        return SettingRead{true, config_error(at + ": '" + key + "' must be " + std::string(what))};
    };
    if (const StringKey* k = find_key(string_keys, key)) {
        auto v = node.value<std::string>();
        if (!v)
            return fail("a string");
        s.*(k->slot) = k->text == Text::path ? resolve_path(base_dir, *v) : *v;
        return {};
    }
    if (const auto* k = find_key(whole_keys, key))
        return set_value(*k, node, s) ? SettingRead{} : fail("a whole number");
    if (const auto* k = find_key(number_keys, key))
        return set_value(*k, node, s) ? SettingRead{} : fail("a number");
    if (const auto* k = find_key(bool_keys, key))
        return set_value(*k, node, s) ? SettingRead{} : fail("true or false");
    if (key == "delimiter")
        return {true, want_delimiter(node, at, s.delimiter)};
    return {false, std::nullopt};
}

// Every top-level key: a setting, or one of the tables (read afterwards).
std::optional<Error> read_top_level(const toml::table& root, const std::string& source,
                                    const std::string& base_dir, RunSettings& s) {
    for (auto&& [key_node, node] : root) {
        const std::string key = canonical_key(key_node.str());
        const std::string at = where(source, node);
        if (SettingRead read = read_setting(key, node, at, base_dir, s); read.known) {
            if (read.error)
                return read.error;
            continue;
        }
        if (key == "api-key") {
            return config_error(at +
                                ": an API key must not be stored in the config file; put it in a file "
                                "readable only by you and name it with api-key-file");
        }
        if (key == "columns" || key == "values" || key == "defaults" || key == "schema" || key == "sync") {
            if (!node.is_table())
                return config_error(at + ": '" + key + "' must be a table ([" + key + "])");
            continue;
        }
        return config_error(at + ": unknown key '" + std::string(key_node.str()) + "'");
    }
    return std::nullopt;
}

// Calls fn(field, key, node) for each key of [`name`] (or [`name`.KEY]), each of which must name a
// field of the invite schema.
template <class Fn>
std::optional<Error> for_each_field(const std::string& source, const toml::table& table,
                                    std::string_view name, const Fn& fn) {
    for (auto&& [k, node] : table) {
        auto field = field_key(source, k.str(), node, name);
        if (!field)
            return field.error();
        if (std::optional<Error> err = fn(static_cast<std::size_t>(*field), std::string(k.str()), node))
            return err;
    }
    return std::nullopt;
}

std::optional<Error> read_columns(const std::string& source, const toml::table& columns, RosterMapping& out) {
    return for_each_field(
        source, columns, "columns", [&](std::size_t field, const std::string& key, const toml::node& node) {
            auto header = node.value<std::string>();
            if (!header || text::trim(*header).empty()) {
                return std::optional(config_error(where(source, node) + ": [columns] " + key +
                                                  " must name a header (a non-empty string)"));
            }
            out.column_header[field] = std::string(text::trim(*header));
            return std::optional<Error>();
        });
}

std::optional<Error> read_values(const std::string& source, const toml::table& values, RosterMapping& out) {
    return for_each_field(
        source, values, "values", [&](std::size_t field, const std::string& key, const toml::node& node) {
            auto* table = node.as_table();
            if (!table) {
                return std::optional(config_error(where(source, node) + ": [values." + key +
                                                  "] must be a table of \"local value\" = \"schema value\""));
            }
            for (auto&& [local, target] : *table) {
                auto value = scalar_as_text(target);
                if (!value) {
                    return std::optional(config_error(where(source, target) + ": [values." + key + "] '" +
                                                      std::string(local.str()) + "' must map to a string"));
                }
                out.value_map[field].emplace_back(text::to_lower(text::trim(local.str())), *value);
            }
            return std::optional<Error>();
        });
}

std::optional<Error> read_defaults(const std::string& source, const toml::table& defaults,
                                   RosterMapping& out) {
    return for_each_field(
        source, defaults, "defaults", [&](std::size_t field, const std::string& key, const toml::node& node) {
            auto value = scalar_as_text(node);
            if (!value) {
                return std::optional(config_error(where(source, node) + ": [defaults] " + key +
                                                  " must be a string, a boolean or a number"));
            }
            out.defaults[field] = *value;
            return std::optional<Error>();
        });
}

}  // namespace

Result<Config> parse_config(std::string_view toml_text, const std::string& source,
                            const std::string& base_dir) {
    toml::table root;
    try {
        root = toml::parse(toml_text, source);
    } catch (const toml::parse_error& e) {
        return config_error(source + ":" + std::to_string(e.source().begin.line) + ": " +
                            std::string(e.description()));
    }

    Config cfg;
    if (auto err = read_top_level(root, source, base_dir, cfg.settings))
        return *err;
    std::optional<Error> err;
    if (auto* table = root["columns"].as_table(); table && !err)
        err = read_columns(source, *table, cfg.mapping);
    if (auto* table = root["values"].as_table(); table && !err)
        err = read_values(source, *table, cfg.mapping);
    if (auto* table = root["schema"].as_table(); table && !err)
        err = read_schema_table(source, *table, cfg.mapping);
    if (auto* table = root["sync"].as_table(); table && !err)
        err = read_sync_table(source, *table, cfg.sync);
    if (auto* table = root["defaults"].as_table(); table && !err)
        err = read_defaults(source, *table, cfg.mapping);
    if (err)
        return *err;
    return cfg;
}

Result<Config> load_config(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        return config_error("config " + path + ": is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return config_error("cannot open config file " + path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const auto base_dir = std::filesystem::path(path).parent_path().string();
    return parse_config(buffer.str(), path, base_dir);
}

}  // namespace avara::validate
