#pragma once
// The Avara users API as the mock server answers it, without sockets: requests in, replies out,
// the users and the statistics kept here. The HTTP layer (mock_server.cpp) only reads, waits the
// injected latency and writes, so every rule of the contract is tested here on plain values.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "avara_onboard/mock/faults.hpp"
#include "avara_onboard/mock/invite_json.hpp"
#include "avara_onboard/mock/stats.hpp"

namespace avara::mock {

inline constexpr std::size_t max_body_bytes = 64 * 1024;

// Views into the HTTP layer's parsed message; they must outlive the calls that take them.
struct Request {
    std::string_view method;
    std::string_view target;
    std::string_view authorization;    // the Authorization header's value
    std::string_view idempotency_key;  // the Idempotency-Key header's value
    std::string_view body;
    bool body_too_large = false;  // over max_body_bytes: `body` was not read
};

struct Reply {
    int status = 200;
    std::string body;                 // JSON
    std::uint32_t retry_after_s = 0;  // sent as Retry-After when non-zero
    bool drop = false;                // close the connection without answering
};

class Service {
    struct EmailEntry;

  public:
    using Clock = std::chrono::steady_clock;

    struct Options {
        std::optional<std::string> api_key;  // none: any non-empty bearer key is accepted
        FaultOptions faults;
    };
    explicit Service(Options options, Clock::time_point now = Clock::now());

    enum class Route : std::uint8_t { create_user, list_users, get_user, not_found };
    // A request that was authenticated and had its faults decided; the server waits `latency`
    // (without blocking a thread), then calls finish() with the same Request.
    struct Pending {
        Route route = Route::not_found;
        FaultDecision faults;
        std::uint32_t blocked_retry_after_s = 0;  // arrived in the --blocked-seconds window
        std::chrono::milliseconds latency{0};
        std::optional<InviteCheck> invite;  // create_user with a readable body
        EmailEntry* email = nullptr;        // the record of the invite's email, when it has one
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
    struct User {
        std::string id;
        std::string json;  // the full user object: GET answers and 201 replays send these bytes
        std::string idempotency_key;
    };
    struct EmailEntry {
        std::uint32_t attempts = 0;
        std::size_t user = no_user;
    };
    static constexpr std::size_t no_user = static_cast<std::size_t>(-1);

    // `email` is set whenever `check` holds a valid invite (which has an email).
    Reply create_user(const Request& request, InviteCheck& check, EmailEntry* email, Clock::time_point now);
    Reply list_users(const Request& request) const;
    Reply get_user(const Request& request) const;
    std::string new_user_id();
    std::string render_user(const WireInvite& invite, const std::string& id);
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
    std::mt19937_64 id_rng_;
    std::vector<User> users_;  // in creation order: list cursors are indexes into it
    std::unordered_map<std::string, EmailEntry> emails_;  // by the lowercased email
    std::unordered_map<std::string, std::size_t> ids_;
    std::deque<Clock::time_point> recent_posts_;  // arrivals within the last second
    std::uint32_t in_flight_ = 0;
    Stats counters_;  // the scalar figures and `responses`; `emails` is filled in by stats()
    std::int64_t created_at_second_ = -1;  // createdAt is formatted once per second, not per user
    std::string created_at_;
};

}  // namespace avara::mock
