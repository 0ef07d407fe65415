#pragma once
// Asks "which bytes of this cell are X" sixteen at a time (SSE2, which every x86-64 has), for the
// per-row checks that run millions of times: an email's spaces and '@'s, a report cell's quotes.
// Elsewhere the same masks come from a plain loop, so results never depend on the CPU.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace avara::schema::byte_scan {

// Bit i of a block's masks is byte `at + i` of the text; only the bits in `live` count (the bytes of
// the text that no earlier block held).
struct Block {
    std::size_t at = 0;
    std::uint32_t live = 0;
#if defined(__SSE2__)
    __m128i bytes;
#else
    const char* bytes = nullptr;  // 16 bytes, of which the `live` ones are the text's
#endif

    // Bytes equal to `c`.
    std::uint32_t equal(char c) const noexcept {
#if defined(__SSE2__)
        return live & static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(c))));
#else
        return mask([c](char b) { return b == c; });
#endif
    }
    // Bytes at or below `c` (as unsigned bytes: UTF-8 lead and continuation bytes are above).
    std::uint32_t at_most(unsigned char c) const noexcept {
#if defined(__SSE2__)
        const __m128i limit = _mm_set1_epi8(static_cast<char>(c));
        return live & static_cast<std::uint32_t>(
                          _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(bytes, limit), bytes)));
#else
        return mask([c](char b) { return static_cast<unsigned char>(b) <= c; });
#endif
    }

#if !defined(__SSE2__)
  private:
    template <class P>
    std::uint32_t mask(P is) const noexcept {
        std::uint32_t m = 0;
        for (unsigned i = 0; i < 16; ++i) {
            if ((live >> i) & 1u)
                m |= static_cast<std::uint32_t>(is(bytes[i])) << i;
        }
        return m;
    }
#endif
};

namespace detail {
inline Block block_at(const char* text, std::size_t at, std::uint32_t live) noexcept {
    Block b;
    b.at = at;
    b.live = live;
#if defined(__SSE2__)
    b.bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text + at));
#else
    b.bytes = text + at;
#endif
    return b;
}
}  // namespace detail

// Calls `f(block)` for each block of `text` until it returns true; returns whether one did. The last
// block of a text of 16 bytes or more is its last 16 bytes (the ones seen already not live), so only
// a shorter text is copied.
template <class F>
bool any_block(std::string_view text, F&& f) {
    const std::size_t n = text.size();
    std::size_t at = 0;
    for (; at + 16 <= n; at += 16) {
        if (f(detail::block_at(text.data(), at, 0xffffu)))
            return true;
    }
    if (at == n)
        return false;
    if (n >= 16)
        return f(detail::block_at(text.data(), n - 16, 0xffffu & ~((1u << (at - (n - 16))) - 1)));
    char copy[16] = {};
    std::memcpy(copy, text.data(), n);
    return f(detail::block_at(copy, 0, (1u << n) - 1));
}

// ASCII A-Z to a-z in all eight bytes of a word at once; other bytes unchanged.
constexpr std::uint64_t ascii_lower8(std::uint64_t x) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    const std::uint64_t low7 = x & (0x7f * ones);
    const std::uint64_t ge_a = low7 + (0x80 - 'A') * ones;
    const std::uint64_t gt_z = low7 + (0x80 - 'Z' - 1) * ones;
    const std::uint64_t upper = (ge_a ^ gt_z) & ~x & (0x80 * ones);
    return x | (upper >> 2);
}

// A short text (up to 7 bytes) as one word: its bytes, and its length in the top byte, so that
// short texts are told apart with one comparison each. A longer text gives `long_text`.
inline constexpr std::uint64_t long_text = ~std::uint64_t{0};
inline std::uint64_t packed_word(std::string_view s) noexcept {
    const std::size_t n = s.size();
    if (n > 7)
        return long_text;
    std::uint64_t x = 0;
    if constexpr (std::endian::native == std::endian::little) {
        // Two overlapping loads (or three bytes) instead of a variable-length copy.
        if (n >= 4) {
            std::uint32_t head = 0;
            std::uint32_t tail = 0;
            std::memcpy(&head, s.data(), 4);
            std::memcpy(&tail, s.data() + n - 4, 4);
            x = head | (std::uint64_t{tail} << (8 * (n - 4)));
        } else if (n > 0) {
            auto byte = [&s](std::size_t i) { return std::uint64_t{static_cast<unsigned char>(s[i])}; };
            x = byte(0) | (byte(n / 2) << (8 * (n / 2))) | (byte(n - 1) << (8 * (n - 1)));
        }
    } else {
        for (std::size_t i = 0; i < n; ++i)
            x |= std::uint64_t{static_cast<unsigned char>(s[i])} << (8 * (6 - i));
    }
    return x | (std::uint64_t{n} << 56);
}
// The same with ASCII letters lower-cased: an enum's spellings in any case, one comparison each.
inline std::uint64_t folded_word(std::string_view s) noexcept {
    const std::uint64_t w = packed_word(s);
    return w == long_text ? w : ascii_lower8(w);  // the length byte (0 to 7) is no letter
}
// folded_word() of a lower-case literal, at compile time.
constexpr std::uint64_t word_of(std::string_view s) noexcept {
    std::uint64_t x = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto byte = std::uint64_t{static_cast<unsigned char>(s[i])};
        x |= std::endian::native == std::endian::big ? byte << (8 * (6 - i)) : byte << (8 * i);
    }
    return x | (std::uint64_t{s.size()} << 56);
}

// A few short spellings and what each means (0..127), looked up with one multiply and one comparison
// instead of a chain of branches: the multiplier is searched at compile time so no two collide.
class WordTable {
  public:
    struct Spelling {
        std::string_view text;  // lower case, at most 7 bytes
        std::int8_t value;
    };
    template <std::size_t N>
    static constexpr WordTable of(const Spelling (&spellings)[N]) {
        static_assert(N <= slots / 2);
        for (std::uint64_t m = 0x9E3779B97F4A7C15ull;; m += 0x2545F4914F6CDD1Eull) {
            WordTable t;
            t.multiplier_ = m | 1;
            bool collided = false;
            for (const auto& s : spellings) {
                const auto w = word_of(s.text);
                auto& value = t.values_[t.slot(w)];
                collided |= value >= 0;
                value = s.value;
                t.words_[t.slot(w)] = w;
            }
            if (!collided)
                return t;
        }
    }
    // The value of a folded_word(), or -1.
    constexpr int find(std::uint64_t word) const noexcept {
        const auto i = slot(word);
        return words_[i] == word ? values_[i] : -1;
    }

  private:
    static constexpr std::size_t slots = 16;
    constexpr std::size_t slot(std::uint64_t word) const noexcept { return (word * multiplier_) >> 60; }
    std::uint64_t multiplier_ = 1;
    std::uint64_t words_[slots] = {};
    std::int8_t values_[slots] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
};

}  // namespace avara::schema::byte_scan
