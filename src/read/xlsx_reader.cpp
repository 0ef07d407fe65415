#include "avara_onboard/read/xlsx_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "avara_onboard/read/xml_stream.hpp"
#include "avara_onboard/util/text.hpp"

namespace avara::read {

namespace {

constexpr std::size_t inflate_chunk = 1u << 14;

std::string size_text(std::uint64_t bytes) {
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
        return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes) + " bytes";
}

zip_t* as_zip(void* z) noexcept {
    return static_cast<zip_t*>(z);
}

Error input_error(std::string message) {
    return make_error(ErrorKind::input, std::move(message));
}

std::string zip_message(int code) {
    zip_error_t err;
    zip_error_init_with_code(&err, code);
    std::string out = zip_error_strerror(&err);
    zip_error_fini(&err);
    return out;
}

// Streams one part of the archive through `handler`, inflating at most `max_bytes`.
std::optional<std::string> parse_part(zip_t* zip, const std::string& part, XmlHandler& handler,
                                      std::uint64_t max_bytes) {
    zip_file_t* file = zip_fopen(zip, part.c_str(), 0);
    if (file == nullptr)
        return part + " cannot be read: " + zip_strerror(zip);
    XmlStream xml(handler);
    std::string buf(inflate_chunk, '\0');
    std::uint64_t total = 0;
    std::optional<std::string> error;
    for (;;) {
        const zip_int64_t n = zip_fread(file, buf.data(), buf.size());
        if (n < 0) {
            error = part + " cannot be inflated: " + zip_file_strerror(file);
            break;
        }
        total += static_cast<std::uint64_t>(n);
        if (total > max_bytes) {
            error = part + " inflates to more than " + size_text(max_bytes);
            break;
        }
        if (auto bad = xml.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)), n == 0)) {
            error = part + ": " + *bad;
            break;
        }
        if (n == 0)
            break;
    }
    zip_fclose(file);
    return error;
}

struct SheetEntry {
    std::string name, rel_id;
};

class WorkbookHandler final : public XmlHandler {
  public:
    std::vector<SheetEntry> sheets;
    void start(std::string_view name, const char** attrs) override {
        if (name != "sheet")
            return;
        sheets.push_back({std::string(XmlStream::attribute(attrs, "name").value_or("")),
                          std::string(XmlStream::attribute(attrs, "id").value_or(""))});
    }
    void end(std::string_view) override {}
    void text(std::string_view) override {}
};

class RelsHandler final : public XmlHandler {
  public:
    std::string wanted_id;
    std::optional<std::string> target;
    void start(std::string_view name, const char** attrs) override {
        if (name == "Relationship" && XmlStream::attribute(attrs, "Id") == std::string_view(wanted_id))
            target = std::string(XmlStream::attribute(attrs, "Target").value_or(""));
    }
    void end(std::string_view) override {}
    void text(std::string_view) override {}
};

// <si> items: plain <t>, or rich-text runs <r><t> joined; phonetic guides (<rPh>) left out.
class SharedStringsHandler final : public XmlHandler {
  public:
    explicit SharedStringsHandler(std::vector<std::string>& out) : out_(out) {}
    void start(std::string_view name, const char**) override {
        if (name == "si")
            out_.emplace_back();
        else if (name == "rPh")
            ++phonetic_;
        else if (name == "t")
            in_t_ = true;
    }
    void end(std::string_view name) override {
        if (name == "rPh")
            --phonetic_;
        else if (name == "t")
            in_t_ = false;
    }
    void text(std::string_view data) override {
        if (in_t_ && phonetic_ == 0 && !out_.empty())
            out_.back().append(data);
    }

  private:
    std::vector<std::string>& out_;
    int phonetic_ = 0;
    bool in_t_ = false;
};

// "xl/worksheets/sheet1.xml" from a relationship's target (relative to xl/, or absolute).
std::string part_of_target(std::string_view target) {
    if (!target.empty() && target.front() == '/')
        return std::string(target.substr(1));
    return "xl/" + std::string(target);
}

// Column index (A = 0) of a cell reference like "C5"; nothing when it has no valid letters.
std::optional<std::size_t> column_of_ref(std::string_view ref, std::size_t max_columns) noexcept {
    std::size_t col = 0;
    std::size_t letters = 0;
    for (char c : ref) {
        if (c < 'A' || c > 'Z')
            break;
        col = col * 26 + static_cast<std::size_t>(c - 'A' + 1);
        if (++letters > 3)
            return std::nullopt;
    }
    if (letters == 0 || col > max_columns)
        return std::nullopt;
    return col - 1;
}

}  // namespace

