#include "avara_onboard/report/ordered_report.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <vector>

#include "avara_onboard/report/resume_store.hpp"
#include "small_fs.hpp"
#include "test_files.hpp"

using namespace avara;
using namespace avara::report;

namespace {

RowResult result_for(std::uint64_t row) {
    RowResult r;
    r.row = row;
    r.line = row + 1;
    r.email = "user" + std::to_string(row) + "@example.org";
    r.status = row % 5 == 0 ? Status::failed : Status::invited;
    r.http_status = r.status == Status::invited ? 201 : 503;
    r.user_id = r.status == Status::invited ? "usr_" + std::to_string(row) : "";
    r.attempts = 1 + static_cast<unsigned>(row % 3);
    r.error = r.status == Status::failed ? "server unavailable, retries exhausted" : "";
    return r;
}

std::string line_of(std::uint64_t row, Format format) {
    std::string out;
    if (format == Format::csv) {
        append_csv_line(out, result_for(row));
    } else {
        append_jsonl_line(out, result_for(row));
    }
    return out;
}

std::string report_of(const std::vector<std::uint64_t>& rows, Format format) {
    std::string out = format == Format::csv ? std::string(csv_header) + "\n" : "";
    for (auto row : rows)
        out += line_of(row, format);
    return out;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        lines.push_back(line + "\n");
    return lines;
}

// The row numbers held by a report or journal, by matching each line against the expected one.
std::multiset<std::uint64_t> rows_in(const std::string& text, Format format) {
    std::multiset<std::uint64_t> rows;
    for (const auto& line : lines_of(text)) {
        if (format == Format::csv && line == std::string(csv_header) + "\n")
            continue;
        std::uint64_t row = 0;
        if (format == Format::csv) {
            row = std::stoull(line.substr(0, line.find(',')));
        } else {
            row = std::stoull(line.substr(7, line.find(',') - 7));
        }
        REQUIRE(line == line_of(row, format));
        rows.insert(row);
    }
    return rows;
}

// A fresh report at `path` (and its journal beside it).
std::unique_ptr<OrderedReport> open_report(const std::string& path, Format format = Format::csv) {
    auto created = OrderedReport::create(path, format);
    REQUIRE(created.has_value());
    return std::move(*created);
}

// A CSV report in a fresh folder, with its journal's path.
struct OpenReport {
    TempDir dir;
    std::string path = dir.file("r.csv");
    std::string journal = path + ".pending";
    std::unique_ptr<OrderedReport> opened = open_report(path);
    OrderedReport& report = *opened;
};

}  // namespace

TEST_SUITE_BEGIN("report");

