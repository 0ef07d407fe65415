#include "avara_onboard/read/csv_reader.hpp"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <system_error>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace avara::read {
namespace {

constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

std::size_t saturating_add(std::size_t a, std::size_t b) noexcept {
    return a > npos - b ? npos : a + b;
}

std::string system_message(int err) {
    return std::system_category().message(err);
}

std::string over_limit_message(std::size_t max) {
    constexpr std::size_t mib = 1u << 20;
    constexpr std::size_t kib = 1u << 10;
    if (max >= mib && max % mib == 0) {
        return "record is over " + std::to_string(max / mib) + " MiB";
    }
    if (max >= kib && max % kib == 0) {
        return "record is over " + std::to_string(max / kib) + " KiB";
    }
    return "record is over " + std::to_string(max) + " bytes";
}

bool is_blank(const char* p, const char* end) noexcept {
    for (; p != end; ++p) {
        if (*p != ' ' && *p != '\t') {
            return false;
        }
    }
    return true;
}

// Rewrites a quoted cell's content in place: "" becomes ", CRLF becomes LF. Output is never longer
// than input, and the record is complete by then, so nothing still to be scanned is overwritten.
std::size_t unescape_in_place(char* begin, char* end) noexcept {
    char* w = begin;
    for (const char* r = begin; r != end;) {
        const char c = *r++;
        if (c == '"' && r != end && *r == '"') {
            ++r;
        } else if (c == '\r' && r != end && *r == '\n') {
            continue;
        }
        *w++ = c;
    }
    return static_cast<std::size_t>(w - begin);
}

// Skips an unquoted field's bytes, or the junk after a closing quote: up to the delimiter, the LF or
// the limit.
[[gnu::always_inline]] inline const char* skip_field(const char* p, const char* limit, char delim) noexcept {
    while (p != limit && *p != delim && *p != '\n') {
        ++p;
    }
    return p;
}

// Junk after a closing quote: the record is broken at its first such field (1-based), counted from
// the fields so far.
[[gnu::always_inline]] inline void note_garbage(std::size_t& garbage_field,
                                                std::size_t fields_so_far) noexcept {
    if (garbage_field == 0) {
        garbage_field = fields_so_far + 1;
    }
}

// Inside quotes: counts the line breaks in [p, stop), up to the closing quote or the limit, noting
// the record's first (as an offset from `base`) and whether one is a CRLF, which the cell's unescaping
// rewrites. Inlined, so the counters stay in the state machine's registers.
[[gnu::always_inline]] inline void count_quoted_lfs(const char* p, const char* stop, const char* base,
                                                    std::size_t& first_lf, std::uint64_t& lfs,
                                                    bool& unescape) noexcept {
    for (;;) {
        const void* lf = std::memchr(p, '\n', static_cast<std::size_t>(stop - p));
        if (lf == nullptr)
            return;
        p = static_cast<const char*>(lf);
        if (first_lf == npos)
            first_lf = static_cast<std::size_t>(p - base);
        ++lfs;
        // p > base: a quoted field's content starts after its opening quote.
        if (p[-1] == '\r')
            unescape = true;
        ++p;
    }
}

}  // namespace

CsvReader::CsvReader(int fd, std::string name, std::string data, std::size_t max_record_bytes,
                     std::size_t read_chunk_bytes)
    : fd_(fd),
      name_(std::move(name)),
      source_(std::move(data)),
      max_record_(max_record_bytes),
      chunk_(std::max<std::size_t>(1, read_chunk_bytes)),
      over_limit_message_(over_limit_message(max_record_bytes)) {}

CsvReader::~CsvReader() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

