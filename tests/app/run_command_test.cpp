// End-to-end tests of `avara-onboard run`: the real binary as a child process against a MockServer
// started here, over real TLS on 127.0.0.1. Every test checks the server's own record of what it saw
// (users created, attempts per email, answers, concurrency and rate) against the report the child wrote.
#include "avara_onboard/app/run_command.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "avara_onboard/mock/mock_server.hpp"
#include "avara_onboard/net/base_url.hpp"
#include "avara_onboard/net/http_connection.hpp"
#include "avara_onboard/net/tls_context.hpp"
#include "avara_onboard/util/text.hpp"
#include "support/process.hpp"
#include "support/run_sync.hpp"
#include "test_files.hpp"

using namespace std::chrono_literals;
using avara::test::ChildProcess;
using avara::test::ExitStatus;
using avara::test::SpawnOptions;

TEST_SUITE_BEGIN("app");

namespace {

// A hang is the failure these bounds catch; a loaded 2-core machine must never hit them.
constexpr auto run_timeout = std::chrono::milliseconds(180s);

const std::string roster_header =
    "email,first_name,last_name,clinic_role,level,can_manage_studies,has_dashboard_access\n";

std::string email_for(std::size_t i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "user%04zu@example.org", i);
    return buf;
}

std::string roster_row(const std::string& email, std::size_t i) {
    return email + ",First" + std::to_string(i) + ",Last" + std::to_string(i) +
           ",Registered Nurse,member,false,true\n";
}

// `count` valid rows with unique emails user0001@example.org...; returns the emails in row order.
std::vector<std::string> write_roster(const std::string& path, std::size_t count) {
    std::vector<std::string> emails;
    std::string text = roster_header;
    for (std::size_t i = 1; i <= count; ++i) {
        emails.push_back(email_for(i));
        text += roster_row(emails.back(), i);
    }
    std::ofstream(path, std::ios::binary) << text;
    return emails;
}

// RFC 4180 records of `text`, up to its last '\n' (a killed writer may leave half a line after it).
std::vector<std::vector<std::string>> parse_csv(std::string text) {
    text.erase(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
    std::vector<std::vector<std::string>> records;
    std::vector<std::string> record;
    std::string cell;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                cell.push_back('"');
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cell.push_back(c);
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            record.push_back(std::move(cell));
            cell.clear();
        } else if (c == '\n') {
            if (!cell.empty() && cell.back() == '\r')
                cell.pop_back();
            record.push_back(std::move(cell));
            cell.clear();
            records.push_back(std::move(record));
            record.clear();
        } else {
            cell.push_back(c);
        }
    }
    return records;
}

struct ReportLine {
    std::uint64_t row = 0;
    std::uint64_t line = 0;
    std::string email, status, http_status, user_id;
    unsigned attempts = 0;
    std::string error;
};

ReportLine to_report_line(const std::vector<std::string>& cells) {
    REQUIRE(cells.size() == 8);
    ReportLine r;
    r.row = std::stoull(cells[0]);
    r.line = std::stoull(cells[1]);
    r.email = cells[2];
    r.status = cells[3];
    r.http_status = cells[4];
    r.user_id = cells[5];
    r.attempts = static_cast<unsigned>(std::stoul(cells[6]));
    r.error = cells[7];
    return r;
}

// The data lines of a CSV report, checking its header.
std::vector<ReportLine> read_csv_report(const std::string& path) {
    auto records = parse_csv(avara::test::slurp(path));
    REQUIRE_MESSAGE(!records.empty(), "no report at " << path);
    const std::vector<std::string> header{"row",         "line",    "email",    "status",
                                          "http_status", "user_id", "attempts", "error"};
    REQUIRE(records.front() == header);
    std::vector<ReportLine> out;
    for (std::size_t i = 1; i < records.size(); ++i)
        out.push_back(to_report_line(records[i]));
    return out;
}

// The journal of a killed run: report lines without a header.
std::vector<ReportLine> read_csv_journal(const std::string& path) {
    std::vector<ReportLine> out;
    for (const auto& record : parse_csv(avara::test::slurp(path)))
        out.push_back(to_report_line(record));
    return out;
}

