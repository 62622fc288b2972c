#include "oddseq/encode/diversity.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "oddseq/core/parallel.hpp"

namespace oddseq::encode {

std::int64_t diversity_width(bool has_values, bool has_categories) {
  return 10 + (has_values ? 6 : 0) + (has_categories ? 4 : 0);
}

namespace {

// Distinct keys (>= 0) of one sequence with their counts, in an open-addressing table
// reused per thread; returns (distinct, entropy in bits, largest count).
struct Tally {
  std::int64_t distinct = 0, top = 0, total = 0;
  double entropy = 0.0;
};

// A power of two at least twice n (load factor at most one half).
std::size_t table_capacity(std::int64_t n) {
  std::size_t capacity = 16;
  while (capacity < 2 * static_cast<std::size_t>(n)) capacity <<= 1;
  return capacity;
}

// Open-addressing slot: the key and its count side by side, one cache line per probe.
struct Slot {
  std::int64_t key = -1;
  std::int64_t count = 0;
};

// Distinct keys (negative keys skipped), the largest count and the entropy of the
// counts, with a table the caller keeps across sequences (cleared slot by slot).
template <class Key>
Tally tally(const Key* keys, std::int64_t n, std::vector<Slot>& slots,
            std::vector<std::size_t>& used) {
  const std::size_t capacity = table_capacity(n);
  if (slots.size() < capacity) slots.assign(capacity, Slot{});
  const std::size_t mask = capacity - 1;
  used.clear();
  Tally t;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t key = static_cast<std::int64_t>(keys[i]);
    if (key < 0) continue;
    ++t.total;
    std::size_t slot =
        static_cast<std::size_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ULL) >> 32) &
        mask;
    while (slots[slot].key >= 0 && slots[slot].key != key) slot = (slot + 1) & mask;
    if (slots[slot].key < 0) {
      slots[slot].key = key;
      used.push_back(slot);
    }
    ++slots[slot].count;
  }
  t.distinct = static_cast<std::int64_t>(used.size());
  double weighted = 0.0;
  for (const std::size_t slot : used) {
    const std::int64_t c = slots[slot].count;
    t.top = std::max(t.top, c);
    if (c > 1) weighted += static_cast<double>(c) * std::log2(static_cast<double>(c));
    slots[slot] = Slot{};
  }
  if (t.total > 0) {
    const double total = static_cast<double>(t.total);
    t.entropy = std::max(0.0, std::log2(total) - weighted / total);
  }
  return t;
}

// Of keys[split, n) that are >= 0, the share absent from keys[0, split) (0 when none
// is >= 0), through the caller's table (left empty again).
template <class Key>
double share_unseen_before(const Key* keys, std::int64_t split, std::int64_t n,
                           std::vector<Slot>& slots, std::vector<std::size_t>& used) {
  const std::size_t capacity = table_capacity(split);
  if (slots.size() < capacity) slots.assign(capacity, Slot{});
  const std::size_t mask = capacity - 1;
  auto find = [&](std::int64_t key) {
    std::size_t slot =
        static_cast<std::size_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ULL) >> 32) &
        mask;
    while (slots[slot].key >= 0 && slots[slot].key != key) slot = (slot + 1) & mask;
    return slot;
  };
  used.clear();
  for (std::int64_t i = 0; i < split; ++i) {
    const auto key = static_cast<std::int64_t>(keys[i]);
    if (key < 0) continue;
    const std::size_t slot = find(key);
    if (slots[slot].key < 0) {
      slots[slot].key = key;
      used.push_back(slot);
    }
  }
  std::int64_t known = 0, unseen = 0;
  for (std::int64_t i = split; i < n; ++i) {
    const auto key = static_cast<std::int64_t>(keys[i]);
    if (key < 0) continue;
    ++known;
    unseen += slots[find(key)].key != key;
  }
  for (const std::size_t slot : used) slots[slot] = Slot{};
  return known > 0 ? static_cast<double>(unseen) / static_cast<double>(known) : 0.0;
}

}  // namespace

