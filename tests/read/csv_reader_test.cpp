#include "avara_onboard/read/csv_reader.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace avara;
using avara::read::CsvReader;
using avara::read::CsvRecord;

namespace {

// Records rendered one per line as `LINE:[cell][cell]` or `LINE:!error`, control bytes escaped, so
// expectations read like the input and a failure shows the whole parse.
std::string escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\0':
                out += "\\0";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string render(const CsvRecord& r) {
    std::string out = std::to_string(r.line) + ":";
    if (r.error) {
        return out + "!" + *r.error;
    }
    for (auto cell : r.cells) {
        out += "[" + escape(cell) + "]";
    }
    return out;
}

std::string drain(CsvReader& reader) {
    std::string out;
    CsvRecord rec;
    while (reader.next(rec)) {
        out += render(rec) + "\n";
    }
    return out;
}

// Parses `data` with reads of many sizes, so every record also straddles buffer boundaries in every
// possible place, and checks that the result does not depend on where the reads fall.
std::string parse(const std::string& data, std::size_t max = read::default_max_record_bytes) {
    auto reader = CsvReader::from_string(data, max);
    std::string whole = drain(*reader);
    CHECK(reader->bytes_consumed() == data.size());
    for (std::size_t chunk : {1, 2, 3, 5, 7, 16}) {
        auto small = CsvReader::from_string(data, max, chunk);
        const std::string chunked = drain(*small);
        INFO("read chunk " << chunk);
        CHECK(chunked == whole);
        CHECK(small->bytes_consumed() == data.size());
    }
    return whole;
}

class TempDir {
  public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "csv_reader_test.XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(const std::string& name, const std::string& content) const {
        auto p = (path_ / name).string();
        std::ofstream(p, std::ios::binary) << content;
        return p;
    }
    std::filesystem::path path() const { return path_; }

  private:
    std::filesystem::path path_;
};

// A deterministic roster-like file with quoted, multi-line and CRLF records sprinkled in, plus the
// rendering a correct reader gives for it.
struct Generated {
    std::string data;
    std::string expected;
};

Generated generate(std::size_t rows) {
    Generated g;
    std::mt19937 rng(42);
    std::uint64_t line = 1;
    for (std::size_t i = 0; i < rows; ++i) {
        const std::string id = std::to_string(i);
        switch (rng() % 10) {
            case 0:  // quoted field spanning two lines, CRLF ends
                g.data += "user" + id + "@example.org,\"two\r\nlines " + id + "\",x\r\n";
                g.expected +=
                    std::to_string(line) + ":[user" + id + "@example.org][two\\nlines " + id + "][x]\n";
                line += 2;
                break;
            case 1:  // quoted comma and doubled quotes
                g.data += "\"Smith, Jr.\",\"say \"\"" + id + "\"\"\",,\n";
                g.expected += std::to_string(line) + ":[Smith, Jr.][say \"" + id + "\"][][]\n";
                line += 1;
                break;
            case 2:  // blank line
                g.data += " \t\n";
                line += 1;
                break;
            default:
                g.data += "user" + id + "@example.org,First" + id + ",Last,,Registered Nurse,member,true\n";
                g.expected += std::to_string(line) + ":[user" + id + "@example.org][First" + id +
                              "][Last][][Registered Nurse][member][true]\n";
                line += 1;
        }
    }
    return g;
}

// A writer on the far end of a pipe, feeding `data` in small pieces so the reader sees short reads.
class PipeWriter {
  public:
    PipeWriter(int fd, std::string data)
        : thread_([fd, d = std::move(data)] {
              std::size_t off = 0;
              while (off < d.size()) {
                  const std::size_t n = std::min<std::size_t>(1000, d.size() - off);
                  const ssize_t w = ::write(fd, d.data() + off, n);
                  if (w < 0 && errno == EINTR) {
                      continue;
                  }
                  if (w <= 0) {
                      break;
                  }
                  off += static_cast<std::size_t>(w);
              }
              ::close(fd);
          }) {}
    ~PipeWriter() { thread_.join(); }

  private:
    std::thread thread_;
};

}  // namespace

TEST_SUITE_BEGIN("read");

