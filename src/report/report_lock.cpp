#include "avara_onboard/report/report_lock.hpp"

#include <sys/stat.h>

namespace avara::report {

std::string lock_path_for(const std::string& report_path) {
    return report_path + ".lock";
}

Result<FileLock> lock_report(const std::string& report_path) {
    struct stat st {};
    if (::stat(report_path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        return FileLock();
    auto lock = FileLock::acquire(lock_path_for(report_path));
    if (!lock && lock.error().kind == ErrorKind::usage) {
        return make_error(ErrorKind::usage, "the report " + report_path + " is in use by another run, " +
                                                lock.error().message +
                                                ": wait for it to end, or stop that run first");
    }
    return lock;
}

}  // namespace avara::report
