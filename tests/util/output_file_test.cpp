#include "avara_onboard/util/output_file.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "small_fs.hpp"
#include "test_files.hpp"

using namespace avara;

TEST_SUITE_BEGIN("util");

TEST_CASE("OutputFile::open_private creates 0600 and narrows an existing wider file") {
    TempDir dir;
    const auto path = dir.file("out.txt");
    {
        std::ofstream(path) << "old content";
        ::chmod(path.c_str(), 0644);
    }
    auto file = OutputFile::open_private(path);
    REQUIRE(file.has_value());
    file->write("new");
    file->close();
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(read_file(path) == "new");
}

TEST_CASE("OutputFile append mode keeps what is there") {
    TempDir dir;
    const auto path = dir.file("a.txt");
    REQUIRE(write_private_file(path, "one\n").has_value());
    auto file = OutputFile::open_private(path, OutputFile::Mode::append);
    REQUIRE(file.has_value());
    file->write("two\n");
    file->close();
    CHECK(read_file(path) == "one\ntwo\n");
}

TEST_CASE("OutputFile::open_private reports a folder that does not exist") {
    auto file = OutputFile::open_private("/nonexistent-dir/x.csv");
    REQUIRE_FALSE(file.has_value());
    CHECK(file.error().message.find("/nonexistent-dir/x.csv") != std::string::npos);
}

TEST_CASE("OutputFile on /dev/full: a failed write throws, and every later call throws the same") {
    auto file = OutputFile::open_private("/dev/full", OutputFile::Mode::append);
    REQUIRE(file.has_value());
    file->write("one line\n");
    std::string first;
    try {
        file->flush();
        FAIL("no exception");
    } catch (const AppError& e) {
        CHECK(e.kind() == ErrorKind::io);
        first = e.what();
    }
    CHECK(first.find("/dev/full") != std::string::npos);
    CHECK(first.find(std::strerror(ENOSPC)) != std::string::npos);
    CHECK(file->failed());
    file->write("another\n");
    try {
        file->sync();
        FAIL("no exception");
    } catch (const AppError& e) {
        CHECK(std::string(e.what()) == first);
    }
    CHECK_THROWS_AS(file->close(), AppError);
    CHECK_FALSE(file->is_open());
}

TEST_CASE("OutputFile on a full file system keeps whole flushes only, and fails for good") {
    SmallFs fs(64 * 1024);
    SKIP_UNLESS_MOUNTED(fs);
    const auto path = fs.file("report.csv");
    auto file = OutputFile::open_private(path);
    REQUIRE(file.has_value());
    const std::string line(99, 'x');
    std::size_t flushed = 0;
    bool failed = false;
    for (int i = 0; i < 10000 && !failed; ++i) {
        file->write(line + "\n");
        try {
            file->flush();
            ++flushed;
        } catch (const AppError& e) {
            CHECK(e.kind() == ErrorKind::io);
            CHECK(std::string(e.what()).find(std::strerror(ENOSPC)) != std::string::npos);
            failed = true;
        }
    }
    REQUIRE(failed);
    REQUIRE(flushed > 100);
    // The partial line of the failed write was cut off again: the file is exactly the whole lines.
    const auto content = read_file(path);
    CHECK(content.size() == flushed * 100);
    CHECK(content.find_first_not_of(line + "\n") == std::string::npos);
    // Room again (another file removed): the failed file stays failed rather than resume mid-stream.
    CHECK_THROWS_AS(file->write(std::string(70000, 'y')), AppError);
    CHECK_THROWS_AS(file->flush(), AppError);
    CHECK(read_file(path).size() == flushed * 100);
}

TEST_CASE("sync_directory_of and rename_durably fail loudly") {
    TempDir dir;
    CHECK_NOTHROW(sync_directory_of(dir.file("anything")));
    CHECK_THROWS_AS(sync_directory_of(dir.file("missing/x")), AppError);
    const auto from = dir.write("from", "data");
    rename_durably(from, dir.file("to"));
    CHECK(read_file(dir.file("to")) == "data");
    try {
        rename_durably(dir.file("gone"), dir.file("to"));
        FAIL("no exception");
    } catch (const AppError& e) {
        CHECK(e.kind() == ErrorKind::io);
        CHECK(std::string(e.what()).find("gone") != std::string::npos);
    }
    CHECK(read_file(dir.file("to")) == "data");
}

TEST_SUITE_END();