TEST_CASE("read::CsvReader splits LF, CRLF and mixed line ends") {
    CHECK(parse("a,b,c\nd,e,f\n") == "1:[a][b][c]\n2:[d][e][f]\n");
    CHECK(parse("a,b\r\nc,d\r\n") == "1:[a][b]\n2:[c][d]\n");
    CHECK(parse("a,b\r\nc,d\ne,f\r\n") == "1:[a][b]\n2:[c][d]\n3:[e][f]\n");
    SUBCASE("a CR not before LF is an ordinary byte") {
        CHECK(parse("a\rb,c\n") == "1:[a\\rb][c]\n");
    }
    SUBCASE("cells are not trimmed") {
        CHECK(parse(" a , b\t\n") == "1:[ a ][ b\t]\n");
    }
    SUBCASE("empty cells") {
        CHECK(parse(",,\n") == "1:[][][]\n");
        CHECK(parse("a,\r\n") == "1:[a][]\n");
    }
}

TEST_CASE("read::CsvReader finds cells at every offset of a long line") {
    // Quote-free records take a 16-byte-at-a-time path; shift every delimiter across block edges.
    for (std::size_t k = 0; k < 40; ++k) {
        const std::string pad(k, 'x');
        INFO("padding " << k);
        CHECK(parse(pad + ",a," + pad + "\r\n" + pad + "z\n") ==
              "1:[" + pad + "][a][" + pad + "]\n2:[" + pad + "z]\n");
        CHECK(parse(pad + ",a,\"b,\r\nc\"," + pad + "\n" + pad + "z\n") ==
              "1:[" + pad + "][a][b,\\nc][" + pad + "]\n3:[" + pad + "z]\n");
        CHECK(parse(pad + "5'11\"," + pad + ",\n") == "1:[" + pad + "5'11\"][" + pad + "][]\n");
        CHECK(parse(pad + "\r\r\n") == "1:[" + pad + "\\r]\n");
    }
}

TEST_CASE("read::CsvReader gives each record exactly its own cells") {
    auto reader = CsvReader::from_string("a,b,c\nd\n\"x\"y\ne,f\n");
    CsvRecord rec;
    REQUIRE(reader->next(rec));
    CHECK(rec.cells.size() == 3);
    REQUIRE(reader->next(rec));
    CHECK(render(rec) == "2:[d]");
    REQUIRE(reader->next(rec));
    CHECK(rec.error.has_value());
    CHECK(rec.cells.empty());
    REQUIRE(reader->next(rec));
    CHECK(render(rec) == "4:[e][f]");
    CHECK_FALSE(reader->next(rec));
    CHECK(rec.cells.empty());
    CHECK_FALSE(rec.error.has_value());
}

TEST_CASE("read::CsvReader skips a UTF-8 BOM at the very start only") {
    CHECK(parse("\xEF\xBB\xBF"
                "email,name\nx,y\n") == "1:[email][name]\n2:[x][y]\n");
    CHECK(parse("\xEF\xBB\xBF") == "");
    CHECK(parse("a\n\xEF\xBB\xBF"
                "b\n") ==
          "1:[a]\n2:[\xEF\xBB\xBF"
          "b]\n");
    CHECK(parse("\xEF\xBB") == "1:[\xEF\xBB]\n");
    auto reader = CsvReader::from_string(
        "\xEF\xBB\xBF"
        "a\n");
    CsvRecord rec;
    REQUIRE(reader->next(rec));
    CHECK(reader->bytes_consumed() == 5);
}

TEST_CASE("read::CsvReader handles quoted fields") {
    SUBCASE("commas inside quotes") {
        CHECK(parse("\"a,b\",c\n") == "1:[a,b][c]\n");
    }
    SUBCASE("doubled quotes") {
        CHECK(parse("\"say \"\"hi\"\"\",x\n") == "1:[say \"hi\"][x]\n");
        CHECK(parse("\"\"\"\"\n") == "1:[\"]\n");
        CHECK(parse("\"\",x\n") == "1:[][x]\n");
    }
    SUBCASE("a quote inside an unquoted field is literal") {
        CHECK(parse("5'11\",ab\"c\n") == "1:[5'11\"][ab\"c]\n");
        CHECK(parse(" \"a\",b\n") == "1:[ \"a\"][b]\n");
    }
    SUBCASE("quoted field then CRLF") {
        CHECK(parse("\"a\",\"b\"\r\nc\n") == "1:[a][b]\n2:[c]\n");
    }
}

