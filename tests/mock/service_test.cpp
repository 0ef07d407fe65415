#include "avara_onboard/mock/service.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <regex>
#include <set>

using namespace avara::mock;
using namespace std::chrono_literals;
using Clock = Service::Clock;

TEST_SUITE_BEGIN("mock");

namespace {

const Clock::time_point t0 = Clock::time_point{} + 1000h;

std::string body_for(const std::string& email, const std::string& extra = "") {
    return R"({"email":")" + email +
           R"(","firstName":"Ada","lastName":"Lovelace","clinicRole":"Radiologist",)" +
           R"("level":"member","canManageStudies":true,"hasDashboardAccess":true)" + extra + "}";
}

struct Call {
    std::string method = "POST";
    std::string target = "/v1/viewer/users";
    std::string authorization = "Bearer test-key";
    std::string idempotency_key;
    std::string body;
    bool too_large = false;

    Request request() const {
        return Request{method, target, authorization, idempotency_key, body, too_large};
    }
};

Call post(const std::string& email, const std::string& key = "") {
    Call c;
    c.body = body_for(email);
    c.idempotency_key = key;
    return c;
}

Call get(const std::string& target) {
    Call c;
    c.method = "GET";
    c.target = target;
    return c;
}

Reply handle(Service& s, const Call& c, Clock::time_point now = t0) {
    return s.handle(c.request(), now);
}

simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& json) {
    simdjson::dom::element doc;
    REQUIRE_MESSAGE(!parser.parse(json).get(doc), json);
    return doc;
}

std::string str(simdjson::dom::element e) {
    return std::string(std::string_view(e));
}

Service::Options with_faults(FaultOptions f) {
    return Service::Options{std::nullopt, f};
}

}  // namespace

TEST_CASE("mock::Service creates a user and answers 201 with the full user object") {
    Service s({});
    const Reply r = handle(s, post("Ada@Example.org"));
    REQUIRE(r.status == 201);
    CHECK_FALSE(r.drop);
    simdjson::dom::parser parser;
    const auto user = parse(parser, r.body);
    const std::string id = str(user["userId"]);
    CHECK(std::regex_match(id, std::regex("usr_[0-9a-f]{32}")));
    CHECK(str(user["email"]) == "Ada@Example.org");  // as sent, not folded
    CHECK(str(user["firstName"]) == "Ada");
    CHECK(str(user["lastName"]) == "Lovelace");
    CHECK(str(user["clinicRole"]) == "Radiologist");
    CHECK(str(user["level"]) == "member");
    CHECK(bool(user["canManageStudies"]));
    CHECK(bool(user["hasDashboardAccess"]));
    CHECK(str(user["invitedSource"]) == "api");
    CHECK(user["lastLoginAt"].is_null());
    CHECK(std::regex_match(str(user["createdAt"]), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
    // Optional fields appear only when given.
    CHECK(user["middleName"].error() == simdjson::NO_SUCH_FIELD);
    CHECK(user["phoneNumber"].error() == simdjson::NO_SUCH_FIELD);

    Call full;
    full.body = body_for("grace@example.org",
                         R"(,"middleName":"B","suffix1":"MD","suffix2":"PhD","phoneNumber":"5551234567")");
    const auto r2 = handle(s, full);
    REQUIRE(r2.status == 201);
    const auto user2 = parse(parser, r2.body);
    CHECK(str(user2["middleName"]) == "B");
    CHECK(str(user2["suffix1"]) == "MD");
    CHECK(str(user2["suffix2"]) == "PhD");
    CHECK(str(user2["phoneNumber"]) == "5551234567");

    const auto stats = s.stats();
    CHECK(stats.users_created == 2);
    CHECK(stats.responses_with(201) == 2);
    CHECK(stats.attempts("ada@example.org") == 1);
    CHECK(stats.emails.at("ada@example.org").user_id == id);
}

TEST_CASE("mock::Service refuses requests without the right bearer key") {
    SUBCASE("without --api-key any non-empty bearer key will do") {
        Service s({});
        for (const char* auth : {"", "Bearer", "Bearer ", "Basic abc", "Bearerabc"}) {
            CAPTURE(auth);
            Call c = post("a@b.org");
            c.authorization = auth;
            const auto r = handle(s, c);
            CHECK(r.status == 401);
            CHECK(r.body.find("\"message\"") != std::string::npos);
        }
        Call c = post("a@b.org");
        c.authorization = "bearer anything";
        CHECK(handle(s, c).status == 201);
    }
    SUBCASE("with --api-key only that key") {
        Service s({std::string("s3cret"), {}});
        Call c = post("a@b.org");
        c.authorization = "Bearer wrong";
        CHECK(handle(s, c).status == 401);
        c.authorization = "Bearer s3cret";
        CHECK(handle(s, c).status == 201);
        // A refused POST is still an attempt for its email: the client sent it.
        CHECK(s.stats().attempts("a@b.org") == 2);
        CHECK(s.stats().responses_with(401) == 1);
    }
}

TEST_CASE("mock::Service answers 409 for an email it holds, in any case, and replays an idempotent retry") {
    Service s({});
    const auto created = handle(s, post("ada@example.org", "key-1"));
    REQUIRE(created.status == 201);

    const auto conflict = handle(s, post("ADA@example.org", "key-2"));
    CHECK(conflict.status == 409);
    CHECK(conflict.body.find("already exists") != std::string::npos);
    CHECK(handle(s, post("ada@example.org")).status == 409);

    const auto replay = handle(s, post("ada@example.org", "key-1"));
    CHECK(replay.status == 201);
    CHECK(replay.body == created.body);  // byte for byte

    const auto stats = s.stats();
    CHECK(stats.users_created == 1);
    CHECK(stats.attempts("ada@example.org") == 4);
    CHECK(stats.responses_with(201) == 2);
    CHECK(stats.responses_with(409) == 2);

    SUBCASE("a user created without a key is never replayed") {
        Service s2({});
        REQUIRE(handle(s2, post("x@example.org")).status == 201);
        CHECK(handle(s2, post("x@example.org")).status == 409);
    }
}

TEST_CASE("mock::Service answers 400 with every failing field") {
    Service s({});
    Call c;
    c.body = R"({"email":"bad","firstName":"","clinicRole":"Radiologist","level":"owner",)"
             R"("canManageStudies":true,"hasDashboardAccess":true})";
    const auto r = handle(s, c);
    REQUIRE(r.status == 400);
    simdjson::dom::parser parser;
    const auto doc = parse(parser, r.body);
    CHECK(str(doc["message"]).find("email") != std::string::npos);
    std::vector<std::string> fields;
    for (auto e : doc["errors"].get_array()) {
        fields.push_back(str(e["field"]));
        CHECK_FALSE(str(e["message"]).empty());
    }
    CHECK(fields == std::vector<std::string>{"email", "firstName", "lastName", "level"});
    CHECK(s.stats().attempts("bad") == 1);
    CHECK(s.stats().users_created == 0);
}

TEST_CASE("mock::Service answers 400 for malformed JSON and 413 for an oversized body") {
    Service s({});
    Call c;
    c.body = "{\"email\": ";
    auto r = handle(s, c);
    CHECK(r.status == 400);
    CHECK(r.body.find("not valid JSON") != std::string::npos);

    c.body.clear();
    c.too_large = true;
    r = handle(s, c);
    CHECK(r.status == 413);

    SUBCASE("auth comes before the size") {
        c.authorization.clear();
        CHECK(handle(s, c).status == 401);
    }
}

TEST_CASE("mock::Service answers 404 JSON for anything else") {
    Service s({});
    for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/"},
             {"GET", "/v1/viewer"},
             {"DELETE", "/v1/viewer/users"},
             {"POST", "/v1/viewer/users/usr_1"},
             {"GET", "/v1/viewer/users/"},
             {"GET", "/v1/viewer/users/usr_1/extra"},
             {"GET", "/v1/viewer/users/usr_00000000000000000000000000000000"},
         }) {
        CAPTURE(method);
        CAPTURE(target);
        Call c = get(target);
        c.method = method;
        const auto r = handle(s, c);
        CHECK(r.status == 404);
        CHECK(r.body.starts_with("{\"message\":"));
    }
    Call bad = get("http://example.org/v1/viewer/users");
    CHECK(handle(s, bad).status == 400);
}

