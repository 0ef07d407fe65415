#pragma once
// One run at a time per report (run, sync, validate): an exclusive FileLock on `REPORT.lock` beside
// the report, taken before any report file is touched or any request sent, held until the report is
// final (keep the FileLock alive that long), and removed as it is released. A second run on the same
// report is refused at once.
#include <string>

#include "avara_onboard/util/error.hpp"
#include "avara_onboard/util/file_lock.hpp"

namespace avara::report {

std::string lock_path_for(const std::string& report_path);  // REPORT.lock

// Locks the report. Held by a live run: ErrorKind::usage (exit 2) naming that run's pid and start
// time. A report that exists and is not a regular file (/dev/null, /dev/stdout) has nothing to
// protect and gets an empty FileLock.
Result<FileLock> lock_report(const std::string& report_path);

}  // namespace avara::report
