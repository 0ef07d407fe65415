#pragma once
// Builds .xlsx workbooks in memory (libzip) for the workbook reader's tests and fuzzer: the parts a
// spreadsheet program writes, with the sheet XML (and shared strings) given by the caller.
#include <zip.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace avara::test {

using Parts = std::vector<std::pair<std::string, std::string>>;

// A zip archive holding `parts` (name, content), deflated.
inline std::string make_zip(const Parts& parts) {
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &err);
    zip_source_keep(src);
    zip_t* za = zip_open_from_source(src, ZIP_TRUNCATE, &err);
    if (za == nullptr)
        throw std::runtime_error("make_zip: cannot open");
    for (const auto& [name, content] : parts) {
        zip_source_t* s = zip_source_buffer(za, content.data(), content.size(), 0);
        if (s == nullptr || zip_file_add(za, name.c_str(), s, ZIP_FL_OVERWRITE) < 0)
            throw std::runtime_error("make_zip: cannot add " + name);
    }
    if (zip_close(za) != 0)
        throw std::runtime_error("make_zip: cannot close");
    std::string out;
    if (zip_source_open(src) == 0) {
        zip_source_seek(src, 0, SEEK_END);
        out.resize(static_cast<std::size_t>(zip_source_tell(src)));
        zip_source_seek(src, 0, SEEK_SET);
        zip_source_read(src, out.data(), out.size());
        zip_source_close(src);
    }
    zip_source_free(src);
    zip_error_fini(&err);
    return out;
}

inline std::string sheet_xml(const std::string& rows) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
           "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
           "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
           "<sheetData>" +
           rows + "</sheetData></worksheet>";
}

inline std::string shared_strings_xml(const std::vector<std::string>& items) {
    std::string out =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">";
    for (const auto& s : items)
        out += "<si><t>" + s + "</t></si>";
    return out + "</sst>";
}

// A workbook with the given sheets (name, sheet XML), in order, and optional shared strings.
inline std::string make_workbook(const std::vector<std::pair<std::string, std::string>>& sheets,
                                 const std::string& shared_strings = {}) {
    std::string workbook =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
        "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>";
    std::string rels =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">";
    Parts parts;
    for (std::size_t i = 0; i < sheets.size(); ++i) {
        const std::string n = std::to_string(i + 1);
        workbook += "<sheet name=\"" + sheets[i].first + "\" sheetId=\"" + n + "\" r:id=\"rId" + n + "\"/>";
        rels += "<Relationship Id=\"rId" + n +
                "\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" "
                "Target=\"worksheets/sheet" +
                n + ".xml\"/>";
        parts.emplace_back("xl/worksheets/sheet" + n + ".xml", sheets[i].second);
    }
    parts.emplace_back("xl/workbook.xml", workbook + "</sheets></workbook>");
    parts.emplace_back("xl/_rels/workbook.xml.rels", rels + "</Relationships>");
    if (!shared_strings.empty())
        parts.emplace_back("xl/sharedStrings.xml", shared_strings);
    parts.emplace_back("[Content_Types].xml", "<Types/>");
    return make_zip(parts);
}

}  // namespace avara::test
