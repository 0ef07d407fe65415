#pragma once
// Every record of a stream as "line:[a][b]" or "line:!error", one a line, so an expectation reads
// like the input and a failure shows the whole parse.
#include <string>

#include "avara_onboard/read/record_source.hpp"

namespace avara::test {

inline std::string dump(read::RecordSource& source) {
    std::string out;
    read::CsvRecord rec;
    while (source.next(rec)) {
        out += std::to_string(rec.line) + ":";
        if (rec.error)
            out += "!" + *rec.error;
        for (auto c : rec.cells)
            out += "[" + std::string(c) + "]";
        out += "\n";
    }
    return out;
}

}  // namespace avara::test
