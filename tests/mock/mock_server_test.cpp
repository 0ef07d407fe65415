#include "avara_onboard/mock/mock_server.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>
#include <tuple>

#include "avara_onboard/mock/service.hpp"
#include "avara_onboard/mock/test_pki.hpp"
#include "https_test_client.hpp"
#include "test_files.hpp"

using namespace avara;
using namespace avara::mock;
using namespace avara::mock::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("mock");

namespace {

std::unique_ptr<MockServer> start(ServerOptions options = {}) {
    auto server = MockServer::start(std::move(options));
    REQUIRE_MESSAGE(server.has_value(), (server.has_value() ? "" : server.error().message));
    return std::move(*server);
}

HttpsTestClient client_for(const MockServer& server) {
    return HttpsTestClient(server.port(), server.ca_pem());
}

struct CurlResult {
    int exit_code = -1;
    std::string http_code;
    std::string body;
    std::string stderr_text;
};

// curl, as a user would run it; never through a proxy.
CurlResult curl(const TempDir& dir, const std::string& args) {
    const std::string body = dir.file("curl-body");
    const std::string err = dir.file("curl-stderr");
    std::remove(body.c_str());
    const std::string command = "curl -sS --noproxy '*' --max-time 30 -o '" + body + "' -w '%{http_code}' " +
                                args + " 2>'" + err + "'";
    CurlResult r;
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buf[64];
    while (std::fgets(buf, sizeof buf, pipe))
        r.http_code += buf;
    const int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.body = read_file(body);
    r.stderr_text = read_file(err);
    return r;
}

simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& json) {
    simdjson::dom::element doc;
    REQUIRE_MESSAGE(!parser.parse(json).get(doc), json);
    return doc;
}

std::string str(simdjson::dom::element e) {
    return std::string(std::string_view(e));
}

}  // namespace

TEST_CASE("mock::MockServer serves every endpoint over verified TLS on one kept-alive connection") {
    ServerOptions options;
    options.api_key.emplace("test-key");  // (assigning a literal trips g++ 12 -Wmaybe-uninitialized)
    auto server = start(options);
    CHECK(server->port() != 0);
    CHECK(server->address() == "127.0.0.1:" + std::to_string(server->port()));
    CHECK(server->ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));

    auto client = client_for(*server);
    simdjson::dom::parser parser;

    const auto created = client.send("POST", "/v1/viewer/users", invite_body("ada@example.org"),
                                     {{"Idempotency-Key", "idem-ada"}});
    REQUIRE(created.status == 201);
    CHECK(created.header("content-type") == "application/json");
    CHECK_FALSE(created.header("date").empty());
    const std::string id = str(parse(parser, created.body)["userId"]);

    auto r = client.send("GET", "/v1/viewer/users/" + id);
    CHECK(r.status == 200);
    CHECK(r.body == created.body);

    r = client.send("GET", "/v1/viewer/users?email=ADA%40example.org&limit=5");
    CHECK(r.status == 200);
    CHECK(str(parse(parser, r.body)["users"].at(0)["userId"]) == id);

    r = client.send("POST", "/v1/viewer/users", invite_body("ada@example.org"),
                    {{"Idempotency-Key", "other"}});
    CHECK(r.status == 409);

    r = client.send("POST", "/v1/viewer/users", invite_body("ada@example.org"),
                    {{"Idempotency-Key", "idem-ada"}});
    CHECK(r.status == 201);
    CHECK(r.body == created.body);

    r = client.send("POST", "/v1/viewer/users", R"({"email":"x@y.org","level":"owner"})");
    CHECK(r.status == 400);
    CHECK(parse(parser, r.body)["errors"].get_array().size() >= 5);

    r = client.send("POST", "/v1/viewer/users", "{not json");
    CHECK(r.status == 400);

    r = client.send("GET", "/v2/anything");
    CHECK(r.status == 404);
    CHECK(r.body.starts_with("{\"message\":"));

    client.bearer = "wrong-key";
    r = client.send("GET", "/v1/viewer/users");
    CHECK(r.status == 401);
    CHECK(r.header("www-authenticate") == "Bearer");

    client.bearer.clear();
    r = client.send("GET", "/__admin/stats");
    REQUIRE(r.status == 200);
    const auto stats = parse(parser, r.body);
    CHECK(int64_t(stats["usersCreated"]) == 1);
    CHECK(int64_t(stats["emails"]["ada@example.org"]["attempts"]) == 3);
    CHECK(int64_t(stats["responses"]["201"]) == 2);
    CHECK(int64_t(stats["totalRequests"]) == 9);

    CHECK(client.connections_opened() == 1);
    CHECK(server->stats().responses_with(401) == 1);
}

