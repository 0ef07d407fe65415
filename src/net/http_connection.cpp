#include "avara_onboard/net/http_connection.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <cerrno>
#include <climits>
#include <csignal>
#include <mutex>
#include <optional>
#include <tuple>
#include <vector>

#include "avara_onboard/util/text.hpp"

namespace avara::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
// Generous for an API whose replies carry a handful of headers; the body has its own limit.
constexpr std::uint32_t header_limit = 64 * 1024;

// What one write-then-read produced. `got_bytes` tells a stale keep-alive connection (nothing came
// back) from a reply cut short (something did), which must not be resent blindly.
struct Exchange {
    error_code ec;
    bool wrote = false;
    bool got_bytes = false;
    bool keep_alive = false;
    std::optional<HttpResponse> response;
};

// Beast's parser, filling an HttpResponse as it goes: the fields go straight into it, where
// response_parser<string_body> would first build Beast's own field list (a node allocated a field) and
// the reply would then be copied out of that.
class ReplyParser final : public http::basic_parser<false> {
  public:
    HttpResponse reply;

  private:
    void on_request_impl(http::verb, beast::string_view, beast::string_view, int, error_code&) override {}
    void on_response_impl(int code, beast::string_view, int, error_code&) override {
        reply.status = static_cast<unsigned>(code);
    }
    void on_field_impl(http::field, beast::string_view name, beast::string_view value, error_code&) override {
        reply.headers.push_back(Header{std::string(name), std::string(value)});
    }
    void on_header_impl(error_code&) override {}
    // The length was checked against body_limit() before this is called.
    void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
        if (length)
            reply.body.reserve(static_cast<std::size_t>(*length));
    }
    std::size_t on_body_impl(beast::string_view body, error_code&) override {
        reply.body.append(body.data(), body.size());
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code&) override {
        reply.body.append(body.data(), body.size());
        return body.size();
    }
    void on_finish_impl(error_code&) override {}
};

// The symptoms of writing to a keep-alive connection that the server already closed while it sat idle.
bool is_stale_symptom(const error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::connection_aborted ||
           ec == asio::error::broken_pipe || ec == asio::error::not_connected ||
           ec == asio::error::bad_descriptor || ec == ssl::error::stream_truncated;
}

// A kept-alive connection that sat idle is usable only if the server has neither closed it (a FIN: the
// peek reads 0) nor sent something unasked (an unsolicited 408, say). One non-blocking peek per request
// saves writing a request into a connection the server has given up on, where it might still be read
// after the server decided not to answer it.
bool idle_connection_usable(tcp::socket& socket, SSL* tls, const beast::flat_buffer& buffer) {
    if (buffer.size() > 0)
        return false;
    if (tls != nullptr && SSL_has_pending(tls) == 1)  // bytes read ahead, decrypted or not
        return false;
    char byte = 0;
    const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool has_control_chars(std::string_view s) {
    for (char c : s) {
        if (c == '\r' || c == '\n' || c == '\0')
            return true;
    }
    return false;
}

// OpenSSL writes to the socket with write(2), which raises SIGPIPE on a connection the peer has reset;
// its default action would kill the process instead of failing the write with EPIPE. So the first
// connection makes the process ignore it, as libcurl does, unless the program already handles it.
// (main() ignores it anyway, for the report written to a closed pipe.)
void ignore_sigpipe_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction current {};
        if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
            std::signal(SIGPIPE, SIG_IGN);
    });
}

std::string millis(std::chrono::milliseconds ms) {
    return std::to_string(ms.count()) + " ms";
}

// Bounds the waits of one step (a connect, a handshake, an exchange) by its send's deadline: when the
// deadline passes while the step is on, it closes the socket, which ends the step's wait with
// operation_aborted (and a connect's walk through the endpoints), and the step ends as a timeout. It
// is armed for a step only, so an idle connection keeps no io_context running. Its handler holds the state,
// not the watchdog: a deadline that passes just as the exchange ends queues a handler that may run after the
// connection is gone.
class Watchdog {
  public:
    explicit Watchdog(const asio::any_io_executor& ex) : timer_(ex) {}
    ~Watchdog() { state_->socket = nullptr; }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    // The step's guard: the watchdog is disarmed when it goes, however the step ends.
    class Armed {
      public:
        explicit Armed(Watchdog& watchdog) noexcept : watchdog_(watchdog) {}
        ~Armed() { watchdog_.release(); }
        Armed(const Armed&) = delete;
        Armed& operator=(const Armed&) = delete;

