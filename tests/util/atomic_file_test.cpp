#include "avara_onboard/util/atomic_file.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "small_fs.hpp"
#include "test_files.hpp"

using namespace avara;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 0777;
}

std::size_t entries_in(const fs::path& dir) {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST_SUITE_BEGIN("util");

TEST_CASE("util::AtomicFile: the target holds the old content until commit(), then all the new") {
    TempDir dir;
    const auto path = dir.write("summary.json", "{\"old\":true}");
    ::chmod(path.c_str(), 0644);
    auto file = AtomicFile::open(path);
    REQUIRE(file.has_value());
    CHECK(file->temp_path() != path);
    CHECK(fs::path(file->temp_path()).parent_path() == dir.path);
    CHECK(mode_of(file->temp_path()) == 0600);
    file->write("{\"new\":");
    file->write(std::string(200000, ' '));  // past the flush threshold: bytes reach the temp file
    CHECK(read_file(path) == "{\"old\":true}");
    file->write("true}");
    file->commit();
    CHECK(read_file(path) == "{\"new\":" + std::string(200000, ' ') + "true}");
    CHECK(mode_of(path) == 0600);
    CHECK(entries_in(dir.path) == 1);  // no temporary file left
    CHECK_THROWS_AS(file->commit(), AppError);
}

TEST_CASE("util::AtomicFile without commit() leaves the target as it was and no temporary file") {
    TempDir dir;
    const auto path = dir.write("state.json", "old");
    {
        auto file = AtomicFile::open(path);
        REQUIRE(file.has_value());
        file->write("half a docu");
        auto moved = std::move(*file);  // the temporary file follows the move, once
        CHECK(fs::exists(moved.temp_path()));
    }
    CHECK(read_file(path) == "old");
    CHECK(entries_in(dir.path) == 1);
}

TEST_CASE("util::AtomicFile with a fixed temporary name reuses a killed writer's leftover") {
    TempDir dir;
    const auto path = dir.file("r.csv.previous");
    dir.write("r.csv.previous.tmp", "leftover of a killed merge, longer than the new content");
    auto file = AtomicFile::open(path, AtomicFile::TempName::fixed);
    REQUIRE(file.has_value());
    CHECK(file->temp_path() == path + ".tmp");
    file->write("new");
    file->commit();
    CHECK(read_file(path) == "new");
    CHECK_FALSE(fs::exists(path + ".tmp"));
}

TEST_CASE("util::AtomicFile follows a symbolic link and writes a device in place") {
    TempDir dir;
    const auto real = dir.write("real.json", "old");
    const auto link = dir.file("link.json");
    fs::create_symlink(real, link);
    REQUIRE(write_private_file(link, "new").has_value());
    CHECK(fs::is_symlink(link));
    CHECK(read_file(real) == "new");

    auto null = AtomicFile::open("/dev/null");
    REQUIRE(null.has_value());
    null->write("discarded");
    null->commit();
    CHECK(fs::is_character_file("/dev/null"));

    auto full = AtomicFile::open("/dev/full");
    REQUIRE(full.has_value());
    full->write("x");
    CHECK_THROWS_AS(full->commit(), AppError);
}

TEST_CASE("util::AtomicFile::open refuses a path it cannot create, naming it") {
    TempDir dir;
    auto missing = AtomicFile::open(dir.file("no/such/dir/summary.json"));
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().kind == ErrorKind::input);
    CHECK(missing.error().message.find("no/such/dir/summary.json") != std::string::npos);
    auto folder = AtomicFile::open(dir.path.string());
    REQUIRE_FALSE(folder.has_value());
    auto none = AtomicFile::open_optional("");
    REQUIRE(none.has_value());
    CHECK_FALSE(none->has_value());
}

TEST_CASE("util::AtomicFile on a full file system: commit() throws, the old file stays whole") {
    SmallFs small(64 * 1024);
    SKIP_UNLESS_MOUNTED(small);
    const std::string old_content(1000, 'o');
    const auto path = small.file("summary.json");
    REQUIRE(write_private_file(path, old_content).has_value());
    auto file = AtomicFile::open(path);
    REQUIRE(file.has_value());
    try {
        file->write(std::string(200 * 1024, 'n'));  // more than the file system holds
        file->commit();
        FAIL("no exception");
    } catch (const AppError& e) {
        CHECK(e.kind() == ErrorKind::io);
        CHECK(std::string(e.what()).find(std::strerror(ENOSPC)) != std::string::npos);
    }
    file = AtomicFile::open(small.file("other")).value();  // the failed one is destroyed
    CHECK(read_file(path) == old_content);
    CHECK(entries_in(small.dir.path) == 2);  // the target and the new temporary file: none left over
    auto result = write_private_file(small.file("big.json"), std::string(200 * 1024, 'b'));
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().kind == ErrorKind::io);
    CHECK_FALSE(fs::exists(small.file("big.json")));
}

TEST_SUITE_END();
