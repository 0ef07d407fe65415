#include "avara_onboard/validate/email_index.hpp"

#include "avara_onboard/util/text.hpp"

namespace avara::validate {

std::uint64_t EmailIndex::key_of(std::string_view email) noexcept {
    const auto h = text::lower_hash(email);
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

std::optional<std::uint64_t> EmailIndex::first_row_or_insert(std::string_view email, std::uint64_t row) {
    // Load factor stays under 3/4 so linear probing stays short.
    if ((size_ + 1) * 4 > slots_.size() * 3)
        grow();
    const std::uint64_t key = key_of(email);
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
