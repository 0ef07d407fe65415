#pragma once
// `sync`'s first step: every user the server has (GET /v1/viewer/users, pages of 100, following
// `cursor` while `hasMore`), over one keep-alive connection, each page under the rate limiter and the
// retry policy a run uses (429s and 5xx waited out and retried, Retry-After honoured). Kept compact
// (sync::Directory: about 100 bytes a user). Asio stays in the .cpp.
#include "avara_onboard/send/run_engine.hpp"
#include "avara_onboard/sync/directory_user.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::send {

struct ListingResult {
    sync::Directory directory;  // finished: sorted by email
    std::uint64_t requests = 0;
    std::uint64_t pages = 0;
};

// Errors: a page that still fails after the retries, a refused key, TLS, an answer that is not the
// API's shape, an interruption (SIGINT/SIGTERM when config.handle_signals): ErrorKind tls/auth/
// interrupted/input; the caller stops before any change (exit 3).
Result<ListingResult> list_directory(const EngineConfig& config);

}  // namespace avara::send
