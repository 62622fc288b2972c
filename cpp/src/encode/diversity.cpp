#include "oddseq/encode/diversity.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "oddseq/core/blocks.hpp"
#include "oddseq/core/hash.hpp"
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
  double weighted = 0.0;  // sum of count * log2(count) over the keys
  double entropy = 0.0;
};

double entropy_bits(std::int64_t total, double weighted) {
  if (total <= 0) return 0.0;
  const double n = static_cast<double>(total);
  return std::max(0.0, std::log2(n) - weighted / n);
}

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
  t.weighted = weighted;
  t.entropy = entropy_bits(t.total, weighted);
  return t;
}

struct Unseen {
  std::int64_t known = 0, unseen = 0;  // keys >= 0 after the split; of those, new ones
};

// Of keys[split, n) that are >= 0, how many and how many are absent from keys[0, split),
// through the caller's table (left empty again).
template <class Key>
Unseen count_unseen_before(const Key* keys, std::int64_t split, std::int64_t n,
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
  return {known, unseen};
}

double unseen_share(const Unseen& u) {
  return u.known > 0 ? static_cast<double>(u.unseen) / static_cast<double>(u.known) : 0.0;
}

// ---- Long sequences (core/blocks.hpp): every thread shares one sequence.
//
// Distinct keys cannot be added up block by block, so a long sequence's keys are first
// regrouped by a hash of the key into parts (a key's every occurrence lands in one part,
// in event order), then each part is tallied on its own with a table small enough for
// the cache, and the parts' tallies are combined in part order. The parts depend on the
// keys and their number on the sequence's length only, never on the thread count.

// Parts of about 1,024 keys (tables of at most 32 kB, in L1), 256 to 4,096 of them.
int part_bits(std::int64_t n) {
  int bits = 8;
  while (bits < 12 && (n >> bits) > 1024) ++bits;
  return bits;
}

inline std::size_t part_of(std::int64_t key, int bits) {
  return static_cast<std::size_t>(core::mix64(static_cast<std::uint64_t>(key)) >> (64 - bits));
}

// The keys >= 0 of events [0, n) regrouped by part: keys[start[p], start[p + 1]) are part
// p's, and those of events before `split` come first, up to split_at[p].
struct KeyParts {
  int bits = 8;
  std::vector<std::int64_t> keys, start, split_at;
  std::int64_t n_parts() const { return std::int64_t{1} << bits; }
};

template <class KeyOf>
void partition_keys(std::int64_t n, std::int64_t split, KeyOf&& key_of, int n_threads,
                    KeyParts& out) {
  // Blocks of events: those of [0, split) then those of [split, n).
  std::vector<std::int64_t> bounds;
  for (std::int64_t b = 0; b < split; b += core::kBlockEvents) bounds.push_back(b);
  const std::size_t first_after_split = bounds.size();
  for (std::int64_t b = split; b < n; b += core::kBlockEvents) bounds.push_back(b);
  bounds.push_back(n);
  const std::int64_t n_blocks = static_cast<std::int64_t>(bounds.size()) - 1;
  out.bits = part_bits(n);
  const int bits = out.bits;
  const std::int64_t n_parts = out.n_parts();
  // cursor[b * n_parts + p]: keys of part p in block b, then where block b writes them.
  std::vector<std::int64_t> cursor(static_cast<std::size_t>(n_blocks * n_parts), 0);
  core::parallel_for_dynamic(n_blocks, n_threads, [&](std::int64_t b) {
    std::int64_t* sizes = cursor.data() + b * n_parts;
    for (std::int64_t i = bounds[b]; i < bounds[b + 1]; ++i) {
      const std::int64_t key = key_of(i);
      if (key >= 0) ++sizes[part_of(key, bits)];
    }
  });
  out.start.assign(static_cast<std::size_t>(n_parts) + 1, 0);
  out.split_at.assign(static_cast<std::size_t>(n_parts), 0);
  std::int64_t running = 0;
  for (std::int64_t p = 0; p < n_parts; ++p) {
    out.start[p] = running;
    for (std::int64_t b = 0; b < n_blocks; ++b) {
      if (static_cast<std::size_t>(b) == first_after_split) out.split_at[p] = running;
      std::int64_t& c = cursor[static_cast<std::size_t>(b * n_parts + p)];
      const std::int64_t size = c;
      c = running;
      running += size;
    }
    if (static_cast<std::size_t>(n_blocks) == first_after_split) out.split_at[p] = running;
  }
  out.start[n_parts] = running;
  out.keys.resize(static_cast<std::size_t>(running));
  core::parallel_for_dynamic(n_blocks, n_threads, [&](std::int64_t b) {
    std::int64_t* next = cursor.data() + b * n_parts;
    for (std::int64_t i = bounds[b]; i < bounds[b + 1]; ++i) {
      const std::int64_t key = key_of(i);
      if (key >= 0) out.keys[static_cast<std::size_t>(next[part_of(key, bits)]++)] = key;
    }
  });
}

