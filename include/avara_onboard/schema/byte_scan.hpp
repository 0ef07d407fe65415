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

// Bit i of a block's masks is byte `at + i` of the text.
struct Block {
    std::size_t at = 0;
    std::size_t size = 0;  // 16, except for the last block
#if defined(__SSE2__)
    __m128i bytes;
#else
    const char* bytes = nullptr;
#endif

    // Bytes equal to `c`.
    std::uint32_t equal(char c) const noexcept {
#if defined(__SSE2__)
        return valid(static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(c)))));
#else
        std::uint32_t m = 0;
        for (std::size_t i = 0; i < size; ++i)
            m |= static_cast<std::uint32_t>(bytes[i] == c) << i;
        return m;
#endif
    }
    // Bytes at or below `c` (as unsigned bytes: UTF-8 lead and continuation bytes are above).
    std::uint32_t at_most(unsigned char c) const noexcept {
#if defined(__SSE2__)
        const __m128i limit = _mm_set1_epi8(static_cast<char>(c));
        return valid(
            static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(bytes, limit), bytes))));
#else
        std::uint32_t m = 0;
        for (std::size_t i = 0; i < size; ++i)
            m |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]) <= c) << i;
        return m;
#endif
    }

  private:
    std::uint32_t valid(std::uint32_t mask) const noexcept {
        return size == 16 ? mask : mask & ((1u << size) - 1);
    }
};

// ASCII A-Z to a-z in all eight bytes of a word at once; other bytes unchanged.
constexpr std::uint64_t ascii_lower8(std::uint64_t x) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    const std::uint64_t low7 = x & (0x7f * ones);
    const std::uint64_t ge_a = low7 + (0x80 - 'A') * ones;
    const std::uint64_t gt_z = low7 + (0x80 - 'Z' - 1) * ones;
    const std::uint64_t upper = (ge_a ^ gt_z) & ~x & (0x80 * ones);
    return x | (upper >> 2);
}

// A short spelling (up to 7 bytes) as one word: its bytes lower-cased, its length in the top byte,
// so that an enum's spellings are told apart with one comparison each. A longer text gives
// `long_text`, which no spelling's word_of() is.
inline constexpr std::uint64_t long_text = ~std::uint64_t{0};
inline std::uint64_t folded_word(std::string_view s) noexcept {
    if (s.size() > 7)
        return long_text;
    std::uint64_t x = 0;
    std::memcpy(&x, s.data(), s.size());
    if constexpr (std::endian::native == std::endian::big)
        x >>= 8;  // the top byte is the length's
    return ascii_lower8(x) | (std::uint64_t{s.size()} << 56);
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

// Calls `f(block)` for each block of `text` until it returns true; returns whether one did.
template <class F>
bool any_block(std::string_view text, F&& f) {
    for (std::size_t at = 0; at < text.size(); at += 16) {
        Block b;
        b.at = at;
        b.size = text.size() - at < 16 ? text.size() - at : 16;
#if defined(__SSE2__)
        if (b.size == 16) {
            b.bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + at));
        } else {
            alignas(16) char tail[16] = {};
            std::memcpy(tail, text.data() + at, b.size);
            b.bytes = _mm_load_si128(reinterpret_cast<const __m128i*>(tail));
        }
#else
        b.bytes = text.data() + at;
#endif
        if (f(b))
            return true;
    }
    return false;
}

}  // namespace avara::schema::byte_scan
