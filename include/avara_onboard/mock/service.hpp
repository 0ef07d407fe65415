#pragma once
// The Avara users API as the mock server answers it, without sockets: requests in, replies out,
// the statistics kept here and the users in a Directory. The HTTP layer (mock_server.cpp) only
// reads, waits the injected latency and writes, so every rule of the contract is tested here on
// plain values.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "avara_onboard/mock/directory.hpp"
#include "avara_onboard/mock/faults.hpp"
#include "avara_onboard/mock/invite_json.hpp"
#include "avara_onboard/mock/list_query.hpp"
#include "avara_onboard/mock/patch_json.hpp"
#include "avara_onboard/mock/reply.hpp"
#include "avara_onboard/mock/stats.hpp"
#include "avara_onboard/mock/user_record.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::mock {

class Service {
  public:
    using Clock = std::chrono::steady_clock;

    struct Options {
        std::optional<std::string> api_key;  // none: any non-empty bearer key is accepted
        FaultOptions faults;
    };
    explicit Service(Options options, Clock::time_point now = Clock::now());
    // --seed-users, before any request. Refuses an email or a userId given twice.
    Result<void> seed(std::vector<UserRecord> users);

    enum class Route : std::uint8_t {
        create_user,        // POST   /v1/viewer/users
        list_users,         // GET    /v1/viewer/users
        get_user,           // GET    /v1/viewer/users/{userId}
        update_user,        // PATCH  /v1/viewer/users/{userId}
        revoke_access,      // POST   /v1/viewer/users/revoke-access
        reactivate,         // POST   /v1/viewer/users/reactivate
        list_invitations,   // GET    /v1/viewer/users/invitations
        get_invitation,     // GET    /v1/viewer/users/invitations/{invitationId}
        update_invitation,  // PATCH  /v1/viewer/users/invitations/{invitationId}
        revoke_invitation,  // POST   /v1/viewer/users/invitations/revoke
        not_found,
    };
    // A request that was authenticated and had its faults decided; the server waits `latency`
    // (without blocking a thread), then calls finish() with the same Request.
    struct Pending {
        Route route = Route::not_found;
        FaultDecision faults;
        std::uint32_t blocked_retry_after_s = 0;  // arrived in the --blocked-seconds window
        std::chrono::milliseconds latency{0};
        // The body, read before the lock is taken (it is the costly part): create_user's invite,
        // update_user's patch, revoke_access's and reactivate's {"userId"}.
        std::optional<InviteCheck> invite;
        std::optional<PatchCheck> patch;
        std::optional<UserRefCheck> user_ref;
        std::optional<InvitationRefCheck> invitation_ref;  // revoke_invitation
        Directory::EmailEntry* email = nullptr;  // the record of the invite's email, when it has one
    };

    // `GET /__admin/stats` (no auth, no faults, not counted); nothing for any other target.
    std::optional<Reply> admin(const Request& request) const;
    // Counts the request (it is in flight until end_request()), checks the target and the key,
    // rolls the fault dice.
    std::variant<Reply, Pending> begin(const Request& request, Clock::time_point now);
    // Injected faults, then the endpoint itself.
    Reply finish(const Request& request, Pending pending, Clock::time_point now);
    // The answer went out, or the connection was dropped.
    void end_request();
    // A request that was not HTTP: counted, answered 400 (and the connection is then closed).
    Reply malformed_http(std::string_view why);

    // admin(), or begin() + finish() + end_request() with the latency skipped: for tests.
    Reply handle(const Request& request, Clock::time_point now);

    Stats stats() const;  // a consistent snapshot

  private:
    // `pending.email` is set whenever `pending.invite` holds a valid invite (which has an email).
    Reply create_user(const Request& request, Pending& pending, Clock::time_point now);
    Reply endpoint(const Request& request, Pending& pending, Clock::time_point now);
    Reply update_user(const Request& request, const Pending& pending);
    Reply set_access(const Pending& pending, Directory::Access access);
    void note_post(Clock::time_point now);
    // One more in `series` for the 1-second window holding `now` (counted from start_).
    void count_in_window(std::vector<std::uint32_t>& series, Clock::time_point now);
    Reply throttled_reply(const Pending& pending, Clock::time_point now);

    Options options_;
    mutable std::mutex mutex_;  // guards everything below
    Clock::time_point start_;
    FaultDice dice_;
    TokenBucket bucket_;
    BlockedWindow blocked_;
    Directory directory_;
    std::deque<Clock::time_point> recent_posts_;  // arrivals within the last second
    std::uint32_t in_flight_ = 0;
    Stats counters_;  // the scalar figures and `responses`; the directory's are filled in by stats()
};

}  // namespace avara::mock