// The tally of all the parts' keys (weighted sums added in part order) and, when
// `unseen` is not null, how many keys after the split are absent before it.
Tally tally_parts(const KeyParts& parts, int n_threads, Unseen* unseen) {
  const std::int64_t n_parts = parts.n_parts();
  std::vector<Tally> tallies(static_cast<std::size_t>(n_parts));
  std::vector<Unseen> news(static_cast<std::size_t>(n_parts));
  core::parallel_for_dynamic(
      n_parts, n_threads,
      [&](std::int64_t p) {
        static thread_local std::vector<Slot> slots;
        static thread_local std::vector<std::size_t> used;
        const std::int64_t* keys = parts.keys.data() + parts.start[p];
        const std::int64_t n = parts.start[p + 1] - parts.start[p];
        tallies[static_cast<std::size_t>(p)] = tally(keys, n, slots, used);
        if (unseen != nullptr) {
          news[static_cast<std::size_t>(p)] =
              count_unseen_before(keys, parts.split_at[p] - parts.start[p], n, slots, used);
        }
      },
      4);
  Tally all;
  for (std::size_t p = 0; p < tallies.size(); ++p) {
    all.distinct += tallies[p].distinct;
    all.total += tallies[p].total;
    all.top = std::max(all.top, tallies[p].top);
    all.weighted += tallies[p].weighted;
    if (unseen != nullptr) {
      unseen->known += news[p].known;
      unseen->unseen += news[p].unseen;
    }
  }
  all.entropy = entropy_bits(all.total, all.weighted);
  return all;
}

// The tally of keys[begin, end) in [0, n_keys) (negative keys skipped) through one count
// per key, for a long sequence whose keys span a range not much wider than itself: one
// increment per event instead of partitioning. Counts are integers, so added up from
// per-thread arrays (or, when those would take too much memory, with atomic increments)
// they are exact whatever the order; the sums over keys run in fixed blocks of keys,
// added in block order.
template <class Key>
Tally tally_dense(const Key* keys, std::int64_t begin, std::int64_t end, std::int64_t n_keys,
                  int n_threads) {
  const std::int64_t threads = n_threads;
  const bool per_thread = threads * n_keys <= 8 * (end - begin) + (std::int64_t{1} << 16);
  const std::int64_t copies = per_thread ? threads : 1;
  std::vector<std::uint32_t> counts(static_cast<std::size_t>(copies * n_keys), 0);
  core::for_each_block(begin, end, n_threads,
                       [&](std::int64_t, std::int64_t from, std::int64_t to) {
                         if (per_thread) {
                           std::uint32_t* local = counts.data() + omp_get_thread_num() * n_keys;
                           for (std::int64_t i = from; i < to; ++i) {
                             const auto key = static_cast<std::int64_t>(keys[i]);
                             if (key >= 0) ++local[key];
                           }
                           return;
                         }
                         for (std::int64_t i = from; i < to; ++i) {
                           const auto key = static_cast<std::int64_t>(keys[i]);
                           if (key < 0) continue;
                           std::uint32_t& count = counts[static_cast<std::size_t>(key)];
#pragma omp atomic
                           ++count;
                         }
                       });
  constexpr std::int64_t kKeyBlock = std::int64_t{1} << 16;
  std::vector<Tally> blocks(static_cast<std::size_t>(core::div_up(n_keys, kKeyBlock)));
  core::parallel_for(static_cast<std::int64_t>(blocks.size()), n_threads, [&](std::int64_t b) {
    Tally& t = blocks[static_cast<std::size_t>(b)];
    for (std::int64_t k = b * kKeyBlock; k < std::min(n_keys, (b + 1) * kKeyBlock); ++k) {
      std::int64_t c = 0;
      for (std::int64_t copy = 0; copy < copies; ++copy) c += counts[copy * n_keys + k];
      if (c == 0) continue;
      ++t.distinct;
      t.total += c;
      t.top = std::max(t.top, c);
      if (c > 1) t.weighted += static_cast<double>(c) * std::log2(static_cast<double>(c));
    }
  });
  Tally all;
  for (const Tally& t : blocks) {
    all.distinct += t.distinct;
    all.total += t.total;
    all.top = std::max(all.top, t.top);
    all.weighted += t.weighted;
  }
  all.entropy = entropy_bits(all.total, all.weighted);
  return all;
}