TEST_CASE("mock::MockServer serves sync's endpoints over TLS, from a seeded directory, with faults") {
    TempDir dir;
    dir.write(
        "seed.json",
        R"([{"email":"owner@clinic.org","firstName":"Olive","lastName":"Owner","clinicRole":"Other",)"
        R"("level":"owner","canManageStudies":true,"hasDashboardAccess":true,"invitedSource":"dashboard"},)"
        R"({"email":"dash@clinic.org","firstName":"Dora","lastName":"Dash","clinicRole":"Surgeon",)"
        R"("level":"member","canManageStudies":false,"hasDashboardAccess":false,)"
        R"("invitedSource":"dashboard"},)"
        R"({"email":"api@clinic.org","firstName":"Abe","lastName":"Api","clinicRole":"Physician",)"
        R"("level":"member","canManageStudies":true,"hasDashboardAccess":false,"invitedSource":"api",)"
        R"("userId":"usr_0123456789abcdef0123456789abcdef","middleName":"Q"}])");
    ServerOptions o;
    o.seed_users_file = dir.file("seed.json");
    o.state_file = dir.file("state.json");
    auto server = start(o);
    auto client = client_for(*server);
    simdjson::dom::parser parser;
    const std::string id = "usr_0123456789abcdef0123456789abcdef";

    auto r = client.send("GET", "/v1/viewer/users?invitedSource=dashboard&limit=1");
    REQUIRE(r.status == 200);
    auto doc = parse(parser, r.body);
    CHECK(str(doc["users"].at(0)["email"]) == "owner@clinic.org");
    REQUIRE(bool(doc["hasMore"]));
    r = client.send("GET", "/v1/viewer/users?invitedSource=dashboard&limit=1&cursor=" + str(doc["cursor"]));
    doc = parse(parser, r.body);
    CHECK(str(doc["users"].at(0)["email"]) == "dash@clinic.org");
    CHECK_FALSE(bool(doc["hasMore"]));

    r = client.send("PATCH", "/v1/viewer/users/" + id, R"({"clinicRole":"Surgeon","middleName":null})");
    REQUIRE(r.status == 200);
    doc = parse(parser, r.body);
    CHECK(str(doc["clinicRole"]) == "Surgeon");
    CHECK(doc["middleName"].error() == simdjson::NO_SUCH_FIELD);
    CHECK(client.send("PATCH", "/v1/viewer/users/" + id, R"({"email":"x@clinic.org"})").status == 400);

    r = client.send("POST", "/v1/viewer/users/revoke-access", R"({"userId":")" + id + "\"}");
    CHECK(r.status == 200);
    CHECK(r.body == R"({"success":true})");
    r = client.send("GET", "/v1/viewer/users?email=API@clinic.org");
    CHECK(parse(parser, r.body)["users"].get_array().size() == 1);  // still listed

    r = client.send("GET", "/v1/viewer/users/invitations?status=revoked");
    REQUIRE(r.status == 200);
    doc = parse(parser, r.body);
    REQUIRE(doc["invitations"].get_array().size() == 1);
    CHECK(str(doc["invitations"].at(0)["userId"]) == id);

    server->stop();
    doc = parse(parser, read_file(*o.state_file));
    CHECK(int64_t(doc["usersUpdated"]) == 1);
    CHECK(int64_t(doc["revocations"]) == 1);
    CHECK(int64_t(doc["usersRevoked"]) == 1);
    CHECK(bool(doc["emails"]["api@clinic.org"]["revoked"]));
    CHECK_FALSE(bool(doc["emails"]["dash@clinic.org"]["revoked"]));

    SUBCASE("the same faults on sync's endpoints") {
        ServerOptions f;
        f.seed_users_file = dir.file("seed.json");
        f.faults.throttle_rate = 1.0;
        f.faults.retry_after_s = 2;
        auto faulty = start(f);
        auto c = client_for(*faulty);
        for (const auto& [method, target, body] :
             std::vector<std::tuple<std::string, std::string, std::string>>{
                 {"PATCH", "/v1/viewer/users/" + id, R"({"firstName":"Z"})"},
                 {"POST", "/v1/viewer/users/revoke-access", R"({"userId":")" + id + "\"}"},
                 {"POST", "/v1/viewer/users/reactivate", R"({"userId":")" + id + "\"}"},
                 {"GET", "/v1/viewer/users/invitations", ""}}) {
            CAPTURE(target);
            const auto answer = c.send(method, target, body);
            CHECK(answer.status == 429);
            CHECK(answer.header("retry-after") == "2");
        }
        CHECK(faulty->stats().users_updated == 0);
        CHECK(faulty->stats().revocations == 0);
    }
}