      private:
        Watchdog& watchdog_;
    };

    [[nodiscard]] Armed guard(tcp::socket& socket, Clock::time_point deadline) {
        state_->socket = &socket;
        timer_.expires_at(deadline);
        timer_.async_wait([state = state_](const error_code& ec) {
            if (!ec && state->socket != nullptr) {
                error_code ignored;
                state->socket->close(ignored);
            }
        });
        return Armed(*this);
    }

  private:
    void release() noexcept {
        state_->socket = nullptr;  // first: should the cancel fail, a late handler finds nothing to close
        try {
            timer_.cancel();
        } catch (...) {  // NOLINT(bugprone-empty-catch): nothing more to undo
        }
    }

    struct State {
        tcp::socket* socket = nullptr;  // the socket of the exchange on, if one is
    };
    std::shared_ptr<State> state_ = std::make_shared<State>();
    asio::steady_timer timer_;
};

struct SslFree {
    void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
};
using SslPtr = std::unique_ptr<SSL, SslFree>;

// What an SSL_* call on the non-blocking socket needs before it can go on, or how it failed, in the
// terms asio::ssl::stream uses (its error category and messages, eof for a close_notify,
// stream_truncated for an end without one), which exchange_error() and open() classify.
enum class Need { nothing, readable, writable };
struct SslStep {
    Need need = Need::nothing;
    error_code ec;
};

SslStep ssl_step(SSL* ssl, int ret, int saved_errno) {
    switch (SSL_get_error(ssl, ret)) {
        case SSL_ERROR_NONE:
            return {};
        case SSL_ERROR_WANT_READ:
            return {Need::readable, {}};
        case SSL_ERROR_WANT_WRITE:
            return {Need::writable, {}};
        case SSL_ERROR_ZERO_RETURN:
            return {Need::nothing, asio::error::eof};
        case SSL_ERROR_SYSCALL:
            ERR_clear_error();
            if (saved_errno == 0)
                return {Need::nothing, ssl::error::stream_truncated};
            return {Need::nothing, error_code(saved_errno, asio::error::get_system_category())};
        default: {
            const unsigned long code = ERR_get_error();
            ERR_clear_error();  // the queue must be empty before the next call, for SSL_get_error()
            if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
                return {Need::nothing, ssl::error::stream_truncated};
            return {Need::nothing, error_code(static_cast<int>(code), asio::error::get_ssl_category())};
        }
    }
}

// Beast's synchronous reads over a TLS connection that OpenSSL drives on the non-blocking socket: a
// read that has to wait says would_block, and needs() says for what.
class TlsReader {
  public:
    explicit TlsReader(SSL* ssl) noexcept : ssl_(ssl) {}

    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers, error_code& ec) {
        const asio::mutable_buffer b = *asio::buffer_sequence_begin(buffers);
        const int n = SSL_read(ssl_, b.data(), static_cast<int>(std::min<std::size_t>(b.size(), INT_MAX)));
        const int saved_errno = errno;
        if (n > 0) {
            ec = {};
            return static_cast<std::size_t>(n);
        }
        const SslStep step = ssl_step(ssl_, n, saved_errno);
        need_ = step.need;
        ec = step.need == Need::nothing ? step.ec : error_code(asio::error::would_block);
        return 0;
    }
    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers) {  // Beast's SyncReadStream asks for both
        error_code ec;
        const std::size_t n = read_some(buffers, ec);
        if (ec)
            throw boost::system::system_error(ec);
        return n;
    }
    Need needs() const noexcept { return need_; }

  private:
    SSL* ssl_;
    Need need_ = Need::readable;
};

// The same for plain HTTP, straight on the socket.
class PlainReader {
  public:
    explicit PlainReader(tcp::socket& socket) noexcept : socket_(socket) {}

    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers, error_code& ec) {
        return socket_.read_some(buffers, ec);
    }
    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers) {
        return socket_.read_some(buffers);
    }
    static Need needs() noexcept { return Need::readable; }

  private:
    tcp::socket& socket_;
};

