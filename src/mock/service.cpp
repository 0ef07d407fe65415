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
constexpr std::int64_t max_series_seconds =
    std::int64_t{24} * 3600;  // the per-second counts stop growing after a day

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

std::string_view path_of(std::string_view target) {
    return target.substr(0, std::min(target.find('?'), target.find('#')));
}

// The path below /v1/viewer/users/ when it is one segment ("usr_..."), or two under invitations.
std::string_view last_segment(std::string_view path) {
    return path.substr(path.rfind('/') + 1);
}

Service::Route route_below_users(std::string_view method, std::string_view rest) {
    using R = Service::Route;
    // rest: what follows "/v1/viewer/users/", non-empty.
    if (rest == "revoke-access")
        return method == "POST" ? R::revoke_access : R::not_found;
    if (rest == "reactivate")
        return method == "POST" ? R::reactivate : R::not_found;
    if (rest == "invitations")
        return method == "GET" ? R::list_invitations : R::not_found;
    if (rest == "invitations/revoke")
        return method == "POST" ? R::revoke_invitation : R::not_found;
    if (rest.starts_with("invitations/")) {
        const auto id = rest.substr(12);
        if (id.empty() || id.find('/') != std::string_view::npos)
            return R::not_found;
        if (method == "GET")
            return R::get_invitation;
        return method == "PATCH" ? R::update_invitation : R::not_found;
    }
    if (rest.find('/') != std::string_view::npos)
        return R::not_found;
    if (method == "GET")
        return R::get_user;
    if (method == "PATCH")
        return R::update_user;
    return R::not_found;
}

Service::Route route_of(std::string_view method, std::string_view path) {
    if (path == users_path) {
        if (method == "POST")
            return Service::Route::create_user;
        if (method == "GET")
            return Service::Route::list_users;
        return Service::Route::not_found;
    }
    if (path.size() > users_path.size() + 1 && path.starts_with(users_path) && path[users_path.size()] == '/')
        return route_below_users(method, path.substr(users_path.size() + 1));
    return Service::Route::not_found;
}

std::int64_t wall_clock_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool has_body(Service::Route route) {
    return route == Service::Route::create_user || route == Service::Route::update_user ||
           route == Service::Route::revoke_access || route == Service::Route::reactivate ||
           route == Service::Route::update_invitation || route == Service::Route::revoke_invitation;
}

// The body's check, before the lock: it is the costly part of a request.
void read_body(const Request& request, Service::Pending& pending) {
    if (request.body_too_large)
        return;
    switch (pending.route) {
        case Service::Route::create_user:
            pending.invite = check_invite_json(request.body);
            break;
        case Service::Route::update_user:
        case Service::Route::update_invitation:
            pending.patch = check_patch_json(request.body);
            break;
        case Service::Route::revoke_invitation:
            pending.invitation_ref = check_invitation_ref_json(request.body);
            break;
        case Service::Route::revoke_access:
        case Service::Route::reactivate:
            pending.user_ref = check_user_ref_json(request.body);
            break;
        default:
            break;
    }
}

template <class Check>
std::optional<Reply> refusal_of(const Check& check, std::string_view what) {
    if (check.malformed)
        return message_reply(400, *check.malformed);
    if (!check.errors.empty())
        return invalid_fields_reply(what, check.errors);
    return std::nullopt;
}

}  // namespace

Service::Service(Options options, Clock::time_point now)
    : options_(std::move(options)),
      start_(now),
      dice_(options_.faults),
      bucket_(options_.faults.rate_limit, now, options_.faults.rate_limit_burst),
      blocked_(options_.faults, now),
      // Ids follow from the seed too, so a repeated run also repeats its user ids.
      directory_(options_.faults.seed) {}

