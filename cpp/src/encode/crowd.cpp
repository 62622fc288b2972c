#include "oddseq/encode/crowd.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "oddseq/core/check.hpp"
#include "oddseq/core/interrupt.hpp"
#include "oddseq/core/parallel.hpp"
#include "oddseq/graph/lockstep.hpp"

namespace oddseq::encode {

namespace {

// Items per task of the per-item pass (items differ widely in their events).
constexpr int kItemChunk = 64;

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

// One item's distinct (window, sequence) pairs, window by window: pairs[k] = window << 32
// | sequence, sorted; each run of one window is a crowd.
template <class Body>
void for_each_crowd(const std::vector<std::uint64_t>& pairs, Body&& body) {
  const auto total = static_cast<std::int64_t>(pairs.size());
  std::int64_t n_active = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    n_active += (i == 0 || (pairs[i] >> 32) != (pairs[i - 1] >> 32));
  }
  for (std::size_t i = 0; i < pairs.size();) {
    std::size_t j = i;
    while (j < pairs.size() && (pairs[j] >> 32) == (pairs[i] >> 32)) ++j;
    const auto crowd = static_cast<std::int64_t>(j - i);
    // The mean crowd of the item's other active windows; a one-off object's usual is one.
    const double usual =
        n_active > 1
            ? std::max(1.0, static_cast<double>(total - crowd) / static_cast<double>(n_active - 1))
            : 1.0;
    body(i, j, crowd, usual);
    i = j;
  }
}

}  // namespace