TEST_CASE("mock::Service finds users by id and by email, and pages through them") {
    Service s({});
    std::vector<std::string> ids;
    simdjson::dom::parser parser;
    for (int i = 0; i < 45; ++i) {
        const auto r = handle(s, post("user" + std::to_string(i) + "@example.org"));
        REQUIRE(r.status == 201);
        ids.push_back(str(parse(parser, r.body)["userId"]));
    }

    SUBCASE("by id") {
        const auto r = handle(s, get("/v1/viewer/users/" + ids[7]));
        REQUIRE(r.status == 200);
        CHECK(str(parse(parser, r.body)["email"]) == "user7@example.org");
    }
    SUBCASE("by email, exact and in any case") {
        auto r = handle(s, get("/v1/viewer/users?email=USER3%40example.org"));
        REQUIRE(r.status == 200);
        auto doc = parse(parser, r.body);
        REQUIRE(doc["users"].get_array().size() == 1);
        CHECK(str(doc["users"].at(0)["userId"]) == ids[3]);
        CHECK(doc["cursor"].is_null());
        CHECK_FALSE(bool(doc["hasMore"]));
        r = handle(s, get("/v1/viewer/users?email=user3@example"));
        CHECK(parse(parser, r.body)["users"].get_array().size() == 0);
    }
    SUBCASE("a '+' in the query is a '+' in the email") {
        REQUIRE(handle(s, post("a+tag@example.org")).status == 201);
        const auto r = handle(s, get("/v1/viewer/users?email=a+tag@example.org"));
        CHECK(parse(parser, r.body)["users"].get_array().size() == 1);
    }
    SUBCASE("pages of the default 20, then by cursor") {
        std::vector<std::string> seen;
        std::string target = "/v1/viewer/users";
        int pages = 0;
        for (;;) {
            const auto r = handle(s, get(target));
            REQUIRE(r.status == 200);
            const auto doc = parse(parser, r.body);
            for (auto u : doc["users"].get_array())
                seen.push_back(str(u["userId"]));
            ++pages;
            if (!bool(doc["hasMore"])) {
                CHECK(doc["cursor"].is_null());
                break;
            }
            target = "/v1/viewer/users?cursor=" + str(doc["cursor"]);
            REQUIRE(pages < 10);
        }
        CHECK(pages == 3);
        CHECK(seen == ids);
    }
    SUBCASE("limit") {
        const auto r = handle(s, get("/v1/viewer/users?limit=100"));
        const auto doc = parse(parser, r.body);
        CHECK(doc["users"].get_array().size() == 45);
        CHECK_FALSE(bool(doc["hasMore"]));
        const auto r5 = handle(s, get("/v1/viewer/users?limit=5&cursor=" + encode_cursor(40)));
        CHECK(parse(parser, r5.body)["users"].get_array().size() == 5);
    }
    SUBCASE("limits and cursors out of range are 400s naming the parameter") {
        const std::string beyond = "cursor=" + encode_cursor(999);
        for (const std::string& query :
             {std::string("limit=0"), std::string("limit=101"), std::string("limit=x"), std::string("limit="),
              beyond, std::string("cursor=40"), std::string("cursor=-1"), std::string("cursor=abc")}) {
            CAPTURE(query);
            const auto r = handle(s, get("/v1/viewer/users?" + query));
            CHECK(r.status == 400);
            const auto doc = parse(parser, r.body);
            CHECK(str(doc["errors"].at(0)["field"]) == query.substr(0, query.find('=')));
        }
    }
}

