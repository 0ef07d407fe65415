#pragma once
// A hardened, streaming expat parser for the XML parts of a workbook: namespaces resolved to local
// names, any DTD refused (so no entity is ever declared, let alone expanded), and the input fed in
// pieces so a document of any size parses in fixed memory.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace avara::read {

class XmlHandler {
  public:
    virtual ~XmlHandler() = default;
    // `name` is the local name (no namespace); `attrs` alternates local names and values, ends in null.
    virtual void start(std::string_view name, const char** attrs) = 0;
    virtual void end(std::string_view name) = 0;
    virtual void text(std::string_view data) = 0;
};

class XmlStream {
  public:
    explicit XmlStream(XmlHandler& handler);
    ~XmlStream();
    XmlStream(const XmlStream&) = delete;
    XmlStream& operator=(const XmlStream&) = delete;

    // Feeds the next piece (`last` for the final one, which may be empty). Returns the error, if any:
    // "line 3: not well-formed (invalid token)", "a DTD is not allowed in a workbook".
    std::optional<std::string> feed(std::string_view data, bool last);

    // The value of attribute `name` in `attrs`, or nothing.
    static std::optional<std::string_view> attribute(const char** attrs, std::string_view name) noexcept;

  private:
    void* parser_;
    XmlHandler& handler_;
    bool refused_dtd_ = false;

    static void on_start(void* self, const char* name, const char** attrs);
    static void on_end(void* self, const char* name);
    static void on_text(void* self, const char* data, int len);
    static void on_doctype(void* self, const char*, const char*, const char*, int);
};

}  // namespace avara::read
