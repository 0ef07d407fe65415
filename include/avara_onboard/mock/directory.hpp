#pragma once
// The users the mock server holds and its users endpoints, without sockets, locks, faults or
// clocks of its own: Service authenticates, injects faults, counts, locks and passes the time in.
//
// Users are never deleted. A revoked user stays in every listing, unchanged, exactly as in the real
// API, whose user object has no status field; the revoked flag is kept for /__admin/stats only.
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "avara_onboard/mock/list_query.hpp"
#include "avara_onboard/mock/patch_json.hpp"
#include "avara_onboard/mock/reply.hpp"
#include "avara_onboard/mock/stats.hpp"
#include "avara_onboard/mock/user_record.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::mock {

class Directory {
  public:
    static constexpr std::size_t no_user = static_cast<std::size_t>(-1);
    // Every email the server has seen, in a POST or as a user's: attempts and the user holding it.
    struct EmailEntry {
        std::uint32_t attempts = 0;
        std::size_t user = no_user;
    };

    explicit Directory(std::uint64_t seed);  // user and invitation ids follow from the seed

    // Before any request: refuses an email or a userId given twice.
    Result<void> seed(std::vector<UserRecord> users);
    std::size_t size() const noexcept { return users_.size(); }

    // Node-based: the entry stays put while others are added.
    EmailEntry& email_entry(std::string_view email);

    struct Created {
        Reply reply;           // 201 with the user; the original 201 body for a replay; 409
        bool created = false;  // a new user (not a replay)
    };
    Created create(const WireInvite& invite, std::string_view idempotency_key, EmailEntry& entry,
                   std::int64_t now_unix);
    Reply list_users(const UserQuery& query) const;
    Reply get_user(std::string_view id) const;
    Reply update_user(std::string_view id, const UserPatch& patch, std::int64_t now_unix);
    enum class Access : std::uint8_t { revoke, reactivate };
    Reply set_access(std::string_view id, Access access, std::int64_t now_unix);
    Reply list_invitations(const InvitationQuery& query, std::int64_t now_unix) const;
    Reply get_invitation(std::string_view id) const;
    // PATCH /v1/viewer/users/invitations/{id}: a pending ("sent") invitation only; it changes the
    // invited user's fields, as PATCH /v1/viewer/users/{userId} does.
    Reply update_invitation(std::string_view id, const UserPatch& patch, std::int64_t now_unix);
    // POST /v1/viewer/users/invitations/revoke: by invitationId or userId (both: they must agree).
    Reply revoke_invitation(const InvitationRefCheck& ref, std::int64_t now_unix);

    // users_updated, revocations, reactivations, users_revoked and `emails`.
    void fill_stats(Stats& stats) const;

  private:
    struct User {
        UserRecord record;
        std::string created_json;  // the 201 body, replayed for the same Idempotency-Key
        std::string idempotency_key;
    };

    std::string new_id(std::string_view prefix);
    std::size_t add(User user);
    const User* find(std::string_view id) const;
    User* find(std::string_view id);
    User* find_invitation(std::string_view id);
    const std::string& wall_clock_text(std::int64_t now_unix);

    std::mt19937_64 id_rng_;
    std::vector<User> users_;                             // in creation order: cursors are offsets into it
    std::unordered_map<std::string, EmailEntry> emails_;  // by the lowercased email
    std::unordered_map<std::string, std::size_t> ids_;
    std::unordered_map<std::string, std::size_t> invitations_;
    std::string clinic_id_;
    std::uint64_t updated_ = 0, revocations_ = 0, reactivations_ = 0, revoked_now_ = 0;
    std::int64_t clock_second_ = -1;  // createdAt is formatted once per second, not per user
    std::string clock_text_;
};

}  // namespace avara::mock
