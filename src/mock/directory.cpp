#include "avara_onboard/mock/directory.hpp"

#include "avara_onboard/util/text.hpp"

namespace avara::mock {

namespace {

constexpr std::string_view owner_refusal = "belongs to an owner: owners cannot be changed through the API";

Reply user_reply(int status, const UserRecord& user) {
    Reply r;
    r.status = status;
    r.body = user_json(user);
    return r;
}

Reply success_reply(std::string_view message) {
    Reply r;
    r.body = "{\"success\":true";
    if (!message.empty()) {
        r.body += ",\"message\":";
        text::append_json_string(r.body, message);
    }
    r.body.push_back('}');
    return r;
}

// The page's items, and the cursor of the first match after them, if any.
template <class Match, class Render>
std::string render_page(std::string_view key, std::size_t count, const Page& page, Match match,
                        Render render) {
    std::string body = "{\"";
    body += key;
    body += "\":[";
    std::size_t taken = 0;
    std::size_t next = count;
    for (std::size_t i = page.offset; i < count; ++i) {
        if (!match(i))
            continue;
        if (taken == page.limit) {
            next = i;
            break;
        }
        if (taken++)
            body.push_back(',');
        render(body, i);
    }
    if (next < count) {
        body += "],\"cursor\":\"" + encode_cursor(next) + "\",\"hasMore\":true}";
    } else {
        body += "],\"cursor\":null,\"hasMore\":false}";
    }
    return body;
}

Reply cursor_out_of_range() {
    return field_errors_reply("invalid query: cursor is not a cursor this server gave out",
                              {{"cursor", "is not a cursor this server gave out"}});
}

}  // namespace

Directory::Directory(std::uint64_t seed) : id_rng_(seed ^ 0x9e3779b97f4a7c15ULL) {
    clinic_id_ = new_id("cln_");
}

std::string Directory::new_id(std::string_view prefix) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string id(prefix);
    for (int half = 0; half < 2; ++half) {
        std::uint64_t bits = id_rng_();
        for (int i = 0; i < 16; ++i, bits >>= 4)
            id.push_back(hex[bits & 0xF]);
    }
    return id;
}

std::size_t Directory::add(User user) {
    auto& r = user.record;
    while (r.id.empty() || ids_.contains(r.id))
        r.id = new_id("usr_");
    if (r.level != "owner") {
        while (r.invitation_id.empty() || invitations_.contains(r.invitation_id))
            r.invitation_id = new_id("inv_");
        invitations_.emplace(r.invitation_id, users_.size());
    }
    ids_.emplace(r.id, users_.size());
    revoked_now_ += r.revoked;
    users_.push_back(std::move(user));
    return users_.size() - 1;
}

Result<void> Directory::seed(std::vector<UserRecord> users) {
    for (auto& record : users) {
        if (!record.id.empty() && ids_.contains(record.id))
            return make_error(ErrorKind::config, "userId " + record.id + " is given twice");
        if (!record.invitation_id.empty() && invitations_.contains(record.invitation_id))
            return make_error(ErrorKind::config, "invitationId " + record.invitation_id + " is given twice");
        EmailEntry& entry = emails_[text::to_lower(record.email)];
        if (entry.user != no_user)
            return make_error(ErrorKind::config, "the email " + record.email + " is given twice");
        entry.user = add(User{std::move(record), {}, {}});
    }
    return {};
}

Directory::EmailEntry& Directory::email_entry(std::string_view email) {
    return emails_[text::to_lower(email)];
}

const std::string& Directory::wall_clock_text(std::int64_t now_unix) {
    if (now_unix != clock_second_) {
        clock_text_ = format_rfc3339(now_unix);
        clock_second_ = now_unix;
    }
    return clock_text_;
}

Directory::Created Directory::create(const WireInvite& invite, std::string_view idempotency_key,
                                     EmailEntry& entry, std::int64_t now_unix) {
    if (entry.user != no_user) {
        const User& existing = users_[entry.user];
        if (!idempotency_key.empty() && idempotency_key == existing.idempotency_key)
            return {Reply{201, existing.created_json}, false};
        return {message_reply(409, "a user with this email already exists"), false};
    }
    User user;
    auto& r = user.record;
    r.email = invite.email;
    r.first_name = invite.first_name;
    r.last_name = invite.last_name;
    r.clinic_role = invite.clinic_role;
    r.level = invite.level;
    r.middle_name = invite.middle_name;
    r.suffix1 = invite.suffix1;
    r.suffix2 = invite.suffix2;
    r.phone_number = invite.phone_number;
    r.can_manage_studies = invite.can_manage_studies;
    r.has_dashboard_access = invite.has_dashboard_access;
    r.created_at = wall_clock_text(now_unix);
    r.created_unix = now_unix;
    r.updated_at = *r.created_at;
    user.idempotency_key = idempotency_key;
    entry.user = add(std::move(user));
    User& added = users_[entry.user];
    added.created_json = user_json(added.record);
    return {Reply{201, added.created_json}, true};
}

Reply Directory::list_users(const UserQuery& q) const {
    if (q.page.offset > users_.size())
        return cursor_out_of_range();
    Reply r;
    auto render = [this](std::string& out, std::size_t i) { append_user_json(out, users_[i].record); };
    if (q.email) {
        // At most one user: straight from the index, not a scan.
        const auto it = emails_.find(text::to_lower(*q.email));
        const std::size_t only = it == emails_.end() ? no_user : it->second.user;
        auto match = [&](std::size_t i) { return i == only && matches(users_[i].record, q); };
        r.body = render_page("users", only == no_user ? 0 : only + 1, q.page, match, render);
        return r;
    }
    auto match = [&](std::size_t i) { return matches(users_[i].record, q); };
    r.body = render_page("users", users_.size(), q.page, match, render);
    return r;
}

