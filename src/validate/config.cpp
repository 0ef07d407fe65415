#include "avara_onboard/validate/config.hpp"

#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

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
    auto& s = cfg.settings;
    for (auto&& entry : root) {
        const auto& key_node = entry.first;
        auto& node = entry.second;
        const std::string key = canonical_key(key_node.str());
        const std::string at = where(source, node);
        auto want_string = [&](std::optional<std::string>& slot, bool is_path) -> std::optional<Error> {
            auto v = node.value<std::string>();
            if (!v)
                return config_error(at + ": '" + key + "' must be a string");
            slot = is_path ? resolve_path(base_dir, *v) : *v;
            return std::nullopt;
        };
        auto want_int = [&](std::optional<std::int64_t>& slot) -> std::optional<Error> {
            auto v = node.value<std::int64_t>();
            if (!v || node.is_floating_point())
                return config_error(at + ": '" + key + "' must be a whole number");
            slot = *v;
            return std::nullopt;
        };
        auto want_number = [&](std::optional<double>& slot) -> std::optional<Error> {
            auto v = node.value<double>();
            if (!v)
                return config_error(at + ": '" + key + "' must be a number");
            slot = *v;
            return std::nullopt;
        };
        auto want_bool = [&](std::optional<bool>& slot) -> std::optional<Error> {
            auto v = node.value<bool>();
            if (!v)
                return config_error(at + ": '" + key + "' must be true or false");
            slot = *v;
            return std::nullopt;
        };

        std::optional<Error> err;
        if (key == "report")
            err = want_string(s.report, true);
        else if (key == "report-format")
            err = want_string(s.report_format, false);
        else if (key == "summary")
            err = want_string(s.summary, true);
        else if (key == "payloads")
            err = want_string(s.payloads, true);
        else if (key == "base-url")
            err = want_string(s.base_url, false);
        else if (key == "api-key-file")
            err = want_string(s.api_key_file, true);
        else if (key == "ca-file")
            err = want_string(s.ca_file, true);
        else if (key == "delimiter")
            err = want_delimiter(node, at, s.delimiter);
        else if (key == "encoding")
            err = want_string(s.encoding, false);
        else if (key == "sheet")
            err = want_string(s.sheet, false);
        else if (key == "html-report")
            err = want_string(s.html_report, true);
        else if (key == "metrics-file")
            err = want_string(s.metrics_file, true);
        else if (key == "log-format")
            err = want_string(s.log_format, false);
        else if (key == "concurrency")
            err = want_int(s.concurrency);
        else if (key == "max-retries")
            err = want_int(s.max_retries);
        else if (key == "rate")
            err = want_number(s.rate);
        else if (key == "timeout")
            err = want_number(s.timeout);
        else if (key == "max-wait")
            err = want_number(s.max_wait);
        else if (key == "allow-insecure-http")
            err = want_bool(s.allow_insecure_http);
        else if (key == "resume")
            err = want_bool(s.resume);
        else if (key == "verbose")
            err = want_bool(s.verbose);
        else if (key == "quiet")
            err = want_bool(s.quiet);
        else if (key == "api-key") {
            err = config_error(at +
                               ": an API key must not be stored in the config file; put it in a file "
                               "readable only by you and name it with api-key-file");
        } else if (key == "columns" || key == "values" || key == "defaults" || key == "schema" ||
                   key == "sync") {
            if (!node.is_table())
                err = config_error(at + ": '" + key + "' must be a table ([" + key + "])");
        } else {
            err = config_error(at + ": unknown key '" + std::string(key_node.str()) + "'");
        }
        if (err)
            return *err;
    }

    if (auto* columns = root["columns"].as_table()) {
        for (auto&& [k, node] : *columns) {
            auto field = field_key(source, k.str(), node, "columns");
            if (!field)
                return field.error();
            auto header = node.value<std::string>();
            if (!header || text::trim(*header).empty()) {
                return config_error(where(source, node) + ": [columns] " + std::string(k.str()) +
                                    " must name a header (a non-empty string)");
            }
            cfg.mapping.column_header[static_cast<std::size_t>(*field)] = std::string(text::trim(*header));
        }
    }
    if (auto* values = root["values"].as_table()) {
        for (auto&& [k, node] : *values) {
            auto field = field_key(source, k.str(), node, "values");
            if (!field)
                return field.error();
            auto* table = node.as_table();
            if (!table) {
                return config_error(where(source, node) + ": [values." + std::string(k.str()) +
                                    "] must be a table of \"local value\" = \"schema value\"");
            }
            auto& map = cfg.mapping.value_map[static_cast<std::size_t>(*field)];
            for (auto&& [local, target] : *table) {
                auto value = scalar_as_text(target);
                if (!value) {
                    return config_error(where(source, target) + ": [values." + std::string(k.str()) + "] '" +
                                        std::string(local.str()) + "' must map to a string");
                }
                map.emplace_back(text::to_lower(text::trim(local.str())), *value);
            }
        }
    }
    if (auto* table = root["schema"].as_table()) {
        if (auto err = read_schema_table(source, *table, cfg.mapping))
            return *err;
    }
    if (auto* table = root["sync"].as_table()) {
        if (auto err = read_sync_table(source, *table, cfg.sync))
            return *err;
    }
    if (auto* defaults = root["defaults"].as_table()) {
        for (auto&& [k, node] : *defaults) {
            auto field = field_key(source, k.str(), node, "defaults");
            if (!field)
                return field.error();
            auto value = scalar_as_text(node);
            if (!value) {
                return config_error(where(source, node) + ": [defaults] " + std::string(k.str()) +
                                    " must be a string, a boolean or a number");
            }
            cfg.mapping.defaults[static_cast<std::size_t>(*field)] = *value;
        }
    }
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