// Per block of a long sequence: what the short path counts in one pass. Repeats are
// counted between a block's events with an item; the blocks' first and last items join
// the runs that cross from one block with items to the next.
struct BlockSums {
  std::vector<std::int64_t> bought;  // items bought, in event order
  std::int64_t steps[4] = {0, 0, 0, 0};
  std::int64_t repeats = 0, with_item = 0, first_item = -1, last_item = -1;
  std::int64_t present = 0, last_split = -1, max_item = -1;
  double sum = 0.0, max_value = 0.0, min_value = 0.0, bought_sum = 0.0, var = 0.0;
};

}  // namespace

template <class ItemT>
void diversity_features(const DiversityInput<ItemT>& input, const DiversityParams& params,
                        int n_threads, float* out) {
  const std::int64_t* offsets = input.offsets;
  const std::int64_t n_sequences = input.n_sequences;
  const std::int32_t* events = input.events;
  const ItemT* items = input.items;
  const double* values = input.values;
  const std::int64_t* times = input.times;
  const std::int32_t* item_category = input.item_category;
  const std::int64_t n_item_codes = input.n_item_codes;
  const std::int64_t session_gap_ns = params.session_gap_ns;
  const FunnelCodes& funnel = params.funnel;
  const std::int64_t width = diversity_width(values != nullptr, item_category != nullptr);
  const std::int64_t category_base = values != nullptr ? 16 : 10;
  // Long sequences first, one at a time, each shared by every thread: block sums added
  // in block order, distinct keys through partition_keys / tally_parts.
  const int threads = core::resolve_threads(n_threads);
  const bool with_categories = item_category != nullptr && items != nullptr;
  KeyParts parts;
  std::vector<BlockSums> blocks;
  for (const std::int64_t s : core::long_sequences(offsets, n_sequences)) {
    float* row = out + s * width;
    std::fill_n(row, width, 0.0f);
    const std::int64_t begin = offsets[s], end = offsets[s + 1];
    const std::int64_t length = end - begin;
    blocks.assign(static_cast<std::size_t>(core::div_up(length, core::kBlockEvents)), BlockSums{});
    auto first_pass = [&](std::int64_t b, std::int64_t from, std::int64_t to) {
      BlockSums& sums = blocks[static_cast<std::size_t>(b)];
      for (std::int64_t i = from; i < to; ++i) {
        const std::int32_t e = events[i];
        sums.steps[0] += e == funnel.view;
        sums.steps[1] += e == funnel.cart;
        sums.steps[2] += e == funnel.fav;
        sums.steps[3] += e == funnel.buy;
      }
      if (items != nullptr) {
        for (std::int64_t i = from; i < to; ++i) {
          const auto item = static_cast<std::int64_t>(items[i]);
          sums.max_item = std::max(sums.max_item, item);
          if (item < 0) continue;
          if (sums.with_item == 0) sums.first_item = item;
          sums.repeats += sums.with_item > 0 && item == sums.last_item;
          sums.last_item = item;
          ++sums.with_item;
        }
        // Buys are a few percent of events: their items are gathered, not partitioned.
        for (std::int64_t i = from; i < to; ++i) {
          if (events[i] == funnel.buy && items[i] >= 0) {
            sums.bought.push_back(static_cast<std::int64_t>(items[i]));
          }
        }
      }
      if (values != nullptr) {
        for (std::int64_t i = from; i < to; ++i) {
          const double v = values[i];
          if (std::isnan(v)) continue;
          sums.sum += v;
          sums.max_value = sums.present == 0 ? v : std::max(sums.max_value, v);
          sums.min_value = sums.present == 0 ? v : std::min(sums.min_value, v);
          ++sums.present;
          if (events[i] == funnel.buy) sums.bought_sum += v;
        }
      }
      if (with_categories && times != nullptr) {
        for (std::int64_t i = to - 1; i >= std::max(from, begin + 1); --i) {
          if (times[i] - times[i - 1] > session_gap_ns) {
            sums.last_split = i;
            break;
          }
        }
      }
    };
    core::for_each_block(begin, end, threads, first_pass);
    BlockSums all;
    bool any_value = false;
    for (const BlockSums& sums : blocks) {
      for (int k = 0; k < 4; ++k) all.steps[k] += sums.steps[k];
      if (sums.with_item > 0) {
        all.repeats += sums.repeats + (all.with_item > 0 && sums.first_item == all.last_item);
        all.last_item = sums.last_item;
        all.with_item += sums.with_item;
      }
      all.bought.insert(all.bought.end(), sums.bought.begin(), sums.bought.end());
      all.sum += sums.sum;
      all.bought_sum += sums.bought_sum;
      if (sums.present > 0) {
        all.max_value = any_value ? std::max(all.max_value, sums.max_value) : sums.max_value;
        all.min_value = any_value ? std::min(all.min_value, sums.min_value) : sums.min_value;
        any_value = true;
      }
      all.present += sums.present;
      all.last_split = std::max(all.last_split, sums.last_split);
      all.max_item = std::max(all.max_item, sums.max_item);
    }
    funnel_ratios(all.steps, funnel.view >= 0, funnel.cart >= 0, row + 6);
    if (items != nullptr) {
      auto item_at = [&](std::int64_t i) { return static_cast<std::int64_t>(items[begin + i]); };
      // Item codes number the log's items: a crawler's usually span a range not much
      // wider than its length, and one count per possible item beats partitioning.
      Tally t;
      if (all.max_item < 4 * length + (std::int64_t{1} << 16) && length < (std::int64_t{1} << 32)) {
        t = tally_dense(items, begin, end, all.max_item + 1, threads);
      } else {
        partition_keys(length, 0, item_at, threads, parts);
        t = tally_parts(parts, threads, nullptr);
      }
      auto bought_at = [&](std::int64_t i) { return all.bought[static_cast<std::size_t>(i)]; };
      partition_keys(static_cast<std::int64_t>(all.bought.size()), 0, bought_at, threads, parts);
      const std::int64_t distinct_bought = tally_parts(parts, threads, nullptr).distinct;
      const double n_items = static_cast<double>(t.total);
      row[0] = static_cast<float>(t.distinct);
      row[1] = static_cast<float>(static_cast<double>(t.distinct) / static_cast<double>(length));
      row[2] = static_cast<float>(t.entropy);
      row[3] = static_cast<float>(n_items > 0 ? static_cast<double>(t.top) / n_items : 0.0);
      row[4] = static_cast<float>(repeat_share(all.repeats, all.with_item));
      row[5] = static_cast<float>(distinct_bought);
    }
    if (values != nullptr) {
      const double mean = all.present > 0 ? all.sum / static_cast<double>(all.present) : 0.0;
      auto second_pass = [&](std::int64_t b, std::int64_t from, std::int64_t to) {
        double var = 0.0;
        for (std::int64_t i = from; i < to; ++i) {
          if (!std::isnan(values[i])) var += (values[i] - mean) * (values[i] - mean);
        }
        blocks[static_cast<std::size_t>(b)].var = var;
      };
      core::for_each_block(begin, end, threads, second_pass);
      double var = 0.0;
      for (const BlockSums& sums : blocks) var += sums.var;
      if (all.max_value == all.min_value) var = 0.0;  // (one value: no round-off spread)
      row[10] = static_cast<float>(all.sum);
      row[11] = static_cast<float>(mean);
      row[12] = static_cast<float>(all.max_value);
      row[13] = static_cast<float>(
          all.present > 0 ? std::sqrt(var / static_cast<double>(all.present)) : 0.0);
      row[14] = static_cast<float>(static_cast<double>(length - all.present) /
                                   static_cast<double>(length));
      row[15] = static_cast<float>(all.bought_sum);
    }
    if (with_categories) {
      // The latest session starts after the last gap over session_gap (as below).
      const std::int64_t last_start = all.last_split > begin ? all.last_split : begin;
      auto category_at = [&](std::int64_t i) {
        const std::int64_t item = static_cast<std::int64_t>(items[begin + i]);
        return item >= 0 && item < n_item_codes ? static_cast<std::int64_t>(item_category[item])
                                                : std::int64_t{-1};
      };
      partition_keys(length, last_start - begin, category_at, threads, parts);
      Unseen unseen;
      const bool earlier_session = times != nullptr && last_start > begin;
      const Tally t = tally_parts(parts, threads, earlier_session ? &unseen : nullptr);
      row[category_base] = static_cast<float>(t.distinct);
      row[category_base + 1] =
          static_cast<float>(static_cast<double>(t.distinct) / static_cast<double>(length));
      row[category_base + 2] = static_cast<float>(t.entropy);
      if (earlier_session) row[category_base + 3] = static_cast<float>(unseen_share(unseen));
    }
  }
  parts = KeyParts{};  // the long sequences' keys are not needed any more

  core::parallel_for_dynamic(
      n_sequences, n_threads,
      [&](std::int64_t s) {
        const std::int64_t begin = offsets[s], end = offsets[s + 1];
        const std::int64_t length = end - begin;
        if (core::is_long_sequence(length)) return;  // done above
        float* row = out + s * width;
        std::fill_n(row, width, 0.0f);
        if (length == 0) return;
        std::int64_t steps[4] = {0, 0, 0, 0};  // view, cart, fav, buy
        for (std::int64_t i = begin; i < end; ++i) {
          const std::int32_t e = events[i];
          steps[0] += e == funnel.view;
          steps[1] += e == funnel.cart;
          steps[2] += e == funnel.fav;
          steps[3] += e == funnel.buy;
        }
        funnel_ratios(steps, funnel.view >= 0, funnel.cart >= 0, row + 6);
        if (items != nullptr) {
          // Distinct items through small open-addressing tables (reused per thread):
          // cheaper than sorting each sequence's items.
          static thread_local std::vector<Slot> slots;
          static thread_local std::vector<std::size_t> used;
          static thread_local std::vector<std::int64_t> bought;
          const Tally all = tally(items + begin, length, slots, used);
          // Only the bought items, compacted: buys are a few percent of events.
          bought.clear();
          std::int64_t repeats = 0, with_item = 0, previous = -1;
          for (std::int64_t i = begin; i < end; ++i) {
            const std::int64_t item = static_cast<std::int64_t>(items[i]);
            if (item < 0) continue;
            if (events[i] == funnel.buy) bought.push_back(item);
            repeats += with_item > 0 && item == previous;
            previous = item;
            ++with_item;
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
          row[4] = static_cast<float>(repeat_share(repeats, with_item));
          row[5] = static_cast<float>(distinct_bought);
        }
        if (values != nullptr) {
          double sum = 0.0, max_value = 0.0, min_value = 0.0, bought_sum = 0.0;
          std::int64_t present = 0;
          for (std::int64_t i = begin; i < end; ++i) {
            const double v = values[i];
            if (std::isnan(v)) continue;
            sum += v;
            max_value = present == 0 ? v : std::max(max_value, v);
            min_value = present == 0 ? v : std::min(min_value, v);
            ++present;
            if (events[i] == funnel.buy) bought_sum += v;
          }
          const double mean = present > 0 ? sum / static_cast<double>(present) : 0.0;
          double var = 0.0;
          // Values all equal have no spread: their mean's round-off (sum / n) gave
          // 5.7e-14 for two prices of 243 (review RV s47 L11).
          if (max_value != min_value) {
            for (std::int64_t i = begin; i < end; ++i) {
              if (!std::isnan(values[i])) var += (values[i] - mean) * (values[i] - mean);
            }
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
              row[category_base + 3] = static_cast<float>(unseen_share(count_unseen_before(
                  categories.data(), last_start - begin, length, cat_slots, cat_used)));
            }
          }
        }
      },
      64);
}

template void diversity_features<std::int32_t>(const DiversityInput<std::int32_t>&,
                                               const DiversityParams&, int, float*);
template void diversity_features<std::int64_t>(const DiversityInput<std::int64_t>&,
                                               const DiversityParams&, int, float*);

}  // namespace oddseq::encode