TEST_CASE("mock::Service serves its statistics at /__admin/stats without auth, faults or counting") {
    FaultOptions f;
    f.fail_rate = 1.0;
    Service s(with_faults(f));
    CHECK(handle(s, post("a@b.org")).status == 503);
    Call admin = get("/__admin/stats");
    admin.authorization.clear();
    const auto r = handle(s, admin);
    REQUIRE(r.status == 200);
    CHECK(r.body == s.stats().to_json());
    CHECK(s.stats().total_requests == 1);
    admin.method = "POST";
    CHECK(handle(s, admin).status == 404);
}

TEST_CASE("mock::Service injects each fault at rate 1 and none at rate 0") {
    SUBCASE("fail-rate") {
        FaultOptions f;
        f.fail_rate = 1.0;
        Service s(with_faults(f));
        CHECK(handle(s, post("a@b.org")).status == 503);
        CHECK(handle(s, get("/v1/viewer/users")).status == 503);
        CHECK(s.stats().users_created == 0);
        CHECK(s.stats().attempts("a@b.org") == 1);
    }
    SUBCASE("throttle-rate") {
        FaultOptions f;
        f.throttle_rate = 1.0;
        f.retry_after_s = 7;
        Service s(with_faults(f));
        const auto r = handle(s, post("a@b.org"));
        CHECK(r.status == 429);
        CHECK(r.retry_after_s == 7);
        CHECK(s.stats().users_created == 0);
    }
    SUBCASE("drop-rate: half before the user is created, half after") {
        FaultOptions f;
        f.drop_rate = 1.0;
        f.seed = 3;
        Service s(with_faults(f));
        for (int i = 0; i < 200; ++i) {
            const auto r = handle(s, post("u" + std::to_string(i) + "@b.org"));
            REQUIRE(r.drop);
        }
        const auto st = s.stats();
        CHECK(st.dropped_before_create + st.dropped_after_create == 200);
        CHECK(st.dropped_before_create > 60);
        CHECK(st.dropped_after_create > 60);
        CHECK(st.users_created == st.dropped_after_create);
        CHECK(st.responses.empty());  // nothing was answered
        for (const auto& [email, e] : st.emails)
            CHECK(e.attempts == 1);
    }
    SUBCASE("rate 0 injects nothing") {
        Service s({});
        for (int i = 0; i < 300; ++i) {
            const auto r = handle(s, post("u" + std::to_string(i) + "@b.org"));
            REQUIRE(r.status == 201);
            REQUIRE_FALSE(r.drop);
        }
    }
    SUBCASE("faults come after auth") {
        FaultOptions f;
        f.drop_rate = f.fail_rate = 1.0;
        Service s(with_faults(f));
        Call c = post("a@b.org");
        c.authorization.clear();
        const auto r = handle(s, c);
        CHECK(r.status == 401);
        CHECK_FALSE(r.drop);
    }
}

TEST_CASE("mock::Service rate limit answers 429 with Retry-After beyond the bucket") {
    FaultOptions f;
    f.rate_limit = 5;
    Service s(with_faults(f), t0);
    for (int i = 0; i < 5; ++i)
        REQUIRE(handle(s, post("u" + std::to_string(i) + "@b.org"), t0).status == 201);
    auto r = handle(s, post("late@b.org"), t0);
    CHECK(r.status == 429);
    CHECK(r.retry_after_s == 1);
    // A token comes back every 200 ms.
    CHECK(handle(s, post("late@b.org"), t0 + 150ms).status == 429);
    CHECK(handle(s, post("late@b.org"), t0 + 250ms).status == 201);

    SUBCASE("a slow rate asks for a longer wait") {
        FaultOptions slow;
        slow.rate_limit = 0.1;
        Service s2(with_faults(slow), t0);
        CHECK(handle(s2, post("a@b.org"), t0).status == 201);
        const auto r2 = handle(s2, post("b@b.org"), t0 + 1s);
        CHECK(r2.status == 429);
        CHECK(r2.retry_after_s == 9);
    }
}

