#include "avara_onboard/validate/email_index.hpp"

#include <sys/mman.h>

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
    std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ email.size();
    std::size_t i = 0;
    for (; i + 8 <= email.size(); i += 8) {
        std::uint64_t x;
        std::memcpy(&x, email.data() + i, 8);
        h = (h ^ schema::byte_scan::ascii_lower8(x)) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    if (i < email.size()) {
        std::uint64_t x = 0;
        std::memcpy(&x, email.data() + i, email.size() - i);
        h = (h ^ schema::byte_scan::ascii_lower8(x)) * 0xff51afd7ed558ccdULL;
    }
    h = mix(h);
    return h == 0 ? 1 : h;
}

void EmailIndex::grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
        if (s.hash == 0)
            continue;
        std::size_t i = s.hash & mask;
        while (slots_[i].hash != 0)
            i = (i + 1) & mask;
        slots_[i] = s;
    }
}

std::size_t EmailIndex::probe(std::uint64_t key) const noexcept {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = key & mask;
    while (slots_[i].hash != 0 && slots_[i].hash != key)
        i = (i + 1) & mask;
    return i;
}

void EmailIndex::reserve(std::size_t n) {
    std::size_t want = 1024;
    while (want * 3 < n * 4)
        want *= 2;
    if (want > slots_.size() && size_ == 0) {
        std::vector<Slot>().swap(slots_);
        slots_.reserve(want);
        // Ask for 2 MiB pages before the table is touched: one TLB entry then covers 128K slots.
        const auto begin = (reinterpret_cast<std::uintptr_t>(slots_.data()) + (2u << 20) - 1) &
                           ~std::uintptr_t((2u << 20) - 1);
        const auto end =
            (reinterpret_cast<std::uintptr_t>(slots_.data() + want)) & ~std::uintptr_t((2u << 20) - 1);
        if (end > begin) {
            // NOLINTNEXTLINE(performance-no-int-to-ptr): madvise takes an aligned address
            madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
        }
        slots_.assign(want, Slot{});
    }
}

std::optional<std::uint64_t> EmailIndex::first_row_or_insert_key(std::uint64_t key, std::uint64_t row) {
    // Load factor stays under 3/4 so linear probing stays short.
    if ((size_ + 1) * 4 > slots_.size() * 3)
        grow();
    Slot& slot = slots_[probe(key)];
    if (slot.hash == key)
        return slot.row;
    slot = Slot{key, row};
    ++size_;
    return std::nullopt;
}

std::optional<std::uint64_t> EmailIndex::find(std::string_view email) const {
    if (slots_.empty())
        return std::nullopt;
    const std::uint64_t key = key_of(email);
    const Slot& slot = slots_[probe(key)];
    if (slot.hash == key)
        return slot.row;
    return std::nullopt;
}

}  // namespace avara::validate