Result<std::unique_ptr<CsvReader>> CsvReader::open(const std::string& path, std::size_t max_record_bytes,
                                                   std::size_t read_chunk_bytes) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        return make_error(ErrorKind::input, "cannot open '" + path + "': " + system_message(err));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return make_error(ErrorKind::input, "cannot open '" + path + "': " + system_message(err));
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        return make_error(ErrorKind::input, "cannot read '" + path + "': it is a directory");
    }
    std::unique_ptr<CsvReader> reader(new CsvReader(fd, path, {}, max_record_bytes, read_chunk_bytes));
    if (S_ISREG(st.st_mode)) {
        reader->total_ = static_cast<std::uint64_t>(st.st_size);
        // Advisory only: a failure changes nothing but read-ahead.
        (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    return reader;
}

std::unique_ptr<CsvReader> CsvReader::from_fd(int fd, std::string name, std::size_t max_record_bytes,
                                              std::size_t read_chunk_bytes) {
    if (fd < 0) {
        throw AppError(ErrorKind::internal, "CsvReader::from_fd: no file descriptor for " + name);
    }
    std::unique_ptr<CsvReader> reader(
        new CsvReader(fd, std::move(name), {}, max_record_bytes, read_chunk_bytes));
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        reader->total_ = static_cast<std::uint64_t>(st.st_size);
    }
    return reader;
}

std::unique_ptr<CsvReader> CsvReader::from_source(std::unique_ptr<ByteSource> source, std::string name,
                                                  std::optional<std::uint64_t> total_bytes,
                                                  std::size_t max_record_bytes,
                                                  std::size_t read_chunk_bytes) {
    std::unique_ptr<CsvReader> reader(
        new CsvReader(-1, std::move(name), {}, max_record_bytes, read_chunk_bytes));
    reader->input_ = std::move(source);
    reader->total_ = total_bytes;
    return reader;
}

std::unique_ptr<CsvReader> CsvReader::from_string(std::string data, std::size_t max_record_bytes,
                                                  std::size_t read_chunk_bytes) {
    const auto size = data.size();
    std::unique_ptr<CsvReader> reader(
        new CsvReader(-1, "<string>", std::move(data), max_record_bytes, read_chunk_bytes));
    reader->total_ = size;
    return reader;
}

std::size_t CsvReader::read_some(char* dst, std::size_t len) {
    if (input_) {
        return input_->read(dst, std::min(len, chunk_));
    }
    if (fd_ < 0) {
        const std::size_t n = std::min({len, chunk_, source_.size() - source_pos_});
        if (n == 0)
            return 0;
        std::memcpy(dst, source_.data() + source_pos_, n);
        source_pos_ += n;
        return n;
    }
    for (;;) {
        const ssize_t n = ::read(fd_, dst, len);
        if (n >= 0) {
            return static_cast<std::size_t>(n);
        }
        if (errno != EINTR) {
            const int err = errno;
            throw AppError(ErrorKind::input, "cannot read '" + name_ + "': " + system_message(err));
        }
    }
}

// Appends input after tail_, first moving the unconsumed bytes (the record in progress) to the front.
// The buffer grows only when that record leaves too little room, and never past what a record of
// max_record_ bytes plus one read needs. Returns false at end of input.
bool CsvReader::fill() {
    if (eof_) {
        return false;
    }
    if (head_ > 0) {
        std::memmove(buf_.get(), buf_.get() + head_, tail_ - head_);
        for (std::size_t* offset : {&utf8_from_, &utf8_to_, &utf8_checked_})
            *offset = *offset > head_ ? *offset - head_ : 0;
        base_offset_ += head_;
        tail_ -= head_;
        head_ = 0;
    }
    if (cap_ - tail_ < std::max<std::size_t>(1, chunk_ / 4)) {
        const std::size_t hard_cap = saturating_add(saturating_add(max_record_, 2), chunk_);
        const std::size_t want = std::max(saturating_add(cap_, cap_), saturating_add(tail_, chunk_));
        const std::size_t new_cap = std::max(std::min(want, hard_cap), tail_ + 1);
        std::unique_ptr<char[]> bigger(new char[new_cap]);
        if (tail_ > 0) {
            std::memcpy(bigger.get(), buf_.get(), tail_);
        }
        buf_ = std::move(bigger);
        cap_ = new_cap;
    }
    const std::size_t n = read_some(buf_.get() + tail_, cap_ - tail_);
    if (n == 0) {
        eof_ = true;
        return false;
    }
    tail_ += n;
    return true;
}