TEST_CASE("mock::Service with the same seed repeats its faults and user ids") {
    FaultOptions f;
    f.fail_rate = 0.3;
    f.throttle_rate = 0.2;
    f.drop_rate = 0.2;
    f.seed = 99;
    auto run = [&f] {
        Service s(with_faults(f));
        std::string trace;
        for (int i = 0; i < 100; ++i) {
            const auto r =
                handle(s, post("u" + std::to_string(i % 40) + "@b.org", "k" + std::to_string(i % 40)));
            trace += r.drop ? "drop" : std::to_string(r.status);
            trace += r.status == 201 ? r.body.substr(r.body.find("usr_"), 36) : "";
            trace += ' ';
        }
        return trace;
    };
    const auto first = run();
    CHECK(first == run());
    CHECK(first.find("503") != std::string::npos);
    CHECK(first.find("429") != std::string::npos);
    CHECK(first.find("drop") != std::string::npos);
    CHECK(first.find("201") != std::string::npos);
    f.seed = 100;
    CHECK(first != run());
}

TEST_CASE("mock::Service user ids are unique") {
    Service s({});
    std::set<std::string> ids;
    simdjson::dom::parser parser;
    for (int i = 0; i < 2000; ++i) {
        const auto r = handle(s, post("u" + std::to_string(i) + "@b.org"));
        ids.insert(str(parse(parser, r.body)["userId"]));
    }
    CHECK(ids.size() == 2000);
}

TEST_CASE("mock::Service measures the most POSTs within any 1-second window") {
    Service s({});
    // 3 in the first second, then 5 spread over 0.9 s, then one much later.
    for (auto t : {0ms, 100ms, 200ms})
        handle(s, post("a" + std::to_string(t.count()) + "@b.org"), t0 + t);
    for (auto t : {1300ms, 1500ms, 1700ms, 2000ms, 2199ms})
        handle(s, post("b" + std::to_string(t.count()) + "@b.org"), t0 + t);
    handle(s, post("c@b.org"), t0 + 10s);
    handle(s, get("/v1/viewer/users"), t0 + 10s);  // GETs are not POSTs
    CHECK(s.stats().max_posts_per_second == 5);
    CHECK(s.stats().total_requests == 10);
}

TEST_CASE("mock::Service counts requests in flight from begin() to end_request()") {
    FaultOptions f;
    f.latency_ms = 250;
    Service s(with_faults(f));
    const Call a = post("a@b.org");
    const Call b = post("b@b.org");
    auto step_a = s.begin(a.request(), t0);
    auto step_b = s.begin(b.request(), t0);
    REQUIRE(std::holds_alternative<Service::Pending>(step_a));
    REQUIRE(std::holds_alternative<Service::Pending>(step_b));
    CHECK(std::get<Service::Pending>(step_a).latency == 250ms);
    // Nothing is created before the latency has passed and finish() runs.
    CHECK(s.stats().users_created == 0);
    CHECK(s.finish(a.request(), std::get<Service::Pending>(std::move(step_a)), t0).status == 201);
    s.end_request();
    CHECK(s.finish(b.request(), std::get<Service::Pending>(std::move(step_b)), t0).status == 201);
    s.end_request();
    const Call c = post("c@b.org");
    (void)s.begin(c.request(), t0);
    CHECK(s.stats().max_in_flight == 2);
}

TEST_CASE("mock::Service counts malformed HTTP as answered 400s") {
    Service s({});
    const auto r = s.malformed_http("bad method");
    CHECK(r.status == 400);
    CHECK(r.body.find("malformed HTTP request: bad method") != std::string::npos);
    CHECK(s.stats().responses_with(400) == 1);
    CHECK(s.stats().total_requests == 1);
}

TEST_CASE("mock::Service rate limit with a burst admits the burst, then the rate") {
    FaultOptions f;
    f.rate_limit = 10;
    f.rate_limit_burst = 3;
    Service s(with_faults(f), t0);
    for (int i = 0; i < 3; ++i)
        REQUIRE(handle(s, post("u" + std::to_string(i) + "@b.org"), t0).status == 201);
    const auto r = handle(s, post("late@b.org"), t0);
    CHECK(r.status == 429);
    CHECK(r.retry_after_s == 1);
    CHECK(handle(s, post("late@b.org"), t0 + 100ms).status == 201);
    const auto st = s.stats();
    CHECK(st.throttled_total == 1);
    CHECK(st.throttled_rate_limit == 1);
    CHECK(st.throttled_injected == 0);
}

