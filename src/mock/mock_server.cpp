#include "avara_onboard/mock/mock_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>
#include <unordered_set>
#include <variant>

#include "avara_onboard/mock/seed_users.hpp"
#include "avara_onboard/mock/service.hpp"
#include "avara_onboard/mock/test_pki.hpp"
#include "avara_onboard/util/output_file.hpp"
#include "avara_onboard/util/text.hpp"

namespace avara::mock {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto handshake_timeout = std::chrono::seconds(10);
constexpr auto idle_timeout = std::chrono::seconds(60);  // a kept-alive connection with no request
constexpr auto request_timeout = std::chrono::seconds(30);
constexpr auto close_timeout = std::chrono::seconds(2);
constexpr auto stop_grace = std::chrono::seconds(5);
constexpr std::uint32_t header_limit = 16 * 1024;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

using Stream = beast::ssl_stream<beast::tcp_stream>;

struct Session {
    Stream stream;
    bool busy = false;  // between reading a request and writing its answer: stop() lets it finish
};

// One thread, one io_context, its own connections: nothing a connection touches needs a strand.
struct Worker {
    std::unordered_set<Session*> sessions;  // touched on this worker's thread only,
    bool stopping = false;                  // like this; both outlive `ioc` (declared first)
    asio::io_context ioc{1};
    asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(ioc);
    std::thread thread;
};

Result<tcp::endpoint> parse_listen(const std::string& listen) {
    const auto bad = [&listen](const std::string& why) {
        return make_error(ErrorKind::usage,
                          "--listen " + listen + ": " + why + " (expected HOST:PORT, like 127.0.0.1:8443)");
    };
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos)
        return bad("no port");
    std::string host = listen.substr(0, colon);
    const std::string_view port_text = std::string_view(listen).substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host == "localhost")
        host = "127.0.0.1";
    std::uint16_t port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size()) {
        return bad("the port must be a number from 0 to 65535");
    }
    boost::system::error_code address_ec;
    const auto address = asio::ip::make_address(host, address_ec);
    if (address_ec)
        return bad("'" + host + "' is not an IP address");
    return tcp::endpoint(address, port);
}

Result<std::string> read_pem(const std::string& path, const char* flag) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    if (in)
        content << in.rdbuf();
    if (!in || content.str().empty()) {
        return make_error(ErrorKind::config, std::string(flag) + " " + path + ": cannot read the file");
    }
    return content.str();
}

// --seed-users: read, parsed and loaded before the server listens.
Result<void> seed_from_file(Service& service, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    if (in)
        content << in.rdbuf();
    if (!in)
        return make_error(ErrorKind::config, "--seed-users " + path + ": cannot read the file");
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    auto users = parse_seed_users(content.str(), now);
    if (!users)
        return make_error(ErrorKind::config, "--seed-users " + path + ": " + users.error().message);
    if (auto seeded = service.seed(std::move(*users)); !seeded)
        return make_error(ErrorKind::config, "--seed-users " + path + ": " + seeded.error().message);
    return {};
}

std::string_view http_date() {
    thread_local std::time_t cached_second = -1;
    thread_local char text[40];
    thread_local std::size_t length = 0;
    const std::time_t now = std::time(nullptr);
    if (now != cached_second) {
        std::tm tm{};
        gmtime_r(&now, &tm);
        length = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cached_second = now;
    }
    return {text, length};
}

// The whole answer in one buffer, so it leaves in one TLS record and one write.
// A HEAD request gets the headers of its answer only (RFC 9110, 9.3.2).
// How an answer is framed: whether the connection ends after it, the request's HTTP version, and
// whether the request was HEAD.
struct Framing {
    bool close = true;
    unsigned version = 11;
    bool head = false;
};

