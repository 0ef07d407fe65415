#pragma once
// Remembers which row first used each email (case-insensitive), for duplicate detection over
// millions of rows in flat memory: an open-addressing table of 64-bit email hashes (16 bytes a row)
// instead of the emails themselves. Two different emails share a 64-bit hash with a probability of
// about 3e-8 over a million rows; that is the price of keeping memory flat.
#include <cstdint>
#include <optional>
#include <string_view>
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
    void reserve(std::size_t n);
    void prefetch(std::string_view email) const noexcept { prefetch_key(key_of(email)); }
    void prefetch_key(std::uint64_t key) const noexcept {
        if (!slots_.empty())
            __builtin_prefetch(&slots_[key & (slots_.size() - 1)], 1);
    }
    // The identity of an email: a 64-bit hash of its ASCII-lowercased bytes (never 0).
    static std::uint64_t key_of(std::string_view email) noexcept;

  private:
    struct Slot {
        std::uint64_t hash = 0;  // 0 marks an empty slot; a real hash of 0 is stored as 1
        std::uint64_t row = 0;
    };
    void grow();
    // The slot holding `key`, or the empty slot where it would go.
    std::size_t probe(std::uint64_t key) const noexcept;

    std::vector<Slot> slots_;
    std::size_t size_ = 0;
};

}  // namespace avara::validate