Result<void> Service::seed(std::vector<UserRecord> users) {
    std::lock_guard lock(mutex_);
    return directory_.seed(std::move(users));
}

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
    // Read before taking the lock; a POST's email is needed below to count the attempt whatever
    // the answer turns out to be.
    read_body(request, pending);

    std::lock_guard lock(mutex_);
    ++counters_.total_requests;
    count_in_window(counters_.requests_per_second, now);
    counters_.max_in_flight = std::max(counters_.max_in_flight, ++in_flight_);
    if (pending.route == Route::create_user) {
        note_post(now);
        if (pending.invite && pending.invite->email) {
            // Node-based: the entry stays put while other requests add theirs, until finish().
            pending.email = &directory_.email_entry(*pending.invite->email);
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
    } else if (request.body_too_large && has_body(pending.route)) {
        r = message_reply(413, "request body is over 65536 bytes");
    } else {
        r = endpoint(request, pending, now);
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

Reply Service::endpoint(const Request& request, Pending& pending, Clock::time_point now) {
    switch (pending.route) {
        case Route::create_user:
            return create_user(request, pending, now);
        case Route::list_users: {
            auto q = parse_user_query(request.target);
            if (!q.query)
                return invalid_fields_reply("invalid query", q.errors);
            return directory_.list_users(*q.query);
        }
        case Route::get_user:
            return directory_.get_user(last_segment(path_of(request.target)));
        case Route::update_user:
            return update_user(request, pending);
        case Route::revoke_access:
            return set_access(pending, Directory::Access::revoke);
        case Route::reactivate:
            return set_access(pending, Directory::Access::reactivate);
        case Route::list_invitations: {
            auto q = parse_invitation_query(request.target);
            if (!q.query)
                return invalid_fields_reply("invalid query", q.errors);
            return directory_.list_invitations(*q.query, wall_clock_now());
        }
        case Route::get_invitation:
            return directory_.get_invitation(last_segment(path_of(request.target)));
        case Route::update_invitation:
            if (auto refused = refusal_of(*pending.patch, "invalid update"))
                return std::move(*refused);
            return directory_.update_invitation(last_segment(path_of(request.target)), *pending.patch->patch,
                                                wall_clock_now());
        case Route::revoke_invitation:
            if (auto refused = refusal_of(*pending.invitation_ref, "invalid request"))
                return std::move(*refused);
            return directory_.revoke_invitation(*pending.invitation_ref, wall_clock_now());
        case Route::not_found:
            break;
    }
    return message_reply(404, "no such endpoint");
}

Reply Service::create_user(const Request& request, Pending& pending, Clock::time_point now) {
    if (auto refused = refusal_of(*pending.invite, "invalid user"))
        return std::move(*refused);
    auto created =
        directory_.create(*pending.invite->invite, request.idempotency_key, *pending.email, wall_clock_now());
    if (created.created) {
        ++counters_.users_created;
        count_in_window(counters_.created_per_second, now);
    }
    return std::move(created.reply);
}

Reply Service::update_user(const Request& request, const Pending& pending) {
    if (auto refused = refusal_of(*pending.patch, "invalid update"))
        return std::move(*refused);
    return directory_.update_user(last_segment(path_of(request.target)), *pending.patch->patch,
                                  wall_clock_now());
}

Reply Service::set_access(const Pending& pending, Directory::Access access) {
    if (auto refused = refusal_of(*pending.user_ref, "invalid request"))
        return std::move(*refused);
    return directory_.set_access(*pending.user_ref->user_id, access, wall_clock_now());
}

Stats Service::stats() const {
    std::lock_guard lock(mutex_);
    Stats s = counters_;
    directory_.fill_stats(s);
    const std::size_t windows = std::max({s.requests_per_second.size(), s.posts_per_second.size(),
                                          s.created_per_second.size(), s.throttled_per_second.size()});
    for (auto* series :
         {&s.requests_per_second, &s.posts_per_second, &s.created_per_second, &s.throttled_per_second}) {
        series->resize(windows, 0);
    }
    return s;
}

}  // namespace avara::mock