TEST_CASE("mock::Service blocked window: every request 429 for the first T seconds, on every endpoint") {
    FaultOptions f;
    f.blocked_seconds = 30;
    f.blocked_retry_after_s = 5;
    f.drop_rate = 1.0;  // the block comes first: no request in the window is dropped
    Service s(with_faults(f), t0);
    for (const auto& c : {post("a@b.org"), get("/v1/viewer/users"), get("/v1/viewer/users?email=a@b.org"),
                          get("/v1/viewer/users/usr_00000000000000000000000000000000")}) {
        const auto r = handle(s, c, t0 + 10s);
        CHECK(r.status == 429);
        CHECK(r.retry_after_s == 5);
        CHECK_FALSE(r.drop);
    }
    // Auth still comes first, and the admin endpoint is never blocked.
    Call bad = post("a@b.org");
    bad.authorization = "";
    CHECK(handle(s, bad, t0 + 10s).status == 401);
    CHECK(handle(s, get("/__admin/stats"), t0 + 10s).status == 200);
    CHECK(s.stats().users_created == 0);
    // After the window the other faults are back.
    CHECK(handle(s, post("a@b.org"), t0 + 30s).drop);
    const auto st = s.stats();
    CHECK(st.throttled_blocked == 4);
    CHECK(st.throttled_total == 4);
    CHECK(st.responses_with(429) == 4);

    SUBCASE("without --blocked-retry-after, the seconds left") {
        FaultOptions g;
        g.blocked_seconds = 30;
        Service s2(with_faults(g), t0);
        CHECK(handle(s2, post("a@b.org"), t0 + 12500ms).retry_after_s == 18);
        CHECK(handle(s2, post("a@b.org"), t0 + 30s).status == 201);
    }
}

TEST_CASE("mock::Service counts requests, POSTs, creations and 429s per 1-second window") {
    FaultOptions f;
    f.rate_limit = 10;  // a token every 100 ms
    f.rate_limit_burst = 2;
    Service s(with_faults(f), t0);
    // Second 0: three POSTs, the third refused by the bucket. Second 1: nothing.
    // Second 2: a GET, a POST and a replayed POST (not a creation).
    handle(s, post("a@b.org", "ka"), t0);
    handle(s, post("b@b.org"), t0 + 1ms);
    handle(s, post("c@b.org"), t0 + 1ms);
    handle(s, get("/v1/viewer/users"), t0 + 2100ms);
    handle(s, post("d@b.org"), t0 + 2200ms);
    handle(s, post("a@b.org", "ka"), t0 + 2999ms);
    // Before the start (another thread's clock reading): the first window.
    handle(s, get("/v1/viewer/users"), t0 - 1ms);
    const auto st = s.stats();
    using V = std::vector<std::uint32_t>;
    CHECK(st.requests_per_second == V{4, 0, 3});
    CHECK(st.posts_per_second == V{3, 0, 2});
    CHECK(st.created_per_second == V{2, 0, 1});
    CHECK(st.throttled_per_second == V{1, 0, 0});
    CHECK(st.throttled_total == 1);
    simdjson::dom::parser parser;
    const auto doc = parse(parser, st.to_json());
    CHECK(int64_t(doc["postsPerSecond"].at(2)) == 2);
    CHECK(int64_t(doc["createdPerSecond"].at(0)) == 2);
}

TEST_CASE("mock::Service counts injected 429s apart from the rate limit's") {
    FaultOptions f;
    f.throttle_rate = 1.0;
    Service s(with_faults(f), t0);
    handle(s, post("a@b.org"), t0);
    handle(s, get("/v1/viewer/users"), t0);
    const auto st = s.stats();
    CHECK(st.throttled_injected == 2);
    CHECK(st.throttled_total == 2);
    CHECK(st.throttled_per_second == std::vector<std::uint32_t>{2});
}

namespace {

Call with_body(std::string method, std::string target, std::string body) {
    Call c;
    c.method = std::move(method);
    c.target = std::move(target);
    c.body = std::move(body);
    return c;
}

Call patch(const std::string& id, const std::string& body) {
    return with_body("PATCH", "/v1/viewer/users/" + id, body);
}

Call access(const std::string& what, const std::string& id) {
    return with_body("POST", "/v1/viewer/users/" + what, R"({"userId":")" + id + "\"}");
}

UserRecord seeded(std::string email, std::string level, std::string source) {
    UserRecord u;
    u.email = std::move(email);
    u.first_name = "Seed";
    u.last_name = "User";
    u.clinic_role = "Other";
    u.level = std::move(level);
    u.has_dashboard_access = true;
    u.invited_source = std::move(source);
    u.created_at = "2026-05-10T08:00:00Z";
    u.created_unix = *parse_rfc3339(*u.created_at);
    u.updated_at = *u.created_at;
    return u;
}

std::string created_id(Service& s, const std::string& email) {
    const auto r = handle(s, post(email));
    REQUIRE(r.status == 201);
    simdjson::dom::parser parser;
    return str(parse(parser, r.body)["userId"]);
}

std::vector<std::string> emails_listed(Service& s, const std::string& target) {
    std::vector<std::string> out;
    simdjson::dom::parser parser;
    std::string next = target;
    for (int pages = 0; pages < 100; ++pages) {
        const auto r = handle(s, get(next));
        REQUIRE_MESSAGE(r.status == 200, r.body);
        const auto doc = parse(parser, r.body);
        for (auto u : doc["users"].get_array())
            out.push_back(str(u["email"]));
        if (!bool(doc["hasMore"]))
            break;
        next = target + (target.find('?') == std::string::npos ? "?" : "&") + "cursor=" + str(doc["cursor"]);
    }
    return out;
}

}  // namespace

