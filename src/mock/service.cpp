#include "avara_onboard/mock/service.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <charconv>
#include <cmath>
#include <ctime>

#include "avara_onboard/util/text.hpp"

namespace avara::mock {

namespace {

constexpr std::string_view users_path = "/v1/viewer/users";
constexpr std::string_view admin_stats_path = "/__admin/stats";
constexpr std::size_t default_page = 20;
constexpr std::size_t max_page = 100;
constexpr std::int64_t max_series_seconds = 24 * 3600;  // the per-second counts stop growing after a day

Reply message_reply(int status, std::string_view message) {
    Reply r;
    r.status = status;
    r.body = "{\"message\":";
    text::append_json_string(r.body, message);
    r.body.push_back('}');
    return r;
}

Reply field_errors_reply(std::string_view message, const std::vector<FieldError>& errors) {
    Reply r;
    r.status = 400;
    r.body = "{\"message\":";
    text::append_json_string(r.body, message);
    r.body += ",\"errors\":[";
    for (std::size_t i = 0; i < errors.size(); ++i) {
        if (i)
            r.body.push_back(',');
        r.body += "{\"field\":";
        text::append_json_string(r.body, errors[i].field);
        r.body += ",\"message\":";
        text::append_json_string(r.body, errors[i].message);
        r.body.push_back('}');
    }
    r.body += "]}";
    return r;
}

// `Bearer <token>`, the scheme in any case (RFC 7235), the token non-empty.
std::optional<std::string_view> bearer_token(std::string_view authorization) {
    constexpr std::string_view scheme = "bearer";
    const auto value = text::trim(authorization);
    if (value.size() <= scheme.size() || !text::iequals(value.substr(0, scheme.size()), scheme) ||
        (value[scheme.size()] != ' ' && value[scheme.size()] != '\t')) {
        return std::nullopt;
    }
    const auto token = text::trim(value.substr(scheme.size()));
    if (token.empty())
        return std::nullopt;
    return token;
}

std::optional<std::size_t> parse_index(std::string_view s) {
    std::size_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty())
        return std::nullopt;
    return v;
}

std::string_view path_of(std::string_view target) {
    return target.substr(0, std::min(target.find('?'), target.find('#')));
}

Service::Route route_of(std::string_view method, std::string_view path) {
    if (path == users_path) {
        if (method == "POST")
            return Service::Route::create_user;
        if (method == "GET")
            return Service::Route::list_users;
        return Service::Route::not_found;
    }
    if (method == "GET" && path.size() > users_path.size() + 1 && path.starts_with(users_path) &&
        path[users_path.size()] == '/' && path.find('/', users_path.size() + 1) == std::string_view::npos) {
        return Service::Route::get_user;
    }
    return Service::Route::not_found;
}

}  // namespace

Service::Service(Options options, Clock::time_point now)
    : options_(std::move(options)),
      start_(now),
      dice_(options_.faults),
      bucket_(options_.faults.rate_limit, now, options_.faults.rate_limit_burst),
      blocked_(options_.faults, now),
      // Ids follow from the seed too, so a repeated run also repeats its user ids.
      id_rng_(options_.faults.seed ^ 0x9e3779b97f4a7c15ULL) {}

std::optional<Reply> Service::admin(const Request& request) const {
    if (path_of(request.target) != admin_stats_path)
        return std::nullopt;
    if (request.method != "GET")
        return message_reply(404, "no such endpoint");
    Reply r;
    r.body = stats().to_json();
    return r;
}

std::variant<Reply, Service::Pending> Service::begin(const Request& request, Clock::time_point now) {
    Pending pending;
    const auto target = boost::urls::parse_origin_form(request.target);
    if (target)
        pending.route = route_of(request.method, target->encoded_path());
    // Parsed before taking the lock: it is the costly part of a POST, and its email is needed
    // below to count the attempt whatever the answer turns out to be.
    if (pending.route == Route::create_user && !request.body_too_large) {
        pending.invite = check_invite_json(request.body);
    }

    std::lock_guard lock(mutex_);
    ++counters_.total_requests;
    count_in_window(counters_.requests_per_second, now);
    counters_.max_in_flight = std::max(counters_.max_in_flight, ++in_flight_);
    if (pending.route == Route::create_user) {
        note_post(now);
        if (pending.invite && pending.invite->email) {
            // Node-based: the entry stays put while other requests add theirs, until finish().
            pending.email = &emails_[text::to_lower(*pending.invite->email)];
            ++pending.email->attempts;
        }
    }

    if (!target) {
        auto r = message_reply(400, "malformed request target");
        ++counters_.responses[r.status];
        return r;
    }
    const auto token = bearer_token(request.authorization);
    if (!token || (options_.api_key && *token != *options_.api_key)) {
        auto r = message_reply(401, "missing or invalid API key (send Authorization: Bearer <key>)");
        ++counters_.responses[r.status];
        return r;
    }
    pending.faults = dice_.roll();  // rolled even when blocked, so the window shifts no later fault
    pending.blocked_retry_after_s = blocked_.retry_after(now).value_or(0);
    pending.latency = std::chrono::milliseconds(options_.faults.latency_ms);
    return pending;
}

