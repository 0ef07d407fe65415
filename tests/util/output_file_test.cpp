#include "avara_onboard/util/output_file.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

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

TEST_SUITE_END();
