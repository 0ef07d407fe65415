#include "avara_onboard/app/mock_server_command.hpp"

#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <cstdio>
#include <random>

#include "avara_onboard/util/text.hpp"

namespace avara::app {

namespace {

void say(std::string_view what, std::string_view message) {
    std::string line = "avara-onboard mock-server: ";
    line += what;
    line += message;
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
}

std::uint64_t seed_from_text(std::string_view text) {
    std::uint64_t seed = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seed);
    if (ec == std::errc{} && end == text.data() + text.size())
        return seed;
    return text::lower_hash(text);
}

// A warning, not a refusal: serving a test network is legitimate, it just has to be meant.
void warn_if_not_loopback(const std::string& listen) {
    std::string host = listen.substr(0, listen.rfind(':'));
    if (host.size() >= 2 && host.front() == '[')
        host = host.substr(1, host.size() - 2);
    if (host == "localhost")
        return;
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(host, ec);
    if (!ec && !address.is_loopback()) {
        say("warning: ",
            "listening on " + listen + ": other machines can reach this test server and the users it holds");
    }
}

}  // namespace

CLI::App* add_mock_server_command(CLI::App& root, MockServerCommand& cmd) {
    auto* sub = root.add_subcommand(
        "mock-server",
        "Serve an Avara-compatible users API over HTTPS for trials and tests.\n"
        "Prints the address it listens on as the first line of stdout, serves until SIGINT/SIGTERM.\n"
        "Without --cert/--key it makes a CA and a certificate for 127.0.0.1 and localhost; give the\n"
        "CA to the client with --write-ca and `run --ca-file`. Statistics: GET /__admin/stats.");
    auto& o = cmd.options;
    auto& f = o.faults;
    // Optional settings are set through callbacks: ServerOptions holds them as std::optional.
    auto optional_text = [sub](const char* name, std::optional<std::string>& target, const char* type,
                               const char* help) {
        return sub
            ->add_option_function<std::string>(
                name, [&target](const std::string& v) { target = v; }, help)
            ->type_name(type);
    };
    sub->add_option("--listen", o.listen, "HOST:PORT to listen on; port 0 picks a free one")
        ->type_name("HOST:PORT")
        ->capture_default_str();
    auto* cert = optional_text("--cert", o.cert_file, "PATH", "server certificate chain (PEM)");
    auto* key = optional_text("--key", o.key_file, "PATH", "the certificate's private key (PEM)");
    cert->needs(key);
    key->needs(cert);
    optional_text("--write-ca", o.write_ca, "PATH",
                  "write the generated CA certificate (PEM) here, for clients to trust")
        ->excludes(cert);
    optional_text("--api-key", o.api_key, "KEY", "the one bearer key accepted; default: any non-empty key");
    optional_text("--state-file", o.state_file, "PATH",
                  "write the statistics (JSON, as GET /__admin/stats) here on shutdown");
    optional_text("--seed-users", o.seed_users_file, "FILE",
                  "start with these users: a JSON array of user objects as GET /v1/viewer/users lists "
                  "them (docs/mock-server.md)");
    sub->add_option("--seed", cmd.seed_text,
                    "seed for the fault decisions and user ids (a number or any text)")
        ->type_name("SEED");
    sub->add_option("--latency-ms", f.latency_ms, "delay every API answer by this many milliseconds")
        ->type_name("MS");
    sub->add_option("--fail-rate", f.fail_rate, "share of requests answered 503")
        ->type_name("RATE")
        ->check(CLI::Range(0.0, 1.0));
    sub->add_option("--throttle-rate", f.throttle_rate, "share of requests answered 429 with Retry-After")
        ->type_name("RATE")
        ->check(CLI::Range(0.0, 1.0));
    sub->add_option("--retry-after", f.retry_after_s, "the Retry-After of --throttle-rate answers")
        ->type_name("SECONDS")
        ->capture_default_str()
        ->check(CLI::Range(1u, 86400u));
    auto* rate_limit =
        sub->add_option(
               "--rate-limit", f.rate_limit,
               "requests per second allowed (token bucket); beyond it 429 with Retry-After; 0 = none")
            ->type_name("PER_SECOND")
            ->check(CLI::NonNegativeNumber);
    sub->add_option("--rate-limit-burst", f.rate_limit_burst,
                    "tokens the --rate-limit bucket holds (the most requests at once); default max(1, R)")
        ->type_name("N")
        ->check(CLI::Range(1.0, 1e9))
        ->needs(rate_limit);
    auto* blocked =
        sub->add_option("--blocked-seconds", f.blocked_seconds,
                        "answer every API request 429 for this many seconds after start (a blocked key)")
            ->type_name("SECONDS")
            ->check(CLI::Range(0u, 86400u));
    sub->add_option("--blocked-retry-after", f.blocked_retry_after_s,
                    "the Retry-After of --blocked-seconds answers; default: the seconds left in the window")
        ->type_name("SECONDS")
        ->check(CLI::Range(1u, 86400u))
        ->needs(blocked);
    sub->add_option("--drop-rate", f.drop_rate,
                    "share of requests whose connection is closed without an answer, half of them after "
                    "the request took effect")
        ->type_name("RATE")
        ->check(CLI::Range(0.0, 1.0));
    sub->add_option("--threads", o.threads, "I/O threads")
        ->type_name("N")
        ->capture_default_str()
        ->check(CLI::Range(1u, 64u));
    return sub;
}

int run_mock_server_command(const MockServerCommand& cmd) {
    mock::ServerOptions options = cmd.options;
    const auto& f = options.faults;
    if (!cmd.seed_text.empty()) {
        options.faults.seed = seed_from_text(cmd.seed_text);
    } else {
        options.faults.seed = (std::uint64_t{std::random_device{}()} << 32) | std::random_device{}();
        if (f.fail_rate > 0 || f.throttle_rate > 0 || f.drop_rate > 0) {
            say("", "fault seed " + std::to_string(f.seed) + " (repeat this run with --seed " +
                        std::to_string(f.seed) + ")");
        }
    }
    warn_if_not_loopback(options.listen);

    // SIGINT/SIGTERM are blocked before the server's threads exist, so they inherit the mask and
    // the signal reaches sigwait() below instead of killing the process mid-write.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigset_t previous;
    pthread_sigmask(SIG_BLOCK, &signals, &previous);
    struct RestoreMask {
        sigset_t* mask;
        ~RestoreMask() { pthread_sigmask(SIG_SETMASK, mask, nullptr); }
    } restore{&previous};

    auto server = mock::MockServer::start(options);
    if (!server) {
        say("error: ", server.error().message);
        return exit_code_for(server.error().kind);
    }
    const std::string address = (*server)->address();
    std::printf("%s\n", address.c_str());
    std::fflush(stdout);
    say("", "serving https://" + address +
                (options.write_ca ? ", its CA in " + *options.write_ca : std::string()) +
                "; stop with Ctrl-C");

    int signal_number = 0;
    sigwait(&signals, &signal_number);
    try {
        (*server)->stop();
    } catch (const AppError& e) {
        say("error: ", e.what());
        return exit_code_for(e.kind());
    }
    return exit_code::ok;
}

}  // namespace avara::app
