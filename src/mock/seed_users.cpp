#include "avara_onboard/mock/seed_users.hpp"

#include <simdjson.h>

#include "avara_onboard/mock/patch_json.hpp"
#include "avara_onboard/schema/schema.hpp"

namespace avara::mock {

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// Reads one user object; returns the reason it is unusable ("level: must be ..."), or nothing.
class SeedReader {
  public:
    SeedReader(object o, UserRecord& u) : o_(o), u_(u) {}

    std::optional<std::string> read(std::int64_t now_unix) {
        text("email", u_.email, Need::required);
        if (!problem_ && schema::check_email(u_.email))
            problem_ = "email: " + *schema::check_email(u_.email);
        text("firstName", u_.first_name, Need::required);
        text("lastName", u_.last_name, Need::required);
        text("clinicRole", u_.clinic_role, Need::required);
        text("level", u_.level, Need::required);
        one_of("level", u_.level, {"owner", "admin", "member"});
        flag("canManageStudies", u_.can_manage_studies, Need::required);
        flag("hasDashboardAccess", u_.has_dashboard_access, Need::required);
        text("invitedSource", u_.invited_source, Need::required);
        one_of("invitedSource", u_.invited_source, {"dashboard", "api"});
        text("userId", u_.id, Need::optional);
        if (!problem_ && !u_.id.empty() && !is_user_id(u_.id))
            problem_ = "userId: must be usr_ followed by 32 hex digits";
        text("invitationId", u_.invitation_id, Need::optional);
        if (!problem_ && !u_.invitation_id.empty() && !is_invitation_id(u_.invitation_id))
            problem_ = "invitationId: must be inv_ followed by 32 hex digits";
        if (!problem_ && !u_.invitation_id.empty() && u_.level == "owner")
            problem_ = "invitationId: owners have no invitation";
        nullable("middleName", u_.middle_name);
        nullable("suffix1", u_.suffix1);
        nullable("suffix2", u_.suffix2);
        nullable("phoneNumber", u_.phone_number);
        nullable("lastLoginAt", u_.last_login_at);
        nullable("createdAt", u_.created_at);
        flag("revoked", u_.revoked, Need::optional);
        read_created_at(now_unix);
        return problem_;
    }

  private:
    enum class Need : std::uint8_t { required, optional };

    std::optional<element> get(const char* key) {
        element e;
        if (o_[key].get(e) || e.is_null())
            return std::nullopt;
        return e;
    }
    void text(const char* key, std::string& target, Need need) {
        if (problem_)
            return;
        const auto e = get(key);
        std::string_view s;
        if (!e) {
            if (need == Need::required)
                problem_ = std::string(key) + ": is required";
        } else if (e->get_string().get(s)) {
            problem_ = std::string(key) + ": must be a string";
        } else {
            target.assign(s);
        }
    }
    void nullable(const char* key, std::optional<std::string>& target) {
        std::string value;
        text(key, value, Need::optional);
        if (!problem_ && get(key))
            target = std::move(value);
    }
    void flag(const char* key, bool& target, Need need) {
        if (problem_)
            return;
        const auto e = get(key);
        if (!e) {
            if (need == Need::required)
                problem_ = std::string(key) + ": is required";
        } else if (e->get_bool().get(target)) {
            problem_ = std::string(key) + ": must be true or false";
        }
    }
    void one_of(const char* key, const std::string& value, std::initializer_list<std::string_view> allowed) {
        if (problem_)
            return;
        for (auto a : allowed) {
            if (value == a)
                return;
        }
        std::string message = std::string(key) + ": must be one of";
        for (auto a : allowed)
            message.append(" ").append(a);
        problem_ = message;
    }
    void read_created_at(std::int64_t now_unix) {
        if (problem_)
            return;
        if (!u_.created_at) {
            u_.created_at = format_rfc3339(now_unix);
            u_.created_unix = now_unix;
            return;
        }
        const auto t = parse_rfc3339(*u_.created_at);
        if (!t) {
            problem_ = "createdAt: must be an RFC 3339 time, like 2026-05-01T08:00:00Z";
            return;
        }
        u_.created_unix = *t;
    }

    object o_;
    UserRecord& u_;
    std::optional<std::string> problem_;
};

}  // namespace

Result<std::vector<UserRecord>> parse_seed_users(std::string_view json, std::int64_t now_unix) {
    simdjson::dom::parser parser;
    element doc;
    if (auto error = parser.parse(json.data(), json.size(), true).get(doc); error) {
        return make_error(ErrorKind::config,
                          std::string("not valid JSON: ") + simdjson::error_message(error));
    }
    simdjson::dom::array array;
    if (doc.get_array().get(array))
        return make_error(ErrorKind::config, "must be a JSON array of user objects");
    std::vector<UserRecord> users;
    users.reserve(array.size());
    std::size_t position = 0;
    for (element e : array) {
        ++position;
        object o;
        UserRecord u;
        std::optional<std::string> problem;
        if (e.get_object().get(o)) {
            problem = "must be a JSON object";
        } else {
            problem = SeedReader(o, u).read(now_unix);
        }
        if (problem) {
            const std::string who = u.email.empty() ? std::string() : " (" + u.email + ")";
            return make_error(ErrorKind::config, "user " + std::to_string(position) + who + ": " + *problem);
        }
        u.updated_at = *u.created_at;
        users.push_back(std::move(u));
    }
    return users;
}

}  // namespace avara::mock
