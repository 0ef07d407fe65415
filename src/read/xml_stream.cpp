#include "avara_onboard/read/xml_stream.hpp"

#include <expat.h>

#include <climits>
#include <cstring>

#include "avara_onboard/util/error.hpp"

namespace avara::read {

namespace {

XML_Parser as_parser(void* p) noexcept {
    return static_cast<XML_Parser>(p);
}

// "http://...main|row" -> "row"; names without a namespace are unchanged.
std::string_view local_name(const char* name) noexcept {
    const char* bar = std::strrchr(name, '|');
    return bar != nullptr ? std::string_view(bar + 1) : std::string_view(name);
}

}  // namespace

XmlStream::XmlStream(XmlHandler& handler) : parser_(XML_ParserCreateNS(nullptr, '|')), handler_(handler) {
    if (parser_ == nullptr)
        throw AppError(ErrorKind::internal, "expat: cannot create a parser");
    XML_Parser p = as_parser(parser_);
    XML_SetUserData(p, this);
    XML_SetElementHandler(p, &XmlStream::on_start, &XmlStream::on_end);
    XML_SetCharacterDataHandler(p, &XmlStream::on_text);
    XML_SetStartDoctypeDeclHandler(p, &XmlStream::on_doctype);
    XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
}

XmlStream::~XmlStream() {
    XML_ParserFree(as_parser(parser_));
}

std::optional<std::string> XmlStream::feed(std::string_view data, bool last) {
    XML_Parser p = as_parser(parser_);
    while (!data.empty() || last) {
        const std::size_t piece = std::min<std::size_t>(data.size(), INT_MAX / 2);
        if (XML_Parse(p, data.data(), static_cast<int>(piece), last && piece == data.size() ? 1 : 0) !=
            XML_STATUS_OK) {
            if (refused_dtd_)
                return std::string("a DTD is not allowed in a workbook");
            return "line " + std::to_string(XML_GetCurrentLineNumber(p)) + ": " +
                   XML_ErrorString(XML_GetErrorCode(p));
        }
        data.remove_prefix(piece);
        if (data.empty())
            break;
    }
    return std::nullopt;
}

std::optional<std::string_view> XmlStream::attribute(const char** attrs, std::string_view name) noexcept {
    for (; attrs[0] != nullptr; attrs += 2) {
        if (local_name(attrs[0]) == name)
            return std::string_view(attrs[1]);
    }
    return std::nullopt;
}

void XmlStream::on_start(void* self, const char* name, const char** attrs) {
    static_cast<XmlStream*>(self)->handler_.start(local_name(name), attrs);
}

void XmlStream::on_end(void* self, const char* name) {
    static_cast<XmlStream*>(self)->handler_.end(local_name(name));
}

void XmlStream::on_text(void* self, const char* data, int len) {
    static_cast<XmlStream*>(self)->handler_.text(std::string_view(data, static_cast<std::size_t>(len)));
}

// A DTD is where entities are declared; a workbook never needs one, so none is parsed at all.
void XmlStream::on_doctype(void* self, const char*, const char*, const char*, int) {
    auto* stream = static_cast<XmlStream*>(self);
    stream->refused_dtd_ = true;
    XML_StopParser(as_parser(stream->parser_), XML_FALSE);
}

}  // namespace avara::read
