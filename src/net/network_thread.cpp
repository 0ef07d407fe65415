#include "avara_onboard/net/network_thread.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
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

}  // namespace

struct NetworkThread::Impl {
    DrainableContext io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard{io.get_executor()};
    std::thread thread;
    bool stopped = false;

    void loop() {
        // A handler that throws is a bug: say so and keep serving the other connections (each send
        // already turns its own exceptions into a TransportError).
        for (;;) {
            try {
                io.run();
                return;
            } catch (const std::exception& e) {
                log::error(std::string("internal error on the network thread: ") + e.what());
            } catch (...) {
                log::error("internal error on the network thread");
            }
        }
    }
};

NetworkThread::NetworkThread() : impl_(std::make_unique<Impl>()) {
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