TEST_CASE("read::CsvReader keeps line numbers exact across multi-line quoted fields") {
    const std::string data =
        "a,\"line1\nline2\r\nline3\",b\n"
        "c,d\n"
        "\"x\n\ny\",\"z\nw\"\n"
        "e\n";
    CHECK(parse(data) ==
          "1:[a][line1\\nline2\\nline3][b]\n"
          "4:[c][d]\n"
          "5:[x\\n\\ny][z\\nw]\n"
          "9:[e]\n");
    SUBCASE("a lone CR inside quotes is kept") {
        CHECK(parse("\"a\rb\"\n") == "1:[a\\rb]\n");
    }
}

TEST_CASE("read::CsvReader skips blank lines") {
    CHECK(parse("a\n\n   \n\t \r\n\r\nb\n") == "1:[a]\n6:[b]\n");
    CHECK(parse("\n\n\n") == "");
    SUBCASE("a quoted blank or a lone comma is a record") {
        CHECK(parse("\" \"\n,\n") == "1:[ ]\n2:[][]\n");
    }
    SUBCASE("trailing whitespace-only line without newline") {
        CHECK(parse("a\n  ") == "1:[a]\n");
    }
}

TEST_CASE("read::CsvReader reads a last line without newline") {
    CHECK(parse("a,b\nc,d") == "1:[a][b]\n2:[c][d]\n");
    CHECK(parse("a,") == "1:[a][]\n");
    CHECK(parse("\"x\"") == "1:[x]\n");
    CHECK(parse("\"x\"\r") == "1:[x]\n");
    CHECK(parse("\"x\ny\"") == "1:[x\\ny]\n");
}

TEST_CASE("read::CsvReader on empty input") {
    CHECK(parse("") == "");
    auto reader = CsvReader::from_string("");
    CsvRecord rec;
    CHECK_FALSE(reader->next(rec));
    CHECK_FALSE(reader->next(rec));  // stays at the end
    CHECK(reader->bytes_consumed() == 0);
    CHECK(reader->total_bytes() == 0u);
}

TEST_CASE("read::CsvReader reports an unterminated quote and resumes on the next line") {
    SUBCASE("in the middle of the file") {
        CHECK(parse("a,b\nc,\"d\ne,f\ng,h\n") ==
              "1:[a][b]\n"
              "2:!unterminated quoted field (opened on line 2)\n"
              "3:[e][f]\n"
              "4:[g][h]\n");
    }
    SUBCASE("the quote that never closes opened on a later line of the record") {
        CHECK(parse("x,y\nz,\"ok\nstill\",\"bad\nq,r\n") ==
              "1:[x][y]\n"
              "2:!unterminated quoted field (opened on line 3)\n"
              "3:!unterminated quoted field (opened on line 3)\n"
              "4:[q][r]\n");
    }
    SUBCASE("on the last line") {
        CHECK(parse("a\n\"b") == "1:[a]\n2:!unterminated quoted field (opened on line 2)\n");
        CHECK(parse("a\n\"b\n") == "1:[a]\n2:!unterminated quoted field (opened on line 2)\n");
    }
}