TEST_CASE("report::OrderedReport writes in-order results at once and early ones to the journal") {
    OpenReport open;
    const std::string& path = open.path;
    const std::string& journal = open.journal;
    OrderedReport& report = open.report;
    CHECK(report.next_in_order() == 1);
    CHECK(read_file(path) == report_of({}, Format::csv));
    CHECK(std::filesystem::exists(journal));
    CHECK(read_file(journal).empty());

    report.complete(result_for(1));
    CHECK(read_file(path) == report_of({1}, Format::csv));
    CHECK(report.next_in_order() == 2);
    CHECK(report.buffered() == 0);

    SUBCASE("an early result is journaled, then moves to the report when the gap fills") {
        report.complete(result_for(3));
        report.complete(result_for(4));
        CHECK(read_file(path) == report_of({1}, Format::csv));
        CHECK(read_file(journal) == line_of(3, Format::csv) + line_of(4, Format::csv));
        CHECK(report.buffered() == 2);
        CHECK(report.next_in_order() == 2);

        report.complete(result_for(2));
        CHECK(read_file(path) == report_of({1, 2, 3, 4}, Format::csv));
        CHECK(report.buffered() == 0);
        CHECK(report.next_in_order() == 5);
        // The journal is not rewritten on the hot path: it still holds what it held.
        CHECK(read_file(journal) == line_of(3, Format::csv) + line_of(4, Format::csv));

        report.finish();
        CHECK(read_file(path) == report_of({1, 2, 3, 4}, Format::csv));
        CHECK_FALSE(std::filesystem::exists(journal));
    }

    SUBCASE("skip() fills a gap, before or after the rows behind it complete") {
        report.skip(3);
        report.complete(result_for(4));
        report.complete(result_for(2));
        CHECK(read_file(path) == report_of({1, 2, 4}, Format::csv));
        CHECK(report.next_in_order() == 5);
        report.skip(5);
        CHECK(report.next_in_order() == 6);
        report.complete(result_for(6));
        CHECK(read_file(path) == report_of({1, 2, 4, 6}, Format::csv));
        // A skipped row is never journaled.
        CHECK(read_file(journal) == line_of(4, Format::csv));
    }

    SUBCASE("finish() writes what is held in row order, up to the first row never finished") {
        report.complete(result_for(7));
        report.complete(result_for(4));
        report.skip(5);
        report.complete(result_for(3));
        report.complete(result_for(2));
        CHECK(report.buffered() == 1);  // 2 went straight through with 3 and 4 behind it; 7 waits
        report.finish();
        CHECK(read_file(path) == report_of({1, 2, 3, 4}, Format::csv));
        // Row 6 never finished: 7 is not written past it, and stays in the kept journal.
        REQUIRE(std::filesystem::exists(journal));
        CHECK(rows_in(read_file(journal), Format::csv).count(7) == 1);
        CHECK_THROWS_AS(report.complete(result_for(8)), AppError);
    }
    SUBCASE("finish() with every row settled removes the journal") {
        report.complete(result_for(3));
        report.skip(2);
        report.finish();
        CHECK(read_file(path) == report_of({1, 3}, Format::csv));
        CHECK_FALSE(std::filesystem::exists(journal));
        CHECK(report.buffered() == 0);
    }

    SUBCASE("a row finished twice, or row 0, is a caller's bug") {
        report.complete(result_for(3));
        try {
            report.complete(result_for(3));
            FAIL("no exception");
        } catch (const AppError& e) {
            CHECK(e.kind() == ErrorKind::internal);
        }
        CHECK_THROWS_AS(report.skip(3), AppError);
        CHECK_THROWS_AS(report.complete(result_for(1)), AppError);  // already written
        CHECK_THROWS_AS(report.skip(0), AppError);
        CHECK(report.buffered() == 1);
    }
}

TEST_CASE("report::OrderedReport finish() after a row that never settled keeps the report gap-free") {
    // A row whose write failed (a full disk) never settles: the rows after it must not reach the
    // report, and the journal that holds them stays for --resume.
    TempDir dir;
    const auto path = dir.file("r.csv");
    auto created = OrderedReport::create(path, Format::csv);
    REQUIRE(created.has_value());
    auto& report = **created;
    report.complete(result_for(1));
    report.complete(result_for(3));  // row 2 never settles
    report.skip(4);
    report.complete(result_for(5));
    report.finish();
    CHECK(read_file(path) == report_of({1}, Format::csv));
    REQUIRE(std::filesystem::exists(path + ".pending"));
    CHECK(rows_in(read_file(path + ".pending"), Format::csv) == std::multiset<std::uint64_t>{3, 5});
}