unsigned file_mode(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

// A MockServer on 127.0.0.1:0 with a fresh CA, the CA written where the child can read it.
struct Server {
    std::unique_ptr<avara::mock::MockServer> server;
    std::string ca_file;

    Server(const TempDir& dir, avara::mock::FaultOptions faults = {}, std::string api_key = "right") {
        avara::mock::ServerOptions options;
        options.listen = "127.0.0.1:0";
        options.api_key = std::move(api_key);
        options.faults = faults;
        auto started = avara::mock::MockServer::start(options);
        REQUIRE_MESSAGE(started.has_value(), (started.has_value() ? "" : started.error().message));
        server = std::move(*started);
        ca_file = dir.write("ca.pem", server->ca_pem());
    }
    std::string base_url() const { return "https://127.0.0.1:" + std::to_string(server->port()); }
    avara::mock::Stats stats() const { return server->stats(); }
};

// A plain TCP listener nobody answers: proves a run opened no connection at all.
struct SilentListener {
    int fd = -1;
    std::uint16_t port = 0;
    SilentListener() {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        REQUIRE(fd >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(fd, 16) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port = ntohs(addr.sin_port);
    }
    ~SilentListener() { ::close(fd); }
    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;
    // Whether any connection is waiting to be accepted.
    bool was_contacted() const {
        const int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
            ::close(c);
            return true;
        }
        return false;
    }
};

// One `avara-onboard run` in the folder's files: stdout/stderr land in out.txt/err.txt.
struct Run {
    const TempDir& dir;
    std::vector<std::string> args;
    std::map<std::string, std::string> env;

    SpawnOptions options() const {
        SpawnOptions o;
        o.args = args;
        o.env = env;
        o.stdout_path = dir.file("out.txt");
        o.stderr_path = dir.file("err.txt");
        return o;
    }
    ExitStatus wait() const { return avara::test::run_and_wait(AVARA_BINARY, options(), run_timeout); }
    ChildProcess start() const { return ChildProcess::spawn(AVARA_BINARY, options()); }
    std::string err() const { return avara::test::slurp(dir.file("err.txt")); }
};

// The run's arguments against `server` with the common ones of these tests.
std::vector<std::string> run_args(const std::string& roster, const std::string& report, const Server& server,
                                  std::vector<std::string> extra) {
    std::vector<std::string> args{
        "run", roster, "--report", report, "--base-url", server.base_url(), "--ca-file", server.ca_file};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

// The guarantees of a completed run: one report line per row in row order, every row invited or
// exists, exactly one user per email on the server, and each reported id the server's own.
void check_complete_run(const std::vector<ReportLine>& report, const std::vector<std::string>& emails,
                        const avara::mock::Stats& stats) {
    REQUIRE(report.size() == emails.size());
    CHECK(stats.users_created == emails.size());
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < report.size(); ++i) {
        const auto& r = report[i];
        REQUIRE(r.row == i + 1);
        CHECK(r.line == i + 2);
        REQUIRE(r.email == emails[i]);
        const bool good = r.status == "invited" || r.status == "exists";
        const auto it = stats.emails.find(avara::text::to_lower(r.email));
        const bool id_matches =
            it != stats.emails.end() && !r.user_id.empty() && it->second.user_id == r.user_id;
        if (!good || !id_matches) {
            ++mismatches;
            if (mismatches <= 5) {
                INFO("row ", r.row, " ", r.email, ": ", r.status, " id '", r.user_id, "' error '", r.error,
                     "' server id '", (it == stats.emails.end() ? std::string("none") : it->second.user_id),
                     "'");
                CHECK(false);
            }
        }
    }
    CHECK(mismatches == 0);
}

}  // namespace

TEST_CASE("app::run survives every injected fault at once with one user per email") {
    TempDir dir;
    avara::mock::FaultOptions faults;
    // A noisy gateway: 429s at random (Retry-After: 1) whatever the rate, 503s, dropped connections.
    faults.fail_rate = 0.10;
    faults.throttle_rate = 0.05;
    faults.drop_rate = 0.04;
    faults.latency_ms = 5;
    faults.seed = 20240611;
    Server server(dir, faults);
    const auto roster = dir.file("roster.csv");
    const auto emails = write_roster(roster, 2000);
    const auto report = dir.file("roster.report.csv");

    Run run{dir,
            run_args(roster, report, server,
                     {"--concurrency", "16", "--rate", "0", "--max-retries", "10", "--timeout", "10"}),
            {{"AVARA_API_KEY", "right"}}};
    const auto status = run.wait();
    INFO("stderr: ", run.err());
    CHECK(status.describe() == "exit 0");

    const auto stats = server.stats();
    // The faults really happened, so the run really had to recover from each kind.
    CHECK(stats.responses_with(503) > 100);
    CHECK(stats.responses_with(429) > 50);
    CHECK(stats.dropped_before_create > 0);
    CHECK(stats.dropped_after_create > 0);
    CHECK(stats.max_in_flight <= 16);
    check_complete_run(read_csv_report(report), emails, stats);
    CHECK(file_mode(report) == 0600);
    CHECK_FALSE(std::filesystem::exists(report + ".pending"));
}

