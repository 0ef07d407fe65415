#include "avara_onboard/app/mock_server_command.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "test_files.hpp"

using namespace avara;
using namespace avara::app;
using namespace std::chrono_literals;

TEST_SUITE_BEGIN("app");

namespace {

// The first line a child writes to `fd`, waiting at most 30 s for it.
std::string first_line(int fd) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 1000) <= 0)
            continue;
        char c = 0;
        if (::read(fd, &c, 1) != 1)
            break;
        if (c == '\n')
            return line;
        line.push_back(c);
    }
    return line;
}

// Waits at most 30 s for the child; its exit code, or -1.
int wait_exit(pid_t pid) {
    for (int i = 0; i < 300; ++i) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        std::this_thread::sleep_for(100ms);
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return -1;
}

std::string curl_status(const std::string& ca, const std::string& url) {
    const std::string command =
        "curl -sS --noproxy '*' --max-time 30 -o /dev/null -w '%{http_code}' --cacert '" + ca +
        "' -H 'Authorization: Bearer k' '" + url + "' 2>/dev/null";
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buf[64];
    while (std::fgets(buf, sizeof buf, pipe))
        out += buf;
    ::pclose(pipe);
    return out;
}

// Runs `child` in a forked process with stdout on a pipe: returns the pid and the read end.
template <class F>
std::pair<pid_t, int> spawn(const std::string& stderr_file, F child) {
    int out[2];
    REQUIRE(::pipe(out) == 0);
    // Whatever the test runner has buffered would otherwise be written a second time, by the child.
    std::cout.flush();
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {  // the child: nothing of the test runner's may run here, it would write to the pipe
        ::dup2(out[1], STDOUT_FILENO);
        const int err = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(err, STDERR_FILENO);
        ::close(out[0]);
        ::close(out[1]);
        ::_exit(child());
    }
    REQUIRE(pid > 0);
    ::close(out[1]);
    return {pid, out[0]};
}

}  // namespace

TEST_CASE("app::add_mock_server_command takes every flag") {
    CLI::App app("test");
    MockServerCommand cmd;
    auto* sub = add_mock_server_command(app, cmd);
    REQUIRE(sub != nullptr);
    CHECK(sub->get_name() == "mock-server");
    app.parse(
        "mock-server --listen 127.0.0.1:8443 --write-ca /tmp/ca.pem --api-key k1 --state-file /tmp/s.json "
        "--seed 17 --latency-ms 25 --fail-rate 0.25 --throttle-rate 0.5 --rate-limit 100 --drop-rate 0.125 "
        "--threads 2 --retry-after 4",
        false);
    const auto& o = cmd.options;
    CHECK(o.listen == "127.0.0.1:8443");
    CHECK(o.write_ca == "/tmp/ca.pem");
    CHECK(o.api_key == "k1");
    CHECK(o.state_file == "/tmp/s.json");
    CHECK(cmd.seed_text == "17");
    CHECK(o.faults.latency_ms == 25);
    CHECK(o.faults.fail_rate == 0.25);
    CHECK(o.faults.throttle_rate == 0.5);
    CHECK(o.faults.rate_limit == 100);
    CHECK(o.faults.drop_rate == 0.125);
    CHECK(o.faults.retry_after_s == 4);
    CHECK(o.threads == 2);
    CHECK_FALSE(o.cert_file);
}

TEST_CASE("app::add_mock_server_command refuses inconsistent flags") {
    auto fails = [](const std::string& args) {
        CLI::App app("test");
        MockServerCommand cmd;
        add_mock_server_command(app, cmd);
        CHECK_THROWS_AS(app.parse("mock-server " + args, false), CLI::ParseError);
    };
    fails("--fail-rate 1.5");
    fails("--drop-rate -0.1");
    fails("--rate-limit -1");
    fails("--threads 0");
    fails("--cert c.pem");                           // without --key
    fails("--key k.pem");                            // without --cert
    fails("--cert c.pem --key k.pem --write-ca x");  // nothing generated to write
    fails("--listen");
}

