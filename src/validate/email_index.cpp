#include "avara_onboard/validate/email_index.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>

#include "avara_onboard/schema/byte_scan.hpp"

namespace avara::validate {

namespace {
inline std::uint64_t mix(std::uint64_t h) {
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}
}  // namespace

std::uint64_t EmailIndex::key_of(std::string_view email) noexcept {
    // Two independent multiply chains over 8-byte words, lower-cased; the last word overlaps the
    // one before it rather than being copied short. A function of the folded bytes and the length
    // only, so emails that differ in case only have one key.
    using schema::byte_scan::ascii_lower8;
    constexpr std::uint64_t k1 = 0xff51afd7ed558ccdULL;
    constexpr std::uint64_t k2 = 0xc4ceb9fe1a85ec53ULL;
    const std::size_t n = email.size();
    auto word = [&email](std::size_t at) {
        std::uint64_t x;
        std::memcpy(&x, email.data() + at, 8);
        return ascii_lower8(x);
    };
    std::uint64_t a = 0x9E3779B97F4A7C15ULL ^ n;
    std::uint64_t b = 0x2545F4914F6CDD1DULL;
    if (n < 8) {
        a = (a ^ schema::byte_scan::folded_word(email)) * k1;
    } else {
        std::size_t i = 0;
        for (; i + 16 <= n; i += 16) {
            a = (a ^ word(i)) * k1;
            a ^= a >> 32;
            b = (b ^ word(i + 8)) * k2;
            b ^= b >> 29;
        }
        if (i + 8 <= n) {
            a = (a ^ word(i)) * k1;
            i += 8;
        }
        if (i < n)
            b = (b ^ word(n - 8)) * k2;
    }
    const std::uint64_t h = mix(a ^ (b * 0x9E3779B97F4A7C15ULL));
    return h == 0 ? 1 : h;
}

namespace {
// A zeroed table, on 2 MiB pages where the kernel allows (one TLB entry then covers 256K slots).
template <class T>
void assign_zeroed(std::vector<T>& table, std::size_t n) {
    std::vector<T>().swap(table);
    table.reserve(n);
    const auto page = std::uintptr_t{2} << 20;
    const auto begin = (reinterpret_cast<std::uintptr_t>(table.data()) + page - 1) & ~(page - 1);
    const auto end = reinterpret_cast<std::uintptr_t>(table.data() + n) & ~(page - 1);
    if (end > begin) {
        // NOLINTNEXTLINE(performance-no-int-to-ptr): madvise takes an aligned address
        madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
    }
    table.assign(n, T{});
}
}  // namespace

void EmailIndex::rehash(std::size_t slots) {
    std::vector<std::uint64_t> old_keys = std::move(keys_);
    std::vector<std::uint32_t> old_rows = std::move(rows_);
    assign_zeroed(keys_, slots);
    assign_zeroed(rows_, slots);
    for (std::size_t i = 0; i < old_keys.size(); ++i) {
        if (old_keys[i] == 0)
            continue;
        const std::size_t at = probe(old_keys[i]);
        keys_[at] = old_keys[i];
        rows_[at] = old_rows[i];
    }
}

std::size_t EmailIndex::probe(std::uint64_t key) const noexcept {
    std::size_t i = home(key);
    while (keys_[i] != 0 && keys_[i] != key) {
        if (++i == keys_.size())
            i = 0;
    }
    return i;
}

std::uint64_t EmailIndex::row_at(std::size_t slot) const {
    if (rows_[slot] != row_elsewhere)
        return rows_[slot];
    return big_rows_.at(keys_[slot]);
}

void EmailIndex::put(std::size_t slot, std::uint64_t key, std::uint64_t row) {
    keys_[slot] = key;
    if (row < row_elsewhere) {
        rows_[slot] = static_cast<std::uint32_t>(row);
    } else {
        rows_[slot] = row_elsewhere;
        big_rows_[key] = row;
    }
    ++size_;
}

void EmailIndex::reserve(std::size_t n) {
    // Load factor stays under 3/4 so linear probing stays short.
    const std::size_t want = std::max<std::size_t>(1024, n + n / 3 + 1);
    if (want > keys_.size())
        rehash(want);
}

std::optional<std::uint64_t> EmailIndex::first_row_or_insert_key(std::uint64_t key, std::uint64_t row) {
    if ((size_ + 1) * 4 > keys_.size() * 3)
        rehash(std::max<std::size_t>(1024, keys_.size() * 2));
    const std::size_t at = probe(key);
    if (keys_[at] == key)
        return row_at(at);
    put(at, key, row);
    return std::nullopt;
}

std::optional<std::uint64_t> EmailIndex::find(std::string_view email) const {
    if (keys_.empty())
        return std::nullopt;
    const std::uint64_t key = key_of(email);
    const std::size_t at = probe(key);
    if (keys_[at] == key)
        return row_at(at);
    return std::nullopt;
}

}  // namespace avara::validate
