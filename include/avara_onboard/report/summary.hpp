#pragma once
// Counts per status and the run's figures: printed at the end, and written as JSON by --summary.
#include <array>
#include <cstdint>
#include <string>

#include "avara_onboard/report/row_result.hpp"

namespace avara::report {

struct Summary {
    std::string command;  // "run" or "validate"
    std::string roster;
    std::string report;
    std::array<std::uint64_t, status_count> counts{};
    std::uint64_t requests = 0;  // HTTP requests sent (retries included)
    std::uint64_t retries = 0;
    std::uint64_t skipped_by_resume = 0;
    double duration_seconds = 0;
    int exit_code = 0;
    bool interrupted = false;
    std::string abort_reason;  // why a run stopped early, when it did

    void add(Status s) noexcept { ++counts[static_cast<std::size_t>(s)]; }
    std::uint64_t count(Status s) const noexcept { return counts[static_cast<std::size_t>(s)]; }
    std::uint64_t rows() const noexcept;
    double rows_per_second() const noexcept;

    std::string to_json() const;
    // "40 rows: 33 invited, 2 exists, 5 invalid" (statuses with a zero count are left out).
    std::string counts_line() const;
};

}  // namespace avara::report