asio::awaitable<error_code> wait_for(tcp::socket& socket, Need need) {
    auto waited = co_await socket.async_wait(
        need == Need::writable ? tcp::socket::wait_write : tcp::socket::wait_read, tuple_awaitable);
    co_return std::get<0>(waited);
}

// The client's side of the TLS handshake, waiting for the socket as OpenSSL asks.
asio::awaitable<error_code> handshake(SSL* tls, tcp::socket& socket) {
    ERR_clear_error();  // see write_and_read()
    for (;;) {
        const int n = SSL_connect(tls);
        const int saved_errno = errno;
        if (n == 1)
            co_return error_code{};
        const SslStep step = ssl_step(tls, n, saved_errno);
        if (step.need == Need::nothing)
            co_return step.ec ? step.ec : error_code(asio::error::eof);
        const error_code waited = co_await wait_for(socket, step.need);
        if (waited)
            co_return waited;
    }
}

// Writes the whole request, waiting whenever the socket's buffer is full. `wrote` says whether some of
// it may have left: nothing has when the first attempt fails outright (a connection the server already
// reset), which is what lets send() resend on a stale connection.
asio::awaitable<Exchange> write_request(SSL* tls, tcp::socket& socket, const std::string& wire) {
    Exchange out;
    std::size_t done = 0;
    while (done < wire.size()) {
        const char* from = wire.data() + done;
        const std::size_t left = wire.size() - done;
        Need need = Need::nothing;
        if (tls != nullptr) {
            // Without SSL_MODE_ENABLE_PARTIAL_WRITE it writes all or nothing; after a "want", the same
            // call again (same bytes, same length) goes on where it stopped.
            const int n = SSL_write(tls, from, static_cast<int>(std::min<std::size_t>(left, INT_MAX)));
            const int saved_errno = errno;
            if (n > 0) {
                done += static_cast<std::size_t>(n);
                continue;
            }
            const SslStep step = ssl_step(tls, n, saved_errno);
            out.ec = step.ec;
            need = step.need;
        } else {
            const std::size_t n = socket.write_some(asio::buffer(from, left), out.ec);
            done += n;
            if (out.ec == asio::error::would_block) {
                out.ec = {};
                need = Need::writable;
            }
        }
        if (out.ec)
            break;
        if (need != Need::nothing) {
            out.wrote = true;  // part of it may be out
            out.ec = co_await wait_for(socket, need);
            if (out.ec)
                break;
        }
    }
    out.wrote = out.wrote || done > 0;
    co_return out;
}

// One request and its reply, reactor-style, with OpenSSL driven directly on the non-blocking socket
// (a socket BIO, as wrk does) rather than through asio::ssl::stream's memory BIO pair and its
// composed operations: the request goes out in one SSL_write, the reply is read and parsed with
// synchronous calls for as long as bytes are there, and the coroutine suspends only to wait for the
// socket. By callgrind against nginx (README, "How fast"), the reactor-style read cut the network
// thread's instructions a request by 12% (51,100 to 45,100), ReplyParser and the request bytes made on
// the engine's thread took it to 34,000, and the socket BIO (with read-ahead, and a wait before the
// first read) to 23,900.
template <class Reader>
asio::awaitable<Exchange> write_and_read(SSL* tls, Reader reader, tcp::socket& socket, Watchdog& watchdog,
                                         beast::flat_buffer& buffer, const std::string& wire, bool head,
                                         Clock::time_point deadline, std::size_t body_limit) {
    // SSL_get_error() reads this thread's error queue, which must be empty before each call; the
    // failures here clear it as they go, and this clears whatever other OpenSSL work left in it.
    if (tls != nullptr)
        ERR_clear_error();
    const Watchdog::Armed armed = watchdog.guard(socket, deadline);
    Exchange out = co_await write_request(tls, socket, wire);
    if (out.ec)
        co_return out;

    ReplyParser parser;
    parser.reply.headers.reserve(12);
    parser.header_limit(header_limit);
    parser.body_limit(static_cast<std::uint64_t>(body_limit));
    // A reply to HEAD announces a body it does not send; waiting for it would stall until the deadline.
    parser.skip(head);
    // Nothing of the reply can have come yet (the connection held nothing before the write: see
    // idle_connection_usable()), so the first step is a wait, which saves a read that would fail.
    // Every later wait follows a read that found the socket empty, so no readiness can slip past it.
    Need need = Need::readable;
    while (!parser.is_done()) {
        error_code ec;
        if (need != Need::nothing)
            ec = co_await wait_for(socket, need);
        if (!ec)
            http::read_some(reader, buffer, parser, ec);
        need = Need::nothing;
        if (ec == asio::error::would_block) {
            need = reader.needs();
            continue;
        }
        if (ec) {
            out.ec = ec;
            break;
        }
    }
    out.got_bytes = parser.got_some() || buffer.size() > 0;
    if (!out.ec) {
        out.keep_alive = parser.keep_alive();
        out.response.emplace(std::move(parser.reply));
    }
    co_return out;
}