TEST_CASE("app::run killed with SIGKILL mid-run loses nothing and --resume finishes the job") {
    TempDir dir;
    Server server(dir);
    const auto roster = dir.file("roster.csv");
    const std::size_t rows = 1500;
    const auto emails = write_roster(roster, rows);
    const auto report = dir.file("roster.report.csv");
    const std::map<std::string, std::string> env{{"AVARA_API_KEY", "right"}};

    Run first{dir, run_args(roster, report, server, {"--concurrency", "8", "--rate", "200"}), env};
    auto child = first.start();
    const bool some_done = avara::test::wait_until(
        [&] { return avara::test::count_complete_lines(report) > 200 || !child.running(); }, run_timeout);
    REQUIRE(some_done);
    child.send_signal(SIGKILL);
    const auto killed = child.wait(60s);
    INFO("first run's stderr: ", first.err());
    REQUIRE_MESSAGE(killed.signal == SIGKILL, "the run ended before the kill landed: ", killed.describe());

    // What the killed run had recorded: the report (in order) plus the journal (finished out of order).
    auto done = read_csv_report(report);
    REQUIRE(done.size() < rows);
    const auto journal = read_csv_journal(report + ".pending");
    done.insert(done.end(), journal.begin(), journal.end());
    const auto before = server.stats();
    // A row finished out of order stays in the journal after it reaches the report: the same outcome.
    std::map<std::string, std::string> recorded;  // email -> user id
    for (const auto& r : done) {
        REQUIRE(r.status == "invited");
        const auto it = recorded.emplace(r.email, r.user_id).first;
        CHECK(it->second == r.user_id);
    }

    Run resume{
        dir,
        run_args(roster, report, server,
                 {"--concurrency", "8", "--rate", "0", "--resume", "--summary", dir.file("summary.json")}),
        env};
    const auto status = resume.wait();
    INFO("resume's stderr: ", resume.err());
    CHECK(status.describe() == "exit 0");

    const auto after = server.stats();
    check_complete_run(read_csv_report(report), emails, after);
    // The resumed run sent nothing for a recorded row, and re-sent only what was in flight at the
    // kill (the server may have created those users: the Idempotency-Key replays them, no duplicate).
    std::size_t resent = 0;
    std::vector<std::string> wrong;  // "email: attempts before -> after"
    for (const auto& email : emails) {
        const auto a = before.attempts(email);
        const auto b = after.attempts(email);
        const bool ok = recorded.contains(email) ? b == a : b == a + 1;
        resent += !recorded.contains(email) && a > 0 ? 1 : 0;
        if (!ok)
            wrong.push_back(email + ": " + std::to_string(a) + " -> " + std::to_string(b));
    }
    INFO("first of ", wrong.size(), " rows sent a wrong number of times: ", (wrong.empty() ? "" : wrong[0]));
    CHECK(wrong.empty());
    CHECK(resent <= 8);
    CHECK_FALSE(std::filesystem::exists(report + ".pending"));

    const auto summary = boost::json::parse(avara::test::slurp(dir.file("summary.json"))).as_object();
    CHECK(summary.at("skipped_by_resume").to_number<std::uint64_t>() == recorded.size());
    CHECK(summary.at("exit_code").to_number<int>() == 0);
}

TEST_CASE("app::run stops on a refused key after no more than the requests already in flight") {
    TempDir dir;
    Server server(dir, {}, "right");
    const auto roster = dir.file("roster.csv");
    write_roster(roster, 300);
    const auto report = dir.file("roster.report.csv");

    Run run{dir,
            run_args(roster, report, server, {"--concurrency", "4", "--rate", "0"}),
            {{"AVARA_API_KEY", "wrong-key-S3CR3T"}}};
    const auto status = run.wait();
    const auto err = run.err();
    INFO("stderr: ", err);
    CHECK(status.describe() == "exit 3");
    CHECK(err.find("refused the API key") != std::string::npos);
    CHECK(err.find("--resume") != std::string::npos);
    CHECK(err.find("S3CR3T") == std::string::npos);  // the key itself is never printed

    const auto stats = server.stats();
    CHECK(stats.responses_with(401) >= 1);
    CHECK(stats.total_requests <= 4 + 2);
    CHECK(stats.users_created == 0);
    CHECK(avara::test::slurp(report).find("S3CR3T") == std::string::npos);
}

TEST_CASE("app::run refuses a server whose certificate it cannot verify, before sending anything") {
    TempDir dir;
    Server server(dir);
    const auto roster = dir.file("roster.csv");
    write_roster(roster, 50);

    Run run{dir,
            {"run", roster, "--report", dir.file("roster.report.csv"), "--base-url", server.base_url(),
             "--rate", "0"},
            {{"AVARA_API_KEY", "right"}}};
    const auto status = run.wait();
    const auto err = run.err();
    INFO("stderr: ", err);
    CHECK(status.describe() == "exit 3");
    CHECK(err.find("certificate verification failed") != std::string::npos);
    CHECK(err.find("--ca-file") != std::string::npos);
    const auto stats = server.stats();
    CHECK(stats.total_requests == 0);
    CHECK(stats.users_created == 0);
}

