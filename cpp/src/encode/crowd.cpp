#include "oddseq/encode/crowd.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <vector>

#include "oddseq/core/check.hpp"
#include "oddseq/core/interrupt.hpp"
#include "oddseq/core/parallel.hpp"
#include "oddseq/graph/lockstep.hpp"

namespace oddseq::encode {

namespace {

// Items per task of the per-item passes (items differ widely in their events).
constexpr int kItemChunk = 64;
// A thread's buffer of one item's acts is given back past this many (the largest item's,
// a popular product's millions, is not kept for the life of the process).
constexpr std::size_t kKeptActs = std::size_t{1} << 20;

std::uint32_t float_bits(float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

// The bits of non-negative floats order as the floats do, so a maximum of them is an
// integer maximum (the same whichever thread writes first).
void atomic_max(std::atomic<std::uint32_t>& slot, std::uint32_t bits) {
  std::uint32_t seen = slot.load(std::memory_order_relaxed);
  while (bits > seen && !slot.compare_exchange_weak(seen, bits, std::memory_order_relaxed)) {
  }
}

void atomic_min(std::atomic<std::uint64_t>& slot, std::uint64_t key) {
  std::uint64_t seen = slot.load(std::memory_order_relaxed);
  while (key < seen && !slot.compare_exchange_weak(seen, key, std::memory_order_relaxed)) {
  }
}

// One sequence's act on an item in a window: sorted by window, then entity, then sequence.
struct Act {
  std::uint64_t key;  // window << 32 | entity
  std::uint32_t row;  // the sequence
  bool operator<(const Act& o) const { return key != o.key ? key < o.key : row < o.row; }
  bool operator==(const Act& o) const { return key == o.key && row == o.row; }
};

// The share of an item's other active windows whose crowds its usual crowd is read at:
// a busy hour of the item (its 90th percentile), not their mean, which a daily rhythm
// pulls down (a carrier's NAT address, busy at 20:00 and quiet at 04:00, read 4-6 times
// its usual at its evening peak; trial s44c).
constexpr double kUsualQuantile = 0.9;

// One item's crowds, window by window: body(first, last, crowd, usual) for the acts
// [first, last) of each window (acts sorted and distinct), crowd the distinct entities,
// usual the kUsualQuantile of the crowds of the item's other active windows (the k-th
// smallest of them, k = floor(q * (others - 1))), at least 1, and 1 where it has none.
template <class Body>
void for_each_crowd(const std::vector<Act>& acts, Body&& body) {
  thread_local std::vector<std::size_t> starts;
  thread_local std::vector<std::int64_t> crowds, sorted;
  starts.clear();
  crowds.clear();
  for (std::size_t i = 0; i < acts.size();) {
    std::size_t j = i;
    std::int64_t crowd = 0;
    for (; j < acts.size() && (acts[j].key >> 32) == (acts[i].key >> 32); ++j) {
      crowd += (j == i || acts[j].key != acts[j - 1].key);
    }
    starts.push_back(i);
    crowds.push_back(crowd);
    i = j;
  }
  starts.push_back(acts.size());
  sorted.assign(crowds.begin(), crowds.end());
  std::sort(sorted.begin(), sorted.end());
  const auto others = static_cast<std::int64_t>(crowds.size()) - 1;
  const auto k = static_cast<std::size_t>(
      kUsualQuantile * static_cast<double>(std::max<std::int64_t>(others - 1, 0)));
  for (std::size_t w = 0; w < crowds.size(); ++w) {
    double usual = 1.0;
    if (others > 0) {
      // The k-th smallest of the others: the sorted crowds without one of this window's.
      const auto own = static_cast<std::size_t>(
          std::lower_bound(sorted.begin(), sorted.end(), crowds[w]) - sorted.begin());
      usual = std::max(1.0, static_cast<double>(sorted[k < own ? k : k + 1]));
    }
    body(starts[w], starts[w + 1], crowds[w], usual);
  }
  if (crowds.capacity() > kKeptActs) {
    std::vector<std::int64_t>().swap(crowds);
    std::vector<std::int64_t>().swap(sorted);
    std::vector<std::size_t>().swap(starts);
  }
}

}  // namespace

template <class ItemT>
void crowd_ratio(const CrowdInput<ItemT>& input, int n_threads, float* out,
                 const CrowdFacts* facts) {
  const std::int64_t n_seq = input.n_sequences;
  ODDSEQ_CHECK(input.n_windows >= 1 && input.n_windows < (std::int64_t{1} << 31),
               "bad number of windows");
  ODDSEQ_CHECK(n_seq <= std::numeric_limits<std::int32_t>::max(), "more than 2^31 - 1 sequences");
  // The graph's events by object, binned already: window 1, and every event in its bin's
  // "last half" (code 2 * window + 1); the per-bin counters are not wanted.
  graph::TimeBins bins{input.windows, 0, 1, 1, input.n_windows + 1};
  bins.count_bins = false;
  const graph::ByObject by = graph::events_by_object(input.offsets, n_seq, input.items, 1,
                                                     input.n_items, &bins, n_threads);
  const auto n = static_cast<std::size_t>(n_seq);
  const auto entity = [&](std::int32_t row) -> std::uint64_t {
    if (input.entity_of == nullptr) return static_cast<std::uint32_t>(row);
    const std::int64_t e = input.entity_of[row];
    ODDSEQ_CHECK_RANGE(e >= 0 && e <= std::numeric_limits<std::int32_t>::max(),
                       "entity " << e << " out of range");
    return static_cast<std::uint64_t>(e);
  };
  // The item's acts, sorted and distinct, into the thread's buffer.
  const auto item_acts = [&](std::int64_t item, std::vector<Act>& acts) {
    acts.clear();
    for (std::int64_t s = by.offsets[static_cast<std::size_t>(item)];
         s < by.offsets[static_cast<std::size_t>(item) + 1]; ++s) {
      const auto at = static_cast<std::size_t>(s);
      const std::int32_t row = by.rows[at];
      acts.push_back(Act{(static_cast<std::uint64_t>(by.codes[at] >> 1) << 32) | entity(row),
                         static_cast<std::uint32_t>(row)});
    }
    std::sort(acts.begin(), acts.end());
    acts.erase(std::unique(acts.begin(), acts.end()), acts.end());
  };
  // body(item, acts, first, last, crowd, usual) for every window of every item: a pass
  // over the items in parallel, each with its thread's buffer.
  const auto each_crowd = [&](auto&& body) {
    core::parallel_for_interruptible(
        input.n_items, n_threads,
        [&](std::int64_t item) {
          thread_local std::vector<Act> acts;
          item_acts(item, acts);
          for_each_crowd(acts, [&](std::size_t i, std::size_t j, std::int64_t crowd, double usual) {
            body(item, acts, i, j, crowd, usual);
          });
          if (acts.capacity() > kKeptActs) std::vector<Act>().swap(acts);
        },
        kItemChunk);
  };
  const auto ratio_bits = [](std::int64_t crowd, double usual) {
    return float_bits(static_cast<float>(static_cast<double>(crowd) / usual));
  };
  std::vector<std::atomic<std::uint32_t>> best(n);
  for (auto& slot : best) slot.store(0, std::memory_order_relaxed);  // the bits of 0.0f
  each_crowd([&](std::int64_t, const std::vector<Act>& acts, std::size_t i, std::size_t j,
                 std::int64_t crowd, double usual) {
    const std::uint32_t bits = ratio_bits(crowd, usual);
    for (std::size_t k = i; k < j; ++k) atomic_max(best[acts[k].row], bits);
  });
  for (std::size_t s = 0; s < n; ++s) {
    const std::uint32_t bits = best[s].load(std::memory_order_relaxed);
    std::memcpy(out + s, &bits, sizeof bits);
  }
  if (facts == nullptr) return;
  // Where each sequence's largest ratio came from: of its acts at that ratio, the lowest
  // (window, item), found as an integer minimum (whichever thread comes first).
  constexpr std::uint64_t kNone = ~std::uint64_t{0};
  std::vector<std::atomic<std::uint64_t>> where(n);
  for (auto& slot : where) slot.store(kNone, std::memory_order_relaxed);
  each_crowd([&](std::int64_t item, const std::vector<Act>& acts, std::size_t i, std::size_t j,
                 std::int64_t crowd, double usual) {
    const std::uint32_t bits = ratio_bits(crowd, usual);
    const std::uint64_t key = ((acts[i].key >> 32) << 31) | static_cast<std::uint64_t>(item);
    for (std::size_t k = i; k < j; ++k) {
      if (best[acts[k].row].load(std::memory_order_relaxed) == bits) {
        atomic_min(where[acts[k].row], key);
      }
    }
  });
  for (std::size_t s = 0; s < n; ++s) {
    const std::uint64_t key = where[s].load(std::memory_order_relaxed);
    facts->item[s] = key == kNone ? -1 : static_cast<std::int64_t>(key & ((1u << 31) - 1));
    facts->window[s] = key == kNone ? -1 : static_cast<std::int64_t>(key >> 31);
    facts->crowd[s] = 0;
    facts->usual[s] = 0.0;
  }
  // The crowd and usual of each sequence's (window, item), written by that pair alone,
  // and the items of that window at its ratio, counted.
  std::vector<std::atomic<std::int64_t>> alike(n);
  for (auto& slot : alike) slot.store(0, std::memory_order_relaxed);
  each_crowd([&](std::int64_t item, const std::vector<Act>& acts, std::size_t i, std::size_t j,
                 std::int64_t crowd, double usual) {
    const auto window = static_cast<std::int64_t>(acts[i].key >> 32);
    const std::uint32_t bits = ratio_bits(crowd, usual);
    for (std::size_t k = i; k < j; ++k) {
      const std::size_t s = acts[k].row;
      if (facts->window[s] != window || best[s].load(std::memory_order_relaxed) != bits) continue;
      alike[s].fetch_add(1, std::memory_order_relaxed);
      if (facts->item[s] == item) {
        facts->crowd[s] = crowd;
        facts->usual[s] = usual;
      }
    }
  });
  for (std::size_t s = 0; s < n; ++s) facts->alike[s] = alike[s].load();
}

template void crowd_ratio<std::int32_t>(const CrowdInput<std::int32_t>&, int, float*,
                                        const CrowdFacts*);
template void crowd_ratio<std::int64_t>(const CrowdInput<std::int64_t>&, int, float*,
                                        const CrowdFacts*);

}  // namespace oddseq::encode
