#include "avara_onboard/flow/row_lifecycle.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace avara;
using namespace std::chrono_literals;
using flow::Feedback;
using flow::RequestOutcome;
using flow::RowAction;
using flow::RowLifecycle;
using flow::Settlement;
using flow::Step;
using report::Status;

namespace {

const auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 56);

flow::RetryPolicy policy_with(int max_retries, std::chrono::milliseconds max_wait = 300s) {
    flow::RetryParams p;
    p.max_retries = max_retries;
    p.max_wait = max_wait;
    return flow::RetryPolicy(p);
}

RequestOutcome http(int status, std::string problem = "", const char* retry_after = "",
                    const char* should_retry = "") {
    RequestOutcome o;
    o.attempt = flow::HttpReply{status, should_retry, "", retry_after};
    o.problem = std::move(problem);
    return o;
}

RequestOutcome created(std::string id) {
    RequestOutcome o = http(201);
    o.user_id = std::move(id);
    return o;
}

RequestOutcome transport(bool left, flow::TlsFailure tls = flow::TlsFailure::none) {
    RequestOutcome o;
    o.left_machine = left;
    o.tls_failure = tls;
    o.problem = "127.0.0.1:1: connection closed";
    return o;
}

// Steps a fresh row to its first request.
RowLifecycle at_first_request(const flow::RetryPolicy& policy) {
    RowLifecycle row(policy, 7, 9, "ada@example.org");
    REQUIRE(row.start().step == Step::acquire_slot);
    REQUIRE(row.on_slot().step == Step::send);
    REQUIRE(row.request() == flow::Request::invite);
    return row;
}

}  // namespace

TEST_SUITE_BEGIN("flow");

TEST_CASE("flow::RowLifecycle: 2xx is invited with the server's userId, in one request") {
    const auto policy = policy_with(5);
    RowLifecycle row = at_first_request(policy);
    const RowAction a = row.on_reply(created("usr_1"), now, 0.5);
    CHECK(a.step == Step::finish);
    CHECK(a.feedback == Feedback::accepted);
    CHECK(row.settlement() == Settlement::report);
    CHECK(row.result().status == Status::invited);
    CHECK(row.result().user_id == "usr_1");
    CHECK(row.result().http_status == 201);
    CHECK(row.result().attempts == 1);
    CHECK(row.result().row == 7);
    CHECK(row.result().line == 9);
    CHECK_FALSE(row.abort());

    SUBCASE("a 2xx without userId is still invited, and says so") {
        RowLifecycle other = at_first_request(policy);
        (void)other.on_reply(http(200), now, 0.5);
        CHECK(other.result().status == Status::invited);
        CHECK(other.result().error == "the server's reply held no userId");
    }
}

TEST_CASE("flow::RowLifecycle: 409 looks the id up under the rate budget, then is exists") {
    const auto policy = policy_with(5);
    RowLifecycle row = at_first_request(policy);
    RowAction a = row.on_reply(http(409, "HTTP 409: exists"), now, 0.5);
    CHECK(a.step == Step::acquire_slot);  // the lookup takes a slot like any request
    CHECK(a.feedback == Feedback::accepted);
    CHECK(row.on_slot().step == Step::send);
    CHECK(row.request() == flow::Request::lookup);

    SUBCASE("found") {
        RequestOutcome found = http(200);
        found.user_id = "usr_9";
        a = row.on_reply(found, now, 0.5);
        CHECK(a.step == Step::finish);
        CHECK(row.result().status == Status::exists);
        CHECK(row.result().user_id == "usr_9");
        CHECK(row.result().http_status == 409);
        CHECK(row.result().attempts == 2);
        CHECK(row.result().error.empty());
    }
    SUBCASE("not found") {
        (void)row.on_reply(http(200), now, 0.5);
        CHECK(row.result().status == Status::exists);
        CHECK(row.result().error == "user id lookup found no user with this email");
    }
    SUBCASE("the lookup fails: one try, a note, still exists") {
        a = row.on_reply(http(503, "HTTP 503"), now, 0.5);
        CHECK(a.step == Step::finish);
        CHECK(row.result().status == Status::exists);
        CHECK(row.result().error == "user id lookup failed: HTTP 503");
    }
    SUBCASE("a 429 on the lookup teaches the limiter") {
        a = row.on_reply(http(429, "HTTP 429"), now, 0.5);
        CHECK(a.feedback == Feedback::throttled);
        CHECK(row.result().status == Status::exists);
    }
    SUBCASE("a stop before the lookup's slot") {
        RowLifecycle stopped = at_first_request(policy);
        (void)stopped.on_reply(http(409), now, 0.5);
        CHECK(stopped.on_stop().step == Step::finish);
        CHECK(stopped.settlement() == Settlement::report);
        CHECK(stopped.result().status == Status::exists);
        CHECK(stopped.result().error == "user id not looked up: the run stopped");
    }
}