TEST_CASE("app::run refuses http:// and a missing key without opening a connection") {
    TempDir dir;
    SilentListener listener;
    const auto roster = dir.file("roster.csv");
    write_roster(roster, 20);
    const auto report = dir.file("roster.report.csv");
    const std::string port = std::to_string(listener.port);

    SUBCASE("http:// without --allow-insecure-http") {
        Run run{dir,
                {"run", roster, "--report", report, "--base-url", "http://127.0.0.1:" + port},
                {{"AVARA_API_KEY", "right"}}};
        const auto status = run.wait();
        INFO("stderr: ", run.err());
        CHECK(status.describe() == "exit 2");
        CHECK(run.err().find("--allow-insecure-http") != std::string::npos);
    }
    SUBCASE("no API key anywhere") {
        Run run{dir, {"run", roster, "--report", report, "--base-url", "https://127.0.0.1:" + port}, {}};
        const auto status = run.wait();
        INFO("stderr: ", run.err());
        CHECK(status.describe() == "exit 2");
        CHECK(run.err().find("AVARA_API_KEY") != std::string::npos);
    }
    SUBCASE("an empty API key file") {
        const auto key_file = dir.write("key", "\n");
        ::chmod(key_file.c_str(), 0600);
        Run run{dir,
                {"run", roster, "--report", report, "--base-url", "https://127.0.0.1:" + port,
                 "--api-key-file", key_file},
                {}};
        const auto status = run.wait();
        INFO("stderr: ", run.err());
        CHECK(status.describe() == "exit 2");
        CHECK(run.err().find("empty") != std::string::npos);
    }
    CHECK_FALSE(listener.was_contacted());
}

TEST_CASE("app::run keeps to --concurrency and --rate as the server measures them") {
    TempDir dir;
    SUBCASE("--concurrency 4 --rate 20 over 120 rows") {
        avara::mock::FaultOptions faults;
        faults.latency_ms = 50;
        Server server(dir, faults);
        const auto roster = dir.file("roster.csv");
        const auto emails = write_roster(roster, 120);
        const auto report = dir.file("roster.report.csv");
        Run run{dir,
                run_args(roster, report, server, {"--concurrency", "4", "--rate", "20"}),
                {{"AVARA_API_KEY", "right"}}};
        const auto started = std::chrono::steady_clock::now();
        const auto status = run.wait();
        const auto elapsed = std::chrono::steady_clock::now() - started;
        INFO("stderr: ", run.err());
        CHECK(status.describe() == "exit 0");
        const auto stats = server.stats();
        CHECK(stats.max_in_flight <= 4);
        CHECK(stats.max_posts_per_second <= 20 + 2);
        // 120 requests at 20/s cannot finish in much under 6 s: a lower bound only, never flaky.
        CHECK(elapsed >= 5s);
        check_complete_run(read_csv_report(report), emails, stats);
    }
    SUBCASE("--concurrency 4 --rate 0 with slow answers fills exactly 4 slots") {
        avara::mock::FaultOptions faults;
        faults.latency_ms = 200;
        Server server(dir, faults);
        const auto roster = dir.file("roster.csv");
        const auto emails = write_roster(roster, 60);
        const auto report = dir.file("roster.report.csv");
        Run run{dir,
                run_args(roster, report, server, {"--concurrency", "4", "--rate", "0"}),
                {{"AVARA_API_KEY", "right"}}};
        const auto status = run.wait();
        INFO("stderr: ", run.err());
        CHECK(status.describe() == "exit 0");
        const auto stats = server.stats();
        CHECK(stats.max_in_flight <= 4);
        CHECK(stats.max_in_flight >= 2);  // the bound was really reached for, not trivially met
        check_complete_run(read_csv_report(report), emails, stats);
    }
}