TEST_CASE("mock::Service PATCH changes only the fields given, null clears, and GET shows it") {
    Service s({}, t0);
    Call full;
    full.body = body_for("ada@example.org", R"(,"middleName":"B","phoneNumber":"5551234567")");
    const auto created = handle(s, full);
    REQUIRE(created.status == 201);
    simdjson::dom::parser parser;
    const std::string id = str(parse(parser, created.body)["userId"]);

    const auto r = handle(s, patch(id, R"({"clinicRole":"Surgeon","lastName":"King","middleName":null})"));
    REQUIRE(r.status == 200);
    const auto user = parse(parser, r.body);
    CHECK(str(user["clinicRole"]) == "Surgeon");
    CHECK(str(user["lastName"]) == "King");
    CHECK(user["middleName"].error() == simdjson::NO_SUCH_FIELD);
    CHECK(str(user["phoneNumber"]) == "5551234567");
    CHECK(str(user["firstName"]) == "Ada");
    CHECK(str(user["userId"]) == id);

    const auto again = handle(s, get("/v1/viewer/users/" + id));
    CHECK(again.body == r.body);
    CHECK(s.stats().users_updated == 1);

    SUBCASE("a replayed create still answers the original 201 body") {
        Service s2({}, t0);
        const auto first = handle(s2, post("x@example.org", "k1"));
        const std::string id2 = str(parse(parser, first.body)["userId"]);
        REQUIRE(handle(s2, patch(id2, R"({"firstName":"Xavier"})")).status == 200);
        CHECK(handle(s2, post("x@example.org", "k1")).body == first.body);
    }
}

TEST_CASE("mock::Service PATCH refuses an email change, bad fields, unknown users and owners") {
    Service s({}, t0);
    REQUIRE(s.seed({seeded("owner@clinic.org", "owner", "dashboard")}).has_value());
    const std::string id = created_id(s, "ada@example.org");
    simdjson::dom::parser parser;

    auto r = handle(s, patch(id, R"({"email":"new@example.org"})"));
    CHECK(r.status == 400);
    CHECK(str(parse(parser, r.body)["errors"].at(0)["field"]) == "email");
    r = handle(s, patch(id, R"({"level":"admin","hasDashboardAccess":false})"));
    CHECK(r.status == 400);
    CHECK(str(parse(parser, r.body)["errors"].at(0)["field"]) == "hasDashboardAccess");
    CHECK(handle(s, patch(id, "{")).status == 400);
    CHECK(handle(s, patch("usr_00000000000000000000000000000000", "{}")).status == 404);

    const auto owner = parse(parser, handle(s, get("/v1/viewer/users?email=owner@clinic.org")).body);
    const std::string owner_id = str(owner["users"].at(0)["userId"]);
    CHECK(handle(s, patch(owner_id, R"({"firstName":"X"})")).status == 400);
    CHECK(handle(s, access("revoke-access", owner_id)).status == 400);

    Call big = patch(id, "");
    big.too_large = true;
    CHECK(handle(s, big).status == 413);
    CHECK(s.stats().users_updated == 0);
    CHECK(str(parse(parser, handle(s, get("/v1/viewer/users/" + id)).body)["email"]) == "ada@example.org");
}

TEST_CASE("mock::Service revoke-access and reactivate: the user stays listed, unchanged; the stats know") {
    Service s({}, t0);
    const std::string id = created_id(s, "ada@example.org");
    const auto before = handle(s, get("/v1/viewer/users/" + id)).body;

    auto r = handle(s, access("revoke-access", id));
    CHECK(r.status == 200);
    CHECK(r.body == R"({"success":true})");
    // The API has no status field: a revoked user looks exactly as before, and is still listed.
    CHECK(handle(s, get("/v1/viewer/users/" + id)).body == before);
    CHECK(emails_listed(s, "/v1/viewer/users") == std::vector<std::string>{"ada@example.org"});
    CHECK(handle(s, post("ada@example.org")).status == 409);  // and cannot be invited again
    auto st = s.stats();
    CHECK(st.revocations == 1);
    CHECK(st.users_revoked == 1);
    CHECK(st.emails.at("ada@example.org").revoked);

    r = handle(s, access("revoke-access", id));
    CHECK(r.status == 200);
    CHECK(r.body.find("already revoked") != std::string::npos);
    CHECK(s.stats().revocations == 1);

    CHECK(handle(s, access("reactivate", id)).body == R"({"success":true})");
    st = s.stats();
    CHECK(st.reactivations == 1);
    CHECK(st.users_revoked == 0);
    CHECK_FALSE(st.emails.at("ada@example.org").revoked);
    CHECK(handle(s, access("reactivate", id)).body.find("already has access") != std::string::npos);

    CHECK(handle(s, access("revoke-access", "usr_00000000000000000000000000000000")).status == 404);
    CHECK(handle(s, with_body("POST", "/v1/viewer/users/reactivate", R"({"userId":3})")).status == 400);
    CHECK(handle(s, with_body("POST", "/v1/viewer/users/revoke-access", "nope")).status == 400);
    CHECK(handle(s, get("/v1/viewer/users/revoke-access")).status == 404);
}

