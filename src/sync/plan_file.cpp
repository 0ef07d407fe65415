#include "avara_onboard/sync/plan_file.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <fstream>
#include <sstream>

#include "avara_onboard/util/output_file.hpp"
#include "avara_onboard/util/text.hpp"

namespace avara::sync {

namespace {

namespace json = boost::json;

std::string hex64(std::uint64_t v) {
    char buf[17];
    const auto [end, ec] = std::to_chars(buf, buf + 16, v, 16);
    (void)ec;
    std::string digits(buf, end);
    return std::string(16 - digits.size(), '0') + digits;
}

std::optional<std::uint64_t> parse_hex64(std::string_view s) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (s.size() != 16 || ec != std::errc{} || end != s.data() + s.size())
        return std::nullopt;
    return v;
}

std::optional<schema::Field> field_from_name(std::string_view name) {
    for (schema::Field f : compared_fields) {
        if (schema::field_name(f) == name)
            return f;
    }
    return std::nullopt;
}

std::string_view trimmed_url(std::string_view url) {
    while (url.ends_with('/'))
        url.remove_suffix(1);
    return url;
}

json::object change_to_json(const PlannedChange& c) {
    json::object o;
    o["action"] = action_name(c.action);
    o["email"] = c.email;
    if (c.row) {
        o["row"] = c.row;
        o["line"] = c.line;
    }
    if (c.action == Action::invite) {
        boost::system::error_code ec;
        json::value body = json::parse(c.invite_body, ec);
        o["body"] = ec ? json::value(c.invite_body) : std::move(body);  // (not JSON: refused on reading)
        return o;
    }
    o["userId"] = c.user_id;
    o["fingerprint"] = hex64(c.fingerprint);
    if (!c.changes.empty()) {
        json::array changes;
        for (const auto& f : c.changes)
            changes.push_back(
                json::object{{"field", schema::field_name(f.field)}, {"from", f.from}, {"to", f.to}});
        o["changes"] = std::move(changes);
    }
    return o;
}

Result<std::vector<FieldChange>> changes_from_json(const json::value* v) {
    std::vector<FieldChange> out;
    if (!v)
        return out;
    if (!v->is_array())
        return make_error(ErrorKind::input, "\"changes\" is not an array");
    for (const auto& item : v->get_array()) {
        const auto* o = item.if_object();
        const auto* field = o ? o->if_contains("field") : nullptr;
        const auto* from = o ? o->if_contains("from") : nullptr;
        const auto* to = o ? o->if_contains("to") : nullptr;
        if (!field || !field->is_string() || !from || !from->is_string() || !to || !to->is_string())
            return make_error(ErrorKind::input, "a field change lacks its field, from or to");
        const auto f = field_from_name(field->get_string());
        if (!f)
            return make_error(ErrorKind::input,
                              "the field " + std::string(field->get_string()) + " cannot change");
        out.push_back({*f, std::string(from->get_string()), std::string(to->get_string())});
    }
    return out;
}

std::uint64_t count_member(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v && v->is_uint64())
        return v->get_uint64();
    if (v && v->is_int64() && v->get_int64() > 0)
        return static_cast<std::uint64_t>(v->get_int64());
    return 0;
}

std::string text_member(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

Result<PlannedChange> change_from_json(const json::value& v, std::size_t position) {
    const auto bad = [position](const std::string& why) {
        return make_error(ErrorKind::input, "change " + std::to_string(position) + ": " + why);
    };
    const auto* o = v.if_object();
    if (!o)
        return bad("not a JSON object");
    PlannedChange c;
    const auto* action = o->if_contains("action");
    const auto parsed = action && action->is_string() ? action_from_name(action->get_string()) : std::nullopt;
    if (!parsed || *parsed == Action::unchanged || *parsed == Action::untouched ||
        *parsed == Action::still_revoked)
        return bad("no action invite, update, reactivate or revoke");
    c.action = *parsed;
    const auto* email = o->if_contains("email");
    if (!email || !email->is_string() || email->get_string().empty())
        return bad("no email");
    c.email = email->get_string();
    c.row = count_member(*o, "row");
    c.line = count_member(*o, "line");
    if (c.action == Action::invite) {
        const auto* body = o->if_contains("body");
        if (!body || !body->is_object())
            return bad("an invite without its body");
        c.invite_body = json::serialize(*body);
        return c;
    }
    const auto* id = o->if_contains("userId");
    const auto* fp = o->if_contains("fingerprint");
    const auto fingerprint = fp && fp->is_string() ? parse_hex64(fp->get_string()) : std::nullopt;
    if (!id || !id->is_string() || id->get_string().empty() || !fingerprint)
        return bad("no userId or fingerprint for " + c.email);
    c.user_id = id->get_string();
    c.fingerprint = *fingerprint;
    auto changes = changes_from_json(o->if_contains("changes"));
    if (!changes)
        return bad(changes.error().message);
    c.changes = std::move(*changes);
    if (c.action == Action::update && c.changes.empty())
        return bad("an update without changes");
    return c;
}

}  // namespace