TEST_CASE("app::run goes on with other rows while a throttled row waits its Retry-After") {
    // One request slot, and a 429 that asks for 3 s: if the waiting row held the slot, the server
    // would create nobody in the two whole seconds after the 429. It must keep creating other rows
    // (about 40 a second at 20 ms an answer; the 429 slows the shared rate by a fraction, not to 0).
    TempDir dir;
    avara::mock::FaultOptions faults;
    faults.latency_ms = 20;
    faults.throttle_rate = 0.03;
    faults.retry_after_s = 3;
    faults.seed = 7;
    Server server(dir, faults);
    const auto roster = dir.file("roster.csv");
    const auto emails = write_roster(roster, 300);
    const auto report = dir.file("roster.report.csv");
    Run run{dir,
            run_args(roster, report, server, {"--concurrency", "1", "--rate", "0", "--max-retries", "10"}),
            {{"AVARA_API_KEY", "right"}}};
    const auto status = run.wait();
    INFO("stderr: ", run.err());
    CHECK(status.describe() == "exit 0");
    const auto stats = server.stats();
    CHECK(stats.max_in_flight == 1);
    REQUIRE(stats.throttled_injected > 0);
    const auto& throttled = stats.throttled_per_second;
    const auto& created = stats.created_per_second;
    const auto first = static_cast<std::size_t>(
        std::find_if(throttled.begin(), throttled.end(), [](std::uint32_t n) { return n > 0; }) -
        throttled.begin());
    INFO("first 429 in window ", first, " of ", created.size());
    // The run lasts 300 rows x 20 ms, at least 6 s, so the two windows after the first 429 exist.
    REQUIRE(first + 2 < created.size());
    INFO("created in the two windows after it: ", created[first + 1], " + ", created[first + 2]);
    CHECK(created[first + 1] + created[first + 2] >= 20);
    check_complete_run(read_csv_report(report), emails, stats);
}

TEST_CASE("app::run interrupted by SIGINT says how to resume, and --resume completes it") {
    TempDir dir;
    Server server(dir);
    const auto roster = dir.file("roster.csv");
    const std::size_t rows = 800;
    const auto emails = write_roster(roster, rows);
    const auto report = dir.file("roster.report.csv");
    const std::map<std::string, std::string> env{{"AVARA_API_KEY", "right"}};

    Run first{dir, run_args(roster, report, server, {"--concurrency", "8", "--rate", "100"}), env};
    auto child = first.start();
    REQUIRE(avara::test::wait_until(
        [&] { return avara::test::count_complete_lines(report) > 100 || !child.running(); }, run_timeout));
    child.send_signal(SIGINT);
    const auto interrupted = child.wait(60s);
    const auto err = first.err();
    INFO("first run's stderr: ", err);
    REQUIRE(interrupted.describe() == "exit 3");
    CHECK(err.find("--resume") != std::string::npos);
    CHECK(err.find("avara-onboard run " + roster + " --resume") != std::string::npos);

    // The interrupted run finished what was in flight and left a clean, ordered, partial report.
    const auto partial = read_csv_report(report);
    CHECK(partial.size() < rows);
    CHECK(partial.size() >= 100);
    for (std::size_t i = 1; i < partial.size(); ++i)
        CHECK(partial[i].row > partial[i - 1].row);
    CHECK_FALSE(std::filesystem::exists(report + ".pending"));

    Run resume{dir, run_args(roster, report, server, {"--concurrency", "8", "--rate", "0", "--resume"}), env};
    const auto status = resume.wait();
    INFO("resume's stderr: ", resume.err());
    CHECK(status.describe() == "exit 0");
    const auto stats = server.stats();
    check_complete_run(read_csv_report(report), emails, stats);
    // A graceful stop leaves nothing half-sent: no email was ever posted twice.
    std::size_t posted_twice = 0;
    for (const auto& email : emails)
        posted_twice += stats.attempts(email) != 1 ? 1 : 0;
    CHECK(posted_twice == 0);
}

TEST_CASE("app::run reports a user who already exists with the id looked up (409)") {
    TempDir dir;
    Server server(dir);
    // Created by someone else (another Idempotency-Key), so our POST draws a 409, not a replay.
    {
        boost::asio::io_context io;
        auto tls = avara::net::TlsClientContext::create(server.ca_file);
        REQUIRE(tls.has_value());
        auto base = avara::net::parse_base_url(server.base_url(), avara::net::PlainHttp::refuse);
        REQUIRE(base.has_value());
        avara::net::HttpConnection conn(io.get_executor(), *tls, *base);
        avara::net::HttpRequest request;
        request.method = "POST";
        request.target = "/v1/viewer/users";
        request.headers = {{"Authorization", "Bearer right"},
                           {"Content-Type", "application/json"},
                           {"Idempotency-Key", "created-by-someone-else"}};
        request.body =
            R"({"email":"taken@example.org","firstName":"Tak","lastName":"En","clinicRole":"Registered Nurse",)"
            R"("level":"member","canManageStudies":false,"hasDashboardAccess":true})";
        auto reply =
            avara::test::run_sync(io, conn.send(std::move(request), std::chrono::milliseconds(30000)));
        REQUIRE(reply.has_value());
        REQUIRE(reply->status == 201);
    }
    const auto taken_id = server.stats().emails.at("taken@example.org").user_id;
    REQUIRE(!taken_id.empty());

    const auto roster = dir.write("roster.csv", roster_header + roster_row("Taken@Example.org", 1) +
                                                    roster_row("fresh@example.org", 2));
    const auto report = dir.file("roster.report.csv");
    Run run{dir, run_args(roster, report, server, {"--rate", "0"}), {{"AVARA_API_KEY", "right"}}};

    const auto first = run.wait();
    INFO("stderr: ", run.err());
    CHECK(first.describe() == "exit 0");
    auto lines = read_csv_report(report);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].status == "exists");
    CHECK(lines[0].http_status == "409");
    CHECK(lines[0].user_id == taken_id);
    CHECK(lines[1].status == "invited");
    const auto fresh_id = server.stats().emails.at("fresh@example.org").user_id;
    CHECK(lines[1].user_id == fresh_id);

    // Run again without --resume: our own earlier invite is replayed by its Idempotency-Key (the
    // same id, no new user), the other one is still a 409.
    const auto second = run.wait();
    CHECK(second.describe() == "exit 0");
    lines = read_csv_report(report);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].status == "exists");
    CHECK(lines[0].user_id == taken_id);
    CHECK(lines[1].status == "invited");
    CHECK(lines[1].user_id == fresh_id);
    const auto stats = server.stats();
    CHECK(stats.users_created == 2);
    CHECK(stats.responses_with(409) == 2);
}

