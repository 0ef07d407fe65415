#include "avara_onboard/report/summary.hpp"

#include <boost/json.hpp>

namespace avara::report {

std::uint64_t Summary::rows() const noexcept {
    std::uint64_t total = 0;
    for (auto c : counts)
        total += c;
    return total;
}

double Summary::rows_per_second() const noexcept {
    return duration_seconds > 0 ? static_cast<double>(rows()) / duration_seconds : 0.0;
}

std::string Summary::to_json() const {
    boost::json::object counts_obj;
    for (Status s : all_statuses) {
        // validate reports only its own statuses; run only its own.
        const bool validate_status = s == Status::valid || s == Status::invalid || s == Status::duplicate;
        const bool sync_only = s == Status::updated || s == Status::unchanged || s == Status::revoked ||
                               s == Status::reactivated;
        const bool wanted = command == "validate" ? validate_status
                            : command == "sync"   ? s != Status::valid
                                                  : s != Status::valid && !sync_only;
        if (wanted) {
            counts_obj[std::string(to_string(s))] = count(s);
        }
    }
    boost::json::object o;
    o["command"] = command;
    o["roster"] = roster;
    o["report"] = report;
    o["rows"] = rows();
    o["counts"] = std::move(counts_obj);
    o["duration_seconds"] = duration_seconds;
    o["rows_per_second"] = rows_per_second();
    if (command != "validate") {
        o["requests"] = requests;
        o["retries"] = retries;
        o["skipped_by_resume"] = skipped_by_resume;
        o["interrupted"] = interrupted;
        if (!abort_reason.empty())
            o["abort_reason"] = abort_reason;
    }
    o["exit_code"] = exit_code;
    return boost::json::serialize(o) + "\n";
}

std::string Summary::counts_line() const {
    std::string out = std::to_string(rows()) + (rows() == 1 ? " row" : " rows");
    bool first = true;
    // Outcomes first, problems after: "40 rows: 33 invited, 2 exists, 5 invalid".
    constexpr std::array<Status, status_count> display_order = {
        Status::invited,     Status::exists,   Status::updated, Status::unchanged,
        Status::reactivated, Status::revoked,  Status::valid,   Status::invalid,
        Status::duplicate,   Status::rejected, Status::failed};
    for (Status s : display_order) {
        if (count(s) == 0)
            continue;
        out += first ? ": " : ", ";
        first = false;
        out += std::to_string(count(s)) + " " + std::string(to_string(s));
    }
    return out;
}

}  // namespace avara::report