TEST_CASE("mock::MockServer answers malformed HTTP with a clean 400 and closes") {
    auto server = start();
    auto client = client_for(*server);
    SUBCASE("garbage instead of a request line") {
        const auto r = client.send_raw("HELLO THERE\r\n\r\n");
        CHECK(r.status == 400);
        CHECK(r.header("connection") == "close");
        CHECK(r.body.find("malformed HTTP request") != std::string::npos);
    }
    SUBCASE("a header line without a colon") {
        const auto r = client.send_raw("GET /v1/viewer/users HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n");
        CHECK(r.status == 400);
    }
    SUBCASE("headers beyond the limit") {
        const auto r = client.send_raw(
            "GET /v1/viewer/users HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
        CHECK(r.status == 400);
    }
    SUBCASE("a bad chunked body") {
        const auto r = client.send_raw(
            "POST /v1/viewer/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
            "Transfer-Encoding: chunked\r\n\r\nZZ\r\n");
        CHECK(r.status == 400);
    }
    // The server is fine afterwards, on a new connection.
    const auto ok = client.send("GET", "/v1/viewer/users");
    CHECK(ok.status == 200);
    CHECK(client.connections_opened() == 2);
    CHECK(server->stats().responses_with(400) == 1);
}

TEST_CASE("mock::MockServer answers 413 for a body over 64 KiB, after auth") {
    auto server = start();
    auto client = client_for(*server);
    const std::string big =
        invite_body("big@example.org").insert(1, "\"pad\":\"" + std::string(70000, 'x') + "\",");

    auto r = client.send("POST", "/v1/viewer/users", big);
    CHECK(r.status == 413);
    CHECK(r.header("connection") == "close");

    SUBCASE("chunked") {
        std::ostringstream chunk;
        chunk << std::hex << big.size();
        r = client.send_raw(
            "POST /v1/viewer/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
            "Transfer-Encoding: chunked\r\n\r\n" +
            chunk.str() + "\r\n" + big + "\r\n0\r\n\r\n");
        CHECK(r.status == 413);
    }
    SUBCASE("a body of exactly 64 KiB is read") {
        std::string exact = invite_body("exact@example.org");
        exact.insert(1, "\"pad\":\"\",");
        exact.insert(8, std::string(max_body_bytes - exact.size(), 'x'));
        REQUIRE(exact.size() == max_body_bytes);
        CHECK(client.send("POST", "/v1/viewer/users", exact).status == 201);
    }
    SUBCASE("without a key it is a 401 first") {
        client.bearer.clear();
        CHECK(client.send("POST", "/v1/viewer/users", big).status == 401);
    }
}

TEST_CASE("mock::MockServer injects faults over the wire") {
    SUBCASE("fail-rate 1: 503") {
        ServerOptions o;
        o.faults.fail_rate = 1.0;
        auto server = start(o);
        auto client = client_for(*server);
        CHECK(client.send("POST", "/v1/viewer/users", invite_body("a@b.org")).status == 503);
        CHECK(server->stats().users_created == 0);
    }
    SUBCASE("throttle-rate 1: 429 with Retry-After") {
        ServerOptions o;
        o.faults.throttle_rate = 1.0;
        o.faults.retry_after_s = 3;
        auto server = start(o);
        auto client = client_for(*server);
        const auto r = client.send("POST", "/v1/viewer/users", invite_body("a@b.org"));
        CHECK(r.status == 429);
        CHECK(r.header("retry-after") == "3");
        // The admin endpoint has no faults.
        CHECK(client.send("GET", "/__admin/stats").status == 200);
    }
    SUBCASE("rate-limit: 429 with Retry-After beyond the bucket") {
        ServerOptions o;
        o.faults.rate_limit = 0.5;  // one token, back after two seconds
        auto server = start(o);
        auto client = client_for(*server);
        CHECK(client.send("POST", "/v1/viewer/users", invite_body("a@b.org")).status == 201);
        const auto r = client.send("POST", "/v1/viewer/users", invite_body("b@b.org"));
        CHECK(r.status == 429);
        const auto retry_after = r.header("retry-after");
        CHECK((retry_after == "1" || retry_after == "2"));
    }
    SUBCASE("blocked window: 429 with Retry-After for every request, then served") {
        ServerOptions o;
        o.faults.blocked_seconds = 2;  // room for a loaded machine's first handshake
        o.faults.blocked_retry_after_s = 4;
        const auto started = std::chrono::steady_clock::now();
        auto server = start(o);
        auto client = client_for(*server);
        const auto r = client.send("POST", "/v1/viewer/users", invite_body("a@b.org"));
        CHECK(r.status == 429);
        CHECK(r.header("retry-after") == "4");
        CHECK(client.send("GET", "/v1/viewer/users").status == 429);
        std::this_thread::sleep_until(started + 2100ms);
        CHECK(client.send("POST", "/v1/viewer/users", invite_body("a@b.org")).status == 201);
        const auto s = server->stats();
        CHECK(s.throttled_blocked == 2);
        CHECK(s.users_created == 1);
        // The server's own record per 1-second window: the two refusals in the first.
        REQUIRE(s.throttled_per_second.size() >= 3);
        CHECK(s.throttled_per_second[0] + s.throttled_per_second[1] == 2);
        std::uint32_t created = 0;
        for (auto n : s.created_per_second)
            created += n;
        CHECK(created == 1);
        CHECK(s.created_per_second[0] + s.created_per_second[1] == 0);
    }
    SUBCASE("drop-rate 1: the connection closes without an answer") {
        ServerOptions o;
        o.faults.drop_rate = 1.0;
        auto server = start(o);
        auto client = client_for(*server);
        for (int i = 0; i < 20; ++i) {
            const auto r =
                client.send("POST", "/v1/viewer/users", invite_body("u" + std::to_string(i) + "@b.org"));
            CHECK(r.dropped);
            CHECK(r.status == 0);
        }
        const auto s = server->stats();
        CHECK(s.dropped_before_create + s.dropped_after_create == 20);
        CHECK(s.users_created == s.dropped_after_create);
        CHECK(s.responses.empty());
        CHECK(client.connections_opened() == 20);
    }
    SUBCASE("latency: answers wait, requests overlap") {
        ServerOptions o;
        o.faults.latency_ms = 1500;
        auto server = start(o);
        constexpr int clients = 6;
        std::barrier ready(clients);
        std::vector<std::thread> threads;
        std::atomic<int> created{0};
        std::atomic<int> slow{0};
        for (int i = 0; i < clients; ++i) {
            threads.emplace_back([&, i] {
                HttpsTestClient c(server->port(), server->ca_pem());
                const bool connected = c.try_handshake().empty();
                ready.arrive_and_wait();
                if (!connected)
                    return;
                const auto begin = std::chrono::steady_clock::now();
                const auto r =
                    c.send("POST", "/v1/viewer/users", invite_body("p" + std::to_string(i) + "@b.org"));
                if (std::chrono::steady_clock::now() - begin >= 1500ms)
                    ++slow;
                if (r.status == 201)
                    ++created;
            });
        }
        for (auto& t : threads)
            t.join();
        CHECK(created == clients);
        CHECK(slow == clients);
        // All six were sent at once and each is held 1.5 s: they overlap unless the machine stalls
        // for longer than that, so this bound leaves room for a loaded machine.
        CHECK(server->stats().max_in_flight >= 3);
    }
}

TEST_CASE("mock::MockServer repeats its faults for the same seed") {
    auto trace = [](std::uint64_t seed) {
        ServerOptions o;
        o.faults.seed = seed;
        o.faults.fail_rate = 0.3;
        o.faults.throttle_rate = 0.2;
        o.faults.drop_rate = 0.2;
        auto server = start(o);
        auto client = client_for(*server);
        std::string out;
        for (int i = 0; i < 30; ++i) {
            const auto r =
                client.send("POST", "/v1/viewer/users", invite_body("s" + std::to_string(i) + "@b.org"));
            out += r.dropped ? "drop " : std::to_string(r.status) + " ";
        }
        return out;
    };
    const auto a = trace(5);
    CHECK(a == trace(5));
    CHECK(a != trace(6));
}

TEST_CASE("mock::MockServer writes the state file on stop, readable by its owner only") {
    TempDir dir;
    ServerOptions o;
    o.state_file = dir.file("state.json");
    auto server = start(o);
    {
        auto client = client_for(*server);
        REQUIRE(client.send("POST", "/v1/viewer/users", invite_body("ada@example.org")).status == 201);
        REQUIRE(client.send("POST", "/v1/viewer/users", invite_body("ada@example.org")).status == 409);
    }
    CHECK_FALSE(fs::exists(o.state_file.value()));
    server->stop();
    server->stop();  // idempotent
    const auto json = read_file(*o.state_file);
    simdjson::dom::parser parser;
    const auto doc = parse(parser, json);
    CHECK(int64_t(doc["usersCreated"]) == 1);
    CHECK(int64_t(doc["emails"]["ada@example.org"]["attempts"]) == 2);
    CHECK(str(doc["emails"]["ada@example.org"]["userId"]).starts_with("usr_"));
    CHECK(int64_t(doc["responses"]["409"]) == 1);
    CHECK(json == server->stats().to_json());
    struct stat st {};
    REQUIRE(::stat(o.state_file->c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("mock::MockServer stops promptly with idle keep-alive connections open") {
    auto server = start();
    auto client = client_for(*server);
    REQUIRE(client.send("GET", "/v1/viewer/users").status == 200);
    const auto begin = std::chrono::steady_clock::now();
    server->stop();
    // Idle connections are closed at once; only the 5 s grace for busy ones could make this slow.
    CHECK(std::chrono::steady_clock::now() - begin < 4s);
    CHECK(client.send("GET", "/v1/viewer/users").dropped);
}

TEST_CASE("mock::MockServer answers curl, which verifies it with --cacert and refuses it without") {
    TempDir dir;
    ServerOptions o;
    o.write_ca = dir.file("ca.pem");
    auto server = start(o);
    REQUIRE(read_file(*o.write_ca) == server->ca_pem());
    const std::string url = "https://" + server->address();
    const std::string auth = "-H 'Authorization: Bearer k' ";

    auto r =
        curl(dir, "--cacert '" + *o.write_ca + "' " + auth + "-H 'Content-Type: application/json' --data '" +
                      invite_body("curl@example.org") + "' " + url + "/v1/viewer/users");
    CHECK(r.exit_code == 0);
    CHECK(r.http_code == "201");
    CHECK(r.body.find("\"email\":\"curl@example.org\"") != std::string::npos);

    r = curl(dir, "--cacert '" + *o.write_ca + "' " + auth + url + "/v1/viewer/users");
    CHECK(r.http_code == "200");
    CHECK(r.body.find("curl@example.org") != std::string::npos);

    r = curl(dir, "--cacert '" + *o.write_ca + "' " + auth +
                      "https://localhost:" + std::to_string(server->port()) + "/v1/viewer/users");
    CHECK(r.http_code == "200");

    r = curl(dir, "--cacert '" + *o.write_ca + "' " + url + "/__admin/stats");
    CHECK(r.http_code == "200");
    CHECK(r.body.find("\"usersCreated\":1") != std::string::npos);

    // HEAD gets the headers only (curl would otherwise wait for a body that never comes).
    r = curl(dir, "--cacert '" + *o.write_ca + "' " + auth + "-I " + url + "/v1/viewer/nothing");
    CHECK(r.exit_code == 0);
    CHECK(r.http_code == "404");

    // Expect: 100-continue gets its interim answer, then the body is read.
    r = curl(
        dir,
        "--cacert '" + *o.write_ca + "' " + auth +
            "-H 'Content-Type: application/json' -H 'Expect: 100-continue' --expect100-timeout 30 --data '" +
            invite_body("continue@example.org") + "' " + url + "/v1/viewer/users");
    CHECK(r.exit_code == 0);
    CHECK(r.http_code == "201");

    r = curl(dir, auth + url + "/v1/viewer/users");
    CHECK(r.exit_code == 60);  // peer certificate cannot be authenticated with known CA certificates
    CHECK(r.http_code == "000");
}

TEST_CASE("mock::MockServer serves a given certificate and key") {
    TempDir dir;
    const TestPki pki = generate_test_pki();
    dir.write("cert.pem", pki.cert_pem);
    dir.write("key.pem", pki.key_pem);
    ServerOptions o;
    o.cert_file = dir.file("cert.pem");
    o.key_file = dir.file("key.pem");
    auto server = start(o);
    CHECK(server->ca_pem().empty());
    HttpsTestClient trusting(server->port(), pki.ca_pem);
    CHECK(trusting.send("GET", "/v1/viewer/users").status == 200);
    HttpsTestClient other(server->port(), generate_test_pki().ca_pem);
    CHECK_FALSE(other.try_handshake().empty());
}

TEST_CASE("mock::MockServer::start refuses what it cannot serve") {
    TempDir dir;
    const TestPki pki = generate_test_pki();
    dir.write("cert.pem", pki.cert_pem);
    dir.write("key.pem", pki.key_pem);
    dir.write("other-key.pem", generate_test_pki().key_pem);

    auto refused = [](ServerOptions o) {
        auto r = MockServer::start(std::move(o));
        REQUIRE_FALSE(r.has_value());
        return r.error();
    };
    ServerOptions o;
    o.listen = "127.0.0.1";
    CHECK(refused(o).kind == ErrorKind::usage);
    o.listen = "127.0.0.1:99999";
    CHECK(refused(o).kind == ErrorKind::usage);
    o.listen = "example.org:0";
    CHECK(refused(o).message.find("not an IP address") != std::string::npos);

    auto busy = start();
    o.listen = busy->address();
    CHECK(refused(o).message.find("cannot listen on") != std::string::npos);

    o = {};
    o.cert_file = dir.file("cert.pem");
    CHECK(refused(o).kind == ErrorKind::usage);  // no --key
    o.key_file = dir.file("missing.pem");
    CHECK(refused(o).kind == ErrorKind::config);
    o.key_file = dir.file("other-key.pem");
    CHECK(refused(o).message.find("--key") != std::string::npos);
    o.key_file = dir.file("key.pem");
    o.write_ca = dir.file("ca.pem");
    CHECK(refused(o).kind == ErrorKind::usage);

    o = {};
    o.faults.fail_rate = 1.5;
    CHECK(refused(o).kind == ErrorKind::usage);
    o = {};
    o.threads = 0;
    CHECK(refused(o).kind == ErrorKind::usage);
    o = {};
    o.faults.rate_limit = 10;
    o.faults.rate_limit_burst = 0.5;
    CHECK(refused(o).message.find("--rate-limit-burst") != std::string::npos);

    o = {};
    o.seed_users_file = dir.file("missing.json");
    CHECK(refused(o).message.find("cannot read") != std::string::npos);
    dir.write("bad-seed.json", R"([{"email":"a@b.org"}])");
    o.seed_users_file = dir.file("bad-seed.json");
    const auto bad_seed = refused(o);
    CHECK(bad_seed.kind == ErrorKind::config);
    CHECK(bad_seed.message ==
          "--seed-users " + dir.file("bad-seed.json") + ": user 1 (a@b.org): firstName: is required");
}

TEST_CASE("mock::MockServer serves many connections at once on several threads") {
    ServerOptions o;
    o.threads = 2;
    auto server = start(o);
    constexpr int clients = 8;
    constexpr int per_client = 25;
    std::vector<std::thread> threads;
    std::atomic<int> created{0};
    for (int i = 0; i < clients; ++i) {
        threads.emplace_back([&, i] {
            HttpsTestClient c(server->port(), server->ca_pem());
            for (int j = 0; j < per_client; ++j) {
                const auto r =
                    c.send("POST", "/v1/viewer/users",
                           invite_body("t" + std::to_string(i) + "-" + std::to_string(j) + "@b.org"));
                if (r.status == 201)
                    ++created;
            }
        });
    }
    for (auto& t : threads)
        t.join();
    CHECK(created == clients * per_client);
    const auto s = server->stats();
    CHECK(s.users_created == clients * per_client);
    CHECK(s.emails.size() == clients * per_client);
}

TEST_SUITE_END();
