#include "avara_onboard/sync/diff.hpp"

#include <algorithm>
#include <array>

#include "avara_onboard/util/text.hpp"

namespace avara::sync {

namespace {

constexpr std::array<std::string_view, 7> action_names = {"invite",    "update", "unchanged",    "reactivate",
                                                          "untouched", "revoke", "still_revoked"};

bool is_boolean(schema::Field f) noexcept {
    return f == schema::Field::can_manage_studies || f == schema::Field::has_dashboard_access;
}

bool is_clearable(schema::Field f) noexcept {
    return f == schema::Field::middle_name || f == schema::Field::suffix1 || f == schema::Field::suffix2 ||
           f == schema::Field::phone_number;
}

std::string roster_value(const validate::Invite& in, schema::Field f) {
    switch (f) {
        case schema::Field::first_name:
            return in.first_name;
        case schema::Field::last_name:
            return in.last_name;
        case schema::Field::middle_name:
            return in.middle_name;
        case schema::Field::suffix1:
            return in.suffix1;
        case schema::Field::suffix2:
            return in.suffix2;
        case schema::Field::clinic_role:
            return std::string(in.clinic_role);
        case schema::Field::level:
            return std::string(schema::level_name(in.level));
        case schema::Field::can_manage_studies:
            return in.can_manage_studies ? "true" : "false";
        case schema::Field::has_dashboard_access:
            return in.has_dashboard_access ? "true" : "false";
        case schema::Field::phone_number:
            return in.phone_number;
        case schema::Field::email:
            break;
    }
    return in.email;
}

bool same_value(schema::Field f, const std::string& roster, const std::string& server) {
    // Role names are one vocabulary whatever their case; everything else compares exactly
    // (a name's case is a real change: "Mcdonald" -> "McDonald").
    if (f == schema::Field::clinic_role)
        return text::iequals(roster, server);
    return roster == server;
}

std::string_view shown(const std::string& value) {
    return value.empty() ? std::string_view("(none)") : std::string_view(value);
}

void append_changes(std::string& out, const std::vector<FieldChange>& changes) {
    for (std::size_t i = 0; i < changes.size(); ++i) {
        if (i)
            out += "; ";
        out += schema::field_name(changes[i].field);
        out += ": ";
        out += shown(changes[i].from);
        out += " -> ";
        out += shown(changes[i].to);
    }
}

}  // namespace

std::optional<std::string> Scope::excluded(const DirectoryUser& user) const {
    if (user.level() == UserLevel::owner)
        return std::string("an owner: sync never changes owners");
    if (sources == Sources::api_only && user.source() == Source::dashboard)
        return std::string("created in the dashboard: outside [sync] scope = \"api\"");
    const auto email = user.email();
    if (std::find(keep_emails.begin(), keep_emails.end(), email) != keep_emails.end())
        return std::string("named in [sync] keep");
    const auto at = email.rfind('@');
    const auto domain = at == std::string_view::npos ? std::string_view() : email.substr(at + 1);
    if (std::find(keep_domains.begin(), keep_domains.end(), domain) != keep_domains.end())
        return "matched by [sync] keep \"*@" + std::string(domain) + "\"";
    return std::nullopt;
}

Result<Scope> make_scope(std::string_view scope_text, const std::vector<std::string>& keep) {
    Scope scope;
    if (scope_text == "all") {
        scope.sources = Scope::Sources::all;
    } else if (!scope_text.empty() && scope_text != "api") {
        return make_error(ErrorKind::config,
                          "[sync] scope = \"" + std::string(scope_text) + "\": expected \"api\" or \"all\"");
    }
    for (const auto& pattern : keep) {
        const std::string p = text::to_lower(text::trim(pattern));
        const auto bad = [&pattern](const std::string& why) {
            return make_error(ErrorKind::config, "[sync] keep \"" + pattern + "\": " + why +
                                                     " (expected an email, or *@domain for a whole domain)");
        };
        if (p.starts_with("*@")) {
            const auto domain = p.substr(2);
            if (domain.empty() || domain.find_first_of("@* ") != std::string::npos)
                return bad("not a domain");
            scope.keep_domains.push_back(domain);
        } else if (p.find('*') != std::string::npos) {
            return bad("only a leading *@ is a pattern");
        } else if (auto reason = schema::check_email(p)) {
            return bad("the email " + *reason);
        } else {
            scope.keep_emails.push_back(p);
        }
    }
    return scope;
}

std::string_view action_name(Action a) noexcept {
    return action_names[static_cast<std::size_t>(a)];
}

std::optional<Action> action_from_name(std::string_view name) noexcept {
    for (std::size_t i = 0; i < action_names.size(); ++i) {
        if (action_names[i] == name)
            return static_cast<Action>(i);
    }
    return std::nullopt;
}

std::vector<FieldChange> compare(const validate::Invite& roster, const DirectoryUser& server) {
    std::vector<FieldChange> changes;
    for (schema::Field f : compared_fields) {
        std::string want = roster_value(roster, f);
        std::string have = server.value(f);
        if (!same_value(f, want, have))
            changes.push_back({f, std::move(have), std::move(want)});
    }
    return changes;
}

Diff::Diff(const Directory& directory, Scope scope, const std::vector<std::string>& previously_revoked)
    : directory_(directory), scope_(std::move(scope)), present_(directory.size(), false) {
    revoked_.reserve(previously_revoked.size());
    for (const auto& e : previously_revoked)
        revoked_.push_back(text::to_lower(e));
    std::sort(revoked_.begin(), revoked_.end());
    for (const auto& u : directory_.users())
        in_scope_ += !scope_.excluded(u).has_value();
}

bool Diff::was_revoked(std::string_view email) const {
    return std::binary_search(revoked_.begin(), revoked_.end(), email);
}

std::size_t Diff::index_of(const DirectoryUser& user) const {
    return static_cast<std::size_t>(&user - directory_.users().data());
}

RowDecision Diff::valid_row(const validate::Invite& invite) {
    RowDecision d;
    const DirectoryUser* user = directory_.find(invite.email);
    if (!user) {
        ++counts_.invite;
        return d;  // invite
    }
    present_[index_of(*user)] = true;
    d.user_id = user->user_id();
    d.fingerprint = user->fingerprint();
    if (auto why = scope_.excluded(*user)) {
        d.action = Action::untouched;
        d.reason = std::move(*why);
        ++counts_.untouched;
        return d;
    }
    d.changes = compare(invite, *user);
    if (was_revoked(user->email())) {
        d.action = Action::reactivate;
        ++counts_.reactivate;
    } else if (!d.changes.empty()) {
        d.action = Action::update;
        ++counts_.update;
    } else {
        d.action = Action::unchanged;
        ++counts_.unchanged;
    }
    return d;
}

void Diff::other_row(std::string_view email) {
    if (const DirectoryUser* user = directory_.find(text::trim(email)))
        present_[index_of(*user)] = true;
}

std::vector<MissingUser> Diff::missing() const {
    std::vector<MissingUser> out;
    const auto& users = directory_.users();
    for (std::size_t i = 0; i < users.size(); ++i) {
        if (present_[i] || scope_.excluded(users[i]))
            continue;
        MissingUser m;
        m.email = std::string(users[i].email());
        m.action = was_revoked(m.email) ? Action::still_revoked : Action::revoke;
        m.user_id = users[i].user_id();
        m.fingerprint = users[i].fingerprint();
        out.push_back(std::move(m));
    }
    return out;
}

DiffCounts Diff::counts() const {
    DiffCounts c = counts_;
    for (const auto& m : missing())
        ++(m.action == Action::revoke ? c.revoke : c.still_revoked);
    return c;
}

std::string patch_body(const std::vector<FieldChange>& changes) {
    std::string out = "{";
    for (const auto& c : changes) {
        if (out.size() > 1)
            out.push_back(',');
        text::append_json_string(out, schema::field_name(c.field));
        out.push_back(':');
        if (is_boolean(c.field)) {
            out += c.to == "true" ? "true" : "false";
        } else if (c.to.empty() && is_clearable(c.field)) {
            out += "null";
        } else {
            text::append_json_string(out, c.to);
        }
    }
    out.push_back('}');
    return out;
}

std::string plan_line(Action action, std::string_view email, const std::vector<FieldChange>& changes) {
    std::string out;
    switch (action) {
        case Action::invite:
            return "+ invite " + std::string(email);
        case Action::update:
            out = "~ update " + std::string(email) + ": ";
            append_changes(out, changes);
            return out;
        case Action::reactivate:
            out = "^ reactivate " + std::string(email);
            if (!changes.empty()) {
                out += " (then ";
                append_changes(out, changes);
                out.push_back(')');
            }
            return out;
        case Action::revoke:
            return "- revoke " + std::string(email);
        case Action::unchanged:
        case Action::untouched:
        case Action::still_revoked:
            break;
    }
    return out;
}

}  // namespace avara::sync