TEST_CASE("app::run writes a JSONL report and a summary readable by the owner only") {
    TempDir dir;
    Server server(dir);
    const auto roster = dir.file("roster.csv");
    const auto emails = write_roster(roster, 5);
    const auto report = dir.file("out.jsonl");
    const auto summary_path = dir.file("summary.json");
    Run run{dir,
            run_args(roster, report, server,
                     {"--report-format", "jsonl", "--summary", summary_path, "--rate", "0"}),
            {{"AVARA_API_KEY", "right"}}};
    // Even a permissive umask must not make personal data readable by others.
    const mode_t old_mask = ::umask(0);
    auto child = run.start();
    ::umask(old_mask);
    const auto status = child.wait(run_timeout);
    INFO("stderr: ", run.err());
    CHECK(status.describe() == "exit 0");
    CHECK(file_mode(report) == 0600);
    CHECK(file_mode(summary_path) == 0600);

    const auto stats = server.stats();
    std::vector<ReportLine> lines;
    std::istringstream in(avara::test::slurp(report));
    for (std::string text; std::getline(in, text);) {
        const auto object = boost::json::parse(text).as_object();
        CHECK(object.size() == 8);
        ReportLine r;
        r.row = object.at("row").to_number<std::uint64_t>();
        r.line = object.at("line").to_number<std::uint64_t>();
        r.email = std::string(object.at("email").as_string());
        r.status = std::string(object.at("status").as_string());
        CHECK(object.at("http_status").to_number<int>() == 201);
        r.user_id = std::string(object.at("user_id").as_string());
        r.attempts = object.at("attempts").to_number<unsigned>();
        CHECK(r.attempts == 1);
        CHECK(object.contains("error"));
        lines.push_back(r);
    }
    check_complete_run(lines, emails, stats);

    const auto summary = boost::json::parse(avara::test::slurp(summary_path)).as_object();
    CHECK(summary.at("rows").to_number<int>() == 5);
    CHECK(summary.at("counts").at("invited").to_number<int>() == 5);
    CHECK(summary.at("requests").to_number<int>() == 5);
    CHECK(summary.at("exit_code").to_number<int>() == 0);
}

TEST_CASE("app::run marks a row the server refuses as rejected and exits 1") {
    TempDir dir;
    Server server(dir);
    // Our validator sets no length limit on names, the server refuses bodies over 64 KiB: a 413.
    const auto roster = dir.write("roster.csv", roster_header + "big@example.org," + std::string(70000, 'a') +
                                                    ",Last,Registered Nurse,member,false,true\n" +
                                                    roster_row("small@example.org", 2));
    const auto report = dir.file("roster.report.csv");
    Run run{dir, run_args(roster, report, server, {"--rate", "0"}), {{"AVARA_API_KEY", "right"}}};
    const auto status = run.wait();
    INFO("stderr: ", run.err());
    CHECK(status.describe() == "exit 1");
    const auto lines = read_csv_report(report);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].status == "rejected");
    CHECK(lines[0].http_status == "413");
    CHECK(lines[0].attempts == 1);  // a 4xx is final: never retried
    CHECK(lines[0].error.find("65536 bytes") != std::string::npos);
    CHECK(lines[1].status == "invited");
    const auto stats = server.stats();
    CHECK(stats.responses_with(413) == 1);
    CHECK(stats.users_created == 1);
    CHECK(stats.emails.at("small@example.org").user_id == lines[1].user_id);
}