void CsvReader::skip_bom() {
    bom_checked_ = true;
    while (tail_ - head_ < 3 && fill()) {
    }
    if (tail_ - head_ >= 3 && std::memcmp(buf_.get() + head_, "\xEF\xBB\xBF", 3) == 0) {
        head_ += 3;
    }
}

void CsvReader::detect_delimiter() {
    auto detect = std::move(detect_);
    detect_ = nullptr;
    for (;;) {
        const char* begin = buf_.get() + head_;
        const std::size_t held = tail_ - head_;
        const void* lf = held > 0 ? std::memchr(begin, '\n', held) : nullptr;
        if (lf != nullptr || held >= max_record_ || !fill()) {
            const std::size_t len = lf != nullptr
                                        ? static_cast<std::size_t>(static_cast<const char*>(lf) - begin)
                                        : std::min(tail_ - head_, max_record_);
            delim_ = detect(std::string_view(buf_.get() + head_, len));
            return;
        }
    }
}

bool CsvReader::discard_rest_of_line() {
    for (;;) {
        const char* begin = buf_.get() + head_;
        const void* lf = tail_ > head_ ? std::memchr(begin, '\n', tail_ - head_) : nullptr;
        if (lf != nullptr) {
            head_ += static_cast<std::size_t>(static_cast<const char*>(lf) - begin) + 1;
            ++line_;
            skip_to_lf_ = false;
            return true;
        }
        head_ = tail_;
        if (!fill()) {
            skip_to_lf_ = false;
            return false;
        }
    }
}

bool CsvReader::next(CsvRecord& out) {
    // out.cells is resized, not cleared, by emit_at: most records have as many cells as the last.
    out.error.reset();
    out.known_utf8 = false;
    if (!bom_checked_) {
        skip_bom();
        if (detect_) {
            detect_delimiter();
        }
    }
    for (;;) {
        if ((skip_to_lf_ && !discard_rest_of_line()) || (head_ == tail_ && !fill())) {
            out.cells.clear();
            return false;
        }
        if (scan_record(out)) {
            if (out.error) {
                out.cells.clear();
            }
            return true;
        }
    }
}

// The fast path for the common record: no quotes at all, and wholly in the buffer. Finds its commas
// 16 bytes at a time (only their offsets are kept: the cells lie between them) and returns true
// with `lf_at` at the record's line break; returns false for anything else, which the state
// machine in scan_record then handles.
bool CsvReader::scan_simple(std::size_t scan_cap, std::size_t& lf_at) {
    const char* const base = buf_.get() + head_;
    const char* const limit = base + std::min(tail_ - head_, scan_cap);
    const char* p = base;
    std::size_t n = 0;  // commas written; room for 16 more is made before each block
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(delim_);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i newline = _mm_set1_epi8('\n');
    while (limit - p >= 16) {
        if (commas_.size() - n < 16)
            commas_.resize(std::max<std::size_t>(32, commas_.size() * 2));
        std::size_t* const commas = commas_.data();
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        auto found = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma)));
        const auto stops = static_cast<unsigned>(
            _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, newline))));
        if (stops != 0)
            found &= (1u << __builtin_ctz(stops)) - 1;  // only the commas before the stop count
        const auto offset = static_cast<std::size_t>(p - base);
        while (found != 0) {
            commas[n++] = offset + static_cast<std::size_t>(__builtin_ctz(found));
            found &= found - 1;
        }
        if (stops != 0) {
            const char* stop = p + __builtin_ctz(stops);
            if (*stop != '\n')
                return false;
            lf_at = static_cast<std::size_t>(stop - base);
            ncommas_ = n;
            return true;
        }
        p += 16;
    }