// A number as the sheet holds it, except that an integral value is written in full digits
// ("5.551234567E9" and "5551234567.0" become "5551234567"), as a spreadsheet shows it.
std::string number_as_written(std::string_view v) {
    const bool plain = !v.empty() && v.find_first_not_of("-0123456789") == std::string_view::npos;
    if (plain)
        return std::string(v);
    double x = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (ec != std::errc() || end != v.data() + v.size() || !std::isfinite(x) || x != std::floor(x) ||
        std::fabs(x) >= 9.0e15) {
        return std::string(v);  // fractional, or beyond the integers a double holds exactly
    }
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(x));
    return std::string(buf, res.ptr);
}

class XlsxReader::SheetParser final : public XmlHandler {
  public:
    SheetParser(const std::vector<std::string>& shared, const XlsxLimits& limits, std::deque<Row>& out)
        : shared_(shared), limits_(limits), out_(out) {}

    void start(std::string_view name, const char** attrs) override {
        if (name == "sheetData") {
            in_data_ = true;
        } else if (!in_data_) {
            return;
        } else if (name == "row") {
            start_row(attrs);
        } else if (name == "c") {
            start_cell(attrs);
        } else if (name == "v") {
            in_v_ = true;
        } else if (name == "t") {
            in_t_ = true;
        } else if (name == "rPh") {
            ++phonetic_;
        }
    }
    void end(std::string_view name) override {
        if (name == "sheetData") {
            in_data_ = false;
        } else if (name == "row" && in_data_) {
            out_.push_back(std::move(row_));
            row_ = Row{};
        } else if (name == "c" && in_data_) {
            end_cell();
        } else if (name == "v") {
            in_v_ = false;
        } else if (name == "t") {
            in_t_ = false;
        } else if (name == "rPh") {
            --phonetic_;
        }
    }
    void text(std::string_view data) override {
        const bool wanted = in_v_ || (in_t_ && type_ == "inlineStr" && phonetic_ == 0);
        if (!wanted || row_.error)
            return;
        if (value_.size() + data.size() > limits_.max_record_bytes) {
            over_limit();
            return;
        }
        value_.append(data);
    }

  private:
    void start_row(const char** attrs) {
        row_ = Row{};
        row_bytes_ = 0;
        next_col_ = 0;
        std::uint64_t number = last_row_ + 1;
        if (auto r = XmlStream::attribute(attrs, "r")) {
            std::uint64_t parsed = 0;
            const auto [p, ec] = std::from_chars(r->data(), r->data() + r->size(), parsed);
            if (ec == std::errc() && p == r->data() + r->size() && parsed > last_row_)
                number = parsed;
        }
        row_.number = last_row_ = number;
    }
    void start_cell(const char** attrs) {
        value_.clear();
        type_ = std::string(XmlStream::attribute(attrs, "t").value_or("n"));
        col_ = next_col_;
        if (auto r = XmlStream::attribute(attrs, "r")) {
            if (auto c = column_of_ref(*r, limits_.max_columns))
                col_ = *c;
        }
        next_col_ = col_ + 1;
    }
    void end_cell() {
        if (row_.error || col_ >= limits_.max_columns)
            return;
        std::string value = resolve();
        if (value.empty())
            return;
        row_bytes_ += value.size() + 1;
        if (row_bytes_ > limits_.max_record_bytes) {
            over_limit();
            return;
        }
        if (row_.cells.size() <= col_)
            row_.cells.resize(col_ + 1);
        row_.cells[col_] = std::move(value);
    }
    std::string resolve() {
        if (type_ == "s") {
            std::size_t index = 0;
            const auto [p, ec] = std::from_chars(value_.data(), value_.data() + value_.size(), index);
            if (ec != std::errc() || p != value_.data() + value_.size() || index >= shared_.size()) {
                row_.error = "column " + column_letters(col_) + ": shared string '" + value_.substr(0, 20) +
                             "' is missing from the workbook";
                row_.cells.clear();
                return {};
            }
            return shared_[index];
        }
        if (type_ == "b")
            return value_ == "1" ? "true" : value_ == "0" ? "false" : value_;
        if (type_ == "n")
            return number_as_written(value_);
        return value_;  // str (a formula's text), inlineStr, e (#N/A), d (an ISO date)
    }
    void over_limit() {
        row_.error = "record is over " + size_text(limits_.max_record_bytes);
        row_.cells.clear();
    }
    const std::vector<std::string>& shared_;
    const XlsxLimits& limits_;
    std::deque<Row>& out_;
    Row row_;
    std::string value_, type_;
    std::size_t col_ = 0, next_col_ = 0, row_bytes_ = 0;
    std::uint64_t last_row_ = 0;
    int phonetic_ = 0;
    bool in_data_ = false, in_v_ = false, in_t_ = false;
};