TEST_CASE("app::add_mock_server_command takes the burst, the blocked window and the seed users") {
    CLI::App app("test");
    MockServerCommand cmd;
    add_mock_server_command(app, cmd);
    app.parse(
        "mock-server --rate-limit 100 --rate-limit-burst 20 --blocked-seconds 30 --blocked-retry-after 5 "
        "--seed-users /tmp/users.json",
        false);
    const auto& o = cmd.options;
    CHECK(o.faults.rate_limit == 100);
    CHECK(o.faults.rate_limit_burst == 20);
    CHECK(o.faults.blocked_seconds == 30);
    CHECK(o.faults.blocked_retry_after_s == 5);
    CHECK(o.seed_users_file == "/tmp/users.json");

    MockServerCommand defaults;
    CLI::App plain("test");
    add_mock_server_command(plain, defaults);
    plain.parse("mock-server", false);
    CHECK(defaults.options.faults.rate_limit_burst == 0);  // max(1, R)
    CHECK(defaults.options.faults.blocked_seconds == 0);
    CHECK(defaults.options.faults.blocked_retry_after_s == 0);  // the seconds left
    CHECK_FALSE(defaults.options.seed_users_file);

    auto fails = [](const std::string& args) {
        CLI::App bad("test");
        MockServerCommand c;
        add_mock_server_command(bad, c);
        CHECK_THROWS_AS(bad.parse("mock-server " + args, false), CLI::ParseError);
    };
    fails("--rate-limit-burst 5");                    // without --rate-limit
    fails("--rate-limit 10 --rate-limit-burst 0.5");  // a bucket holds at least one token
    fails("--blocked-retry-after 5");                 // without --blocked-seconds
    fails("--blocked-seconds -1");
}

TEST_CASE("app::run_mock_server_command serves a blocked window with its Retry-After, and seeded users") {
    TempDir dir;
    const auto ca = dir.file("ca.pem");
    dir.write(
        "users.json",
        R"([{"email":"owner@clinic.org","firstName":"O","lastName":"W","clinicRole":"Other","level":"owner",)"
        R"("canManageStudies":true,"hasDashboardAccess":true,"invitedSource":"dashboard"}])");
    auto [pid, out] = spawn(dir.file("stderr"), [&] {
        MockServerCommand cmd;
        cmd.options.write_ca = ca;
        cmd.options.seed_users_file = dir.file("users.json");
        cmd.options.faults.blocked_seconds = 600;  // longer than any test machine's stall
        cmd.options.faults.blocked_retry_after_s = 7;
        return run_mock_server_command(cmd);
    });
    const std::string address = first_line(out);
    ::close(out);
    INFO("stderr: ", read_file(dir.file("stderr")));
    REQUIRE(address.starts_with("127.0.0.1:"));
    const std::string headers = dir.file("headers");
    const std::string command = "curl -sS --noproxy '*' --max-time 30 -o /dev/null -D '" + headers +
                                "' --cacert '" + ca + "' -H 'Authorization: Bearer k' 'https://" + address +
                                "/v1/viewer/users?level=owner' 2>/dev/null";
    CHECK(std::system(command.c_str()) == 0);
    const auto head = read_file(headers);
    CHECK(head.starts_with("HTTP/1.1 429"));
    CHECK(head.find("Retry-After: 7") != std::string::npos);
    // The admin endpoint is never blocked, and knows the seeded owner.
    const std::string stats = dir.file("stats");
    const std::string admin = "curl -sS --noproxy '*' --max-time 30 -o '" + stats + "' --cacert '" + ca +
                              "' 'https://" + address + "/__admin/stats' 2>/dev/null";
    CHECK(std::system(admin.c_str()) == 0);
    const auto json = read_file(stats);
    CHECK(json.find("\"owner@clinic.org\":{\"attempts\":0,\"userId\":\"usr_") != std::string::npos);
    CHECK(json.find("\"throttled\":{\"injected\":0,\"rateLimit\":0,\"blocked\":1}") != std::string::npos);
    ::kill(pid, SIGTERM);
    CHECK(wait_exit(pid) == 0);
}