std::optional<PlannedChange> planned_change(const RowDecision& d, const validate::Invite& invite,
                                            std::uint64_t row, std::uint64_t line) {
    if (d.action == Action::unchanged || d.action == Action::untouched)
        return std::nullopt;
    PlannedChange c;
    c.action = d.action;
    c.email = invite.email;
    c.row = row;
    c.line = line;
    if (d.action == Action::invite) {
        c.invite_body = invite.to_json();
        return c;
    }
    c.user_id = d.user_id;
    c.fingerprint = d.fingerprint;
    c.changes = d.changes;
    return c;
}

std::optional<PlannedChange> planned_change(const MissingUser& m) {
    if (m.action != Action::revoke)
        return std::nullopt;
    PlannedChange c;
    c.action = Action::revoke;
    c.email = m.email;
    c.user_id = m.user_id;
    c.fingerprint = m.fingerprint;
    return c;
}

DiffCounts Plan::counts() const {
    DiffCounts c;
    for (const auto& change : changes) {
        switch (change.action) {
            case Action::invite:
                ++c.invite;
                break;
            case Action::update:
                ++c.update;
                break;
            case Action::reactivate:
                ++c.reactivate;
                break;
            case Action::revoke:
                ++c.revoke;
                break;
            default:
                break;
        }
    }
    return c;
}

std::string plan_to_json(const Plan& plan) {
    const auto c = plan.counts();
    json::object o;
    o["version"] = plan_version;
    o["baseUrl"] = plan.base_url;
    o["createdAt"] = plan.created_at;
    o["roster"] = plan.roster;
    o["counts"] = json::object{
        {"invite", c.invite}, {"update", c.update}, {"reactivate", c.reactivate}, {"revoke", c.revoke}};
    json::array changes;
    changes.reserve(plan.changes.size());
    for (const auto& change : plan.changes)
        changes.push_back(change_to_json(change));
    o["changes"] = std::move(changes);
    return json::serialize(o) + "\n";
}

Result<Plan> plan_from_json(std::string_view text) {
    boost::system::error_code ec;
    const json::value doc = json::parse(text, ec);
    if (ec)
        return make_error(ErrorKind::input, "not a plan: not JSON (" + ec.message() + ")");
    const auto* o = doc.if_object();
    const auto* version = o ? o->if_contains("version") : nullptr;
    if (!version || !version->is_int64() || version->get_int64() != plan_version)
        return make_error(ErrorKind::input, "not a plan of this version of avara-onboard (version 1)");
    Plan plan;
    plan.base_url = text_member(*o, "baseUrl");
    plan.created_at = text_member(*o, "createdAt");
    plan.roster = text_member(*o, "roster");
    if (plan.base_url.empty())
        return make_error(ErrorKind::input, "the plan has no baseUrl");
    const auto* changes = o->if_contains("changes");
    if (!changes || !changes->is_array())
        return make_error(ErrorKind::input, "the plan has no \"changes\" array");
    std::size_t position = 0;
    for (const auto& v : changes->get_array()) {
        auto change = change_from_json(v, ++position);
        if (!change)
            return change.error();
        plan.changes.push_back(std::move(*change));
    }
    return plan;
}

Result<void> write_plan_file(const std::string& path, const Plan& plan) {
    return write_private_file(path, plan_to_json(plan));
}

Result<Plan> read_plan_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    if (in)
        content << in.rdbuf();
    if (!in)
        return make_error(ErrorKind::input, "--apply " + path + ": cannot read the file");
    auto plan = plan_from_json(content.str());
    if (!plan)
        return make_error(ErrorKind::input, "--apply " + path + ": " + plan.error().message);
    return plan;
}

Result<void> check_plan_is_current(const Plan& plan, std::string_view base_url, const Directory& now) {
    if (trimmed_url(plan.base_url) != trimmed_url(base_url)) {
        return make_error(ErrorKind::input, "the plan was made for " + plan.base_url + ", not " +
                                                std::string(base_url) + ": make a new plan with --plan");
    }
    std::size_t stale = 0;
    std::string named;
    for (const auto& c : plan.changes) {
        const DirectoryUser* user = now.find(c.email);
        const bool changed = c.action == Action::invite ? user != nullptr
                                                        : !user || user->user_id() != c.user_id ||
                                                              user->fingerprint() != c.fingerprint;
        if (!changed)
            continue;
        if (++stale <= 5)
            named += (named.empty() ? "" : ", ") + c.email;
    }
    if (stale == 0)
        return {};
    return make_error(ErrorKind::input,
                      "the plan is stale: " + std::to_string(stale) + " of its " +
                          std::to_string(plan.changes.size()) +
                          " changes touch users that changed on the server since it was made (" + named +
                          (stale > 5 ? ", ..." : "") +
                          "). Nothing was changed: make a new plan with --plan and review it.");
}

}  // namespace avara::sync
