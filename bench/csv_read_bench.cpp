// csv_read_bench avara|fccp FILE
//
// Reads every record of FILE with our CsvReader, or every line with fast-cpp-csv-parser's
// io::LineReader (what the importer used before), and prints
//   records=N seconds=S rate=R/s peak_rss_kb=K
// Run each reader in its own process: peak RSS is per process.
//
// Why fccp's line reader was replaced: it allocates 3 x 16 MiB up front whatever the file, hands out
// NUL-terminated lines (a NUL byte in a cell silently cuts it), and knows nothing of quotes, so a quoted
// field holding a line break splits one record in two and every later line number is off.
#include <libfccp/csv.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

#include "avara_onboard/read/csv_reader.hpp"

namespace {

long peak_rss_kb() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;  // KiB on Linux
}

// On a shared machine wall time says more about the neighbours than about us; CPU time does not.
double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto secs = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return secs(ru.ru_utime) + secs(ru.ru_stime);
}

// Folding every cell's length in keeps the compiler from skipping the work we time.
std::uint64_t broken_records = 0;

std::uint64_t run_avara(const std::string& path, std::uint64_t& checksum) {
    auto opened = avara::read::CsvReader::open(path);
    if (!opened) {
        throw std::runtime_error(opened.error().message);
    }
    avara::read::CsvReader& reader = **opened;
    avara::read::CsvRecord rec;
    std::uint64_t records = 0;
    while (reader.next(rec)) {
        ++records;
        broken_records += rec.error ? 1 : 0;
        checksum += rec.cells.size();
        for (auto cell : rec.cells) {
            checksum += cell.size();
        }
    }
    return records;
}

std::uint64_t run_fccp(const std::string& path, std::uint64_t& checksum) {
    io::LineReader reader(path);
    std::uint64_t records = 0;
    while (char* line = reader.next_line()) {
        ++records;
        checksum += std::strlen(line);
    }
    return records;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3 || (std::strcmp(argv[1], "avara") != 0 && std::strcmp(argv[1], "fccp") != 0)) {
        std::fprintf(stderr, "usage: csv_read_bench avara|fccp FILE\n");
        return 2;
    }
    const bool avara = std::strcmp(argv[1], "avara") == 0;
    try {
        std::uint64_t checksum = 0;
        const auto start = std::chrono::steady_clock::now();
        const std::uint64_t records = avara ? run_avara(argv[2], checksum) : run_fccp(argv[2], checksum);
        const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
        const double seconds = elapsed.count();
        std::printf("records=%llu seconds=%.3f rate=%.0f/s peak_rss_kb=%ld\n",
                    static_cast<unsigned long long>(records), seconds,
                    seconds > 0 ? static_cast<double>(records) / seconds : 0.0, peak_rss_kb());
        std::fprintf(stderr, "cpu_seconds=%.3f broken_records=%llu checksum=%llu\n", cpu_seconds(),
                     static_cast<unsigned long long>(broken_records),
                     static_cast<unsigned long long>(checksum));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "csv_read_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