Reply Service::finish(const Request& request, Pending pending, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    const auto& faults = pending.faults;
    if (pending.blocked_retry_after_s > 0) {
        // The key itself is blocked: nothing else happens to the request, not even a drop.
        auto r = message_reply(429, "too many requests (blocked for --blocked-seconds)");
        r.retry_after_s = pending.blocked_retry_after_s;
        ++counters_.throttled_blocked;
        ++counters_.throttled_total;
        count_in_window(counters_.throttled_per_second, now);
        ++counters_.responses[r.status];
        return r;
    }
    if (faults.drop && !faults.drop_after) {
        ++counters_.dropped_before_create;
        Reply r;
        r.drop = true;
        return r;
    }

    Reply r;
    if (faults.fail) {
        r = message_reply(503, "service unavailable (injected fault)");
    } else if (faults.throttle || !bucket_.try_take(now)) {
        r = throttled_reply(pending, now);
    } else {
        switch (pending.route) {
            case Route::create_user:
                if (request.body_too_large || !pending.invite) {  // (no invite: it was too large)
                    r = message_reply(413, "request body is over 65536 bytes");
                } else {
                    r = create_user(request, *pending.invite, pending.email, now);
                }
                break;
            case Route::list_users:
                r = list_users(request);
                break;
            case Route::get_user:
                r = get_user(request);
                break;
            case Route::not_found:
                r = message_reply(404, "no such endpoint");
                break;
        }
    }
    if (faults.drop) {
        ++counters_.dropped_after_create;
        r.drop = true;
        return r;
    }
    if (r.status == 429) {
        ++(faults.throttle ? counters_.throttled_injected : counters_.throttled_rate_limit);
        ++counters_.throttled_total;
        count_in_window(counters_.throttled_per_second, now);
    }
    ++counters_.responses[r.status];
    return r;
}

Reply Service::throttled_reply(const Pending& pending, Clock::time_point now) {
    if (pending.faults.throttle) {
        auto r = message_reply(429, "too many requests (injected fault)");
        r.retry_after_s = std::max<std::uint32_t>(1, options_.faults.retry_after_s);
        return r;
    }
    // Whole seconds, rounded up (a millisecond of slack keeps 9.000000001 s from asking for 10).
    const double wait = std::chrono::duration<double>(bucket_.wait_for_token(now)).count();
    auto r = message_reply(429, "rate limit exceeded");
    r.retry_after_s = static_cast<std::uint32_t>(std::max(1.0, std::ceil(wait - 1e-3)));
    return r;
}

void Service::count_in_window(std::vector<std::uint32_t>& series, Clock::time_point now) {
    // Several threads may hand in instants a little before start_: they belong to the first window.
    const auto second = std::chrono::floor<std::chrono::seconds>(now - start_).count();
    if (second >= max_series_seconds)
        return;
    const auto index = static_cast<std::size_t>(std::max<std::int64_t>(0, second));
    if (series.size() <= index)
        series.resize(index + 1, 0);
    ++series[index];
}

void Service::end_request() {
    std::lock_guard lock(mutex_);
    if (in_flight_ > 0)
        --in_flight_;
}

Reply Service::malformed_http(std::string_view why) {
    auto r = message_reply(400, "malformed HTTP request: " + std::string(why));
    std::lock_guard lock(mutex_);
    ++counters_.total_requests;
    ++counters_.responses[r.status];
    return r;
}

Reply Service::handle(const Request& request, Clock::time_point now) {
    if (auto r = admin(request))
        return std::move(*r);
    auto step = begin(request, now);
    Reply r = std::holds_alternative<Reply>(step) ? std::move(std::get<Reply>(step))
                                                  : finish(request, std::move(std::get<Pending>(step)), now);
    end_request();
    return r;
}

void Service::note_post(Clock::time_point now) {
    count_in_window(counters_.posts_per_second, now);
    recent_posts_.push_back(now);
    while (recent_posts_.front() <= now - std::chrono::seconds(1))
        recent_posts_.pop_front();
    counters_.max_posts_per_second =
        std::max(counters_.max_posts_per_second, static_cast<std::uint32_t>(recent_posts_.size()));
}

Reply Service::create_user(const Request& request, InviteCheck& check, EmailEntry* email,
                           Clock::time_point now) {
    if (check.malformed)
        return message_reply(400, *check.malformed);
    if (!check.invite) {
        std::string message = "invalid user:";
        for (std::size_t i = 0; i < check.errors.size(); ++i) {
            message += i ? "; " : " ";
            message += check.errors[i].field + ": " + check.errors[i].message;
        }
        return field_errors_reply(message, check.errors);
    }
    EmailEntry& entry = *email;
    if (entry.user != no_user) {
        const User& existing = users_[entry.user];
        if (!request.idempotency_key.empty() && request.idempotency_key == existing.idempotency_key) {
            Reply r;
            r.status = 201;
            r.body = existing.json;
            return r;
        }
        return message_reply(409, "a user with this email already exists");
    }
    User user;
    for (;;) {
        user.id = new_user_id();
        if (ids_.try_emplace(user.id, users_.size()).second)
            break;
    }
    user.json = render_user(*check.invite, user.id);
    user.idempotency_key = request.idempotency_key;
    entry.user = users_.size();
    users_.push_back(std::move(user));
    ++counters_.users_created;
    count_in_window(counters_.created_per_second, now);
    Reply r;
    r.status = 201;
    r.body = users_.back().json;
    return r;
}