TEST_CASE("flow::RowLifecycle: other 4xx is rejected with the server's message, never retried") {
    const auto policy = policy_with(5);
    for (int status : {400, 404, 413, 422}) {
        CAPTURE(status);
        RowLifecycle row = at_first_request(policy);
        const RowAction a = row.on_reply(http(status, "HTTP 400: bad (email: invalid)"), now, 0.5);
        CHECK(a.step == Step::finish);
        CHECK(row.result().status == Status::rejected);
        CHECK(row.result().error == "HTTP 400: bad (email: invalid)");
        CHECK(row.result().attempts == 1);
    }
}

TEST_CASE("flow::RowLifecycle: 401 and 403 fail the row and abort the run") {
    const auto policy = policy_with(5);
    for (int status : {401, 403}) {
        CAPTURE(status);
        RowLifecycle row = at_first_request(policy);
        const RowAction a = row.on_reply(http(status, "HTTP 401: bad key"), now, 0.5);
        CHECK(a.step == Step::finish);
        CHECK(row.result().status == Status::failed);
        REQUIRE(row.abort());
        CHECK(row.abort()->kind == ErrorKind::auth);
        CHECK(row.result().error.find("fix the key, then --resume") != std::string::npos);
    }
}

TEST_CASE("flow::RowLifecycle: 408, 429, 5xx and transport failures wait, holding no slot, then retry") {
    const auto policy = policy_with(2);
    RowLifecycle row = at_first_request(policy);
    RowAction a = row.on_reply(http(503, "HTTP 503"), now, 0.0);
    CHECK(a.step == Step::wait);
    CHECK(a.delay == 500ms);  // our backoff: 0.5 s x 2^0, no jitter
    CHECK(a.feedback == Feedback::accepted);
    CHECK(row.on_wait_over().step == Step::acquire_slot);
    CHECK(row.on_slot().step == Step::send);
    CHECK(row.request() == flow::Request::invite);

    a = row.on_reply(http(429, "HTTP 429", "3"), now, 0.0);
    CHECK(a.step == Step::wait);
    CHECK(a.delay == 3s);  // at least the Retry-After
    CHECK(a.feedback == Feedback::throttled);
    CHECK(a.server_wait == 3s);
    (void)row.on_wait_over();
    (void)row.on_slot();

    SUBCASE("retries exhausted: failed, with the attempts and the last problem") {
        a = row.on_reply(transport(true), now, 0.0);
        CHECK(a.step == Step::finish);
        CHECK(a.feedback == Feedback::none);
        CHECK(row.result().status == Status::failed);
        CHECK(row.result().attempts == 3);
        CHECK(row.result().error == "127.0.0.1:1: connection closed (gave up after 3 attempts)");
        CHECK(row.settlement() == Settlement::report);
    }
    SUBCASE("the last try succeeds") {
        (void)row.on_reply(created("usr_2"), now, 0.0);
        CHECK(row.result().status == Status::invited);
        CHECK(row.result().attempts == 3);
        CHECK(row.result().http_status == 201);
    }
}

TEST_CASE("flow::RowLifecycle: x-should-retry is obeyed both ways") {
    const auto policy = policy_with(5);
    RowLifecycle no = at_first_request(policy);
    (void)no.on_reply(http(503, "HTTP 503", "", "false"), now, 0.0);
    CHECK(no.step() == Step::finish);
    CHECK(no.result().status == Status::failed);
    CHECK(no.result().attempts == 1);

    RowLifecycle yes = at_first_request(policy);
    CHECK(yes.on_reply(http(400, "HTTP 400", "", "true"), now, 0.0).step == Step::wait);
}