TEST_CASE("report::OrderedReport creates both files private and truncates an old journal") {
    TempDir dir;
    const auto path = dir.write("r.jsonl", "old report\n");
    dir.write("r.jsonl.pending", "old journal\n");
    ::chmod(path.c_str(), 0644);
    auto report = OrderedReport::create(path, Format::jsonl);
    REQUIRE(report.has_value());
    CHECK(read_file(path).empty());
    CHECK(read_file(path + ".pending").empty());
    for (const auto& p : {path, path + ".pending"}) {
        struct stat st {};
        REQUIRE(::stat(p.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
    }
}

TEST_CASE("report::OrderedReport create() names a path it cannot create") {
    TempDir dir;
    auto report = OrderedReport::create(dir.file("no/such/dir/r.csv"), Format::csv);
    REQUIRE_FALSE(report.has_value());
    CHECK(report.error().message.find("no/such/dir/r.csv") != std::string::npos);
}

TEST_CASE("report::OrderedReport in JSONL") {
    TempDir dir;
    const auto path = dir.file("r.jsonl");
    auto created = OrderedReport::create(path, Format::jsonl);
    REQUIRE(created.has_value());
    auto& report = **created;
    report.complete(result_for(2));
    CHECK(read_file(path).empty());
    CHECK(read_file(path + ".pending") == line_of(2, Format::jsonl));
    report.complete(result_for(1));
    CHECK(read_file(path) == report_of({1, 2}, Format::jsonl));
    report.complete(result_for(5));
    report.skip(3);
    report.skip(4);
    report.finish();
    CHECK(read_file(path) == report_of({1, 2, 5}, Format::jsonl));
    CHECK_FALSE(std::filesystem::exists(path + ".pending"));
}

TEST_CASE("report::OrderedReport keeps order over a long run with a sliding window") {
    // Rows finish in a shuffled order within a window of 64 (as concurrent requests do), so the ring
    // wraps many times and grows when a row lands far ahead.
    Format format = Format::csv;
    SUBCASE("csv") {
        format = Format::csv;
    }
    SUBCASE("jsonl") {
        format = Format::jsonl;
    }
    TempDir dir;
    const auto path = dir.file("r.out");
    auto created = OrderedReport::create(path, format);
    REQUIRE(created.has_value());
    auto& report = **created;
    constexpr std::uint64_t n = 5000;
    std::vector<std::uint64_t> order(n);
    std::iota(order.begin(), order.end(), 1);
    std::mt19937 rng(42);
    for (std::size_t i = 0; i < n; i += 64)
        std::shuffle(order.begin() + i, order.begin() + std::min<std::size_t>(i + 64, n), rng);
    std::swap(order[100], order[4000]);  // one row far ahead, one far behind: the ring must grow
    std::vector<std::uint64_t> expected;
    std::size_t max_buffered = 0;
    for (auto row : order) {
        if (row % 97 == 0) {
            report.skip(row);
        } else {
            report.complete(result_for(row));
            expected.push_back(row);
        }
        max_buffered = std::max(max_buffered, report.buffered());
    }
    CHECK(report.buffered() == 0);
    CHECK(report.next_in_order() == n + 1);
    CHECK(max_buffered < 4000);
    report.finish();
    std::sort(expected.begin(), expected.end());
    CHECK(read_file(path) == report_of(expected, format));
}

TEST_CASE("report::OrderedReport: report and journal together hold every finished row of a killed run") {
    Format format = Format::csv;
    SUBCASE("csv") {
        format = Format::csv;
    }
    SUBCASE("jsonl") {
        format = Format::jsonl;
    }
    TempDir dir;
    const auto path = dir.file("r.out");
    std::vector<std::uint64_t> order(300);
    std::iota(order.begin(), order.end(), 1);
    std::shuffle(order.begin(), order.end(), std::mt19937(7));
    const std::size_t done = 200;  // the run is killed after 200 of 300 results

    SUBCASE("checked after every result, then the object destroyed without finish()") {
        auto created = OrderedReport::create(path, format);
        REQUIRE(created.has_value());
        std::multiset<std::uint64_t> finished;
        for (std::size_t i = 0; i < done; ++i) {
            (*created)->complete(result_for(order[i]));
            finished.insert(order[i]);
            if (i % 20 == 0 || i + 1 == done) {
                auto on_disk = rows_in(read_file(path), format);
                for (auto row : rows_in(read_file(path + ".pending"), format))
                    on_disk.insert(row);
                const std::set<std::uint64_t> distinct(on_disk.begin(), on_disk.end());
                CHECK(std::set<std::uint64_t>(finished.begin(), finished.end()) == distinct);
            }
        }
        created->reset();
        CHECK(std::filesystem::exists(path + ".pending"));
    }

    SUBCASE("a child process SIGKILLed mid-run") {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            auto created = OrderedReport::create(path, format);
            if (!created)
                ::_exit(2);
            for (std::size_t i = 0; i < done; ++i)
                (*created)->complete(result_for(order[i]));
            ::raise(SIGKILL);
            ::_exit(3);
        }
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGKILL);
        const auto in_report = rows_in(read_file(path), format);
        const auto in_journal = rows_in(read_file(path + ".pending"), format);
        std::set<std::uint64_t> on_disk(in_report.begin(), in_report.end());
        on_disk.insert(in_journal.begin(), in_journal.end());
        CHECK(on_disk == std::set<std::uint64_t>(order.begin(), order.begin() + done));
        // The report itself is a gap-free prefix in row order.
        std::uint64_t expect = 1;
        for (auto row : in_report)
            CHECK(row == expect++);
        CHECK(in_report.count(expect) == 0);
        CHECK(on_disk.count(expect) == 0);  // the first row missing is one that never finished
    }
}