void render_response(std::string& out, const Reply& reply, const Framing& framing) {
    out.clear();
    out += "HTTP/1.1 ";
    out += std::to_string(reply.status);
    out.push_back(' ');
    const auto reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(reply.status)));
    out.append(reason.data(), reason.size());
    out += "\r\nDate: ";
    out += http_date();
    out += "\r\nContent-Type: application/json\r\nContent-Length: ";
    out += std::to_string(reply.body.size());
    out += "\r\n";
    if (reply.retry_after_s)
        out += "Retry-After: " + std::to_string(reply.retry_after_s) + "\r\n";
    if (reply.status == 401)
        out += "WWW-Authenticate: Bearer\r\n";
    if (framing.close) {
        out += "Connection: close\r\n";
    } else if (framing.version == 10) {
        out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
    if (!framing.head)
        out += reply.body;
}

bool is_http_error(const beast::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_method).category();
}

void report_exception(const std::exception_ptr& e) {
    if (!e)
        return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "avara-onboard mock-server: a connection failed: %s\n", ex.what());
    } catch (...) {
        std::fprintf(stderr, "avara-onboard mock-server: a connection failed\n");
    }
}

}  // namespace

struct MockServer::Impl {
    Impl(ServerOptions opts, std::string ca)
        : options(std::move(opts)),
          ca_pem(std::move(ca)),
          service(Service::Options{options.api_key, options.faults}) {}

    void shutdown();

    ServerOptions options;
    std::string ca_pem;
    asio::ssl::context tls{asio::ssl::context::tls_server};
    Service service;
    std::mutex session_mutex;
    std::condition_variable sessions_done;
    std::size_t session_count = 0;  // connections being served, on all workers
    std::vector<std::unique_ptr<Worker>> workers;
    std::optional<tcp::acceptor> acceptor;  // on workers[0]; destroyed before the workers
    std::size_t next_worker = 0;            // the accept loop's only
    tcp::endpoint endpoint;
    std::mutex stop_mutex;
    bool stopped = false;
};

namespace {

using Impl = MockServer::Impl;

class Registration {
  public:
    Registration(Impl& impl, Worker& worker, Session& session)
        : impl_(impl), worker_(worker), session_(session) {
        worker_.sessions.insert(&session_);
        std::lock_guard lock(impl_.session_mutex);
        ++impl_.session_count;
    }
    ~Registration() {
        worker_.sessions.erase(&session_);
        std::lock_guard lock(impl_.session_mutex);
        if (--impl_.session_count == 0)
            impl_.sessions_done.notify_all();
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

  private:
    Impl& impl_;
    Worker& worker_;
    Session& session_;
};

// A request counted in flight by Service::begin() until this goes, however the session ends.
class InFlight {
  public:
    explicit InFlight(Service& service) : service_(&service) {}
    ~InFlight() { release(); }
    void release() {
        if (service_)
            service_->end_request();
        service_ = nullptr;
    }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

