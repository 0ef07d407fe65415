#pragma once
// What happened to one data row: the unit of the per-row report.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace avara::report {

enum class Status : std::uint8_t { valid, invalid, duplicate, invited, exists, rejected, failed };
inline constexpr std::size_t status_count = 7;
inline constexpr std::array<Status, status_count> all_statuses = {
    Status::valid,  Status::invalid,  Status::duplicate, Status::invited,
    Status::exists, Status::rejected, Status::failed};

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
};

}  // namespace avara::report
