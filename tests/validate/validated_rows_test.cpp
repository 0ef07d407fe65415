#include "avara_onboard/validate/validated_rows.hpp"

#include <doctest/doctest.h>

#include <memory>
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
    GeneratedRecords(int rows, int distinct, bool fail) : rows_(rows), distinct_(distinct), fail_(fail) {}
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
        return true;
    }
    std::uint64_t bytes_consumed() const noexcept override { return 0; }
    std::optional<std::uint64_t> total_bytes() const noexcept override { return std::nullopt; }
    const std::string& name() const noexcept override { return name_; }

  private:
    int rows_;
    int distinct_;
    bool fail_;
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