TEST_CASE("read::CsvReader reports records over the size limit") {
    SUBCASE("the limit itself is allowed, CRLF not counted") {
        CHECK(parse("abcdefghij\nabcdefghij\r\nk\n", 10) == "1:[abcdefghij]\n2:[abcdefghij]\n3:[k]\n");
        CHECK(parse("\"abcdefgh\"\r\nk\n", 10) == "1:[abcdefgh]\n2:[k]\n");
        CHECK(parse("abcdefghij", 10) == "1:[abcdefghij]\n");
    }
    SUBCASE("one byte over") {
        CHECK(parse("abcdefghijk\nok\n", 10) == "1:!record is over 10 bytes\n2:[ok]\n");
        CHECK(parse("abcdefghijk", 10) == "1:!record is over 10 bytes\n");
    }
    SUBCASE("a long unquoted line is skipped to its end") {
        const std::string data = "a\n" + std::string(1000, 'x') + "," + std::string(500, 'y') + "\nb\n";
        CHECK(parse(data, 10) == "1:[a]\n2:!record is over 10 bytes\n3:[b]\n");
    }
    SUBCASE("an unclosed quote running past the limit costs one record") {
        CHECK(parse("x,\"aaaa\nbbbb\ncccc\ndddd\"\nok\n", 10) ==
              "1:!record is over 10 bytes\n"
              "2:[bbbb]\n"
              "3:[cccc]\n"
              "4:[dddd\"]\n"
              "5:[ok]\n");
        const std::string one_line = "\"" + std::string(30, 'x') + "\nnext\n";
        CHECK(parse(one_line, 10) == "1:!record is over 10 bytes\n2:[next]\n");
    }
    SUBCASE("a closed multi-line record over the limit") {
        CHECK(parse("a,\"b\nc\",d\ne\n", 6) == "1:!record is over 6 bytes\n3:[e]\n");
    }
    SUBCASE("the contract's 1 MiB") {
        const std::size_t mib = 1u << 20;
        const std::string data = std::string(mib, 'a') + "\n" + std::string(mib + 1, 'b') + "\nc\n";
        auto again = CsvReader::from_string(data);
        CsvRecord rec;
        REQUIRE(again->next(rec));
        CHECK(rec.cells.size() == 1);
        CHECK(rec.cells[0].size() == mib);
        REQUIRE(again->next(rec));
        CHECK(rec.line == 2);
        CHECK(rec.error == "record is over 1 MiB");
        REQUIRE(again->next(rec));
        CHECK(render(rec) == "3:[c]");
        CHECK(again->buffer_capacity() <= mib + 2 + read::default_read_chunk_bytes);
    }
}

TEST_CASE("read::CsvReader reports garbage after a closing quote and goes on") {
    CHECK(parse("\"a\"b,c\nd,e\n") == "1:!unexpected character after closing quote (column 1)\n2:[d][e]\n");
    CHECK(parse("x,\"a\" ,y\nz\n") == "1:!unexpected character after closing quote (column 2)\n2:[z]\n");
    CHECK(parse("\"a\"\rX\nz\n") == "1:!unexpected character after closing quote (column 1)\n2:[z]\n");
    SUBCASE("the rest of the record is still parsed as CSV") {
        CHECK(parse("\"a\"x,\"b\nc\"\nd\n") ==
              "1:!unexpected character after closing quote (column 1)\n"
              "3:[d]\n");
        CHECK(parse("q,\"a\"x\"y,z\"\nd\n") ==
              "1:!unexpected character after closing quote (column 2)\n"
              "2:[d]\n");
    }
}

TEST_CASE("read::CsvReader treats NUL and binary bytes as ordinary bytes") {
    const std::string data("a\0b,\0\n\0\n\"\0\"\n", 12);
    CHECK(parse(data) == "1:[a\\0b][\\0]\n2:[\\0]\n3:[\\0]\n");

    std::mt19937 rng(7);
    for (int round = 0; round < 20; ++round) {
        std::string junk(4096, '\0');
        for (char& c : junk) {
            // Bias towards the bytes the parser cares about.
            const auto r = rng() % 16;
            c = r == 0 ? '"' : r == 1 ? ',' : r == 2 ? '\n' : r == 3 ? '\r' : static_cast<char>(rng());
        }
        auto reader = CsvReader::from_string(junk, 64, 1 + round);
        CsvRecord rec;
        std::uint64_t last_line = 0;
        std::size_t records = 0;
        while (reader->next(rec)) {
            CHECK(rec.line > last_line);
            last_line = rec.line;
            std::size_t bytes = 0;
            for (auto cell : rec.cells) {
                bytes += cell.size() + 1;
            }
            CHECK(bytes <= 65);
            ++records;
        }
        CHECK(records > 0);
        CHECK(reader->bytes_consumed() == junk.size());
    }
}

