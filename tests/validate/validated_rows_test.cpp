#include "avara_onboard/validate/validated_rows.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace avara;
using namespace avara::validate;
using avara::report::Status;

TEST_SUITE_BEGIN("validate");

TEST_CASE("validate::ValidatedRows marks later rows with the same email as duplicates of the first") {
    RosterMapping mapping;
    auto rows = ValidatedRows::open(
        read::CsvReader::from_string("email,first_name,last_name,clinic_role,level,can_manage_studies,"
                                     "has_dashboard_access\n"
                                     "a@b.org,A,B,Doctor,member,1,1\n"
                                     "x@b.org,X,,Doctor,member,1,1\n"
                                     "A@B.org,A,B,Doctor,member,1,1\n"
                                     "X@b.org,X,Y,Doctor,member,1,1\n"
                                     "a@b.org,A,B,Wizard,member,1,1\n"),
        mapping);
    REQUIRE(rows.has_value());
    ValidatedRow row;
    REQUIRE((*rows)->next(row));
    CHECK(row.status == Status::valid);
    REQUIRE((*rows)->next(row));
    CHECK(row.status == Status::invalid);
    REQUIRE((*rows)->next(row));
    CHECK(row.status == Status::duplicate);
    CHECK(row.email == "A@B.org");
    CHECK(row.error == "duplicate of row 1 (same email)");
    REQUIRE((*rows)->next(row));
    CHECK(row.status == Status::duplicate);
    CHECK(row.error == "duplicate of row 2 (same email)");
    REQUIRE((*rows)->next(row));
    CHECK(row.status == Status::invalid);
    CHECK(row.error.find("clinicRole") != std::string::npos);
    CHECK(row.error.find("also a duplicate of row 1") != std::string::npos);
    CHECK_FALSE((*rows)->next(row));
}

namespace {
// A roster of `rows` generated rows (row i has email u<i % distinct>@x.org) that fails to read after
// them when `fail` is set, as a disk error would.
class GeneratedRecords final : public read::RecordSource {
  public:
    GeneratedRecords(int rows, int distinct, bool fail, std::optional<std::uint64_t> total = 1000,
                     int* records_read = nullptr)
        : rows_(rows), distinct_(distinct), fail_(fail), total_(total), records_read_(records_read) {}
    bool next(read::CsvRecord& out) override {
        if (at_ > rows_) {
            if (fail_)
                throw AppError(ErrorKind::input, "cannot read 'gen': Input/output error");
            return false;
        }
        out.line = static_cast<std::uint64_t>(at_) + 1;
        out.error.reset();
        if (at_ == 0) {
            text_ = {"email", "first_name",         "last_name",           "clinic_role",
                     "level", "can_manage_studies", "has_dashboard_access"};
        } else {
            text_ = {
                "u" + std::to_string(at_ % distinct_) + "@x.org", "A", "B", "Doctor", "member", "1", "1"};
        }
        out.cells.assign(text_.begin(), text_.end());
        ++at_;
        if (records_read_ != nullptr)
            *records_read_ = at_;
        return true;
    }
    std::uint64_t bytes_consumed() const noexcept override { return 0; }
    std::optional<std::uint64_t> total_bytes() const noexcept override { return total_; }
    const std::string& name() const noexcept override { return name_; }

  private:
    int rows_;
    int distinct_;
    bool fail_;
    std::optional<std::uint64_t> total_;
    int* records_read_;
    int at_ = 0;
    std::vector<std::string> text_;
    std::string name_ = "gen";
};
}  // namespace

TEST_CASE("validate::ValidatedRows reads ahead, yet returns rows in order with every duplicate found") {
    RosterMapping mapping;
    auto rows = ValidatedRows::open(std::make_unique<GeneratedRecords>(100, 7, false), mapping);
    REQUIRE(rows.has_value());
    ValidatedRow copy;
    for (std::uint64_t i = 1; i <= 100; ++i) {
        CAPTURE(i);
        const ValidatedRow* row = nullptr;
        if (i % 2 == 0) {
            REQUIRE((*rows)->next(copy));
            row = &copy;
        } else {
            row = (*rows)->next();
            REQUIRE(row != nullptr);
        }
        CHECK(row->row == i);
        CHECK(row->email == "u" + std::to_string(i % 7) + "@x.org");
        if (i <= 7) {
            CHECK(row->status == Status::valid);
        } else {
            CHECK(row->status == Status::duplicate);
            CHECK(row->error ==
                  "duplicate of row " + std::to_string(i % 7 == 0 ? 7 : i % 7) + " (same email)");
        }
    }
    CHECK((*rows)->next() == nullptr);
    CHECK_FALSE((*rows)->next(copy));
}

TEST_CASE("validate::ValidatedRows reads a file ahead, but a pipe only as far as the row returned") {
    RosterMapping mapping;
    int file_reads = 0;
    auto file =
        ValidatedRows::open(std::make_unique<GeneratedRecords>(100, 7, false, 1000, &file_reads), mapping);
    REQUIRE(file.has_value());
    REQUIRE((*file)->next() != nullptr);
    CHECK(file_reads > 2);
    int pipe_reads = 0;
    auto pipe = ValidatedRows::open(
        std::make_unique<GeneratedRecords>(100, 7, false, std::nullopt, &pipe_reads), mapping);
    REQUIRE(pipe.has_value());
    for (int i = 1; i <= 10; ++i) {
        const auto* row = (*pipe)->next();
        REQUIRE(row != nullptr);
        CHECK(pipe_reads == i + 1);  // the header and the rows so far
        CHECK(row->status == (i <= 7 ? Status::valid : Status::duplicate));
    }
}

TEST_CASE("validate::ValidatedRows throws a read error only after the rows read before it") {
    RosterMapping mapping;
    auto rows = ValidatedRows::open(std::make_unique<GeneratedRecords>(20, 1000, true), mapping);
    REQUIRE(rows.has_value());
    for (std::uint64_t i = 1; i <= 20; ++i) {
        const auto* row = (*rows)->next();
        REQUIRE(row != nullptr);
        CHECK(row->row == i);
        CHECK(row->status == Status::valid);
    }
    CHECK_THROWS_AS((*rows)->next(), AppError);
    CHECK((*rows)->next() == nullptr);
}

TEST_SUITE_END();
