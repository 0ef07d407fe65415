#include "avara_onboard/report/resume_store.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <vector>

#include "avara_onboard/report/ordered_report.hpp"
#include "avara_onboard/report/report_writer.hpp"
#include "small_fs.hpp"
#include "test_files.hpp"

using namespace avara;
using namespace avara::report;

namespace {

RowResult make(std::uint64_t row, std::string email, Status status, std::string user_id = "",
               unsigned http_status = 0, unsigned attempts = 1, std::string error = "") {
    RowResult r;
    r.row = row;
    r.line = row + 1;
    r.email = std::move(email);
    r.status = status;
    r.http_status = http_status;
    r.user_id = std::move(user_id);
    r.attempts = attempts;
    r.error = std::move(error);
    return r;
}

// A report as the real writer writes it.
void write_report(const std::string& path, Format format, const std::vector<RowResult>& rows) {
    auto writer = ReportWriter::create(path, format, ReportWriter::Flush::batched);
    REQUIRE(writer.has_value());
    for (const auto& r : rows)
        (*writer)->write(r);
    (*writer)->close();
}

// A journal: the report's line format without a header.
void write_journal(const std::string& path, Format format, const std::vector<RowResult>& rows) {
    std::string text;
    for (const auto& r : rows) {
        if (format == Format::csv) {
            append_csv_line(text, r);
        } else {
            append_jsonl_line(text, r);
        }
    }
    std::ofstream(path, std::ios::binary) << text;
}

std::vector<RowResult> mixed_rows() {
    return {
        make(1, "ada@example.org", Status::invited, "usr_ada", 201, 1),
        make(2, "bob@example.org", Status::exists, "usr_bob", 409, 2),
        make(3, "cy@example.org", Status::failed, "", 503, 6, "service unavailable, retries exhausted"),
        make(4, "dee@example.org", Status::rejected, "", 422, 1, "email: domain not allowed"),
        make(5, "not-an-email", Status::invalid, "", 0, 0, "email: must contain exactly one '@'"),
        make(6, "ADA@example.org", Status::duplicate, "", 0, 0, "duplicate of row 1 (same email)"),
        make(7, "eve@example.org", Status::exists, "", 409, 1),  // exists, id not found
    };
}

Result<std::unique_ptr<ResumeStore>> open_ok(const std::string& path) {
    auto store = ResumeStore::open(path);
    if (!store)
        FAIL_CHECK(store.error().message);
    return store;
}

}  // namespace

TEST_SUITE_BEGIN("report");

