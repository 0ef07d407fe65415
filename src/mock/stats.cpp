#include "avara_onboard/mock/stats.hpp"

#include "avara_onboard/util/text.hpp"

namespace avara::mock {

namespace {

void append_series(std::string& out, std::string_view key, const std::vector<std::uint32_t>& counts) {
    out += ",\"";
    out += key;
    out += "\":[";
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (i)
            out.push_back(',');
        out += std::to_string(counts[i]);
    }
    out.push_back(']');
}

}  // namespace

std::uint64_t Stats::responses_with(int status) const {
    const auto it = responses.find(status);
    return it == responses.end() ? 0 : it->second;
}

std::uint32_t Stats::attempts(std::string_view email) const {
    const auto it = emails.find(text::to_lower(email));
    return it == emails.end() ? 0 : it->second.attempts;
}

std::string Stats::to_json() const {
    std::string out = "{\"usersCreated\":" + std::to_string(users_created) +
                      ",\"usersUpdated\":" + std::to_string(users_updated) +
                      ",\"revocations\":" + std::to_string(revocations) +
                      ",\"reactivations\":" + std::to_string(reactivations) +
                      ",\"usersRevoked\":" + std::to_string(users_revoked) +
                      ",\"totalRequests\":" + std::to_string(total_requests) +
                      ",\"maxInFlight\":" + std::to_string(max_in_flight) +
                      ",\"maxPostsPerSecond\":" + std::to_string(max_posts_per_second) +
                      ",\"dropped\":{\"beforeCreate\":" + std::to_string(dropped_before_create) +
                      ",\"afterCreate\":" + std::to_string(dropped_after_create) +
                      "},\"throttledTotal\":" + std::to_string(throttled_total) +
                      ",\"throttled\":{\"injected\":" + std::to_string(throttled_injected) +
                      ",\"rateLimit\":" + std::to_string(throttled_rate_limit) +
                      ",\"blocked\":" + std::to_string(throttled_blocked) + "}";
    append_series(out, "requestsPerSecond", requests_per_second);
    append_series(out, "postsPerSecond", posts_per_second);
    append_series(out, "createdPerSecond", created_per_second);
    append_series(out, "throttledPerSecond", throttled_per_second);
    out += ",\"responses\":{";
    bool first = true;
    for (const auto& [status, count] : responses) {
        if (!first)
            out.push_back(',');
        first = false;
        out.append("\"").append(std::to_string(status)).append("\":").append(std::to_string(count));
    }
    out += "},\"emails\":{";
    first = true;
    for (const auto& [email, e] : emails) {
        if (!first)
            out.push_back(',');
        first = false;
        text::append_json_string(out, email);
        out += ":{\"attempts\":" + std::to_string(e.attempts) + ",\"userId\":";
        if (e.user_id.empty()) {
            out += "null";
        } else {
            text::append_json_string(out, e.user_id);
        }
        out += e.revoked ? ",\"revoked\":true}" : ",\"revoked\":false}";
    }
    out += "}}";
    return out;
}

}  // namespace avara::mock
