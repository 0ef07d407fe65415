#pragma once
// Remembers which row first used each email (case-insensitive), for duplicate detection over
// millions of rows in flat memory: an open-addressing table of 64-bit email hashes instead of the
// emails themselves. Two different emails share a 64-bit hash with a probability of about 3e-8 over
// a million rows; that is the price of keeping memory flat.
//
// Slots come in buckets of one cache line: five hashes and their five 32-bit rows (12.8 bytes a
// slot), so a lookup usually costs one line fetched from memory, and that one is prefetched. Any
// bucket count works (a bucket is picked by multiplying, not masking), so the table can be sized to
// the roster.
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace avara::validate {

class EmailIndex {
  public:
    // Records `row` for `email` unless the email was seen; returns the first row that used it.
    std::optional<std::uint64_t> first_row_or_insert(std::string_view email, std::uint64_t row) {
        return first_row_or_insert_key(key_of(email), row);
    }
    // The same for an email's key_of(), when the caller has it already.
    std::optional<std::uint64_t> first_row_or_insert_key(std::uint64_t key, std::uint64_t row);
    std::optional<std::uint64_t> find(std::string_view email) const;
    std::size_t size() const noexcept { return size_; }
    // Room for `n` emails without growing (entries already held are kept).
    void reserve(std::size_t n);
    void prefetch(std::string_view email) const noexcept { prefetch_key(key_of(email)); }
    void prefetch_key(std::uint64_t key) const noexcept {
        if (!buckets_.empty())
            __builtin_prefetch(&buckets_[home(key)], 1);
    }
    // The identity of an email: a 64-bit hash of its ASCII-lowercased bytes (never 0).
    static std::uint64_t key_of(std::string_view email) noexcept;

  private:
    static constexpr std::size_t per_bucket = 5;
    struct alignas(64) Bucket {
        std::uint64_t keys[per_bucket] = {};  // 0 marks an empty slot (key_of is never 0)
        std::uint32_t rows[per_bucket] = {};  // the row of keys[i], or row_elsewhere
        std::uint32_t unused = 0;
    };
    static_assert(sizeof(Bucket) == 64);
    struct Slot {
        std::size_t bucket;
        std::size_t at;
    };
    // A row that does not fit 32 bits is kept aside (a roster of 4 billion rows).
    static constexpr std::uint32_t row_elsewhere = 0xffffffffu;

    std::size_t capacity() const noexcept { return buckets_.size() * per_bucket; }
    void rehash(std::size_t slots);
    std::size_t home(std::uint64_t key) const noexcept {
        __extension__ using wide = unsigned __int128;
        return static_cast<std::size_t>((static_cast<wide>(key) * buckets_.size()) >> 64);
    }
    // The slot holding `key`, or the empty slot where it would go.
    Slot probe(std::uint64_t key) const noexcept;
    std::uint64_t row_at(Slot s) const;
    void put(Slot s, std::uint64_t key, std::uint64_t row);

    std::vector<Bucket> buckets_;
    std::unordered_map<std::uint64_t, std::uint64_t> big_rows_;
    std::size_t size_ = 0;
};

}  // namespace avara::validate