Reply Service::list_users(const Request& request) const {
    // Decoded with '+' kept as '+': it is common in emails, and no email holds a space.
    const auto url = boost::urls::parse_origin_form(request.target);
    std::optional<std::string> email;
    std::size_t limit = default_page;
    std::size_t start = 0;
    std::vector<FieldError> errors;
    for (const auto& param : url->params(boost::urls::encoding_opts(false, false, false))) {
        if (param.key == "email") {
            email = param.value;
        } else if (param.key == "limit") {
            const auto n = parse_index(param.value);
            if (!n || *n < 1 || *n > max_page) {
                errors.push_back({"limit", "must be an integer from 1 to 100"});
            } else {
                limit = *n;
            }
        } else if (param.key == "cursor") {
            const auto n = parse_index(param.value);
            if (!n || *n > users_.size()) {
                errors.push_back({"cursor", "is not a cursor this server gave out"});
            } else {
                start = *n;
            }
        }
    }
    if (!errors.empty())
        return field_errors_reply("invalid query: " + errors.front().field + " " + errors.front().message,
                                  errors);

    Reply r;
    r.body = "{\"users\":[";
    bool more = false;
    if (email) {
        const auto it = emails_.find(text::to_lower(*email));
        if (it != emails_.end() && it->second.user != no_user)
            r.body += users_[it->second.user].json;
    } else {
        const std::size_t end = std::min(users_.size(), start + limit);
        for (std::size_t i = start; i < end; ++i) {
            if (i != start)
                r.body.push_back(',');
            r.body += users_[i].json;
        }
        more = end < users_.size();
        start = end;
    }
    r.body += "],\"cursor\":";
    r.body += more ? "\"" + std::to_string(start) + "\"" : std::string("null");
    r.body += more ? ",\"hasMore\":true}" : ",\"hasMore\":false}";
    return r;
}

Reply Service::get_user(const Request& request) const {
    const auto path = path_of(request.target);
    const auto it = ids_.find(std::string(path.substr(users_path.size() + 1)));
    if (it == ids_.end())
        return message_reply(404, "user not found");
    Reply r;
    r.body = users_[it->second].json;
    return r;
}

std::string Service::new_user_id() {
    static constexpr char hex[] = "0123456789abcdef";
    std::string id = "usr_";
    for (int half = 0; half < 2; ++half) {
        std::uint64_t bits = id_rng_();
        for (int i = 0; i < 16; ++i, bits >>= 4)
            id.push_back(hex[bits & 0xF]);
    }
    return id;
}

std::string Service::render_user(const WireInvite& invite, const std::string& id) {
    const auto now = std::chrono::system_clock::now();
    const std::int64_t second =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (second != created_at_second_) {
        const std::time_t t = static_cast<std::time_t>(second);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[32];
        const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        created_at_.assign(buf, n);
        created_at_second_ = second;
    }

    std::string out;
    out.reserve(320);
    auto text_field = [&out](std::string_view name, std::string_view value) {
        out += ",\"";
        out += name;
        out += "\":";
        text::append_json_string(out, value);
    };
    // The key order of the API's own example.
    out += invite.can_manage_studies ? "{\"canManageStudies\":true" : "{\"canManageStudies\":false";
    text_field("clinicRole", invite.clinic_role);
    text_field("createdAt", created_at_);
    text_field("email", invite.email);
    text_field("firstName", invite.first_name);
    out += invite.has_dashboard_access ? ",\"hasDashboardAccess\":true" : ",\"hasDashboardAccess\":false";
    out += ",\"invitedSource\":\"api\",\"lastLoginAt\":null";
    text_field("lastName", invite.last_name);
    text_field("level", invite.level);
    text_field("userId", id);
    if (invite.middle_name)
        text_field("middleName", *invite.middle_name);
    if (invite.phone_number)
        text_field("phoneNumber", *invite.phone_number);
    if (invite.suffix1)
        text_field("suffix1", *invite.suffix1);
    if (invite.suffix2)
        text_field("suffix2", *invite.suffix2);
    out.push_back('}');
    return out;
}

Stats Service::stats() const {
    std::lock_guard lock(mutex_);
    Stats s = counters_;
    const std::size_t windows = std::max({s.requests_per_second.size(), s.posts_per_second.size(),
                                          s.created_per_second.size(), s.throttled_per_second.size()});
    for (auto* series :
         {&s.requests_per_second, &s.posts_per_second, &s.created_per_second, &s.throttled_per_second}) {
        series->resize(windows, 0);
    }
    for (const auto& [email, entry] : emails_) {
        EmailStats& e = s.emails[email];
        e.attempts = entry.attempts;
        if (entry.user != no_user)
            e.user_id = users_[entry.user].id;
    }
    return s;
}

}  // namespace avara::mock
