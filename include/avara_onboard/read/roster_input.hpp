#pragma once
// Opens a roster as a record stream, whatever the administrator has: a file or standard input
// ("-"), CSV with any of the four separators, UTF-8, UTF-16 with a BOM or any encoding iconv knows,
// or an .xlsx workbook (taken for one by its content, whatever its name). What none of these can be
// (an .xls, a PDF, a binary file) is refused here, before a row is read, saying what it looks like.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "avara_onboard/read/csv_reader.hpp"
#include "avara_onboard/read/record_source.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::read {

struct ReadOptions {
    std::optional<char> delimiter;        // nothing: detected from the header line
    std::optional<std::string> encoding;  // nothing: UTF-8, or UTF-16 when the file starts with its BOM
    std::optional<std::string> sheet;     // an .xlsx roster's worksheet; nothing: the first
    std::size_t max_record_bytes = default_max_record_bytes;
};

// The name a path is given in messages: the path, or "standard input" for "-".
std::string display_name(const std::string& path);

// `names_column` tells the separator detection which header cells name a column it knows.
// Errors: ErrorKind::input (cannot open, a refused kind, a broken workbook), ErrorKind::usage (an
// encoding iconv does not know, a sheet the workbook lacks).
Result<std::unique_ptr<RecordSource>> open_records(const std::string& path, const ReadOptions& options,
                                                   std::function<bool(std::string_view)> names_column);

}  // namespace avara::read