template <class ItemT>
void crowd_ratio(const std::int64_t* offsets, std::int64_t n_sequences, const ItemT* items,
                 std::int64_t n_items, const std::int64_t* times, std::int64_t t0,
                 std::int64_t window_ns, std::int64_t n_windows, int n_threads, float* out,
                 const CrowdFacts* facts) {
  ODDSEQ_CHECK(window_ns >= 1, "the crowd window must be positive");
  ODDSEQ_CHECK(n_windows >= 1 && n_windows < (std::int64_t{1} << 31), "bad number of windows");
  // The graph's events by object, on one grid: with half == window every event lies in
  // its window's "last half" (code 2 * window + 1), and the second grid is not read.
  const graph::TimeBins bins{times, t0, window_ns, window_ns, n_windows + 1};
  const graph::ByObject by =
      graph::events_by_object(offsets, n_sequences, items, 1, n_items, &bins, n_threads);
  const auto n_seq = static_cast<std::size_t>(n_sequences);
  // The item's pairs, sorted and distinct, into the thread's buffer.
  const auto item_pairs = [&](std::int64_t item, std::vector<std::uint64_t>& pairs) {
    pairs.clear();
    for (std::int64_t s = by.offsets[static_cast<std::size_t>(item)];
         s < by.offsets[static_cast<std::size_t>(item) + 1]; ++s) {
      const auto at = static_cast<std::size_t>(s);
      pairs.push_back((static_cast<std::uint64_t>(by.codes[at] >> 1) << 32) |
                      static_cast<std::uint32_t>(by.rows[at]));
    }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  };
  const auto ratio_bits = [](std::int64_t crowd, double usual) {
    return float_bits(static_cast<float>(static_cast<double>(crowd) / usual));
  };
  std::vector<std::atomic<std::uint32_t>> best(n_seq);
  for (auto& slot : best) slot.store(0, std::memory_order_relaxed);  // the bits of 0.0f
  core::parallel_for_interruptible(
      n_items, n_threads,
      [&](std::int64_t item) {
        thread_local std::vector<std::uint64_t> pairs;
        item_pairs(item, pairs);
        for_each_crowd(pairs, [&](std::size_t i, std::size_t j, std::int64_t crowd, double usual) {
          const std::uint32_t bits = ratio_bits(crowd, usual);
          for (std::size_t k = i; k < j; ++k) {
            atomic_max(best[static_cast<std::size_t>(pairs[k] & 0xffffffffu)], bits);
          }
        });
      },
      kItemChunk);
  for (std::size_t s = 0; s < n_seq; ++s) {
    const std::uint32_t bits = best[s].load(std::memory_order_relaxed);
    std::memcpy(out + s, &bits, sizeof bits);
  }
  if (facts == nullptr) return;
  // Where each sequence's largest ratio came from: of its pairs at that ratio, the
  // lowest (window, item), found as an integer minimum (whichever thread comes first).
  constexpr std::uint64_t kNone = ~std::uint64_t{0};
  std::vector<std::atomic<std::uint64_t>> where(n_seq);
  for (auto& slot : where) slot.store(kNone, std::memory_order_relaxed);
  core::parallel_for_interruptible(
      n_items, n_threads,
      [&](std::int64_t item) {
        thread_local std::vector<std::uint64_t> pairs;
        item_pairs(item, pairs);
        for_each_crowd(pairs, [&](std::size_t i, std::size_t j, std::int64_t crowd, double usual) {
          const std::uint32_t bits = ratio_bits(crowd, usual);
          const std::uint64_t key = ((pairs[i] >> 32) << 31) | static_cast<std::uint64_t>(item);
          for (std::size_t k = i; k < j; ++k) {
            const auto s = static_cast<std::size_t>(pairs[k] & 0xffffffffu);
            if (best[s].load(std::memory_order_relaxed) != bits) continue;
            std::uint64_t seen = where[s].load(std::memory_order_relaxed);
            while (key < seen &&
                   !where[s].compare_exchange_weak(seen, key, std::memory_order_relaxed)) {
            }
          }
        });
      },
      kItemChunk);
  for (std::size_t s = 0; s < n_seq; ++s) {
    const std::uint64_t key = where[s].load(std::memory_order_relaxed);
    facts->item[s] = key == kNone ? -1 : static_cast<std::int64_t>(key & ((1u << 31) - 1));
    facts->window[s] = key == kNone ? -1 : static_cast<std::int64_t>(key >> 31);
    facts->crowd[s] = 0;
    facts->usual[s] = 0.0;
  }
  // The crowd and usual of each sequence's (window, item), written by that pair alone,
  // and the items of that window at its ratio, counted.
  std::vector<std::atomic<std::int64_t>> alike(n_seq);
  for (auto& slot : alike) slot.store(0, std::memory_order_relaxed);
  core::parallel_for_interruptible(
      n_items, n_threads,
      [&](std::int64_t item) {
        thread_local std::vector<std::uint64_t> pairs;
        item_pairs(item, pairs);
        for_each_crowd(pairs, [&](std::size_t i, std::size_t j, std::int64_t crowd, double usual) {
          const auto window = static_cast<std::int64_t>(pairs[i] >> 32);
          const std::uint32_t bits = ratio_bits(crowd, usual);
          for (std::size_t k = i; k < j; ++k) {
            const auto s = static_cast<std::size_t>(pairs[k] & 0xffffffffu);
            if (facts->window[s] != window || best[s].load(std::memory_order_relaxed) != bits) {
              continue;
            }
            alike[s].fetch_add(1, std::memory_order_relaxed);
            if (facts->item[s] == item) {
              facts->crowd[s] = crowd;
              facts->usual[s] = usual;
            }
          }
        });
      },
      kItemChunk);
  for (std::size_t s = 0; s < n_seq; ++s) facts->alike[s] = alike[s].load();
}

template void crowd_ratio<std::int32_t>(const std::int64_t*, std::int64_t, const std::int32_t*,
                                        std::int64_t, const std::int64_t*, std::int64_t,
                                        std::int64_t, std::int64_t, int, float*, const CrowdFacts*);
template void crowd_ratio<std::int64_t>(const std::int64_t*, std::int64_t, const std::int64_t*,
                                        std::int64_t, const std::int64_t*, std::int64_t,
                                        std::int64_t, std::int64_t, int, float*, const CrowdFacts*);

}  // namespace oddseq::encode