TEST_CASE("report::OrderedReport on a full disk: the failing write throws, what reached disk is exact") {
    // Rows finish in shuffled windows, so both the report and the journal take writes until one of
    // them meets ENOSPC. Afterwards --resume (on a disk with room again) must know exactly the rows
    // whose complete() returned, plus possibly the rows whose complete() threw, nothing else.
    Format format = Format::csv;
    SUBCASE("csv") {
        format = Format::csv;
    }
    SUBCASE("jsonl") {
        format = Format::jsonl;
    }
    SmallFs fs(std::size_t{64} * 1024);
    SKIP_UNLESS_MOUNTED(fs);
    const auto path = fs.file("r.out");
    auto created = OrderedReport::create(path, format);
    REQUIRE(created.has_value());
    auto& report = **created;
    std::vector<std::uint64_t> order(5000);
    std::iota(order.begin(), order.end(), 1);
    std::mt19937 rng(11);
    for (std::size_t i = 0; i < order.size(); i += 32)
        std::shuffle(order.begin() + i, order.begin() + std::min<std::size_t>(i + 32, order.size()), rng);
    std::set<std::uint64_t> accepted, threw;
    for (auto row : order) {
        try {
            report.complete(result_for(row));
            accepted.insert(row);
        } catch (const AppError& e) {
            REQUIRE(e.kind() == ErrorKind::io);
            CHECK(std::string(e.what()).find("No space left on device") != std::string::npos);
            threw.insert(row);
            if (threw.size() == 20)
                break;  // the engine stops new requests; rows in flight still arrive and fail
        }
    }
    REQUIRE(threw.size() == 20);
    REQUIRE(accepted.size() > 100);
    CHECK_THROWS_AS(report.finish(), AppError);
    REQUIRE(std::filesystem::exists(path + ".pending"));  // kept: it may hold the only copy

    REQUIRE(fs.grow(std::size_t{4} * 1024 * 1024));
    auto store = ResumeStore::open(path);
    REQUIRE_MESSAGE(store.has_value(), (store ? "" : store.error().message));
    std::size_t found = 0;
    for (std::uint64_t row = 1; row <= order.size(); ++row) {
        const auto r = result_for(row);
        const auto outcome = (*store)->find(r.email);
        const bool kept = r.status == Status::invited;
        if (kept && accepted.count(row) != 0) {
            REQUIRE_MESSAGE(outcome.has_value(), "row ", row, " completed but lost");
            CHECK(outcome->user_id == r.user_id);
        }
        if (outcome) {
            ++found;
            REQUIRE_MESSAGE((accepted.count(row) != 0 || threw.count(row) != 0), "row ", row,
                            " never completed but found");
        }
    }
    CHECK(found == (*store)->size());
}

TEST_CASE("report::OrderedReport span() counts the rows from the front to the highest one finished") {
    OpenReport open;
    auto& report = open.report;
    CHECK(report.span() == 0);
    report.complete(result_for(3));
    report.skip(10);  // a skipped row reaches as far as a finished one
    CHECK(report.span() == 10);
    CHECK(report.buffered() == 1);
    report.complete(result_for(1));
    CHECK(report.span() == 9);  // rows 2..10
    report.complete(result_for(2));
    CHECK(report.next_in_order() == 4);
    CHECK(report.span() == 7);  // rows 4..10, of which only 10 is settled
    CHECK(report.buffered() == 0);
}

TEST_CASE("report::OrderedReport reads a held row back from the journal, and says so when it cannot") {
    OpenReport open;
    const std::string& path = open.path;
    const std::string& journal = open.journal;
    OrderedReport& report = open.report;
    report.complete(result_for(2));
    report.complete(result_for(3));
    REQUIRE(read_file(journal) == line_of(2, Format::csv) + line_of(3, Format::csv));

    SUBCASE("the held lines go to the report byte for byte") {
        report.complete(result_for(1));
        CHECK(read_file(path) == report_of({1, 2, 3}, Format::csv));
    }
    SUBCASE("a journal cut short under the run (someone truncated it) is an I/O error, not a bad line") {
        std::filesystem::resize_file(journal, line_of(2, Format::csv).size() + 3);
        bool threw = false;
        try {
            report.complete(result_for(1));
        } catch (const AppError& e) {
            threw = true;
            CHECK(e.kind() == ErrorKind::io);
            CHECK(std::string(e.what()).find("cannot read back " + journal) != std::string::npos);
        }
        CHECK(threw);
        // Rows 1 and 2 reached the report whole; row 3 did not, and no half line of it did either.
        CHECK(read_file(path) == report_of({1, 2}, Format::csv));
    }
}

TEST_SUITE_END();