namespace {

// A plain-HTTP server on 127.0.0.1 that answers anything with a 400 in clear text, as an HTTP server
// does to a TLS ClientHello; counts the connections it took.
class PlainHttpServer {
  public:
    PlainHttpServer() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(fd_, 16) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~PlainHttpServer() {
        ::shutdown(fd_, SHUT_RDWR);
        thread_.join();
        ::close(fd_);
    }
    PlainHttpServer(const PlainHttpServer&) = delete;
    PlainHttpServer& operator=(const PlainHttpServer&) = delete;
    std::uint16_t port() const { return port_; }
    int connections() const { return connections_.load(); }

  private:
    void serve() {
        for (;;) {
            const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0)
                return;
            ++connections_;
            char buf[4096];
            (void)!::read(c, buf, sizeof buf);
            static const char answer[] =
                "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            (void)!::write(c, answer, sizeof answer - 1);
            ::close(c);
        }
    }
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<int> connections_{0};
    std::thread thread_;
};

std::uint64_t sum(const std::vector<std::uint32_t>& v, std::size_t from, std::size_t to) {
    std::uint64_t total = 0;
    for (std::size_t i = from; i < std::min(to, v.size()); ++i)
        total += v[i];
    return total;
}

}  // namespace

// A run of `rows` fresh rows at --rate 0 against a server with `faults` that must end exit 0 with
// one user per email; returns the server's record for the test's own checks.
static avara::mock::Stats complete_run_against(const avara::mock::FaultOptions& faults, std::size_t rows,
                                               const std::string& concurrency) {
    TempDir dir;
    Server server(dir, faults);
    const auto roster = dir.file("roster.csv");
    const auto emails = write_roster(roster, rows);
    const auto report = dir.file("roster.report.csv");
    Run run{dir,
            run_args(roster, report, server,
                     {"--concurrency", concurrency, "--rate", "0", "--max-retries", "20"}),
            {{"AVARA_API_KEY", "right"}}};
    const auto status = run.wait();
    INFO("stderr: ", run.err());
    CHECK(status.describe() == "exit 0");
    auto stats = server.stats();
    check_complete_run(read_csv_report(report), emails, stats);
    return stats;
}

TEST_CASE("app::run keeps to a token bucket it was not told about") {
    avara::mock::FaultOptions faults;
    faults.rate_limit = 60;
    faults.rate_limit_burst = 10;
    const auto stats = complete_run_against(faults, 900, "16");
    // From the server's own record: after the first seconds of finding the limit, the client sends
    // about what the bucket admits (60/s), not the thousands per second it could.
    const auto& sent = stats.requests_per_second;
    REQUIRE(sent.size() >= 12);
    for (std::size_t i = 5; i + 1 < sent.size(); ++i) {
        CAPTURE(i);
        CHECK(sent[i] <= 60 * 1.5);  // slack for a loaded machine's bunching, far below unlimited
    }
    const double throttled =
        static_cast<double>(stats.throttled_total) / static_cast<double>(stats.total_requests);
    MESSAGE("token bucket 60/s: " << stats.total_requests << " requests, " << throttled * 100
                                  << "% answered 429");
    // Measured 2.6-3.9% (ASan included): over 15 s most of them are the first flood (16 in flight into
    // a burst of 10) before slow start and the flood cap hold it; the 3% goal over 30 s is
    // bench/flow_bench.sh. The old limiter, which halved from its meters, made 5-7% here.
    CHECK(throttled < 0.06);
}

TEST_CASE("app::run sits out a blocked key with a handful of probes, then completes") {
    avara::mock::FaultOptions faults;
    faults.blocked_seconds = 8;
    faults.blocked_retry_after_s = 1;
    const auto stats = complete_run_against(faults, 60, "8");
    const auto during = sum(stats.requests_per_second, 0, 8);
    MESSAGE("blocked for 8 s: " << during << " requests during the window");
    CHECK(during <= 8 + 5);
    CHECK(stats.throttled_blocked >= 8);  // the window was really met
}

TEST_CASE("app::run stops at SIGTERM during a long Retry-After, within --timeout, and --resume completes") {
    TempDir dir;
    avara::mock::FaultOptions faults;
    faults.blocked_seconds = 3600;
    faults.blocked_retry_after_s = 100;
    Server blocked(dir, faults);
    const auto roster = dir.file("roster.csv");
    const auto emails = write_roster(roster, 40);
    const auto report = dir.file("roster.report.csv");
    const std::map<std::string, std::string> env{{"AVARA_API_KEY", "right"}};
    Run first{dir, run_args(roster, report, blocked, {"--concurrency", "4", "--rate", "0", "--timeout", "2"}),
              env};
    auto child = first.start();
    REQUIRE(avara::test::wait_until([&] { return blocked.stats().throttled_blocked >= 4; }, run_timeout));
    std::this_thread::sleep_for(300ms);  // the rows are now waiting out their Retry-After: 100
    const auto signalled = std::chrono::steady_clock::now();
    child.send_signal(SIGTERM);
    const auto stopped = child.wait(30s);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
    INFO("stderr: ", first.err());
    CHECK(stopped.describe() == "exit 3");
    CHECK(took < 2.0 + 1.0);  // --timeout plus a second, whatever it was waiting for
    CHECK(first.err().find("--resume") != std::string::npos);

    Server open(dir);  // the server accepts requests again
    Run again{
        dir,
        run_args(roster, report, open, {"--concurrency", "4", "--rate", "0", "--timeout", "2", "--resume"}),
        env};
    const auto resumed = again.wait();
    INFO("resume stderr: ", again.err());
    CHECK(resumed.describe() == "exit 0");
    check_complete_run(read_csv_report(report), emails, open.stats());
}