template <class ItemT>
void diversity_features(const std::int64_t* offsets, std::int64_t n_sequences,
                        const std::int32_t* events, const ItemT* items, const double* values,
                        const std::int32_t* item_category, std::int64_t n_item_codes,
                        const std::int64_t* times, std::int64_t session_gap_ns,
                        const FunnelCodes& funnel, int n_threads, float* out) {
  const std::int64_t width = diversity_width(values != nullptr, item_category != nullptr);
  const std::int64_t category_base = values != nullptr ? 16 : 10;
  core::parallel_for_dynamic(
      n_sequences, n_threads,
      [&](std::int64_t s) {
        float* row = out + s * width;
        std::fill_n(row, width, 0.0f);
        const std::int64_t begin = offsets[s], end = offsets[s + 1];
        const std::int64_t length = end - begin;
        if (length == 0) return;
        std::int64_t steps[4] = {0, 0, 0, 0};  // view, cart, fav, buy
        for (std::int64_t i = begin; i < end; ++i) {
          const std::int32_t e = events[i];
          steps[0] += e == funnel.view;
          steps[1] += e == funnel.cart;
          steps[2] += e == funnel.fav;
          steps[3] += e == funnel.buy;
        }
        auto ratio = [](std::int64_t a, std::int64_t b) {
          return static_cast<float>(static_cast<double>(a) /
                                    static_cast<double>(std::max<std::int64_t>(b, 1)));
        };
        row[6] = ratio(steps[1], steps[0]);
        row[7] = ratio(steps[2], steps[0]);
        row[8] = ratio(steps[3], steps[0]);
        row[9] = ratio(steps[3], steps[1]);
        if (items != nullptr) {
          // Distinct items through small open-addressing tables (reused per thread):
          // cheaper than sorting each sequence's items.
          static thread_local std::vector<Slot> slots;
          static thread_local std::vector<std::size_t> used;
          static thread_local std::vector<std::int64_t> bought;
          const Tally all = tally(items + begin, length, slots, used);
          // Only the bought items, compacted: buys are a few percent of events.
          bought.clear();
          std::int64_t repeats = 0;
          for (std::int64_t i = begin; i < end; ++i) {
            const std::int64_t item = static_cast<std::int64_t>(items[i]);
            if (events[i] == funnel.buy && item >= 0) bought.push_back(item);
            if (item >= 0 && i > begin && items[i] == items[i - 1]) ++repeats;
          }
          const std::int64_t distinct_bought =
              tally(bought.data(), static_cast<std::int64_t>(bought.size()), slots, used).distinct;
          const std::int64_t distinct = all.distinct, top = all.top;
          const double entropy = all.entropy;
          const double n_items = static_cast<double>(all.total);
          row[0] = static_cast<float>(distinct);
          row[1] = static_cast<float>(static_cast<double>(distinct) / static_cast<double>(length));
          row[2] = static_cast<float>(entropy);
          row[3] = static_cast<float>(n_items > 0 ? static_cast<double>(top) / n_items : 0.0);
          row[4] = static_cast<float>(
              length > 1 ? static_cast<double>(repeats) / static_cast<double>(length - 1) : 0.0);
          row[5] = static_cast<float>(distinct_bought);
        }
        if (values != nullptr) {
          double sum = 0.0, max_value = 0.0, bought_sum = 0.0;
          std::int64_t present = 0;
          for (std::int64_t i = begin; i < end; ++i) {
            const double v = values[i];
            if (std::isnan(v)) continue;
            sum += v;
            max_value = present == 0 ? v : std::max(max_value, v);
            ++present;
            if (events[i] == funnel.buy) bought_sum += v;
          }
          const double mean = present > 0 ? sum / static_cast<double>(present) : 0.0;
          double var = 0.0;
          for (std::int64_t i = begin; i < end; ++i) {
            if (!std::isnan(values[i])) var += (values[i] - mean) * (values[i] - mean);
          }
          row[10] = static_cast<float>(sum);
          row[11] = static_cast<float>(mean);
          row[12] = static_cast<float>(max_value);
          row[13] =
              static_cast<float>(present > 0 ? std::sqrt(var / static_cast<double>(present)) : 0.0);
          row[14] = static_cast<float>(static_cast<double>(length - present) /
                                       static_cast<double>(length));
          row[15] = static_cast<float>(bought_sum);
        }
        if (item_category != nullptr && items != nullptr) {
          static thread_local std::vector<std::int32_t> categories;
          static thread_local std::vector<Slot> cat_slots;
          static thread_local std::vector<std::size_t> cat_used;
          categories.resize(static_cast<std::size_t>(length));
          for (std::int64_t i = begin; i < end; ++i) {
            const std::int64_t item = static_cast<std::int64_t>(items[i]);
            categories[static_cast<std::size_t>(i - begin)] =
                item >= 0 && item < n_item_codes ? item_category[item] : -1;
          }
          const Tally t = tally(categories.data(), length, cat_slots, cat_used);
          row[category_base] = static_cast<float>(t.distinct);
          row[category_base + 1] =
              static_cast<float>(static_cast<double>(t.distinct) / static_cast<double>(length));
          row[category_base + 2] = static_cast<float>(t.entropy);
          // The latest session against the history before it: a taken-over account
          // moves into categories its owner never used.
          if (times != nullptr) {
            std::int64_t last_start = end - 1;
            while (last_start > begin &&
                   times[last_start] - times[last_start - 1] <= session_gap_ns)
              --last_start;
            if (last_start > begin) {
              row[category_base + 3] = static_cast<float>(share_unseen_before(
                  categories.data(), last_start - begin, length, cat_slots, cat_used));
            }
          }
        }
      },
      64);
}

template void diversity_features<std::int32_t>(const std::int64_t*, std::int64_t,
                                               const std::int32_t*, const std::int32_t*,
                                               const double*, const std::int32_t*, std::int64_t,
                                               const std::int64_t*, std::int64_t,
                                               const FunnelCodes&, int, float*);
template void diversity_features<std::int64_t>(const std::int64_t*, std::int64_t,
                                               const std::int32_t*, const std::int64_t*,
                                               const double*, const std::int32_t*, std::int64_t,
                                               const std::int64_t*, std::int64_t,
                                               const FunnelCodes&, int, float*);

}  // namespace oddseq::encode