  private:
    Service* service_;
};

// Answers one request: admin, or begin / latency / finish. Returns the reply with the request
// possibly still in flight (held by `in_flight`) until the caller has written it.
asio::awaitable<Reply> answer(Impl* impl, const Request* request, std::optional<InFlight>* in_flight) {
    if (auto admin = impl->service.admin(*request))
        co_return std::move(*admin);
    auto step = impl->service.begin(*request, Service::Clock::now());
    in_flight->emplace(impl->service);
    if (auto* reply = std::get_if<Reply>(&step))
        co_return std::move(*reply);
    auto& pending = std::get<Service::Pending>(step);
    if (pending.latency.count() > 0) {
        const auto executor = co_await asio::this_coro::executor;
        asio::steady_timer timer(executor);
        timer.expires_after(pending.latency);
        auto [ec] = co_await timer.async_wait(tuple_awaitable);
        (void)ec;  // only the io_context stopping cancels it, and then nothing resumes
    }
    co_return impl->service.finish(*request, std::move(pending), Service::Clock::now());
}

// What reading one request came to: the read's error (none for a whole request), and whether its
// body is over the limit (then never read: the connection closes after the answer).
struct RequestRead {
    beast::error_code ec;
    bool too_large = false;
};

// Reads one request: its header, then its body unless that is over the limit (after answering an
// "Expect: 100-continue"). Marks the session busy once a header has come.
asio::awaitable<RequestRead> read_request(Session& session, beast::flat_buffer& buffer,
                                          http::request_parser<http::string_body>& parser) {
    auto& tcp_layer = beast::get_lowest_layer(session.stream);
    parser.header_limit(header_limit);
    parser.body_limit(boost::none);  // checked below, after the headers that come first
    tcp_layer.expires_after(idle_timeout);
    auto [header_ec, header_bytes] =
        co_await http::async_read_header(session.stream, buffer, parser, tuple_awaitable);
    (void)header_bytes;
    session.busy = true;
    RequestRead out{header_ec, false};
    if (out.ec)
        co_return out;
    // A body over the limit is never read: the order of checks puts auth and faults first, and the
    // connection is closed after the answer since the rest of the body is still coming.
    // (content_length() asserts a complete header, which a failed read does not have.)
    if (const auto length = parser.content_length(); length && *length > max_body_bytes) {
        out.too_large = true;
        co_return out;
    }
    if (parser.is_done())
        co_return out;
    if (parser.get().version() == 11 && text::iequals(parser.get()[http::field::expect], "100-continue")) {
        static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
        tcp_layer.expires_after(request_timeout);
        auto [continue_ec, sent] = co_await asio::async_write(
            session.stream, asio::buffer(continue_line.data(), continue_line.size()), tuple_awaitable);
        (void)sent;
        if (continue_ec) {
            out.ec = continue_ec;  // not an HTTP error: the session ends without an answer
            co_return out;
        }
    }
    parser.body_limit(max_body_bytes);
    tcp_layer.expires_after(request_timeout);
    auto [body_ec, body_bytes] = co_await http::async_read(session.stream, buffer, parser, tuple_awaitable);
    (void)body_bytes;
    if (body_ec == http::error::body_limit) {
        out.too_large = true;
    } else {
        out.ec = body_ec;
    }
    co_return out;
}

// A lingering close (RFC 9112, 9.6): the client may still be sending a body we refused or could not
// parse, and closing on unread data would reset the connection and destroy the answer it has not read
// yet. So: end our side, then drain what comes until the client closes too, or for a short while.
asio::awaitable<void> lingering_close(Session& session, std::string& scratch) {
    auto& tcp_layer = beast::get_lowest_layer(session.stream);
    beast::error_code ignored;
    tcp_layer.socket().shutdown(tcp::socket::shutdown_send, ignored);
    tcp_layer.expires_after(close_timeout);
    scratch.resize(std::size_t{16} * 1024);
    for (;;) {
        auto [drain_ec, drained] =
            co_await tcp_layer.async_read_some(asio::buffer(scratch.data(), scratch.size()), tuple_awaitable);
        (void)drained;
        if (drain_ec)
            co_return;
    }
}

asio::awaitable<void> run_session(Impl* impl, Worker* worker, tcp::socket socket) {
    Session session{Stream(beast::tcp_stream(std::move(socket)), impl->tls)};
    Registration registration(*impl, *worker, session);
    if (worker->stopping)
        co_return;
    auto& tcp_layer = beast::get_lowest_layer(session.stream);

    tcp_layer.expires_after(handshake_timeout);
    auto [handshake_ec] =
        co_await session.stream.async_handshake(asio::ssl::stream_base::server, tuple_awaitable);
    if (handshake_ec)
        co_return;

    beast::flat_buffer buffer;
    std::string out;  // one response buffer for the life of the connection
    bool graceful_close = false;
    while (!worker->stopping) {
        session.busy = false;
        http::request_parser<http::string_body> parser;
        const RequestRead read = co_await read_request(session, buffer, parser);

        Reply reply;
        std::optional<InFlight> in_flight;
        Framing framing;
        if (read.ec) {
            // A client closing between requests or mid-request, a timeout or stop(): nobody to
            // answer. Anything else is a request that is not HTTP.
            if (!is_http_error(read.ec) || read.ec == http::error::end_of_stream ||
                read.ec == http::error::partial_message) {
                co_return;
            }
            reply = impl->service.malformed_http(read.ec.message());
        } else {
            const auto& message = parser.get();
            Request request;
            request.method = message.method_string();
            request.target = message.target();
            request.authorization = message[http::field::authorization];
            request.idempotency_key = message["Idempotency-Key"];
            if (!read.too_large)
                request.body = message.body();
            request.body_too_large = read.too_large;
            reply = co_await answer(impl, &request, &in_flight);
            if (reply.drop) {
                // Closed without a word, the way a crashed backend or a cut network looks.
                beast::error_code ignored;
                tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
                tcp_layer.socket().close(ignored);
                co_return;
            }
            framing.close = read.too_large || !message.keep_alive() || worker->stopping;
            framing.head = message.method() == http::verb::head;
        }
        framing.version = parser.get().version();
        render_response(out, reply, framing);
        tcp_layer.expires_after(request_timeout);
        auto [write_ec, written] =
            co_await asio::async_write(session.stream, asio::buffer(out), tuple_awaitable);
        (void)written;
        in_flight.reset();
        if (write_ec)
            co_return;
        if (framing.close) {
            graceful_close = true;
            break;
        }
    }
    if (graceful_close)
        co_await lingering_close(session, out);
}

asio::awaitable<void> accept_loop(Impl* impl) {
    for (;;) {
        Worker& worker = *impl->workers[impl->next_worker++ % impl->workers.size()];
        auto [ec, socket] = co_await impl->acceptor->async_accept(worker.ioc, tuple_awaitable);
        if (!impl->acceptor->is_open())
            co_return;
        if (ec) {
            // Out of file descriptors, most likely: give the open connections time to end.
            const auto executor = co_await asio::this_coro::executor;
            asio::steady_timer pause(executor, std::chrono::milliseconds(50));
            auto [pause_ec] = co_await pause.async_wait(tuple_awaitable);
            (void)pause_ec;
            continue;
        }
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        asio::co_spawn(worker.ioc, run_session(impl, &worker, std::move(socket)), report_exception);
    }
}

Result<void> configure_tls(asio::ssl::context& tls, const std::string& cert_pem, const std::string& key_pem) {
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    tls.use_certificate_chain(asio::buffer(cert_pem), ec);
    if (ec)
        return make_error(ErrorKind::config, "--cert: not a usable PEM certificate: " + ec.message());
    tls.use_private_key(asio::buffer(key_pem), asio::ssl::context::pem, ec);
    if (ec) {
        return make_error(ErrorKind::config,
                          "--key: not a usable PEM private key for the certificate: " + ec.message());
    }
    return {};
}

}  // namespace

void Impl::shutdown() {
    asio::post(workers.front()->ioc, [this] {
        beast::error_code ignored;
        acceptor->close(ignored);
    });
    for (auto& w : workers) {
        asio::post(w->ioc, [worker = w.get()] {
            worker->stopping = true;
            // Idle connections go now; busy ones answer first and close after (see run_session).
            for (Session* s : worker->sessions) {
                if (!s->busy)
                    beast::get_lowest_layer(s->stream).cancel();
            }
        });
    }
    {
        std::unique_lock lock(session_mutex);
        sessions_done.wait_for(lock, std::chrono::milliseconds(options.faults.latency_ms) + stop_grace,
                               [this] { return session_count == 0; });
    }
    for (auto& w : workers) {
        w->guard.reset();
        w->ioc.stop();
    }
    for (auto& w : workers) {
        if (w->thread.joinable())
            w->thread.join();
    }
    if (options.state_file) {
        // Personal data (the emails seen), so readable by its owner only, like the reports.
        if (auto written = write_private_file(*options.state_file, service.stats().to_json()); !written) {
            throw AppError(ErrorKind::io, "the state file: " + written.error().message);
        }
    }
}

Result<std::unique_ptr<MockServer>> MockServer::start(ServerOptions options) {
    auto endpoint = parse_listen(options.listen);
    if (!endpoint)
        return endpoint.error();
    if (options.threads < 1 || options.threads > 64) {
        return make_error(ErrorKind::usage, "--threads must be from 1 to 64");
    }
    const auto& f = options.faults;
    for (const double rate : {f.fail_rate, f.throttle_rate, f.drop_rate}) {
        if (!(rate >= 0 && rate <= 1))
            return make_error(ErrorKind::usage, "fault rates must be from 0 to 1");
    }
    if (!(f.rate_limit >= 0))
        return make_error(ErrorKind::usage, "--rate-limit must not be negative");
    if (!(f.rate_limit_burst == 0 || f.rate_limit_burst >= 1))
        return make_error(ErrorKind::usage, "--rate-limit-burst must be at least 1");

    std::string cert_pem, key_pem, ca_pem;
    if (options.cert_file || options.key_file) {
        if (!options.cert_file || !options.key_file) {
            return make_error(ErrorKind::usage, "--cert and --key go together");
        }
        if (options.write_ca) {
            return make_error(ErrorKind::usage,
                              "--write-ca is for the generated certificate, not with --cert");
        }
        auto cert = read_pem(*options.cert_file, "--cert");
        if (!cert)
            return cert.error();
        auto key = read_pem(*options.key_file, "--key");
        if (!key)
            return key.error();
        cert_pem = std::move(*cert);
        key_pem = std::move(*key);
    } else {
        auto pki = generate_test_pki();
        cert_pem = std::move(pki.cert_pem);
        key_pem = std::move(pki.key_pem);
        ca_pem = std::move(pki.ca_pem);
    }

    auto impl = std::make_unique<Impl>(std::move(options), std::move(ca_pem));
    if (impl->options.seed_users_file) {
        if (auto seeded = seed_from_file(impl->service, *impl->options.seed_users_file); !seeded)
            return seeded.error();
    }
    if (auto tls = configure_tls(impl->tls, cert_pem, key_pem); !tls)
        return tls.error();
    for (unsigned i = 0; i < impl->options.threads; ++i)
        impl->workers.push_back(std::make_unique<Worker>());

    auto& acceptor = impl->acceptor.emplace(impl->workers.front()->ioc);
    boost::system::error_code ec;
    const auto cannot_listen = [&] {
        return make_error(ErrorKind::usage, "cannot listen on " + impl->options.listen + ": " + ec.message());
    };
    acceptor.open(endpoint->protocol(), ec);
    if (!ec)
        acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec)
        acceptor.bind(*endpoint, ec);
    if (!ec)
        acceptor.listen(tcp::socket::max_listen_connections, ec);
    if (ec)
        return cannot_listen();
    impl->endpoint = acceptor.local_endpoint();

    if (impl->options.write_ca) {
        if (auto written = write_private_file(*impl->options.write_ca, impl->ca_pem); !written) {
            return make_error(written.error().kind, "--write-ca: " + written.error().message);
        }
    }

    asio::co_spawn(impl->workers.front()->ioc, accept_loop(impl.get()), report_exception);
    for (auto& w : impl->workers) {
        w->thread = std::thread([worker = w.get()] { worker->ioc.run(); });
    }
    return std::unique_ptr<MockServer>(new MockServer(std::move(impl)));
}

MockServer::MockServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MockServer::~MockServer() {
    try {
        stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "avara-onboard mock-server: %s\n", e.what());
    }
}

void MockServer::stop() {
    std::lock_guard lock(impl_->stop_mutex);
    if (impl_->stopped)
        return;
    impl_->stopped = true;
    impl_->shutdown();
}

std::uint16_t MockServer::port() const {
    return impl_->endpoint.port();
}

std::string MockServer::address() const {
    const auto address = impl_->endpoint.address();
    const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    return host + ":" + std::to_string(port());
}

std::string MockServer::ca_pem() const {
    return impl_->ca_pem;
}

Stats MockServer::stats() const {
    return impl_->service.stats();
}

}  // namespace avara::mock