#endif
    for (; p != limit; ++p) {
        if (*p == delim_) {
            if (n == commas_.size())
                commas_.resize(std::max<std::size_t>(32, commas_.size() * 2));
            commas_[n++] = static_cast<std::size_t>(p - base);
        } else if (*p == '\n') {
            lf_at = static_cast<std::size_t>(p - base);
            ncommas_ = n;
            return true;
        } else if (*p == '"') {
            break;
        }
    }
    return false;
}

// The cells of the record scan_simple found, its line break at `lf_at` from head_: between its commas,
// the last one ending before the line break. Consumes the record; returns false for a blank line (no
// record).
bool CsvReader::emit_simple(CsvRecord& out, std::size_t lf_at) {
    const char* const base = buf_.get() + head_;
    const std::size_t content = (lf_at > 0 && base[lf_at - 1] == '\r') ? lf_at - 1 : lf_at;
    const std::uint64_t line = line_;
    head_ += lf_at + 1;
    line_ = line + 1;
    out.line = line;
    if (content > max_record_) {
        out.error = over_limit_message_;
        return true;
    }
    if (ncommas_ == 0 && is_blank(base, base + content))
        return false;
    const auto begin = static_cast<std::size_t>(base - buf_.get());
    out.known_utf8 = known_utf8(begin, begin + content);
    out.cells.resize(ncommas_ + 1);
    std::string_view* const cells = out.cells.data();
    const std::size_t* const commas = commas_.data();
    std::size_t start = 0;
    for (std::size_t i = 0; i < ncommas_; ++i) {
        cells[i] = std::string_view(base + start, commas[i] - start);
        start = commas[i] + 1;
    }
    cells[ncommas_] = std::string_view(base + start, content - start);
    return true;
}