XlsxReader::XlsxReader(std::string name, const XlsxLimits& limits)
    : name_(std::move(name)), limits_(limits) {}

XlsxReader::~XlsxReader() {
    if (file_ != nullptr)
        zip_fclose(static_cast<zip_file_t*>(file_));
    if (zip_ != nullptr)
        zip_discard(as_zip(zip_));
}

namespace {

// A zip is read from its end, so a pipe is first copied to an unlinked temporary file.
Result<int> spool_to_temp(int fd, const std::string& head, const std::string& name) {
    const char* dir = std::getenv("TMPDIR");
    std::string path = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/avara-xlsx-XXXXXX";
    const int tmp = ::mkstemp(path.data());
    if (tmp < 0) {
        const int err = errno;
        ::close(fd);
        return input_error(
            name + ": cannot make a temporary copy of the workbook: " + std::system_category().message(err));
    }
    ::unlink(path.c_str());
    std::string buf = head;
    bool ok = true;
    for (;;) {
        if (!buf.empty() && ::write(tmp, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())) {
            ok = false;
            break;
        }
        buf.resize(inflate_chunk * 4);
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) {
            buf.clear();
            continue;
        }
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        buf.resize(static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (!ok || ::lseek(tmp, 0, SEEK_SET) != 0) {
        ::close(tmp);
        return input_error(name + ": cannot copy the workbook from standard input to a temporary file");
    }
    return tmp;
}

}  // namespace

Result<std::unique_ptr<XlsxReader>> XlsxReader::open(int fd, std::string head, std::string name,
                                                     const std::optional<std::string>& sheet,
                                                     const XlsxLimits& limits) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::lseek(fd, 0, SEEK_SET) == 0) {
        head.clear();
    } else {
        auto tmp = spool_to_temp(fd, head, name);
        if (!tmp)
            return tmp.error();
        fd = *tmp;
    }
    int code = 0;
    zip_t* zip = zip_fdopen(fd, ZIP_RDONLY, &code);
    if (zip == nullptr) {
        ::close(fd);
        return input_error(name +
                           ": starts like a zip archive (an .xlsx workbook) but cannot be read as one: " +
                           zip_message(code));
    }
    return open_archive(zip, std::move(name), sheet, limits);
}

Result<std::unique_ptr<XlsxReader>> XlsxReader::from_bytes(std::string bytes, std::string name,
                                                           const std::optional<std::string>& sheet,
                                                           const XlsxLimits& limits) {
    std::unique_ptr<XlsxReader> reader(new XlsxReader(std::move(name), limits));
    reader->bytes_ = std::move(bytes);
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(reader->bytes_.data(), reader->bytes_.size(), 0, &err);
    zip_t* zip = src != nullptr ? zip_open_from_source(src, ZIP_RDONLY, &err) : nullptr;
    if (zip == nullptr) {
        std::string why = zip_error_strerror(&err);
        zip_error_fini(&err);
        if (src != nullptr)
            zip_source_free(src);
        return input_error(reader->name_ + ": cannot be read as a zip archive (an .xlsx workbook): " + why);
    }
    zip_error_fini(&err);
    reader->zip_ = zip;
    if (auto loaded = reader->load(sheet); !loaded)
        return loaded.error();
    return reader;
}

Result<std::unique_ptr<XlsxReader>> XlsxReader::open_archive(void* archive, std::string name,
                                                             const std::optional<std::string>& sheet,
                                                             const XlsxLimits& limits) {
    std::unique_ptr<XlsxReader> reader(new XlsxReader(std::move(name), limits));
    reader->zip_ = archive;
    if (auto loaded = reader->load(sheet); !loaded)
        return loaded.error();
    return reader;
}

namespace {

std::string sheet_list(const std::vector<SheetEntry>& sheets) {
    std::string out;
    for (const auto& s : sheets)
        out += (out.empty() ? "'" : ", '") + s.name + "'";
    return out;
}

Result<SheetEntry> choose_sheet(const std::vector<SheetEntry>& sheets,
                                const std::optional<std::string>& wanted, const std::string& name) {
    if (sheets.empty())
        return input_error(name + ": the workbook lists no worksheet");
    if (!wanted)
        return sheets.front();
    for (const auto& s : sheets) {
        if (s.name == *wanted)
            return s;
    }
    for (const auto& s : sheets) {
        if (text::iequals(s.name, *wanted))
            return s;
    }
    return make_error(ErrorKind::usage, name + ": the workbook has no sheet '" + *wanted +
                                            "' (its sheets: " + sheet_list(sheets) + ")");
}

// The worksheet part a sheet entry names, through the workbook's relationships.
Result<std::string> sheet_part(zip_t* zip, const SheetEntry& sheet, const std::string& name,
                               std::uint64_t max_bytes) {
    RelsHandler rels;
    rels.wanted_id = sheet.rel_id;
    if (auto bad = parse_part(zip, "xl/_rels/workbook.xml.rels", rels, max_bytes))
        return input_error(name + ": not a readable workbook: " + *bad);
    if (!rels.target || rels.target->empty())
        return input_error(name + ": the workbook does not say where sheet '" + sheet.name + "' is");
    return part_of_target(*rels.target);
}

}  // namespace

