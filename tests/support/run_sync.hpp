#pragma once
// Runs one awaitable to completion on a test's io_context and hands back its value (or rethrows). The
// io_context is restarted afterwards, so objects bound to it (a keep-alive connection) live on to the
// next call.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>
#include <stdexcept>

namespace avara::test {

template <class T>
T run_sync(boost::asio::io_context& ioc, boost::asio::awaitable<T> task) {
    std::optional<T> out;
    std::exception_ptr error;
    boost::asio::co_spawn(ioc, std::move(task), [&out, &error](std::exception_ptr e, T value) {
        if (e) {
            error = e;
        } else {
            out.emplace(std::move(value));
        }
    });
    ioc.run();
    ioc.restart();
    if (error)
        std::rethrow_exception(error);
    if (!out)
        throw std::runtime_error("run_sync: the task did not complete");
    return std::move(*out);
}

}  // namespace avara::test
