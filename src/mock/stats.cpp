#include "avara_onboard/mock/stats.hpp"

#include "avara_onboard/util/text.hpp"

namespace avara::mock {

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
                      ",\"totalRequests\":" + std::to_string(total_requests) +
                      ",\"maxInFlight\":" + std::to_string(max_in_flight) +
                      ",\"maxPostsPerSecond\":" + std::to_string(max_posts_per_second) +
                      ",\"dropped\":{\"beforeCreate\":" + std::to_string(dropped_before_create) +
                      ",\"afterCreate\":" + std::to_string(dropped_after_create) + "},\"responses\":{";
    bool first = true;
    for (const auto& [status, count] : responses) {
        if (!first)
            out.push_back(',');
        first = false;
        out += "\"" + std::to_string(status) + "\":" + std::to_string(count);
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
        out.push_back('}');
    }
    out += "}}";
    return out;
}

}  // namespace avara::mock
