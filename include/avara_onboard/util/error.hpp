#pragma once
// The one error-handling convention of the project:
//  - A function whose failure depends on its input (a roster, a flag, a config file, a server's reply)
//    returns `Result<T>`: a value or an `Error` that says what went wrong in words an administrator
//    can act on.
//  - Infrastructure failures (a file that cannot be written, a broken invariant) throw `AppError`.
//  - `main` and every coroutine's completion handler catch, so no exception crosses an async
//    boundary or ends the process without a message; `exit_code_for` is the one place that maps
//    an error's kind to the contract's exit codes.
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>

namespace avara {

enum class ErrorKind {
    usage,        // bad flags or arguments                     -> exit 2
    config,       // bad config file, missing key, bad URL      -> exit 2
    input,        // roster cannot be read, missing column      -> exit 2
    auth,         // the server refused our key (401/403)       -> exit 3
    tls,          // certificate verification or handshake      -> exit 3
    interrupted,  // SIGINT/SIGTERM, or a wait over --max-wait  -> exit 3
    io,           // a report or file could not be written      -> exit 3 (the run stopped short)
    internal,     // a bug                                       -> exit 3
};

namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int rows_failed = 1;
inline constexpr int usage = 2;
inline constexpr int aborted = 3;
}  // namespace exit_code

int exit_code_for(ErrorKind kind) noexcept;
const char* to_string(ErrorKind kind) noexcept;

struct Error {
    ErrorKind kind = ErrorKind::internal;
    std::string message;
};

template <class T>
using Result = boost::system::result<T, Error>;

inline Error make_error(ErrorKind kind, std::string message) {
    return Error{kind, std::move(message)};
}

class AppError : public std::runtime_error {
  public:
    AppError(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    explicit AppError(const Error& e) : std::runtime_error(e.message), kind_(e.kind) {}
    ErrorKind kind() const noexcept { return kind_; }

  private:
    ErrorKind kind_;
};

// Found by ADL when `Result<T>::value()` is called on an error.
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

}  // namespace avara