const Directory::User* Directory::find(std::string_view id) const {
    const auto it = ids_.find(std::string(id));
    return it == ids_.end() ? nullptr : &users_[it->second];
}

Directory::User* Directory::find(std::string_view id) {
    const auto it = ids_.find(std::string(id));
    return it == ids_.end() ? nullptr : &users_[it->second];
}

Reply Directory::get_user(std::string_view id) const {
    const User* user = find(id);
    if (!user)
        return message_reply(404, "user not found");
    return user_reply(200, user->record);
}

Reply Directory::update_user(std::string_view id, const UserPatch& patch, std::int64_t now_unix) {
    User* user = find(id);
    if (!user)
        return message_reply(404, "user not found");
    if (user->record.level == "owner")
        return invalid_fields_reply("cannot update the user", {{"userId", std::string(owner_refusal)}});
    if (auto errors = apply_patch(user->record, patch); !errors.empty())
        return invalid_fields_reply("invalid update", errors);
    user->record.updated_at = wall_clock_text(now_unix);
    ++updated_;
    return user_reply(200, user->record);
}

Reply Directory::set_access(std::string_view id, Access access, std::int64_t now_unix) {
    User* user = find(id);
    if (!user)
        return message_reply(404, "user not found");
    auto& r = user->record;
    if (r.level == "owner")
        return invalid_fields_reply("cannot change the user's access",
                                    {{"userId", std::string(owner_refusal)}});
    const bool revoke = access == Access::revoke;
    if (r.revoked == revoke)
        return success_reply(revoke ? "access was already revoked" : "the user already has access");
    r.revoked = revoke;
    if (!revoke)
        r.invitation_revoked = false;  // back with access: the invitation is pending again
    r.updated_at = wall_clock_text(now_unix);
    if (revoke) {
        ++revocations_;
        ++revoked_now_;
    } else {
        ++reactivations_;
        --revoked_now_;
    }
    return success_reply("");
}

Reply Directory::list_invitations(const InvitationQuery& q, std::int64_t now_unix) const {
    if (q.page.offset > users_.size())
        return cursor_out_of_range();
    Reply r;
    auto match = [&](std::size_t i) { return matches(users_[i].record, q, now_unix); };
    auto render = [this](std::string& out, std::size_t i) {
        append_invitation_json(out, users_[i].record, clinic_id_);
    };
    r.body = render_page("invitations", users_.size(), q.page, match, render);
    return r;
}

Reply Directory::get_invitation(std::string_view id) const {
    const auto it = invitations_.find(std::string(id));
    if (it == invitations_.end())
        return message_reply(404, "invitation not found");
    Reply r;
    append_invitation_json(r.body, users_[it->second].record, clinic_id_);
    return r;
}

Directory::User* Directory::find_invitation(std::string_view id) {
    const auto it = invitations_.find(std::string(id));
    return it == invitations_.end() ? nullptr : &users_[it->second];
}

Reply Directory::update_invitation(std::string_view id, const UserPatch& patch, std::int64_t now_unix) {
    User* user = find_invitation(id);
    if (!user)
        return message_reply(404, "invitation not found");
    auto& r = user->record;
    if (r.invitation_status() != InvitationStatus::sent) {
        return invalid_fields_reply(
            "cannot update the invitation",
            {{"invitationId", "is " + std::string(invitation_status_name(r.invitation_status())) +
                                  ": only a pending invitation can change"}});
    }
    if (auto errors = apply_patch(r, patch); !errors.empty())
        return invalid_fields_reply("invalid update", errors);
    r.updated_at = wall_clock_text(now_unix);
    ++updated_;
    Reply reply;
    append_invitation_json(reply.body, r, clinic_id_);
    return reply;
}

Reply Directory::revoke_invitation(const InvitationRefCheck& ref, std::int64_t now_unix) {
    User* user = ref.invitation_id ? find_invitation(*ref.invitation_id) : find(*ref.user_id);
    if (!user || user->record.invitation_id.empty())
        return message_reply(404, "invitation not found");
    auto& r = user->record;
    if (ref.invitation_id && ref.user_id && r.id != *ref.user_id) {
        return invalid_fields_reply("invalid request",
                                    {{"userId", "is not the user of invitation " + *ref.invitation_id}});
    }
    switch (r.invitation_status()) {
        case InvitationStatus::accepted:
        case InvitationStatus::rejected:
            return invalid_fields_reply(
                "cannot revoke the invitation",
                {{"invitationId", "is " + std::string(invitation_status_name(r.invitation_status()))}});
        case InvitationStatus::revoked:
            return success_reply("the invitation was already revoked");
        case InvitationStatus::sent:
            break;
    }
    r.invitation_revoked = true;
    r.updated_at = wall_clock_text(now_unix);
    return success_reply("");
}

void Directory::fill_stats(Stats& s) const {
    s.users_updated = updated_;
    s.revocations = revocations_;
    s.reactivations = reactivations_;
    s.users_revoked = revoked_now_;
    for (const auto& [email, entry] : emails_) {
        EmailStats& e = s.emails[email];
        e.attempts = entry.attempts;
        if (entry.user != no_user) {
            e.user_id = users_[entry.user].record.id;
            e.revoked = users_[entry.user].record.revoked;
        }
    }
}

}  // namespace avara::mock
