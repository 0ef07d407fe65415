#include "avara_onboard/net/network_thread.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <thread>

#include "avara_onboard/util/log.hpp"

namespace avara::net {

namespace asio = boost::asio;

namespace {

// An io_context whose queued handlers can be destroyed before the context itself: what its destructor
// does first (execution_context::shutdown), made callable while the objects those handlers point at
// are still alive. Asio supports sockets outliving that step, as its own destructor relies on.
class DrainableContext : public asio::io_context {
  public:
    DrainableContext() : asio::io_context(1) {}
    void destroy_handlers() { shutdown(); }
};

// How short a sleep must have been for the thread to poll again at its next idle moment (see
// NetworkThread's poll_before_sleep). A longer one means replies are sparse (a remote server, a low
// --rate), and then polling would only burn CPU, so the thread stops polling until its sleeps turn
// short again: at most one wasted poll for each sparse reply.
constexpr auto long_sleep = std::chrono::microseconds(200);

// Runs ready handlers (and the reactor, without blocking) until there are none or `until` passes;
// true if some ran.
bool poll_until(asio::io_context& io, std::chrono::steady_clock::time_point until) {
    do {
        if (io.poll() > 0)
            return true;
    } while (std::chrono::steady_clock::now() < until && !io.stopped());
    return false;
}

}  // namespace

struct NetworkThread::Impl {
    explicit Impl(std::chrono::microseconds poll) : poll_before_sleep(poll) {}

    std::chrono::microseconds poll_before_sleep;
    DrainableContext io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard{io.get_executor()};
    std::thread thread;
    bool stopped = false;

    // io.run(), polling a moment before each sleep while work comes often.
    void run() {
        using steady = std::chrono::steady_clock;
        bool polling = true;
        while (!io.stopped()) {
            if (io.poll() > 0)
                continue;
            if (polling && poll_until(io, steady::now() + poll_before_sleep))
                continue;
            const steady::time_point slept = steady::now();
            if (io.run_one() == 0)
                return;  // stopped
            polling = steady::now() - slept < long_sleep;
        }
    }

    void loop() {
        // A handler that throws is a bug: say so and keep serving the other connections (each send
        // already turns its own exceptions into a TransportError).
        for (;;) {
            try {
                run();
                return;
            } catch (const std::exception& e) {
                log::error(std::string("internal error on the network thread: ") + e.what());
            } catch (...) {
                log::error("internal error on the network thread");
            }
        }
    }
};

NetworkThread::NetworkThread(std::chrono::microseconds poll_before_sleep)
    : impl_(std::make_unique<Impl>(poll_before_sleep)) {
    impl_->thread = std::thread([impl = impl_.get()] { impl->loop(); });
}

NetworkThread::~NetworkThread() {
    stop();
}

asio::any_io_executor NetworkThread::executor() const {
    return impl_->io.get_executor();
}

void NetworkThread::stop() noexcept {
    if (impl_->stopped)
        return;
    impl_->stopped = true;
    impl_->guard.reset();
    impl_->io.stop();
    if (impl_->thread.joinable())
        impl_->thread.join();
    impl_->io.destroy_handlers();
}

}  // namespace avara::net
