#pragma once
// The mock server's request and reply as plain values, shared by Service (auth, faults, counting)
// and Directory (the users and their endpoints). No sockets: mock_server.cpp fills and sends them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "avara_onboard/mock/invite_json.hpp"

namespace avara::mock {

inline constexpr std::size_t max_body_bytes = std::size_t{64} * 1024;

// Views into the HTTP layer's parsed message; they must outlive the calls that take them.
struct Request {
    std::string_view method;
    std::string_view target;
    std::string_view authorization;    // the Authorization header's value
    std::string_view idempotency_key;  // the Idempotency-Key header's value
    std::string_view body;
    bool body_too_large = false;  // over max_body_bytes: `body` was not read
};

struct Reply {
    int status = 200;
    std::string body;                 // JSON
    std::uint32_t retry_after_s = 0;  // sent as Retry-After when non-zero
    bool drop = false;                // close the connection without answering
};

// {"message": ...}
Reply message_reply(int status, std::string_view message);
// 400 {"message": ..., "errors": [{"field", "message"}, ...]}
Reply field_errors_reply(std::string_view message, const std::vector<FieldError>& errors);
// 400 naming every error in the message too: "invalid user: email: ...; level: ..."
Reply invalid_fields_reply(std::string_view what, const std::vector<FieldError>& errors);

}  // namespace avara::mock