// Every socket-level step of one send, and the resolver's result. Kept out of the header so the rest of
// the program never compiles Beast.
struct ResolveState {
    explicit ResolveState(const asio::any_io_executor& ex) : resolver(ex), signal(ex) {}
    tcp::resolver resolver;
    asio::steady_timer signal;
    bool done = false;
    error_code ec;
    tcp::resolver::results_type results;
};

}  // namespace

struct HttpConnection::Impl {
    explicit Impl(const asio::any_io_executor& ex) : socket(ex), watchdog(ex) {}

    tcp::socket socket;
    SslPtr tls;  // for https: OpenSSL on `socket`'s descriptor
    beast::flat_buffer buffer;
    Watchdog watchdog;
    std::string spare_wire;  // the last request's bytes, written: prepare() reuses their capacity
    bool open = false;
};

namespace {

// Resets the connection's in-flight flag however the send coroutine ends, including when its frame is
// destroyed without being resumed (an io_context torn down mid-send).
class BusyGuard {
  public:
    explicit BusyGuard(bool& flag) noexcept : flag_(flag) { flag_ = true; }
    ~BusyGuard() { flag_ = false; }
    BusyGuard(const BusyGuard&) = delete;
    BusyGuard& operator=(const BusyGuard&) = delete;

  private:
    bool& flag_;
};

}  // namespace

HttpConnection::HttpConnection(asio::any_io_executor ex, std::shared_ptr<TlsClientContext> tls, BaseUrl base)
    : ex_(std::move(ex)),
      tls_(std::move(tls)),
      base_(std::move(base)),
      host_header_(base_.host_header()),
      impl_(std::make_unique<Impl>(ex_)) {
    if (base_.is_tls() && !tls_)
        throw AppError(ErrorKind::internal, "an https connection needs a TLS context");
    ignore_sigpipe_once();
}

HttpConnection::~HttpConnection() {
    close();
}

bool HttpConnection::is_open() const noexcept {
    return impl_->open;
}

void HttpConnection::close() noexcept {
    impl_->open = false;
    impl_->tls.reset();  // before the descriptor it names goes
    error_code ec;
    impl_->socket.shutdown(tcp::socket::shutdown_both, ec);
    impl_->socket.close(ec);
}

namespace {

TransportError make_transport_error(TransportErrorKind kind, const BaseUrl& base, const std::string& what) {
    return TransportError{kind, base.authority() + ": " + what};
}

// Classifies a failure after the connection was up: while writing the request or reading the reply.
TransportError exchange_error(const Exchange& ex, const BaseUrl& base, Clock::time_point deadline,
                              std::chrono::milliseconds timeout, std::size_t body_limit) {
    const char* stage = ex.wrote ? "waiting for the reply" : "sending the request";
    const error_code& ec = ex.ec;
    if (Clock::now() >= deadline) {  // the watchdog closed the socket
        return make_transport_error(TransportErrorKind::timeout, base,
                                    std::string("timed out after ") + millis(timeout) + " " + stage);
    }
    if (ec == http::error::body_limit) {
        return make_transport_error(
            TransportErrorKind::protocol, base,
            "the reply body is over the limit of " + std::to_string(body_limit) + " bytes");
    }
    if (ec == http::error::header_limit) {
        return make_transport_error(
            TransportErrorKind::protocol, base,
            "the reply headers are over the limit of " + std::to_string(header_limit) + " bytes");
    }
    if (ec == asio::error::operation_aborted) {
        return make_transport_error(TransportErrorKind::closed, base,
                                    std::string("cancelled while ") + stage);
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        (ec == ssl::error::stream_truncated && !ex.got_bytes)) {
        return make_transport_error(TransportErrorKind::closed, base,
                                    "the server closed the connection without replying");
    }
    if (ec == http::error::partial_message || (ec == ssl::error::stream_truncated && ex.got_bytes)) {
        return make_transport_error(TransportErrorKind::closed, base,
                                    "the server closed the connection in the middle of its reply");
    }
    if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
        return make_transport_error(TransportErrorKind::protocol, base,
                                    "malformed HTTP reply: " + ec.message());
    }
    return make_transport_error(TransportErrorKind::closed, base,
                                std::string("connection lost while ") + stage + ": " + ec.message());
}