TEST_CASE("mock::Service seeds users, and lists them with every filter and a base64 cursor") {
    Service s({}, t0);
    auto admin = seeded("Dash.Admin@clinic.org", "admin", "dashboard");
    admin.first_name = "Dana";
    admin.last_name = "Mac Donald";
    auto revoked = seeded("old@clinic.org", "member", "api");
    revoked.revoked = true;
    REQUIRE(s.seed({seeded("owner@clinic.org", "owner", "dashboard"), admin, revoked}).has_value());
    for (int i = 0; i < 30; ++i)
        created_id(s, "u" + std::to_string(i) + "@example.org");
    CHECK(s.stats().users_revoked == 1);
    CHECK(s.stats().emails.at("old@clinic.org").revoked);

    CHECK(emails_listed(s, "/v1/viewer/users").size() == 33);
    CHECK(emails_listed(s, "/v1/viewer/users?limit=7").size() == 33);
    CHECK(emails_listed(s, "/v1/viewer/users?level=owner") == std::vector<std::string>{"owner@clinic.org"});
    CHECK(emails_listed(s, "/v1/viewer/users?level=admin") ==
          std::vector<std::string>{"Dash.Admin@clinic.org"});
    CHECK(emails_listed(s, "/v1/viewer/users?invitedSource=dashboard").size() == 2);
    CHECK(emails_listed(s, "/v1/viewer/users?invitedSource=api&limit=3").size() == 31);
    CHECK(emails_listed(s, "/v1/viewer/users?firstName=dan") ==
          std::vector<std::string>{"Dash.Admin@clinic.org"});
    CHECK(emails_listed(s, "/v1/viewer/users?lastName=mac%20don").size() == 1);
    CHECK(emails_listed(s, "/v1/viewer/users?lastName=Lovelace&level=member").size() == 30);
    CHECK(emails_listed(s, "/v1/viewer/users?email=DASH.admin@clinic.org").size() == 1);
    CHECK(emails_listed(s, "/v1/viewer/users?email=dash.admin@clinic.org&level=member").empty());

    simdjson::dom::parser parser;
    const auto page = parse(parser, handle(s, get("/v1/viewer/users?limit=2&level=member")).body);
    CHECK(page["users"].get_array().size() == 2);
    CHECK(bool(page["hasMore"]));
    CHECK(decode_cursor(str(page["cursor"])).has_value());
    const auto r = handle(s, get("/v1/viewer/users?level=boss"));
    CHECK(r.status == 400);
    CHECK(str(parse(parser, r.body)["errors"].at(0)["field"]) == "level");

    SUBCASE("a seed with an email or an id twice is refused") {
        Service s2({}, t0);
        CHECK_FALSE(
            s2.seed({seeded("a@b.org", "member", "api"), seeded("A@b.org", "admin", "api")}).has_value());
        Service s3({}, t0);
        auto x = seeded("x@b.org", "member", "api");
        auto y = seeded("y@b.org", "member", "api");
        x.id = y.id = "usr_0123456789abcdef0123456789abcdef";
        CHECK_FALSE(s3.seed({x, y}).has_value());
    }
}

TEST_CASE("mock::Service serves /v1/viewer/users/invitations as its own route, with its filters") {
    Service s({}, t0);
    auto logged_in = seeded("in@clinic.org", "member", "dashboard");
    logged_in.last_login_at = "2026-05-11T08:00:00Z";
    REQUIRE(s.seed({seeded("owner@clinic.org", "owner", "dashboard"), logged_in}).has_value());
    const std::string ada = created_id(s, "ada@example.org");
    const std::string bob = created_id(s, "bob@example.org");
    REQUIRE(handle(s, access("revoke-access", bob)).status == 200);

    simdjson::dom::parser parser;
    auto listed = [&](const std::string& query) {
        const auto r = handle(s, get("/v1/viewer/users/invitations" + query));
        REQUIRE_MESSAGE(r.status == 200, r.body);
        std::vector<std::string> out;
        const auto doc = parse(parser, r.body);
        for (auto inv : doc["invitations"].get_array())
            out.push_back(str(inv["email"]) + ":" + str(inv["status"]));
        return out;
    };
    using V = std::vector<std::string>;
    CHECK(listed("") == V{"in@clinic.org:accepted", "ada@example.org:sent", "bob@example.org:revoked"});
    CHECK(listed("?status=sent,revoked") == V{"ada@example.org:sent", "bob@example.org:revoked"});
    CHECK(listed("?userId=" + ada) == V{"ada@example.org:sent"});
    CHECK(listed("?expired=expired") == V{"in@clinic.org:accepted"});  // seeded in May
    CHECK(listed("?expired=not-expired&limit=1").size() == 1);
    CHECK(listed("?endDate=2026-06-01") == V{"in@clinic.org:accepted"});
    CHECK(handle(s, get("/v1/viewer/users/invitations?status=pending")).status == 400);

    const auto doc = parse(parser, handle(s, get("/v1/viewer/users/invitations?userId=" + ada)).body);
    const std::string inv = str(doc["invitations"].at(0)["invitationId"]);
    CHECK(inv.starts_with("inv_"));
    CHECK(str(doc["invitations"].at(0)["userId"]) == ada);
    const auto one = handle(s, get("/v1/viewer/users/invitations/" + inv));
    CHECK(one.status == 200);
    CHECK(str(parse(parser, one.body)["invitationId"]) == inv);
    CHECK(handle(s, get("/v1/viewer/users/invitations/inv_0")).status == 404);

    Service s2({}, t0);
    auto fixed = seeded("fixed@clinic.org", "member", "api");
    fixed.invitation_id = "inv_1234567890abcdef1234567890abcdef";
    REQUIRE(s2.seed({fixed}).has_value());
    CHECK(handle(s2, get("/v1/viewer/users/invitations/inv_1234567890abcdef1234567890abcdef")).status == 200);
    Service s3({}, t0);
    auto twin = seeded("twin@clinic.org", "member", "api");
    twin.invitation_id = fixed.invitation_id;
    CHECK_FALSE(s3.seed({fixed, twin}).has_value());
    CHECK(handle(s, with_body("POST", "/v1/viewer/users/invitations", "{}")).status == 404);
}

