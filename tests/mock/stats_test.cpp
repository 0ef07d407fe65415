#include "avara_onboard/mock/stats.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

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
    s.emails["a@b.org"] = {2, "usr_00000000000000000000000000000001"};
    s.emails["q\"uote@b.org"] = {1, ""};
    CHECK(s.to_json() ==
          R"({"usersCreated":2,"totalRequests":5,"maxInFlight":3,"maxPostsPerSecond":4,)"
          R"("dropped":{"beforeCreate":1,"afterCreate":0},"responses":{"201":2,"409":1},)"
          R"("emails":{"a@b.org":{"attempts":2,"userId":"usr_00000000000000000000000000000001"},)"
          R"("q\"uote@b.org":{"attempts":1,"userId":null}}})");
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE_FALSE(parser.parse(s.to_json()).get(doc));
    CHECK(int64_t(doc["emails"]["q\"uote@b.org"]["attempts"]) == 1);
}

TEST_CASE("mock::Stats looks figures up by status and by email in any case") {
    Stats s;
    s.responses[429] = 7;
    s.emails["ada@example.org"] = {3, ""};
    CHECK(s.responses_with(429) == 7);
    CHECK(s.responses_with(500) == 0);
    CHECK(s.attempts("Ada@Example.ORG") == 3);
    CHECK(s.attempts("nobody@example.org") == 0);
}

TEST_CASE("mock::Stats::to_json of nothing is still complete") {
    CHECK(Stats{}.to_json() == R"({"usersCreated":0,"totalRequests":0,"maxInFlight":0,"maxPostsPerSecond":0,)"
                               R"("dropped":{"beforeCreate":0,"afterCreate":0},"responses":{},"emails":{}})");
}

TEST_SUITE_END();