TEST_CASE("report::ResumeStore keeps the invited and exists rows of a report") {
    Format format = Format::csv;
    SUBCASE("csv") {
        format = Format::csv;
    }
    SUBCASE("jsonl") {
        format = Format::jsonl;
    }
    TempDir dir;
    const auto path = dir.file("roster.report");
    write_report(path, format, mixed_rows());

    auto store = open_ok(path);
    REQUIRE(store.has_value());
    auto& s = **store;
    CHECK(s.size() == 3);

    const auto ada = s.find("ada@example.org");
    REQUIRE(ada.has_value());
    CHECK(ada->status == Status::invited);
    CHECK(ada->http_status == 201);
    CHECK(ada->user_id == "usr_ada");
    CHECK(ada->attempts == 1);

    const auto bob = s.find("Bob@Example.ORG");  // case-insensitive
    REQUIRE(bob.has_value());
    CHECK(bob->status == Status::exists);
    CHECK(bob->http_status == 409);
    CHECK(bob->user_id == "usr_bob");
    CHECK(bob->attempts == 2);

    const auto eve = s.find("eve@example.org");
    REQUIRE(eve.has_value());
    CHECK(eve->user_id.empty());

    // failed, rejected, invalid and duplicate rows are sent again.
    CHECK_FALSE(s.find("cy@example.org"));
    CHECK_FALSE(s.find("dee@example.org"));
    CHECK_FALSE(s.find("not-an-email"));
    CHECK_FALSE(s.find("nobody@example.org"));

    // Consolidated privately; the report itself is left for the caller to re-create.
    struct stat st {};
    REQUIRE(::stat(s.previous_path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(s.previous_path() == path + ".previous");
    CHECK(std::filesystem::exists(path));
    CHECK_FALSE(std::filesystem::exists(path + ".previous.tmp"));

    s.discard();
    CHECK_FALSE(std::filesystem::exists(path + ".previous"));
    CHECK_FALSE(s.find("ada@example.org"));
}

TEST_CASE("report::ResumeStore on a first run is empty") {
    TempDir dir;
    const auto path = dir.file("roster.report.csv");
    auto store = open_ok(path);
    REQUIRE(store.has_value());
    CHECK((*store)->size() == 0);
    CHECK_FALSE((*store)->find("ada@example.org"));
    CHECK_FALSE(std::filesystem::exists(path + ".previous"));
    CHECK_FALSE(std::filesystem::exists(path + ".previous.tmp"));
    (*store)->discard();  // nothing to remove is fine

    SUBCASE("and so is a report with nothing done (a validate report, header only)") {
        write_report(path, Format::csv, {make(1, "a@b.org", Status::valid)});
        auto again = open_ok(path);
        REQUIRE(again.has_value());
        CHECK((*again)->size() == 0);
        dir.write("empty.csv", "");
        auto empty = open_ok(dir.file("empty.csv"));
        REQUIRE(empty.has_value());
        CHECK((*empty)->size() == 0);
    }
}

TEST_CASE("report::ResumeStore merges a killed run's journal and removes it") {
    Format format = Format::csv;
    SUBCASE("csv") {
        format = Format::csv;
    }
    SUBCASE("jsonl") {
        format = Format::jsonl;
    }
    TempDir dir;
    const auto path = dir.file("roster.report");
    write_report(path, format,
                 {make(1, "ada@example.org", Status::invited, "usr_ada", 201),
                  make(2, "bob@example.org", Status::failed, "", 503, 6, "retries exhausted")});
    write_journal(path + ".pending", format,
                  {make(5, "fay@example.org", Status::invited, "usr_fay", 201),
                   make(4, "gus@example.org", Status::rejected, "", 400, 1, "bad"),
                   make(3, "hal@example.org", Status::exists, "usr_hal", 409)});
    auto store = open_ok(path);
    REQUIRE(store.has_value());
    auto& s = **store;
    CHECK(s.size() == 3);
    REQUIRE(s.find("fay@example.org"));
    CHECK(s.find("fay@example.org")->user_id == "usr_fay");
    CHECK(s.find("hal@example.org")->status == Status::exists);
    CHECK(s.find("ada@example.org")->user_id == "usr_ada");
    CHECK_FALSE(s.find("gus@example.org"));
    CHECK_FALSE(s.find("bob@example.org"));
    CHECK_FALSE(std::filesystem::exists(path + ".pending"));
}

TEST_CASE("report::ResumeStore merges what a killed resume carried over, the later source winning") {
    TempDir dir;
    const auto path = dir.file("roster.report.csv");
    write_journal(path + ".previous", Format::jsonl,
                  {make(1, "ada@example.org", Status::invited, "usr_ada", 201),
                   make(9, "old@example.org", Status::exists, "usr_old_1", 409)});
    write_report(path, Format::csv,
                 {make(1, "ada@example.org", Status::invited, "usr_ada", 201),
                  make(2, "OLD@example.org", Status::invited, "usr_old_2", 201, 3),
                  make(3, "new@example.org", Status::invited, "usr_new", 201)});
    auto store = open_ok(path);
    REQUIRE(store.has_value());
    auto& s = **store;
    CHECK(s.size() == 3);  // one entry per email
    const auto old = s.find("old@example.org");
    REQUIRE(old.has_value());
    CHECK(old->user_id == "usr_old_2");
    CHECK(old->attempts == 3);
    CHECK(s.find("ada@example.org")->user_id == "usr_ada");
    CHECK(s.find("new@example.org")->user_id == "usr_new");
    // The consolidated file holds one line per email, nothing else.
    const auto previous = read_file(path + ".previous");
    CHECK(std::count(previous.begin(), previous.end(), '\n') == 3);
    CHECK(previous.find("usr_old_1") == std::string::npos);
}

TEST_CASE("report::ResumeStore undoes the CSV formula guard and reads quoted cells") {
    TempDir dir;
    const auto path = dir.file("r.csv");
    write_report(path, Format::csv,
                 {make(1, "+tag@example.org", Status::invited, "=usr,1", 201),
                  make(2, "-dash@example.org", Status::exists, "@id \"q\"", 409),
                  make(3, "'quote@example.org", Status::invited, "usr_3", 201)});
    // The writer really did guard them.
    CHECK(read_file(path).find("\"'+tag@example.org\"") != std::string::npos);
    auto store = open_ok(path);
    REQUIRE(store.has_value());
    auto& s = **store;
    REQUIRE(s.find("+TAG@example.org"));
    CHECK(s.find("+tag@example.org")->user_id == "=usr,1");
    REQUIRE(s.find("-dash@example.org"));
    CHECK(s.find("-dash@example.org")->user_id == "@id \"q\"");
    // An apostrophe not followed by a formula character is data.
    CHECK(s.find("'quote@example.org"));
    CHECK_FALSE(s.find("'+tag@example.org"));
}

TEST_CASE("report::ResumeStore refuses a file that is not a report, naming file and line") {
    TempDir dir;
    std::string path;
    std::string where;
    SUBCASE("wrong header") {
        path = dir.write("r.csv", "email,status\nada@example.org,invited\n");
        where = "r.csv:1:";
    }
    SUBCASE("garbage row in a CSV report") {
        path = dir.write("r.csv", std::string(csv_header) + "\n1,2,ada@example.org,invited,201,u,1,\n" +
                                      "2,3,bob@example.org,finished,201,u,1,\n");
        where = "r.csv:3:";
    }
    SUBCASE("wrong cell count") {
        path = dir.write("r.csv", std::string(csv_header) + "\n1,2,ada@example.org,invited\n");
        where = "r.csv:2:";
    }
    SUBCASE("a number that is not one") {
        path = dir.write("r.csv", std::string(csv_header) + "\n1,2,ada@example.org,invited,201,u,x,\n");
        where = "r.csv:2:";
    }
    SUBCASE("garbage line in a JSONL report") {
        path = dir.write("r.jsonl", R"({"row":1,"email":"a@b.org","status":"invited"})"
                                    "\nnot json\n");
        where = "r.jsonl:2:";
    }
    SUBCASE("a JSONL line that is not a report line") {
        path = dir.write("r.jsonl", R"({"row":1,"email":"a@b.org","status":"sent"})"
                                    "\n");
        where = "r.jsonl:1:";
    }
    SUBCASE("garbage in the journal") {
        path = dir.write("r.csv", std::string(csv_header) + "\n");
        dir.write("r.csv.pending", "1,2,a@b.org,invited,201,u,1,\nhello\n2,3,c@d.org,invited,201,v,1,\n");
        where = "r.csv.pending:2:";
    }
    auto store = ResumeStore::open(path);
    REQUIRE_FALSE(store.has_value());
    CHECK(store.error().kind == ErrorKind::input);
    INFO(store.error().message);
    CHECK(store.error().message.find(where) != std::string::npos);
    // Nothing was consolidated or removed.
    CHECK_FALSE(std::filesystem::exists(path + ".previous"));
    CHECK_FALSE(std::filesystem::exists(path + ".previous.tmp"));
}

TEST_CASE("report::ResumeStore ignores a last line cut short by a kill") {
    TempDir dir;
    SUBCASE("csv") {
        const auto path = dir.write("r.csv", std::string(csv_header) +
                                                 "\n1,2,ada@example.org,invited,201,usr_ada,1,\n"
                                                 "2,3,bob@example.org,invi");
        auto store = open_ok(path);
        REQUIRE(store.has_value());
        CHECK((*store)->size() == 1);
        CHECK((*store)->find("ada@example.org"));
    }
    SUBCASE("csv, cut inside a quoted cell") {
        const auto path = dir.write("r.csv", std::string(csv_header) +
                                                 "\n1,2,ada@example.org,invited,201,usr_ada,1,\n"
                                                 "2,3,bob@example.org,invited,201,\"usr,");
        auto store = open_ok(path);
        REQUIRE(store.has_value());
        CHECK((*store)->size() == 1);
    }
    SUBCASE("jsonl") {
        const auto path =
            dir.write("r.jsonl", R"({"row":1,"line":2,"email":"ada@example.org","status":"invited",)"
                                 R"("http_status":201,"user_id":"u","attempts":1,"error":null})"
                                 "\n"
                                 R"({"row":2,"line":3,"email":"bob@example.org","stat)");
        auto store = open_ok(path);
        REQUIRE(store.has_value());
        CHECK((*store)->size() == 1);
        CHECK((*store)->find("ada@example.org")->user_id == "u");
    }
}

TEST_CASE("report::ResumeStore indexes a long report and reads each outcome back") {
    TempDir dir;
    const auto path = dir.file("r.csv");
    constexpr std::uint64_t n = 20000;
    {
        auto writer = ReportWriter::create(path, Format::csv, ReportWriter::Flush::batched);
        REQUIRE(writer.has_value());
        for (std::uint64_t row = 1; row <= n; ++row) {
            const auto status = row % 4 == 0 ? Status::failed : Status::invited;
            (*writer)->write(make(row, "user" + std::to_string(row) + "@example.org", status,
                                  status == Status::invited ? "usr_" + std::to_string(row) : "", 201));
        }
        (*writer)->close();
    }
    auto store = open_ok(path);
    REQUIRE(store.has_value());
    auto& s = **store;
    CHECK(s.size() == n - n / 4);
    std::uint64_t found = 0;
    std::uint64_t wrong = 0;
    for (std::uint64_t row = 1; row <= n; ++row) {
        const auto outcome = s.find("USER" + std::to_string(row) + "@example.org");
        if (row % 4 == 0) {
            wrong += outcome.has_value();
            continue;
        }
        found += outcome.has_value();
        if (outcome && outcome->user_id != "usr_" + std::to_string(row))
            ++wrong;
    }
    CHECK(found == n - n / 4);
    CHECK(wrong == 0);
}

TEST_CASE("report::ResumeStore and OrderedReport: killed run, killed resume, then a full resume") {
    TempDir dir;
    const auto path = dir.file("r.csv");
    // Run 1: rows 1..6, row 2 still in flight when killed; rows 3 and 5 only in the journal.
    {
        auto report = OrderedReport::create(path, Format::csv);
        REQUIRE(report.has_value());
        (*report)->complete(make(1, "a@x.org", Status::invited, "u1", 201));
        (*report)->complete(make(3, "c@x.org", Status::invited, "u3", 201));
        (*report)->complete(make(5, "e@x.org", Status::failed, "", 503, 6, "retries exhausted"));
        (*report)->complete(make(4, "d@x.org", Status::exists, "u4", 409));
    }  // killed: no finish()
    REQUIRE(std::filesystem::exists(path + ".pending"));

    // Run 2 (--resume): carries a, c, d over; sends b; killed before anything else.
    {
        auto store = ResumeStore::open(path);
        REQUIRE(store.has_value());
        CHECK((*store)->size() == 3);
        CHECK_FALSE(std::filesystem::exists(path + ".pending"));
        auto report = OrderedReport::create(path, Format::csv);
        REQUIRE(report.has_value());
        const auto a = (*store)->find("a@x.org");
        REQUIRE(a);
        (*report)->complete(make(1, "a@x.org", a->status, a->user_id, a->http_status, a->attempts));
        (*report)->complete(make(2, "b@x.org", Status::invited, "u2", 201));
    }  // killed again: .previous still holds c and d, which the new report does not
    REQUIRE(std::filesystem::exists(path + ".previous"));

    // Run 3 (--resume): everything done so far is known.
    auto store = ResumeStore::open(path);
    REQUIRE(store.has_value());
    auto& s = **store;
    CHECK(s.size() == 4);
    for (const char* email : {"a@x.org", "b@x.org", "c@x.org", "d@x.org"}) {
        CAPTURE(email);
        CHECK(s.find(email));
    }
    CHECK(s.find("d@x.org")->status == Status::exists);
    CHECK_FALSE(s.find("e@x.org"));
    s.discard();
    CHECK_FALSE(std::filesystem::exists(path + ".previous"));
}

TEST_CASE("report::ResumeStore on a full disk: the merge throws, every earlier file stays as it was") {
    SmallFs fs(128 * 1024);
    SKIP_UNLESS_MOUNTED(fs);
    const auto path = fs.file("r.csv");
    std::vector<RowResult> reported, journaled, carried;
    for (std::uint64_t row = 1; row <= 300; ++row) {
        auto r = make(row, "user" + std::to_string(row) + "@example.org", Status::invited,
                      "usr_" + std::to_string(row), 201);
        (row <= 100 ? carried : (row <= 250 ? reported : journaled)).push_back(std::move(r));
    }
    write_report(path + ".previous", Format::jsonl, carried);
    write_report(path, Format::csv, reported);
    write_journal(path + ".pending", Format::csv, journaled);
    const auto before = std::vector<std::string>{read_file(path + ".previous"), read_file(path),
                                                 read_file(path + ".pending")};
    {
        // Fill the disk: the consolidated file cannot be written.
        std::ofstream filler(fs.file("filler"), std::ios::binary);
        const std::string block(4096, 'f');
        while (filler.write(block.data(), block.size()) && filler.flush()) {
        }
    }
    try {
        auto store = ResumeStore::open(path);
        FAIL("the merge succeeded on a full disk: ", (store ? "" : store.error().message));
    } catch (const AppError& e) {
        CHECK(e.kind() == ErrorKind::io);
        CHECK(std::string(e.what()).find("No space left on device") != std::string::npos);
    }
    CHECK(read_file(path + ".previous") == before[0]);
    CHECK(read_file(path) == before[1]);
    CHECK(read_file(path + ".pending") == before[2]);
    CHECK_FALSE(std::filesystem::exists(path + ".previous.tmp"));

    std::filesystem::remove(fs.file("filler"));  // room again: the merge is exact
    auto store = open_ok(path);
    REQUIRE(store.has_value());
    CHECK((*store)->size() == 300);
    for (const auto& list : {carried, reported, journaled}) {
        for (const auto& r : list) {
            const auto found = (*store)->find(r.email);
            REQUIRE(found.has_value());
            CHECK(found->user_id == r.user_id);
        }
    }
    CHECK_FALSE(std::filesystem::exists(path + ".pending"));
}

TEST_SUITE_END();