TEST_CASE("flow::RowLifecycle: a wait over --max-wait fails the row and aborts, naming when") {
    const auto policy = policy_with(5, 10s);
    RowLifecycle row = at_first_request(policy);
    const RowAction a = row.on_reply(http(429, "HTTP 429", "3600"), now, 0.0);
    CHECK(a.step == Step::finish);
    CHECK(a.feedback == Feedback::throttled);
    CHECK(row.result().status == Status::failed);
    REQUIRE(row.abort());
    CHECK(row.abort()->kind == ErrorKind::interrupted);
    CHECK(row.abort()->message.find("longer than --max-wait") != std::string::npos);
    CHECK(row.abort()->message.find(" UTC") != std::string::npos);
}

TEST_CASE("flow::RowLifecycle: a TLS failure no retry can mend aborts once") {
    const auto policy = policy_with(5);
    SUBCASE("on the first request: nothing left, so the row is left for --resume") {
        RowLifecycle row = at_first_request(policy);
        const RowAction a = row.on_reply(transport(false, flow::TlsFailure::certificate), now, 0.0);
        CHECK(a.step == Step::finish);
        CHECK(row.settlement() == Settlement::leave_for_resume);
        CHECK(row.requests_sent() == 0);
        REQUIRE(row.abort());
        CHECK(row.abort()->kind == ErrorKind::tls);
        CHECK(row.abort()->message.find("--ca-file") != std::string::npos);
    }
    SUBCASE("a protocol failure says what to check") {
        RowLifecycle row = at_first_request(policy);
        (void)row.on_reply(transport(false, flow::TlsFailure::protocol), now, 0.0);
        REQUIRE(row.abort());
        CHECK(row.abort()->message.find("HTTPS") != std::string::npos);
    }
    SUBCASE("after requests went out: failed, reported") {
        RowLifecycle row = at_first_request(policy);
        (void)row.on_reply(http(503, "HTTP 503"), now, 0.0);
        (void)row.on_wait_over();
        (void)row.on_slot();
        (void)row.on_reply(transport(false, flow::TlsFailure::protocol), now, 0.0);
        CHECK(row.settlement() == Settlement::report);
        CHECK(row.result().status == Status::failed);
        CHECK(row.result().attempts == 1);
    }
    SUBCASE("a reset during the handshake is only a transport failure") {
        RowLifecycle row = at_first_request(policy);
        CHECK(row.on_reply(transport(false), now, 0.0).step == Step::wait);
        CHECK_FALSE(row.abort());
    }
}

TEST_CASE("flow::RowLifecycle: attempts count only requests that left the machine") {
    const auto policy = policy_with(1);
    RowLifecycle row = at_first_request(policy);
    (void)row.on_reply(transport(false), now, 0.0);  // connection refused: nothing sent
    (void)row.on_wait_over();
    (void)row.on_slot();
    (void)row.on_reply(transport(false), now, 0.0);
    CHECK(row.step() == Step::finish);
    CHECK(row.result().status == Status::failed);
    CHECK(row.result().attempts == 0);
    CHECK(row.settlement() == Settlement::report);  // it was tried; the report says why it failed
    CHECK(row.result().error.find("gave up after 2 attempts") != std::string::npos);
}

TEST_CASE("flow::RowLifecycle: a stop in each state") {
    const auto policy = policy_with(5);
    SUBCASE("waiting for its first slot: left for --resume") {
        RowLifecycle row(policy, 1, 2, "a@example.org");
        (void)row.start();
        CHECK(row.on_stop().step == Step::finish);
        CHECK(row.settlement() == Settlement::leave_for_resume);
        CHECK_FALSE(row.abort());
    }
    SUBCASE("waiting to retry after a request left: failed, saying what it last saw") {
        RowLifecycle row = at_first_request(policy);
        (void)row.on_reply(http(503, "HTTP 503"), now, 0.0);
        CHECK(row.on_stop().step == Step::finish);
        CHECK(row.settlement() == Settlement::report);
        CHECK(row.result().status == Status::failed);
        CHECK(row.result().error == "HTTP 503; the run stopped before the next retry");
        CHECK(row.result().attempts == 1);
    }
    SUBCASE("waiting for the slot of a retry") {
        RowLifecycle row = at_first_request(policy);
        (void)row.on_reply(http(429, "HTTP 429", "100"), now, 0.0);
        (void)row.on_wait_over();
        (void)row.on_stop();
        CHECK(row.result().status == Status::failed);
        CHECK(row.result().http_status == 429);
    }
    SUBCASE("waiting to retry when nothing ever left: left for --resume") {
        RowLifecycle row = at_first_request(policy);
        (void)row.on_reply(transport(false), now, 0.0);
        (void)row.on_stop();
        CHECK(row.settlement() == Settlement::leave_for_resume);
    }
}