// Scans one record starting at head_. Returns true when `out` holds a record (good or broken), false
// when the record was a blank line, which is consumed. Positions are kept relative to head_ because
// fill() may move the buffer; pointers are re-derived after each fill.
bool CsvReader::scan_record(CsvRecord& out) {
    using State = ScanState;

    const std::uint64_t rec_line = line_;
    const char delim = delim_;
    // Bytes worth scanning before the record is known to be too long: the limit, plus a CRLF.
    const std::size_t scan_cap = saturating_add(max_record_, 2);
    std::size_t simple_end = 0;
    if (scan_simple(scan_cap, simple_end)) {
        return emit_simple(out, simple_end);
    }
    nspans_ = 0;
    State st = State::cell_start;
    std::size_t pos = 0;
    std::size_t cell_begin = 0;
    bool unescape = false;
    std::size_t first_lf = npos;    // first line break of the record (always inside quotes)
    std::uint64_t lfs = 0;          // line breaks inside the record so far
    std::uint64_t quote_lfs = 0;    // ... when the current quoted field opened
    std::size_t garbage_field = 0;  // 1-based field with junk after its closing quote; 0 = none

    for (;;) {
        char* const base = buf_.get() + head_;
        const char* const limit = base + std::min(tail_ - head_, scan_cap);
        const char* p = base + pos;
        auto rel = [base](const char* q) { return static_cast<std::size_t>(q - base); };

        for (;;) {
            switch (st) {
                case State::cell_start:
                    if (p == limit) {
                        goto need_more;
                    }
                    if (*p == '"') {
                        ++p;
                        cell_begin = rel(p);
                        unescape = false;
                        quote_lfs = lfs;
                        st = State::quoted;
                        break;
                    }
                    cell_begin = rel(p);
                    st = State::unquoted;
                    [[fallthrough]];
                case State::unquoted:
                    p = skip_field(p, limit, delim);
                    if (p == limit) {
                        goto need_more;
                    }
                    if (*p == delim) {
                        push_span({cell_begin, rel(p), false, false});
                        ++p;
                        st = State::cell_start;
                        break;
                    } else {
                        std::size_t end = rel(p);
                        if (end > cell_begin && base[end - 1] == '\r') {
                            --end;
                        }
                        push_span({cell_begin, end, false, false});
                    }
                    goto line_end;
                case State::quoted: {
                    const void* q = std::memchr(p, '"', static_cast<std::size_t>(limit - p));
                    const char* const stop = q != nullptr ? static_cast<const char*>(q) : limit;
                    count_quoted_lfs(p, stop, base, first_lf, lfs, unescape);
                    p = stop;
                    if (p == limit) {
                        goto need_more;
                    }
                    ++p;
                    st = State::after_quote;
                    break;
                }
                case State::after_quote:
                    if (p == limit) {
                        goto need_more;
                    }
                    if (*p == '"') {
                        unescape = true;
                        ++p;
                        st = State::quoted;
                    } else if (*p == delim) {
                        push_span({cell_begin, rel(p) - 1, unescape, true});
                        ++p;
                        st = State::cell_start;
                    } else if (*p == '\n') {
                        push_span({cell_begin, rel(p) - 1, unescape, true});
                        goto line_end;
                    } else if (*p == '\r') {
                        ++p;
                        st = State::after_quote_cr;
                    } else {
                        note_garbage(garbage_field, nspans_);
                        st = State::garbage;
                    }
                    break;
                case State::after_quote_cr:
                    if (p == limit) {
                        goto need_more;
                    }
                    if (*p == '\n') {
                        push_span({cell_begin, rel(p) - 2, unescape, true});
                        goto line_end;
                    }
                    note_garbage(garbage_field, nspans_);
                    st = State::garbage;
                    break;
                case State::garbage:
                    // Like an unquoted field, so a stray closing quote costs this record only.
                    p = skip_field(p, limit, delim);
                    if (p == limit) {
                        goto need_more;
                    }
                    if (*p == '\n') {
                        goto line_end;
                    }
                    push_span({});  // keeps later field numbers right
                    ++p;
                    st = State::cell_start;
                    break;
            }
        }

    line_end:
        return end_at_lf(out, ScanStopped{rec_line, st, rel(p), first_lf, lfs}, garbage_field);

    need_more:
        pos = rel(p);
        // The tails get the state by value, and the helpers that take it by reference are forced
        // inline, so no local's address escapes the state machine: GCC threads its switch only while
        // the state lives in registers (split into functions that took it by reference, it ran
        // 16-20% more instructions over quoted cells, by callgrind).
        if (pos >= scan_cap)
            return give_up_over_limit(out, ScanStopped{rec_line, st, pos, first_lf, lfs});
        if (fill()) {
            continue;
        }
        return end_at_eof(out, ScanStopped{rec_line, st, pos, first_lf, lfs},
                          EofCell{cell_begin, unescape, quote_lfs, garbage_field});
    }
}

// The record ends at the LF at s.pos.
bool CsvReader::end_at_lf(CsvRecord& out, const ScanStopped& s, std::size_t garbage_field) {
    char* const base = buf_.get() + head_;
    const std::size_t content = (s.pos > 0 && base[s.pos - 1] == '\r') ? s.pos - 1 : s.pos;
    head_ += s.pos + 1;
    line_ = s.rec_line + s.lfs + 1;
    // spans_ are relative to the record's start, which is still at `base`.
    return emit_at(out, base, content, s.rec_line, garbage_field);
}

// The record runs past the limit: it is reported broken, and reading goes on after it.
bool CsvReader::give_up_over_limit(CsvRecord& out, const ScanStopped& s) {
    out.line = s.rec_line;
    out.error = over_limit_message_;
    const bool in_quotes = s.st == ScanState::quoted || s.st == ScanState::after_quote;
    if (in_quotes && s.first_lf != npos) {
        // Probably a stray quote: give up on this record only, as for an unterminated one.
        head_ += s.first_lf + 1;
        line_ = s.rec_line + 1;
        return true;
    }
    // Otherwise the rest of its line is dropped. (In quotes, no line break has been seen: lfs is 0.)
    head_ += s.pos;
    line_ = s.rec_line + s.lfs;
    skip_to_lf_ = true;
    return true;
}

