#include "avara_onboard/mock/reply.hpp"

#include "avara_onboard/util/text.hpp"

namespace avara::mock {

Reply message_reply(int status, std::string_view message) {
    Reply r;
    r.status = status;
    r.body = "{\"message\":";
    text::append_json_string(r.body, message);
    r.body.push_back('}');
    return r;
}

Reply field_errors_reply(std::string_view message, const std::vector<FieldError>& errors) {
    Reply r;
    r.status = 400;
    r.body = "{\"message\":";
    text::append_json_string(r.body, message);
    r.body += ",\"errors\":[";
    for (std::size_t i = 0; i < errors.size(); ++i) {
        if (i)
            r.body.push_back(',');
        r.body += "{\"field\":";
        text::append_json_string(r.body, errors[i].field);
        r.body += ",\"message\":";
        text::append_json_string(r.body, errors[i].message);
        r.body.push_back('}');
    }
    r.body += "]}";
    return r;
}

Reply invalid_fields_reply(std::string_view what, const std::vector<FieldError>& errors) {
    std::string message(what);
    message.push_back(':');
    for (std::size_t i = 0; i < errors.size(); ++i) {
        message += i ? "; " : " ";
        message += errors[i].field + ": " + errors[i].message;
    }
    return field_errors_reply(message, errors);
}

}  // namespace avara::mock