bool is_framing_header(std::string_view name) {
    return text::iequals(name, "host") || text::iequals(name, "content-length") ||
           text::iequals(name, "transfer-encoding");
}

// A body is framed by Content-Length whenever there is one, and always for the methods that carry one
// (an empty POST says "Content-Length: 0"), as Beast's prepare_payload() does.
bool needs_content_length(std::string_view method, std::size_t body_size) {
    return body_size > 0 || method == "POST" || method == "PUT" || method == "PATCH" || method == "OPTIONS";
}

// Writes the request's bytes into `out` (HTTP/1.1, the base URL's prefix before the target), reusing
// its capacity: one buffer and one write a request. An error here is a bug in the caller (a header
// with a line break, say).
std::optional<TransportError> serialize_request(const HttpRequest& request, const BaseUrl& base,
                                                const std::string& host_header, std::string& out) {
    if (request.target.empty() || request.target.front() != '/' || has_control_chars(request.target) ||
        request.target.find(' ') != std::string::npos || has_control_chars(request.method) ||
        request.method.empty() || request.method.find(' ') != std::string::npos) {
        return make_transport_error(TransportErrorKind::protocol, base,
                                    "internal error: invalid request line");
    }
    std::size_t size = request.method.size() + base.path_prefix.size() + request.target.size() +
                       host_header.size() + request.body.size() + 64;
    for (const Header& h : request.headers)
        size += h.name.size() + h.value.size() + 4;
    out.clear();
    out.reserve(size);
    out.append(request.method).append(" ").append(base.path_prefix).append(request.target);
    out.append(" HTTP/1.1\r\n");
    for (const Header& h : request.headers) {
        // Framing headers are ours: a caller's Content-Length that disagreed with the body would desync
        // the keep-alive connection.
        if (is_framing_header(h.name))
            continue;
        if (h.name.empty() || has_control_chars(h.name) || has_control_chars(h.value) ||
            h.name.find_first_of(" :") != std::string::npos) {
            return make_transport_error(TransportErrorKind::protocol, base,
                                        "internal error: invalid header '" + h.name + "'");
        }
        out.append(h.name).append(": ").append(h.value).append("\r\n");
    }
    out.append("Host: ").append(host_header).append("\r\n");
    if (needs_content_length(request.method, request.body.size()))
        out.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
    out.append("\r\n").append(request.body);
    return std::nullopt;
}

}  // namespace

PreparedResult HttpConnection::prepare(const HttpRequest& request) {
    PreparedRequest out;
    out.wire = std::move(impl_->spare_wire);
    out.head = request.method == "HEAD";
    if (std::optional<TransportError> bad = serialize_request(request, base_, host_header_, out.wire))
        return std::move(*bad);
    return out;
}

// g++ 12 flags Asio's coroutine frame delete as mismatched with its new in this function: a false
// positive of -Wmismatched-new-delete on coroutine frames (the sanitizer build silences it for all
// files); the frame is allocated and freed by Asio's own operators on both sides.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
asio::awaitable<TransportResult> HttpConnection::send(HttpRequest request,
                                                      std::chrono::milliseconds timeout) {
    PreparedResult prepared = prepare(request);
    if (!prepared)
        co_return prepared.error();
    TransportResult reply = co_await send(std::move(*prepared), timeout);
    co_return reply;
}

