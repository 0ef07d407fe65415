#pragma once
// What happened to one data row: the unit of the per-row report.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace avara::report {

// valid, invalid, duplicate: validate. invited ... failed: run. updated ... reactivated: sync as well.
enum class Status : std::uint8_t {
    valid,
    invalid,
    duplicate,
    invited,
    exists,
    rejected,
    failed,
    updated,
    unchanged,
    revoked,
    reactivated
};
inline constexpr std::size_t status_count = 11;
inline constexpr std::array<Status, status_count> all_statuses = {
    Status::valid,  Status::invalid, Status::duplicate, Status::invited, Status::exists,     Status::rejected,
    Status::failed, Status::updated, Status::unchanged, Status::revoked, Status::reactivated};

// Whether the row ended as its command meant it to: counts toward exit 0.
constexpr bool is_success(Status s) noexcept {
    return s == Status::invited || s == Status::exists || s == Status::updated || s == Status::unchanged ||
           s == Status::revoked || s == Status::reactivated;
}

std::string_view to_string(Status s) noexcept;
std::optional<Status> parse_status(std::string_view text) noexcept;

struct RowResult {
    std::uint64_t row = 0;
    std::uint64_t line = 0;
    std::string email;
    Status status = Status::invalid;
    unsigned http_status = 0;  // 0: no HTTP answer (written as an empty cell / null)
    std::string user_id;
    unsigned attempts = 0;  // requests sent for the row
    std::string error;
    // A user sync revoked has no roster row: its line leaves row and line empty. `row` still orders it
    // in the report, after every roster row.
    bool from_roster = true;
};

}  // namespace avara::report
