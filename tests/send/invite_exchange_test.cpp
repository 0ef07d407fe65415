#include "avara_onboard/send/invite_exchange.hpp"

#include <doctest/doctest.h>

using namespace avara;
using namespace avara::send;

namespace {
std::string header(const net::HttpRequest& r, std::string_view name) {
    for (const auto& h : r.headers) {
        if (h.name == name)
            return h.value;
    }
    return "<absent>";
}
}  // namespace

TEST_SUITE_BEGIN("send");

TEST_CASE("send::idempotency_key is stable per email, case-insensitive, and differs between emails") {
    const auto key = idempotency_key("Dr.Johnson@Hospital.org");
    CHECK(key == idempotency_key("dr.johnson@hospital.org"));
    CHECK(key != idempotency_key("dr.johnson@hospital.com"));
    CHECK(key.rfind("avara-onboard-", 0) == 0);
    CHECK(key.size() == 14 + 64);
    // Fixed for all time: changing it would let a --resume after an upgrade create second users.
    // (SHA-256 of "a@b.org".)
    CHECK(idempotency_key("A@B.org") ==
          "avara-onboard-" + std::string("5b26064bbe849dabc6e30cd26694c2cf44dc41a9171fbdae13c722e55f9ff041"));
}

TEST_CASE("send::idempotency_key lowers an address of any length the same way") {
    // Up to 256 bytes the address is lowered on the stack, past that on the heap: both paths agree
    // with hashing the lowered text, at the edge and past it.
    for (const std::size_t size : {std::size_t{255}, std::size_t{256}, std::size_t{257}, std::size_t{4000}}) {
        CAPTURE(size);
        const std::string upper = std::string(size - 8, 'A') + "@B.ORG.X";
        const std::string lower = std::string(size - 8, 'a') + "@b.org.x";
        REQUIRE(upper.size() == size);
        CHECK(idempotency_key(upper) == idempotency_key(lower));
        CHECK(idempotency_key(upper) != idempotency_key(lower.substr(1)));
    }
    CHECK(idempotency_key(std::string(300, 'q')) != idempotency_key(std::string(256, 'q')));
}

TEST_CASE("send::invite_request carries the contract's headers and the body as given") {
    const auto r = invite_request(R"({"email":"a@b.org"})", "a@b.org", "sk_test");
    CHECK(r.method == "POST");
    CHECK(r.target == "/v1/viewer/users");
    CHECK(r.body == R"({"email":"a@b.org"})");
    CHECK(header(r, "Authorization") == "Bearer sk_test");
    CHECK(header(r, "Content-Type") == "application/json");
    CHECK(header(r, "Accept") == "application/json");
    CHECK(header(r, "User-Agent") == "avara-onboard/" AVARA_VERSION);
    CHECK(header(r, "Idempotency-Key") == idempotency_key("a@b.org"));
}

TEST_CASE("send::lookup_request encodes the email") {
    const auto r = lookup_request("a+b@c.org", "k");
    CHECK(r.method == "GET");
    CHECK(r.target == "/v1/viewer/users?email=a%2Bb%40c.org&limit=1");
    CHECK(header(r, "Idempotency-Key") == "<absent>");
    CHECK(percent_encode("x y/~") == "x%20y%2F~");
}

TEST_CASE("send::user_id_from_invite and user_id_from_lookup read the replies") {
    CHECK(user_id_from_invite(R"({"userId":"usr_1234567890abcdef1234567890abcdef","email":"a@b.org"})") ==
          std::string("usr_1234567890abcdef1234567890abcdef"));
    CHECK_FALSE(user_id_from_invite("not json"));
    CHECK_FALSE(user_id_from_invite(R"({"id":1})"));
    const auto list = R"({"users":[{"userId":"usr_a","email":"x@b.org"},{"userId":"usr_b","email":"A@B.org"}],
                         "cursor":null,"hasMore":false})";
    CHECK(user_id_from_lookup(list, "a@b.org") == std::string("usr_b"));
    CHECK_FALSE(user_id_from_lookup(list, "c@b.org"));
    CHECK_FALSE(user_id_from_lookup(R"({"users":{}})", "a@b.org"));
}

TEST_CASE("send::server_message gives the status, the message and the per-field errors on one line") {
    CHECK(
        server_message(422, R"({"message":"Invalid input","errors":[{"field":"email","message":"bad"}]})") ==
        "HTTP 422: Invalid input (email: bad)");
    CHECK(server_message(400, "plain\ntext") == "HTTP 400: plain text");
    CHECK(server_message(500, "") == "HTTP 500");
    CHECK(server_message(503, std::string(500, 'x')).size() < 220);
}

TEST_SUITE_END();