asio::awaitable<TransportResult> HttpConnection::send(PreparedRequest request,
                                                      std::chrono::milliseconds timeout) {
    if (busy_) {
        co_return make_transport_error(TransportErrorKind::protocol, base_,
                                       "internal error: a second request on a busy connection");
    }
    BusyGuard guard(busy_);
    const Clock::time_point deadline = Clock::now() + timeout;

    std::optional<TransportResult> outcome;
    try {
        for (int attempt = 0; !outcome; ++attempt) {
            bool reused = impl_->open;
            if (reused && !idle_connection_usable(impl_->socket, impl_->tls.get(), impl_->buffer)) {
                close();
                reused = false;
            }
            if (!reused) {
                std::optional<TransportError> failed = co_await open(deadline, timeout);
                if (failed) {
                    close();
                    outcome.emplace(std::move(*failed));
                    break;
                }
            }
            Exchange ex;
            if (impl_->tls) {
                ex = co_await write_and_read(impl_->tls.get(), TlsReader(impl_->tls.get()), impl_->socket,
                                             impl_->watchdog, impl_->buffer, request.wire, request.head,
                                             deadline, body_limit_);
            } else {
                ex = co_await write_and_read(nullptr, PlainReader(impl_->socket), impl_->socket,
                                             impl_->watchdog, impl_->buffer, request.wire, request.head,
                                             deadline, body_limit_);
            }
            if (!ex.ec && ex.response) {
                if (!ex.keep_alive)
                    close();
                outcome.emplace(std::move(*ex.response));
                break;
            }
            close();
            const bool retry =
                reused && attempt == 0 && !ex.got_bytes && is_stale_symptom(ex.ec) && Clock::now() < deadline;
            if (!retry) {
                TransportError failed = exchange_error(ex, base_, deadline, timeout, body_limit_);
                failed.request_sent = ex.wrote;
                outcome.emplace(std::move(failed));
            }
        }
    } catch (const std::exception& e) {
        close();
        outcome.emplace(make_transport_error(TransportErrorKind::closed, base_,
                                             std::string("request failed: ") + e.what()));
    } catch (...) {
        close();
        outcome.emplace(make_transport_error(TransportErrorKind::closed, base_, "request failed"));
    }
    impl_->spare_wire = std::move(request.wire);
    co_return std::move(*outcome);
}
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic pop
#endif

asio::awaitable<std::optional<TransportError>> HttpConnection::open(Clock::time_point deadline,
                                                                    std::chrono::milliseconds timeout) {
    std::vector<tcp::endpoint> endpoints;
    if (base_.host_is_ip()) {
        error_code ec;
        const asio::ip::address address = asio::ip::make_address(base_.host, ec);
        if (ec)
            co_return make_transport_error(TransportErrorKind::resolve, base_, "invalid IP address");
        endpoints.emplace_back(address, base_.port);
    } else {
        // getaddrinfo cannot be cancelled once it runs, so rather than wait on it past the deadline the
        // lookup completes into shared state that outlives this attempt if it has to.
        auto state = std::make_shared<ResolveState>(ex_);
        state->signal.expires_at(deadline);
        state->resolver.async_resolve(base_.host, std::to_string(base_.port), tcp::resolver::numeric_service,
                                      [state](const error_code& ec, tcp::resolver::results_type results) {
                                          state->done = true;
                                          state->ec = ec;
                                          state->results = std::move(results);
                                          state->signal.cancel();
                                      });
        auto waited = co_await state->signal.async_wait(tuple_awaitable);
        (void)waited;
        if (!state->done) {
            state->resolver.cancel();
            if (Clock::now() >= deadline) {
                co_return make_transport_error(TransportErrorKind::timeout, base_,
                                               "timed out after " + millis(timeout) + " resolving the host");
            }
            co_return make_transport_error(TransportErrorKind::closed, base_, "cancelled while resolving");
        }
        if (state->ec) {
            co_return make_transport_error(TransportErrorKind::resolve, base_,
                                           "cannot resolve the host: " + state->ec.message());
        }
        for (const auto& entry : state->results)
            endpoints.push_back(entry.endpoint());
        if (endpoints.empty()) {
            co_return make_transport_error(TransportErrorKind::resolve, base_, "the host has no address");
        }
    }

    impl_->buffer.clear();
    impl_->tls.reset();
    error_code ignored;
    impl_->socket.close(ignored);
    std::tuple<error_code, tcp::endpoint> connected;
    {
        const Watchdog::Armed armed = impl_->watchdog.guard(impl_->socket, deadline);
        connected = co_await asio::async_connect(impl_->socket, endpoints, tuple_awaitable);
    }
    if (const error_code ec = std::get<0>(connected); ec) {
        if (Clock::now() >= deadline) {
            co_return make_transport_error(TransportErrorKind::timeout, base_,
                                           "timed out after " + millis(timeout) + " connecting");
        }
        if (ec == asio::error::operation_aborted) {
            co_return make_transport_error(TransportErrorKind::closed, base_, "cancelled while connecting");
        }
        co_return make_transport_error(TransportErrorKind::connect, base_, "cannot connect: " + ec.message());
    }
    ++connections_opened_;
    impl_->socket.set_option(tcp::no_delay(true), ignored);
    // The exchange's synchronous reads and writes must return would_block, never block the thread.
    impl_->socket.non_blocking(true, ignored);

    if (base_.is_tls()) {
        if (std::optional<TransportError> failed = co_await secure(deadline, timeout))
            co_return failed;
    }
    if (impl_->tls && SSL_session_reused(impl_->tls.get()) == 1)
        ++sessions_resumed_;
    impl_->open = true;
    co_return std::nullopt;
}