TEST_CASE("mock::Service updates and revokes a pending invitation") {
    Service s({}, t0);
    const std::string ada = created_id(s, "ada@example.org");
    simdjson::dom::parser parser;
    const auto listed = parse(parser, handle(s, get("/v1/viewer/users/invitations?userId=" + ada)).body);
    const std::string inv = str(listed["invitations"].at(0)["invitationId"]);

    auto r =
        handle(s, with_body("PATCH", "/v1/viewer/users/invitations/" + inv, R"({"clinicRole":"Surgeon"})"));
    REQUIRE(r.status == 200);
    CHECK(str(parse(parser, r.body)["clinicRole"]) == "Surgeon");
    CHECK(str(parse(parser, handle(s, get("/v1/viewer/users/" + ada)).body)["clinicRole"]) == "Surgeon");
    CHECK(handle(s, with_body("PATCH", "/v1/viewer/users/invitations/" + inv, R"({"email":"x@y.org"})"))
              .status == 400);

    const auto revoke = [](const std::string& body) {
        return with_body("POST", "/v1/viewer/users/invitations/revoke", body);
    };
    CHECK(handle(s, revoke("{}")).status == 400);
    CHECK(handle(s, revoke(R"({"invitationId":"inv_1"})")).status == 400);
    CHECK(handle(s, revoke(R"({"invitationId":"inv_00000000000000000000000000000000"})")).status == 404);
    CHECK(handle(s, revoke(R"({"invitationId":")" + inv +
                           R"(","userId":"usr_00000000000000000000000000000000"})"))
              .status == 400);
    r = handle(s, revoke(R"({"userId":")" + ada + "\"}"));
    CHECK(r.status == 200);
    CHECK(r.body == R"({"success":true})");
    CHECK(str(parse(parser, handle(s, get("/v1/viewer/users/invitations/" + inv)).body)["status"]) ==
          "revoked");
    CHECK(handle(s, revoke(R"({"invitationId":")" + inv + "\"}")).body.find("already revoked") !=
          std::string::npos);
    // Only a pending invitation changes; the user's access is another matter.
    CHECK(handle(s, with_body("PATCH", "/v1/viewer/users/invitations/" + inv, "{}")).status == 400);
    CHECK(s.stats().users_revoked == 0);
}

TEST_CASE("mock::Service: every endpoint takes the same faults") {
    for (const auto& c :
         {get("/v1/viewer/users"), get("/v1/viewer/users/usr_00000000000000000000000000000000"),
          patch("usr_00000000000000000000000000000000", "{}"),
          access("revoke-access", "usr_00000000000000000000000000000000"),
          access("reactivate", "usr_00000000000000000000000000000000"), get("/v1/viewer/users/invitations"),
          get("/v1/viewer/users/invitations/inv_0"),
          with_body("PATCH", "/v1/viewer/users/invitations/inv_0", "{}"),
          with_body("POST", "/v1/viewer/users/invitations/revoke", "{}")}) {
        CAPTURE(c.method);
        CAPTURE(c.target);
        FaultOptions f;
        f.fail_rate = 1.0;
        Service failing(with_faults(f), t0);
        CHECK(handle(failing, c).status == 503);
        f = {};
        f.throttle_rate = 1.0;
        Service throttling(with_faults(f), t0);
        CHECK(handle(throttling, c).status == 429);
        f = {};
        f.drop_rate = 1.0;
        Service dropping(with_faults(f), t0);
        CHECK(handle(dropping, c).drop);
        f = {};
        f.rate_limit = 1;
        Service limited(with_faults(f), t0);
        handle(limited, c);
        CHECK(handle(limited, c).status == 429);
    }
}

TEST_CASE("mock::Service: a revoke dropped after it took effect has revoked") {
    FaultOptions f;
    f.drop_rate = 1.0;
    f.seed = 1;
    Service s(with_faults(f), t0);
    REQUIRE(s.seed({seeded("a@b.org", "member", "api")}).has_value());
    const auto id = s.stats().emails.at("a@b.org").user_id;
    int after = 0;
    for (int i = 0; i < 40 && !after; ++i) {
        const auto r = handle(s, access("revoke-access", id));
        REQUIRE(r.drop);
        after = s.stats().users_revoked == 1;
    }
    CHECK(after);
    CHECK(s.stats().dropped_after_create >= 1);
}

TEST_SUITE_END();
