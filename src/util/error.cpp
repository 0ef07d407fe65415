#include "avara_onboard/util/error.hpp"

namespace avara {

int exit_code_for(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::usage:
        case ErrorKind::config:
        case ErrorKind::input:
            return exit_code::usage;
        case ErrorKind::auth:
        case ErrorKind::tls:
        case ErrorKind::interrupted:
        case ErrorKind::io:
        case ErrorKind::internal:
            return exit_code::aborted;
    }
    return exit_code::aborted;
}

const char* to_string(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::usage:
            return "usage error";
        case ErrorKind::config:
            return "config error";
        case ErrorKind::input:
            return "input error";
        case ErrorKind::auth:
            return "authentication refused";
        case ErrorKind::tls:
            return "TLS failure";
        case ErrorKind::interrupted:
            return "interrupted";
        case ErrorKind::io:
            return "I/O error";
        case ErrorKind::internal:
            return "internal error";
    }
    return "error";
}

void throw_exception_from_error(const Error& e, const boost::source_location&) {
    throw AppError(e);
}

}  // namespace avara