TEST_CASE("read::CsvReader reads a real file larger than its buffer") {
    TempDir dir;
    const Generated g = generate(20000);
    REQUIRE(g.data.size() > 4 * read::default_read_chunk_bytes);
    const auto path = dir.file("roster.csv", g.data);

    auto opened = CsvReader::open(path);
    REQUIRE(opened.has_value());
    auto& reader = **opened;
    CHECK(reader.total_bytes() == g.data.size());
    CHECK(reader.name() == path);
    CsvRecord rec;
    REQUIRE(reader.next(rec));
    CHECK(reader.bytes_consumed() > 0);
    CHECK(reader.bytes_consumed() < g.data.size());
    auto rest = CsvReader::open(path);
    REQUIRE(rest.has_value());
    CHECK(drain(**rest) == g.expected);
    CHECK((*rest)->bytes_consumed() == g.data.size());
    // Memory stays flat: short records never grow the buffer past one read.
    CHECK((*rest)->buffer_capacity() == read::default_read_chunk_bytes);

    SUBCASE("with a small buffer, every record straddles reads somewhere") {
        auto small = CsvReader::open(path, read::default_max_record_bytes, 100);
        REQUIRE(small.has_value());
        CHECK(drain(**small) == g.expected);
        CHECK((*small)->buffer_capacity() <= 400);
    }
}

TEST_CASE("read::CsvReader grows its buffer only for a long record") {
    TempDir dir;
    const std::string big(std::size_t{300} * 1024, 'q');
    const auto path = dir.file("big.csv", "a\n\"" + big + "\nz\",b\nc\n");
    auto reader = CsvReader::open(path);
    REQUIRE(reader.has_value());
    CsvRecord rec;
    REQUIRE((*reader)->next(rec));
    REQUIRE((*reader)->next(rec));
    CHECK(rec.line == 2);
    REQUIRE(rec.cells.size() == 2);
    CHECK(rec.cells[0] == big + "\nz");
    CHECK(rec.cells[1] == "b");
    REQUIRE((*reader)->next(rec));
    CHECK(render(rec) == "4:[c]");
    CHECK((*reader)->buffer_capacity() > big.size());
    CHECK((*reader)->buffer_capacity() <=
          read::default_max_record_bytes + 2 + read::default_read_chunk_bytes);
}

TEST_CASE("read::CsvReader reads through a pipe, without seeking") {
    // Bigger than a pipe's buffer, so the writer blocks and the reader really streams; the stray
    // quote makes the reader replay bytes it can no longer seek back to.
    const Generated g = generate(5000);
    const std::string data = g.data + "tail,\"open\nafter,1\n";

    SUBCASE("an anonymous pipe") {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        auto reader = CsvReader::from_fd(fds[0], "<pipe>", read::default_max_record_bytes, 4096);
        CHECK_FALSE(reader->total_bytes().has_value());
        {
            PipeWriter writer(fds[1], data);
            const std::string got = drain(*reader);
            CHECK(got.substr(0, g.expected.size()) == g.expected);
            CHECK(got.substr(g.expected.size()).find("!unterminated quoted field") != std::string::npos);
            CHECK(got.substr(got.size() - 12).find(":[after][1]") != std::string::npos);
        }
        CHECK(reader->bytes_consumed() == data.size());
    }
    SUBCASE("a named FIFO through open()") {
        TempDir dir;
        const auto path = (dir.path() / "fifo.csv").string();
        REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
        std::thread writer([&] {
            const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
            if (fd >= 0) {
                PipeWriter w(fd, data);
            }
        });
        auto reader = CsvReader::open(path);  // blocks until the writer opens its end
        REQUIRE(reader.has_value());
        CHECK_FALSE((*reader)->total_bytes().has_value());
        const std::string got = drain(**reader);
        writer.join();
        CHECK(got.substr(0, g.expected.size()) == g.expected);
        CHECK(got.substr(got.size() - 12).find(":[after][1]") != std::string::npos);
    }
}

TEST_CASE("read::CsvReader::open reports what is wrong with the path") {
    TempDir dir;
    SUBCASE("missing file") {
        const auto path = (dir.path() / "nope.csv").string();
        auto r = CsvReader::open(path);
        REQUIRE(r.has_error());
        CHECK(r.error().kind == ErrorKind::input);
        CHECK(r.error().message.find(path) != std::string::npos);
        CHECK(r.error().message.find("No such file or directory") != std::string::npos);
    }
    SUBCASE("a directory") {
        auto r = CsvReader::open(dir.path().string());
        REQUIRE(r.has_error());
        CHECK(r.error().kind == ErrorKind::input);
        CHECK(r.error().message.find("is a directory") != std::string::npos);
    }
    SUBCASE("no permission") {
        const auto path = dir.file("secret.csv", "a\n");
        REQUIRE(::chmod(path.c_str(), 0) == 0);
        const int probe = ::open(path.c_str(), O_RDONLY);
        if (probe >= 0) {
            ::close(probe);  // running as root: permissions are not enforced, nothing to test
        } else {
            auto r = CsvReader::open(path);
            REQUIRE(r.has_error());
            CHECK(r.error().message.find("Permission denied") != std::string::npos);
        }
    }
}