TEST_CASE("flow::RowLifecycle: sync's changes") {
    const auto policy = policy_with(2);
    SUBCASE("update: a 2xx is updated, a 404 rejected, a 409 rejected (no lookup)") {
        RowLifecycle row(policy, 3, 4, "b@example.org", flow::Operation::update);
        (void)row.start();
        (void)row.on_slot();
        CHECK(row.request() == flow::Request::update);
        CHECK(row.on_reply(http(200), now, 0.0).step == Step::finish);
        CHECK(row.result().status == Status::updated);
        RowLifecycle gone(policy, 3, 4, "b@example.org", flow::Operation::update);
        (void)gone.start();
        (void)gone.on_slot();
        (void)gone.on_reply(http(404, "HTTP 404: user not found"), now, 0.0);
        CHECK(gone.result().status == Status::rejected);
        CHECK_FALSE(gone.abort());
        RowLifecycle conflict(policy, 3, 4, "b@example.org", flow::Operation::update);
        (void)conflict.start();
        (void)conflict.on_slot();
        CHECK(conflict.on_reply(http(409, "HTTP 409"), now, 0.0).step == Step::finish);
        CHECK(conflict.result().status == Status::rejected);
    }
    SUBCASE("reactivate then update: two requests, each under the budget, then reactivated") {
        RowLifecycle row(policy, 5, 6, "c@example.org", flow::Operation::reactivate, flow::FollowUp::update);
        (void)row.start();
        (void)row.on_slot();
        CHECK(row.request() == flow::Request::reactivate);
        CHECK(row.on_reply(http(200), now, 0.0).step == Step::acquire_slot);
        (void)row.on_slot();
        CHECK(row.request() == flow::Request::update);
        (void)row.on_reply(http(503, "HTTP 503"), now, 0.0);  // the update is retried on its own
        CHECK(row.step() == Step::wait);
        (void)row.on_wait_over();
        (void)row.on_slot();
        CHECK(row.request() == flow::Request::update);
        (void)row.on_reply(http(200), now, 0.0);
        CHECK(row.result().status == Status::reactivated);
        CHECK(row.result().attempts == 3);
    }
    SUBCASE("reactivate alone") {
        RowLifecycle row(policy, 5, 6, "c@example.org", flow::Operation::reactivate);
        (void)row.start();
        (void)row.on_slot();
        (void)row.on_reply(http(200), now, 0.0);
        CHECK(row.result().status == Status::reactivated);
    }
    SUBCASE("revoke: a 2xx is revoked; anything else stops the run") {
        RowLifecycle row(policy, 0, 0, "d@example.org", flow::Operation::revoke);
        (void)row.start();
        (void)row.on_slot();
        CHECK(row.request() == flow::Request::revoke);
        (void)row.on_reply(http(200), now, 0.0);
        CHECK(row.result().status == Status::revoked);
        CHECK_FALSE(row.abort());
        RowLifecycle refused(policy, 0, 0, "d@example.org", flow::Operation::revoke);
        (void)refused.start();
        (void)refused.on_slot();
        (void)refused.on_reply(http(400, "HTTP 400: no"), now, 0.0);
        CHECK(refused.result().status == Status::rejected);
        REQUIRE(refused.abort());
        CHECK(refused.abort()->message.find("revocations stopped") != std::string::npos);
        RowLifecycle tired(policy, 0, 0, "d@example.org", flow::Operation::revoke);
        (void)tired.start();
        for (int i = 0; i < 3; ++i) {
            (void)tired.on_slot();
            (void)tired.on_reply(http(503, "HTTP 503"), now, 0.0);
            if (tired.step() == Step::wait)
                (void)tired.on_wait_over();
        }
        CHECK(tired.result().status == Status::failed);
        CHECK(tired.abort());
    }
}

TEST_CASE("flow::to_string(Step)") {
    CHECK(std::string(flow::to_string(Step::acquire_slot)) == "acquire_slot");
    CHECK(std::string(flow::to_string(Step::send)) == "send");
    CHECK(std::string(flow::to_string(flow::Request::update)) == "update");
    CHECK(std::string(flow::to_string(Step::wait)) == "wait");
    CHECK(std::string(flow::to_string(Step::finish)) == "finish");
}

TEST_SUITE_END();