// End of input: the record ends here, without a line break.
bool CsvReader::end_at_eof(CsvRecord& out, const ScanStopped& s, const EofCell& c) {
    const std::size_t pos = s.pos;
    switch (s.st) {
        case ScanState::cell_start:  // after a trailing comma
            push_span({pos, pos, false, false});
            break;
        case ScanState::unquoted:
            push_span({c.cell_begin, pos, false, false});
            break;
        case ScanState::quoted:
            out.line = s.rec_line;
            out.error =
                "unterminated quoted field (opened on line " + std::to_string(s.rec_line + c.quote_lfs) + ")";
            // Resume on the line after the record's first, so one stray quote costs one record.
            head_ += s.first_lf != npos ? s.first_lf + 1 : pos;
            line_ = s.rec_line + (s.first_lf != npos ? 1 : 0);
            return true;
        case ScanState::after_quote:
            push_span({c.cell_begin, pos - 1, c.unescape, true});
            break;
        case ScanState::after_quote_cr:  // a CRLF cut short by the end of input
            push_span({c.cell_begin, pos - 2, c.unescape, true});
            break;
        case ScanState::garbage:
            break;
    }
    char* const rec_base = buf_.get() + head_;
    head_ += pos;
    line_ = s.rec_line + s.lfs;
    return emit_at(out, rec_base, pos, s.rec_line, c.garbage_field);
}

void CsvReader::grow_spans() {
    spans_.resize(std::max<std::size_t>(32, spans_.size() * 2));
}

// Whether buf_[begin, end) is known to be valid UTF-8, checking the bytes held past the last check
// when it ends beyond them.
bool CsvReader::known_utf8(std::size_t begin, std::size_t end) {
    if (end > utf8_checked_)
        check_utf8_ahead();
    return utf8_from_ <= begin && end <= utf8_to_;
}

void CsvReader::check_utf8_ahead() {
    std::size_t cut = tail_;
    while (cut > utf8_checked_ && static_cast<unsigned char>(buf_[cut - 1]) >= 0x80)
        --cut;
    if (cut <= utf8_checked_)
        return;
    if (simdjson::validate_utf8(buf_.get() + utf8_checked_, cut - utf8_checked_)) {
        if (utf8_to_ != utf8_checked_)
            utf8_from_ = utf8_checked_;  // a run after one that failed
        utf8_to_ = cut;
    }
    utf8_checked_ = cut;
}

// Turns the spans of a complete record into cells. Returns false for a blank line (no record).
bool CsvReader::emit_at(CsvRecord& out, char* base, std::size_t content, std::uint64_t line,
                        std::size_t garbage_field) {
    out.line = line;
    if (content > max_record_) {
        out.error = over_limit_message_;
        return true;
    }
    if (garbage_field != 0) {
        out.error = "unexpected character after closing quote (column " + std::to_string(garbage_field) + ")";
        return true;
    }
    if (nspans_ == 1 && !spans_[0].quoted && is_blank(base + spans_[0].begin, base + spans_[0].end)) {
        return false;
    }
    const auto begin = static_cast<std::size_t>(base - buf_.get());
    out.known_utf8 = known_utf8(begin, begin + content);
    out.cells.resize(nspans_);
    std::string_view* const cells = out.cells.data();
    const Span* const spans = spans_.data();
    for (std::size_t i = 0; i < nspans_; ++i) {
        const Span s = spans[i];
        std::size_t len = s.end - s.begin;
        if (s.unescape) [[unlikely]] {
            len = unescape_in_place(base + s.begin, base + s.end);
        }
        cells[i] = std::string_view(base + s.begin, len);
    }
    return true;
}

}  // namespace avara::read
