#include "avara_onboard/mock/stats.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <vector>

using namespace avara::mock;

TEST_SUITE_BEGIN("mock");

TEST_CASE("mock::Stats::to_json is the state file's shape") {
    Stats s;
    s.users_created = 2;
    s.total_requests = 5;
    s.max_in_flight = 3;
    s.max_posts_per_second = 4;
    s.dropped_before_create = 1;
    s.dropped_after_create = 0;
    s.responses[201] = 2;
    s.responses[409] = 1;
    s.emails["a@b.org"] = {2, "usr_00000000000000000000000000000001", false};
    s.emails["q\"uote@b.org"] = {1, "", false};
    CHECK(s.to_json() ==
          R"({"usersCreated":2,"usersUpdated":0,"revocations":0,"reactivations":0,"usersRevoked":0,)"
          R"("totalRequests":5,"maxInFlight":3,"maxPostsPerSecond":4,)"
          R"("dropped":{"beforeCreate":1,"afterCreate":0},"throttledTotal":0,)"
          R"("throttled":{"injected":0,"rateLimit":0,"blocked":0},"requestsPerSecond":[],)"
          R"("postsPerSecond":[],"createdPerSecond":[],"throttledPerSecond":[],)"
          R"("responses":{"201":2,"409":1},)"
          R"("emails":{"a@b.org":{"attempts":2,"userId":"usr_00000000000000000000000000000001",)"
          R"("revoked":false},"q\"uote@b.org":{"attempts":1,"userId":null,"revoked":false}}})");
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE_FALSE(parser.parse(s.to_json()).get(doc));
    CHECK(int64_t(doc["emails"]["q\"uote@b.org"]["attempts"]) == 1);
}

TEST_CASE("mock::Stats::to_json writes the throttling figures and the per-second counts") {
    Stats s;
    s.throttled_total = 6;
    s.throttled_injected = 1;
    s.throttled_rate_limit = 2;
    s.throttled_blocked = 3;
    s.requests_per_second = {4, 0, 9};
    s.posts_per_second = {3, 0, 8};
    s.created_per_second = {1, 0, 5};
    s.throttled_per_second = {2, 0, 3};
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE_FALSE(parser.parse(s.to_json()).get(doc));
    CHECK(int64_t(doc["throttledTotal"]) == 6);
    CHECK(int64_t(doc["throttled"]["injected"]) == 1);
    CHECK(int64_t(doc["throttled"]["rateLimit"]) == 2);
    CHECK(int64_t(doc["throttled"]["blocked"]) == 3);
    std::vector<int64_t> posts;
    for (auto v : doc["postsPerSecond"].get_array())
        posts.push_back(int64_t(v));
    CHECK(posts == std::vector<int64_t>{3, 0, 8});
    CHECK(int64_t(doc["createdPerSecond"].at(2)) == 5);
    CHECK(int64_t(doc["requestsPerSecond"].at(0)) == 4);
    CHECK(int64_t(doc["throttledPerSecond"].at(2)) == 3);
}

TEST_CASE("mock::Stats looks figures up by status and by email in any case") {
    Stats s;
    s.responses[429] = 7;
    s.emails["ada@example.org"] = {3, "", true};
    CHECK(s.responses_with(429) == 7);
    CHECK(s.responses_with(500) == 0);
    CHECK(s.attempts("Ada@Example.ORG") == 3);
    CHECK(s.attempts("nobody@example.org") == 0);
}

TEST_CASE("mock::Stats::to_json of nothing is still complete") {
    CHECK(Stats{}.to_json() == R"({"usersCreated":0,"usersUpdated":0,"revocations":0,"reactivations":0,)"
                               R"("usersRevoked":0,"totalRequests":0,"maxInFlight":0,"maxPostsPerSecond":0,)"
                               R"("dropped":{"beforeCreate":0,"afterCreate":0},"throttledTotal":0,)"
                               R"("throttled":{"injected":0,"rateLimit":0,"blocked":0},)"
                               R"("requestsPerSecond":[],"postsPerSecond":[],"createdPerSecond":[],)"
                               R"("throttledPerSecond":[],"responses":{},"emails":{}})");
}

TEST_SUITE_END();