TEST_CASE("app::run exits at once on a second signal, requests still in flight, and --resume completes") {
    TempDir dir;
    SilentListener silent;  // connections wait in its backlog, never answered: every request hangs
    Server open(dir);       // its CA stands in for the silent one's; it takes the --resume
    const auto roster = dir.file("roster.csv");
    const auto emails = write_roster(roster, 10);
    const auto report = dir.file("roster.report.csv");
    const std::map<std::string, std::string> env{{"AVARA_API_KEY", "right"}};
    const std::string silent_url = "https://127.0.0.1:" + std::to_string(silent.port);
    Run first{dir,
              {"run", roster, "--report", report, "--base-url", silent_url, "--ca-file", open.ca_file,
               "--concurrency", "4", "--rate", "0", "--timeout", "60"},
              env};
    auto child = first.start();
    REQUIRE(avara::test::wait_until([&] { return first.err().find("inviting from") != std::string::npos; },
                                    run_timeout));
    std::this_thread::sleep_for(300ms);  // the first requests are now waiting on the silent server
    child.send_signal(SIGTERM);
    // A graceful stop would give those requests their --timeout of 60 s...
    REQUIRE(avara::test::wait_until([&] { return first.err().find("stopping") != std::string::npos; },
                                    run_timeout));
    const auto signalled = std::chrono::steady_clock::now();
    child.send_signal(SIGTERM);  // ...the second signal does not wait for them
    const auto stopped = child.wait(30s);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
    INFO("stderr: ", first.err());
    CHECK(stopped.describe() == "exit 3");
    CHECK(took < 5.0);  // at once, far below the 60 s that a missed signal would take
    CHECK(first.err().find("second signal") != std::string::npos);

    Run again{dir, run_args(roster, report, open, {"--concurrency", "4", "--rate", "0", "--resume"}), env};
    const auto resumed = again.wait();
    INFO("resume stderr: ", again.err());
    CHECK(resumed.describe() == "exit 0");
    check_complete_run(read_csv_report(report), emails, open.stats());
}

TEST_CASE("app::run refuses a key that cannot travel in a header, before sending anything") {
    TempDir dir;
    SilentListener listener;
    const auto roster = dir.file("roster.csv");
    write_roster(roster, 20);
    Run run{dir,
            {"run", roster, "--report", dir.file("r.csv"), "--base-url",
             "https://127.0.0.1:" + std::to_string(listener.port)},
            {{"AVARA_API_KEY", "secret-key-123\r"}}};
    const auto status = run.wait();
    const auto err = run.err();
    INFO("stderr: ", err);
    CHECK(status.describe() == "exit 2");
    CHECK(err.find("carriage return") != std::string::npos);
    CHECK(err.find("position 15 of 15") != std::string::npos);
    CHECK(err.find("secret-key-123") == std::string::npos);  // never the key itself
    CHECK_FALSE(listener.was_contacted());
}

TEST_CASE("app::run aborts once when the https:// server does not speak TLS") {
    TempDir dir;
    PlainHttpServer plain;
    const auto roster = dir.file("roster.csv");
    write_roster(roster, 30);
    const auto report = dir.file("roster.report.csv");
    Run run{
        dir,
        {"run", roster, "--report", report, "--base-url", "https://127.0.0.1:" + std::to_string(plain.port()),
         "--concurrency", "1", "--summary", dir.file("summary.json")},
        {{"AVARA_API_KEY", "right"}}};
    const auto status = run.wait();
    const auto err = run.err();
    INFO("stderr: ", err);
    CHECK(status.describe() == "exit 3");
    CHECK(err.find("TLS handshake failed") != std::string::npos);
    CHECK(plain.connections() == 1);         // one attempt, not six per row
    CHECK(read_csv_report(report).empty());  // nothing was sent: every row is left for --resume
    const auto summary = boost::json::parse(avara::test::slurp(dir.file("summary.json"))).as_object();
    CHECK(summary.at("requests").to_number<int>() == 0);
}
