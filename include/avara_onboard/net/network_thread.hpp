#pragma once
// The thread that carries `run`'s sockets. Every HttpConnection made on its executor does its TLS,
// its system calls and its HTTP parsing there, while the engine's thread reads and validates rows,
// builds their bodies, paces, classifies and reports. Measured on the 2-core bench machine, the socket
// and TLS side is about two thirds of the client's CPU a request (README, "How fast"), so one such
// thread beside the engine's is what lets the client use a second core; more would only compete with
// the server for it.
//
// The engine hands a send over with co_spawn(executor(), conn.send(...)) and gets the reply back on its
// own thread, so the state machines, the limiter and the report stay single-threaded and lock-free.
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>

namespace avara::net {

class NetworkThread {
  public:
    // Before it sleeps in epoll_wait, the thread polls for this long for more work, for as long as its
    // sleeps stay short (work coming every few microseconds, as under a fast server). A thread that
    // sleeps the moment it has nothing to do is woken by an interrupt from the other core for nearly
    // every reply, and in a virtual machine that wake-up is slow. Measured on the 2-core bench VM
    // (README, "How fast"): 50 us took the run from 45,900 to 52,300 requests/s (medians of 8
    // alternated runs).
    static constexpr std::chrono::microseconds default_poll_before_sleep{50};

    // Starts the thread.
    explicit NetworkThread(std::chrono::microseconds poll_before_sleep = default_poll_before_sleep);
    ~NetworkThread();
    NetworkThread(const NetworkThread&) = delete;
    NetworkThread& operator=(const NetworkThread&) = delete;

    boost::asio::any_io_executor executor() const;

    // Ends the thread and destroys whatever work is still queued on it (a send cut short when the
    // engine is torn down after an error), while the connections that work points at still exist.
    // Call it before destroying those connections. Idempotent; the destructor calls it too.
    void stop() noexcept;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace avara::net