TEST_CASE("read::CsvReader throws AppError(input) when a read fails") {
    const int fd = ::open(std::filesystem::temp_directory_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    auto reader = CsvReader::from_fd(fd, "somedir");
    CsvRecord rec;
    try {
        reader->next(rec);
        FAIL("expected AppError");
    } catch (const AppError& e) {
        CHECK(e.kind() == ErrorKind::input);
        CHECK(std::string(e.what()).find("somedir") != std::string::npos);
    }
}

TEST_CASE("read::CsvReader::from_fd refuses a negative descriptor") {
    CHECK_THROWS_AS(CsvReader::from_fd(-1, "nothing"), AppError);
}

TEST_CASE("read::CsvReader reports progress") {
    auto reader = CsvReader::from_string("a,b\n\n\"c\nd\"\n");
    CHECK(reader->total_bytes() == 11u);
    CsvRecord rec;
    REQUIRE(reader->next(rec));
    CHECK(reader->bytes_consumed() == 4);
    REQUIRE(reader->next(rec));
    CHECK(render(rec) == "3:[c\\nd]");
    CHECK(reader->bytes_consumed() == 11);
    CHECK_FALSE(reader->next(rec));
}

TEST_CASE("read::CsvReader says which records it checked to be UTF-8, whatever the read size") {
    const std::string good =
        "name,city\nJos\xC3\xA9,K\xC3\xB6ln\n\"\xE2\x82\xAC \"\"x\"\"\",\xF0\x9F\x98\x80\nplain,row\n";
    for (std::size_t chunk : {1, 2, 3, 5, 7, 64}) {
        CAPTURE(chunk);
        auto reader = CsvReader::from_string(good, 1u << 20, chunk);
        CsvRecord r;
        int records = 0;
        while (reader->next(r)) {
            ++records;
            CHECK(r.known_utf8);
        }
        CHECK(records == 4);
    }
    // A record with a stray byte is never vouched for; nor are those checked in the same run, and
    // the records after it are again once the reader is past it. Its cells come out unchanged.
    const std::string bad = "a,b\nok,\xC3\xA9\nbad,\xFF\nok,again\n" + std::string(100, 'x') + ",y\n";
    for (std::size_t chunk : {1, 4, 16, 1024}) {
        CAPTURE(chunk);
        auto reader = CsvReader::from_string(bad, 1u << 20, chunk);
        CsvRecord r;
        REQUIRE(reader->next(r));
        REQUIRE(reader->next(r));
        REQUIRE(reader->next(r));
        CHECK_FALSE(r.known_utf8);
        CHECK(r.cells[1] == "\xFF");
        REQUIRE(reader->next(r));
        CHECK(r.cells[1] == "again");
        REQUIRE(reader->next(r));
        if (chunk < 16)
            CHECK(r.known_utf8);
        CHECK_FALSE(reader->next(r));
    }
}

TEST_SUITE_END();

TEST_CASE("read::CsvReader reads ; tab and | with the same quoting rules") {
    for (char d : {';', '\t', '|'}) {
        CAPTURE(d);
        std::string data = "a,1" + std::string(1, d) + "\"b" + std::string(1, d) + "\"\"q\"\"\"" +
                           std::string(1, d) + "\n" + "x" + std::string(1, d) + "\"y\nz\"" +
                           std::string(1, d) + "w\n";
        for (std::size_t chunk : {1u, 3u, 1u << 16}) {
            auto reader = CsvReader::from_string(data, read::default_max_record_bytes, chunk);
            reader->set_delimiter(d);
            CsvRecord rec;
            REQUIRE(reader->next(rec));
            CHECK(rec.cells == std::vector<std::string_view>{"a,1", std::string("b") + d + "\"q\"", ""});
            REQUIRE(reader->next(rec));
            CHECK(rec.line == 2);
            CHECK(rec.cells == std::vector<std::string_view>{"x", "y\nz", "w"});
            CHECK_FALSE(reader->next(rec));
        }
    }
}

TEST_CASE("read::CsvReader asks its detector once, with the first line, before the first record") {
    int calls = 0;
    std::string seen;
    auto reader = CsvReader::from_string("\xEF\xBB\xBFh1;h2\r\n1;2\n", read::default_max_record_bytes, 2);
    reader->set_delimiter_detector([&](std::string_view line) {
        ++calls;
        seen = line;
        return ';';
    });
    CsvRecord rec;
    REQUIRE(reader->next(rec));
    CHECK(rec.cells == std::vector<std::string_view>{"h1", "h2"});
    REQUIRE(reader->next(rec));
    CHECK(rec.cells == std::vector<std::string_view>{"1", "2"});
    CHECK(calls == 1);
    CHECK(seen == "h1;h2\r");
    CHECK(reader->delimiter() == ';');
}

// A model of well-formed CSV: random records are written out (quoted when a cell needs it, and at
// random otherwise) and must come back cell for cell, each on the line it starts at, whatever the
// read size. This pins the state machine's every path through fill() as well as the fast path.
TEST_CASE("read::CsvReader reads back any well-formed file, whatever its read size") {
    std::mt19937 rng(20261201);
    const std::vector<std::string> pieces = {"a",  "bc",   " ",        "\t",  ",", "\"",
                                             "\n", "\r\n", "\xC3\xA9", "x y", ""};
    auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
    for (int round = 0; round < 300; ++round) {
        std::string data;
        std::vector<std::vector<std::string>> want;  // cells as read: CRLF inside quotes becomes LF
        std::vector<std::uint64_t> lines;
        std::uint64_t line = 1;
        const std::size_t records = 1 + pick(12);
        for (std::size_t r = 0; r < records; ++r) {
            const std::size_t cells = 1 + pick(5);
            std::vector<std::string> row;
            lines.push_back(line);
            for (std::size_t c = 0; c < cells; ++c) {
                std::string cell;
                for (std::size_t k = pick(5); k > 0; --k)
                    cell += pieces[pick(pieces.size())];
                const bool needs_quotes = cell.find_first_of(",\"\r\n") != std::string::npos;
                // A lone cell of blanks would be a blank line, which is no record: quote it.
                const bool lone_blank = cells == 1 && cell.find_first_not_of(" \t") == std::string::npos;
                if (c > 0)
                    data += ',';
                if (needs_quotes || lone_blank || pick(4) == 0) {
                    data += '"';
                    for (char ch : cell) {
                        data += ch;
                        if (ch == '"')
                            data += '"';
                        if (ch == '\n')
                            ++line;
                    }
                    data += '"';
                } else {
                    data += cell;
                }
                std::string read_as;
                for (std::size_t i = 0; i < cell.size(); ++i) {
                    if (!(cell[i] == '\r' && i + 1 < cell.size() && cell[i + 1] == '\n'))
                        read_as += cell[i];
                }
                row.push_back(read_as);
            }
            want.push_back(row);
            const bool last = r + 1 == records;
            if (!last || pick(2) == 0) {
                data += pick(2) == 0 ? "\r\n" : "\n";
                ++line;
            }
        }
        for (const std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{7}, std::size_t{4096}}) {
            CAPTURE(round);
            CAPTURE(chunk);
            CAPTURE(escape(data));
            auto reader = CsvReader::from_string(data, read::default_max_record_bytes, chunk);
            CsvRecord rec;
            std::size_t i = 0;
            while (reader->next(rec)) {
                REQUIRE(i < want.size());
                REQUIRE_FALSE(rec.error);
                CHECK(rec.line == lines[i]);
                REQUIRE(rec.cells.size() == want[i].size());
                for (std::size_t c = 0; c < want[i].size(); ++c)
                    CHECK(std::string(rec.cells[c]) == want[i][c]);
                ++i;
            }
            CHECK(i == want.size());
            CHECK(reader->bytes_consumed() == data.size());
        }
    }
}