Result<void> XlsxReader::load(const std::optional<std::string>& sheet) {
    zip_t* zip = as_zip(zip_);
    if (zip_name_locate(zip, "xl/workbook.xml", 0) < 0) {
        return input_error(name_ +
                           ": is a zip archive but not an Excel workbook (it has no xl/workbook.xml)");
    }
    WorkbookHandler workbook;
    if (auto bad = parse_part(zip, "xl/workbook.xml", workbook, limits_.max_part_bytes))
        return input_error(name_ + ": not a readable workbook: " + *bad);
    auto chosen = choose_sheet(workbook.sheets, sheet, name_);
    if (!chosen)
        return chosen.error();
    sheet_name_ = chosen->name;
    auto part = sheet_part(zip, *chosen, name_, limits_.max_part_bytes);
    if (!part)
        return part.error();
    if (zip_name_locate(zip, "xl/sharedStrings.xml", 0) >= 0) {
        SharedStringsHandler strings(shared_);
        if (auto bad = parse_part(zip, "xl/sharedStrings.xml", strings, limits_.max_part_bytes))
            return input_error(name_ + ": not a readable workbook: " + *bad);
    }
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(zip, part->c_str(), 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE) != 0)
        sheet_size_ = st.size;
    file_ = zip_fopen(zip, part->c_str(), 0);
    if (file_ == nullptr)
        return input_error(name_ + ": sheet '" + sheet_name_ + "' (" + *part +
                           ") cannot be read: " + zip_strerror(zip));
    parser_ = std::make_unique<SheetParser>(shared_, limits_, ready_);
    xml_ = std::make_unique<XmlStream>(*parser_);
    return {};
}

// Inflates and parses the next piece of the sheet. False once the sheet is done.
bool XlsxReader::pump() {
    if (done_)
        return false;
    auto* file = static_cast<zip_file_t*>(file_);
    std::string buf(inflate_chunk, '\0');
    const zip_int64_t n = zip_fread(file, buf.data(), buf.size());
    std::optional<std::string> error;
    if (n < 0) {
        error = "the sheet cannot be inflated: " + std::string(zip_file_strerror(file));
    } else {
        inflated_ += static_cast<std::uint64_t>(n);
        if (inflated_ > limits_.max_sheet_bytes)
            error = "the sheet inflates to more than " + size_text(limits_.max_sheet_bytes);
        else
            error = xml_->feed(std::string_view(buf.data(), static_cast<std::size_t>(n)), n == 0);
    }
    if (error) {
        Row broken;
        broken.number = (ready_.empty() ? current_.number : ready_.back().number) + 1;
        broken.error = "the workbook is broken here, reading stops: " + *error;
        ready_.push_back(std::move(broken));
    }
    done_ = n <= 0 || error.has_value();
    return true;
}

// Trims and pads a row to the header's width; a value beyond the header is an error. False for a
// row with no value at all, which is skipped like a blank line.
bool XlsxReader::shape(Row& row) {
    while (!row.cells.empty() && row.cells.back().empty())
        row.cells.pop_back();
    if (row.cells.empty())
        return false;
    if (!header_seen_) {
        header_width_ = row.cells.size();
        return true;
    }
    if (row.cells.size() > header_width_) {
        row.error = "has a value in column " + column_letters(row.cells.size() - 1) +
                    ", beyond the header's " + std::to_string(header_width_) + " columns";
        row.cells.clear();
        return true;
    }
    row.cells.resize(header_width_);
    return true;
}

bool XlsxReader::next(CsvRecord& out) {
    for (;;) {
        while (ready_.empty()) {
            if (!pump())
                return false;
        }
        current_ = std::move(ready_.front());
        ready_.pop_front();
        if (!current_.error && !shape(current_))
            continue;
        out.line = current_.number;
        out.error = current_.error;
        out.cells.assign(current_.cells.begin(), current_.cells.end());
        if (out.error)
            out.cells.clear();
        header_seen_ = true;
        return true;
    }
}

}  // namespace avara::read