TEST_CASE("app::run_mock_server_command exits 2 for a --seed-users file it cannot use") {
    TempDir dir;
    dir.write("users.json", "[{}]");
    auto [pid, out] = spawn(dir.file("stderr"), [&] {
        MockServerCommand cmd;
        cmd.options.seed_users_file = dir.file("users.json");
        return run_mock_server_command(cmd);
    });
    CHECK(first_line(out).empty());
    ::close(out);
    CHECK(wait_exit(pid) == exit_code::usage);
    CHECK(read_file(dir.file("stderr"))
              .find("--seed-users " + dir.file("users.json") + ": user 1: email: is required") !=
          std::string::npos);
}

TEST_CASE("app::run_mock_server_command prints its address first, serves, and stops cleanly on SIGTERM") {
    TempDir dir;
    const auto ca = dir.file("ca.pem");
    const auto state = dir.file("state.json");
    auto [pid, out] = spawn(dir.file("stderr"), [&] {
        MockServerCommand cmd;
        cmd.options.write_ca = ca;
        cmd.options.state_file = state;
        return run_mock_server_command(cmd);
    });
    const std::string address = first_line(out);
    ::close(out);
    INFO("stderr: ", read_file(dir.file("stderr")));
    CHECK(address.starts_with("127.0.0.1:"));
    const int port = std::atoi(address.substr(address.find(':') + 1).c_str());
    CHECK(port > 0);
    CHECK(curl_status(ca, "https://" + address + "/v1/viewer/users") == "200");
    CHECK(curl_status(ca, "https://" + address + "/nothing") == "404");

    ::kill(pid, SIGTERM);
    CHECK(wait_exit(pid) == 0);
    const auto json = read_file(state);
    CHECK(json.find("\"totalRequests\":2") != std::string::npos);
    CHECK(json.find("\"404\":1") != std::string::npos);
}

TEST_CASE("app::run_mock_server_command exits 2 when it cannot listen") {
    TempDir dir;
    auto [pid, out] = spawn(dir.file("stderr"), [] {
        MockServerCommand cmd;
        cmd.options.listen = "127.0.0.1:http";
        return run_mock_server_command(cmd);
    });
    CHECK(first_line(out).empty());
    ::close(out);
    CHECK(wait_exit(pid) == exit_code::usage);
    CHECK(read_file(dir.file("stderr")).find("--listen") != std::string::npos);
}

TEST_CASE("app::run_mock_server_command warns before listening beyond loopback") {
    // 192.0.2.1 (TEST-NET-1) is on no interface here: the warning comes, then the bind fails, and
    // nothing is ever exposed.
    TempDir dir;
    auto [pid, out] = spawn(dir.file("stderr"), [] {
        MockServerCommand cmd;
        cmd.options.listen = "192.0.2.1:0";
        return run_mock_server_command(cmd);
    });
    CHECK(first_line(out).empty());
    ::close(out);
    CHECK(wait_exit(pid) == exit_code::usage);
    const auto err = read_file(dir.file("stderr"));
    CHECK(err.find("warning: listening on 192.0.2.1:0: other machines can reach") != std::string::npos);
    CHECK(err.find("cannot listen on 192.0.2.1:0") != std::string::npos);
}

TEST_CASE("app: avara-onboard mock-server from the command line") {
    TempDir dir;
    const auto ca = dir.file("ca.pem");
    auto [pid, out] = spawn(dir.file("stderr"), [&] {
        const std::string binary = AVARA_BINARY;
        ::execl(binary.c_str(), binary.c_str(), "mock-server", "--listen", "127.0.0.1:0", "--write-ca",
                ca.c_str(), "--api-key", "k", static_cast<char*>(nullptr));
        return 127;
    });
    const std::string address = first_line(out);
    ::close(out);
    INFO("stderr: ", read_file(dir.file("stderr")));
    CHECK(address.starts_with("127.0.0.1:"));
    CHECK(curl_status(ca, "https://" + address + "/v1/viewer/users") == "200");
    ::kill(pid, SIGINT);
    CHECK(wait_exit(pid) == 0);
}

TEST_SUITE_END();
