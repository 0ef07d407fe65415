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
// A zeroed table, on 2 MiB pages where the kernel allows (one TLB entry then covers 32K buckets).
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
    std::vector<Bucket> old = std::move(buckets_);
    assign_zeroed(buckets_, (slots + per_bucket - 1) / per_bucket);
    for (const Bucket& b : old) {
        for (std::size_t i = 0; i < per_bucket; ++i) {
            if (b.keys[i] == 0)
                continue;
            const Slot s = probe(b.keys[i]);
            buckets_[s.bucket].keys[s.at] = b.keys[i];
            buckets_[s.bucket].rows[s.at] = b.rows[i];
        }
    }
}

EmailIndex::Slot EmailIndex::probe(std::uint64_t key) const noexcept {
    for (std::size_t b = home(key);;) {
        const Bucket& bucket = buckets_[b];
        for (std::size_t i = 0; i < per_bucket; ++i) {
            if (bucket.keys[i] == key || bucket.keys[i] == 0)
                return {b, i};
        }
        if (++b == buckets_.size())
            b = 0;
    }
}

std::uint64_t EmailIndex::row_at(Slot s) const {
    const std::uint32_t row = buckets_[s.bucket].rows[s.at];
    if (row != row_elsewhere)
        return row;
    return big_rows_.at(buckets_[s.bucket].keys[s.at]);
}

void EmailIndex::put(Slot s, std::uint64_t key, std::uint64_t row) {
    Bucket& b = buckets_[s.bucket];
    b.keys[s.at] = key;
    if (row < row_elsewhere) {
        b.rows[s.at] = static_cast<std::uint32_t>(row);
    } else {
        b.rows[s.at] = row_elsewhere;
        big_rows_[key] = row;
    }
    ++size_;
}

void EmailIndex::reserve(std::size_t n) {
    // Load factor stays under 3/4 so probes stay short.
    const std::size_t want = std::max<std::size_t>(1024, n + n / 3 + 1);
    if (want > capacity())
        rehash(want);
}

std::optional<std::uint64_t> EmailIndex::first_row_or_insert_key(std::uint64_t key, std::uint64_t row) {
    if ((size_ + 1) * 4 > capacity() * 3)
        rehash(std::max<std::size_t>(1024, capacity() * 2));
    const Slot s = probe(key);
    if (buckets_[s.bucket].keys[s.at] == key)
        return row_at(s);
    put(s, key, row);
    return std::nullopt;
}

std::optional<std::uint64_t> EmailIndex::find(std::string_view email) const {
    if (buckets_.empty())
        return std::nullopt;
    const std::uint64_t key = key_of(email);
    const Slot s = probe(key);
    if (buckets_[s.bucket].keys[s.at] == key)
        return row_at(s);
    return std::nullopt;
}

}  // namespace avara::validate
