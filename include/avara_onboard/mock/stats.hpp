#pragma once
// What the mock server saw, for tests and demos to check a client's behaviour against: the same
// figures are served by `GET /__admin/stats` while it runs and written to `--state-file` on stop.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace avara::mock {

struct EmailStats {
    std::uint32_t attempts = 0;  // POSTs whose body parsed to this email, whatever their answer
    std::string user_id;         // empty until the server created the user
    bool revoked = false;        // the user's access is revoked (the API's user object never says so)
};

struct Stats {
    std::uint64_t users_created = 0;
    std::uint64_t users_updated = 0;         // PATCHes that succeeded
    std::uint64_t revocations = 0;           // revoke-access calls that revoked (not already revoked)
    std::uint64_t reactivations = 0;         // reactivate calls that restored access
    std::uint64_t users_revoked = 0;         // users whose access is revoked now
    std::uint64_t total_requests = 0;        // API requests; /__admin is not counted
    std::uint32_t max_in_flight = 0;         // most requests read but not yet answered, at once
    std::uint32_t max_posts_per_second = 0;  // most POSTs that arrived within any 1-second window
    // Connections closed without an answer, before the request was carried out / after it was
    // (a POST then has created its user, unless its answer would have been an error).
    std::uint64_t dropped_before_create = 0;
    std::uint64_t dropped_after_create = 0;
    // 429 answers sent: all of them, and by cause (--throttle-rate, --rate-limit, --blocked-seconds).
    std::uint64_t throttled_total = 0;
    std::uint64_t throttled_injected = 0;
    std::uint64_t throttled_rate_limit = 0;
    std::uint64_t throttled_blocked = 0;
    // Counts per 1-second window since the server started: element i covers [i s, i+1 s). All four
    // have the same length, up to the last window with anything in it (at most 24 h of windows).
    // Requests and POSTs count at arrival; creations and 429s when answered.
    std::vector<std::uint32_t> requests_per_second;         // API requests, as total_requests
    std::vector<std::uint32_t> posts_per_second;            // POST /v1/viewer/users
    std::vector<std::uint32_t> created_per_second;          // users created (not replays)
    std::vector<std::uint32_t> throttled_per_second;        // 429 answers
    std::map<int, std::uint64_t> responses;                 // answers sent, by HTTP status
    std::map<std::string, EmailStats, std::less<>> emails;  // keyed by the ASCII-lowercased email

    std::uint64_t responses_with(int status) const;
    std::uint32_t attempts(std::string_view email) const;  // any case; 0 when never seen
    // {"usersCreated", "usersUpdated", "revocations", "reactivations", "usersRevoked", "totalRequests",
    // "maxInFlight", "maxPostsPerSecond",
    //  "dropped": {"beforeCreate", "afterCreate"}, "throttledTotal",
    //  "throttled": {"injected", "rateLimit", "blocked"}, "requestsPerSecond": [n, ...],
    //  "postsPerSecond", "createdPerSecond", "throttledPerSecond", "responses": {"201": n, ...},
    //  "emails": {"a@b.org": {"attempts": n, "userId": "usr_..." | null, "revoked": bool}, ...}}
    std::string to_json() const;
};

}  // namespace avara::mock
