#include "avara_onboard/send/work_source.hpp"

namespace avara::send {

using report::Status;

namespace {
// An invite's JSON is about 200 bytes; room for it at once saves growing the string three times.
constexpr std::size_t invite_body_capacity = 256;
}  // namespace

bool RosterWork::next(Work& out) {
    if (!rows_.next(row_))
        return false;
    out = Work{};
    out.result.row = row_.row;
    out.result.line = row_.line;
    out.result.email = row_.email;
    if (row_.status != Status::valid) {
        out.result.status = row_.status;
        out.result.error = row_.error;
        return true;
    }
    if (resume_ != nullptr) {
        if (auto previous = resume_->find(row_.email)) {
            out.result.status = previous->status;
            out.result.http_status = previous->http_status;
            out.result.user_id = previous->user_id;
            out.result.attempts = previous->attempts;
            ++skipped_by_resume_;
            return true;
        }
    }
    out.kind = Work::Kind::change;
    out.operation = flow::Operation::invite;
    out.body.reserve(invite_body_capacity);
    row_.invite.append_json(out.body);
    return true;
}

}  // namespace avara::send