asio::awaitable<std::optional<TransportError>> HttpConnection::secure(Clock::time_point deadline,
                                                                      std::chrono::milliseconds timeout) {
    impl_->tls.reset(SSL_new(tls_->native().native_handle()));
    SSL* native = impl_->tls.get();
    if (native == nullptr || SSL_set_fd(native, impl_->socket.native_handle()) != 1) {
        ERR_clear_error();
        co_return make_transport_error(TransportErrorKind::tls_handshake, base_, "cannot set up TLS");
    }
    // Read as much as has come in one recv, not a record's header and then its body in two.
    SSL_set_read_ahead(native, 1);
    X509_VERIFY_PARAM* param = SSL_get0_param(native);
    // Let OpenSSL check the name itself (rather than a verify callback), so a mismatch comes back as
    // a proper verify result ("hostname mismatch") instead of an unexplained failure.
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const bool named = base_.host_is_ip() ? X509_VERIFY_PARAM_set1_ip_asc(param, base_.host.c_str()) == 1
                                          : SSL_set1_host(native, base_.host.c_str()) == 1;
    // SNI carries host names only; RFC 6066 forbids IP literals there.
    // SSL_set_tlsext_host_name spelled out: the macro's C cast trips -Wold-style-cast.
    const bool sni =
        base_.host_is_ip() || SSL_ctrl(native, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                       const_cast<char*>(base_.host.c_str())) == 1;
    if (!named || !sni) {
        ERR_clear_error();
        co_return make_transport_error(TransportErrorKind::tls_handshake, base_,
                                       "cannot set up TLS for this host name");
    }
    // Offer the last session the server gave us: a reconnect then skips the certificate exchange.
    // (OpenSSL resumes it only for the same server and checks it was verified.)
    (void)tls_->offer_session(native);
    error_code ec;
    {
        const Watchdog::Armed armed = impl_->watchdog.guard(impl_->socket, deadline);
        ec = co_await handshake(native, impl_->socket);
    }
    if (!ec)
        co_return std::nullopt;
    const long verify = SSL_get_verify_result(native);
    const bool verify_failed =
        (ec.category() == asio::error::get_ssl_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED) ||
        verify != X509_V_OK;
    if (verify_failed) {
        co_return make_transport_error(
            TransportErrorKind::certificate, base_,
            std::string("certificate verify failed (") + X509_verify_cert_error_string(verify) + ")");
    }
    if (Clock::now() >= deadline) {
        co_return make_transport_error(TransportErrorKind::timeout, base_,
                                       "timed out after " + millis(timeout) + " in the TLS handshake");
    }
    if (ec == asio::error::operation_aborted)
        co_return make_transport_error(TransportErrorKind::closed, base_,
                                       "cancelled during the TLS handshake");
    // OpenSSL's own errors (a protocol version or cipher nobody shares, an answer that is not TLS at
    // all) come back the same on every try; a reset or an early close may not.
    if (ec.category() == asio::error::get_ssl_category()) {
        co_return make_transport_error(TransportErrorKind::tls_handshake, base_,
                                       "TLS handshake failed: " + ec.message());
    }
    co_return make_transport_error(TransportErrorKind::closed, base_,
                                   "connection lost during the TLS handshake: " + ec.message());
}

}  // namespace avara::net
