#include "oddseq/graph/lockstep.hpp"

#include <omp.h>

#include <algorithm>
#include <limits>

#include "oddseq/core/check.hpp"
#include "oddseq/core/interrupt.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::graph {

namespace {

// Objects per block of the per-object passes (the unit of scheduling and of output).
constexpr std::int64_t kObjectBlock = 1024;
// Objects per bucket of the first level of the counting sort by object.
constexpr std::int64_t kBucketObjects = 4096;
// Per-thread row degrees while rows x threads is at most this many (else atomics).
constexpr std::int64_t kDegreeCells = std::int64_t{1} << 24;

}  // namespace

template <class KeyT>
ByObject events_by_object(const std::int64_t* event_offsets, std::int64_t n_rows, const KeyT* keys,
                          std::int64_t n_keys, std::int64_t n_objects, const TimeBins* time_bins,
                          int n_threads) {
  const TimeBins no_bins;
  const TimeBins& tb = time_bins != nullptr ? *time_bins : no_bins;
  const std::int64_t* times = time_bins != nullptr ? tb.times : nullptr;
  const std::int64_t t0 = tb.t0, window = tb.window, half = tb.half, n_bins = tb.n_bins;
  ODDSEQ_CHECK(n_rows >= 0 && n_objects >= 0 && n_keys >= 1, "bad graph sizes");
  ODDSEQ_CHECK(n_rows <= std::numeric_limits<std::int32_t>::max(), "more than 2^31 - 1 entities");
  ODDSEQ_CHECK(n_objects <= std::numeric_limits<std::int32_t>::max(), "more than 2^31 - 1 objects");
  const bool with_times = times != nullptr;
  const bool count_bins = with_times && tb.count_bins;
  if (with_times) {
    ODDSEQ_CHECK(window >= 1 && half >= 1 && half <= window, "bad window");
    ODDSEQ_CHECK(n_bins >= 1 && n_bins <= (std::int64_t{1} << 31), "bad number of bins");
  }
  const std::int64_t n_events = event_offsets[n_rows];
  const int threads = core::resolve_threads(n_threads);
  // A two-level counting sort: slots first to buckets of kBucketObjects objects (a few
  // thousand write streams instead of a cache miss per slot), then each bucket by
  // object while its counters are in cache. Both levels are stable, so each object's
  // slots keep the rows' order whatever the cut of rows into chunks.
  const std::int64_t n_buckets = std::max<std::int64_t>(1, core::div_up(n_objects, kBucketObjects));
  const std::int64_t n_chunks = std::min<std::int64_t>(threads, std::max<std::int64_t>(1, n_rows));
  std::vector<std::int64_t> chunk_row(static_cast<std::size_t>(n_chunks) + 1, n_rows);
  chunk_row[0] = 0;
  for (std::int64_t c = 1; c < n_chunks; ++c) {
    const std::int64_t target = n_events / n_chunks * c;
    chunk_row[static_cast<std::size_t>(c)] =
        std::upper_bound(event_offsets, event_offsets + n_rows + 1, target) - event_offsets - 1;
    chunk_row[static_cast<std::size_t>(c)] = std::max(chunk_row[static_cast<std::size_t>(c)],
                                                      chunk_row[static_cast<std::size_t>(c) - 1]);
  }
  const auto nb = static_cast<std::size_t>(n_bins);
  std::vector<std::vector<std::int64_t>> count(static_cast<std::size_t>(n_chunks));
  std::vector<std::vector<std::int64_t>> bins(static_cast<std::size_t>(n_chunks));
  // Pass 1: slots per bucket and events per bin, per chunk.
  core::parallel_for(n_chunks, threads, [&](std::int64_t c) {
    auto& cnt = count[static_cast<std::size_t>(c)];
    cnt.assign(static_cast<std::size_t>(n_buckets), 0);
    auto& bc = bins[static_cast<std::size_t>(c)];
    if (count_bins) bc.assign(2 * nb, 0);
    const std::int64_t begin = event_offsets[chunk_row[static_cast<std::size_t>(c)]];
    const std::int64_t end = event_offsets[chunk_row[static_cast<std::size_t>(c) + 1]];
    for (std::int64_t i = begin; i < end; ++i) {
      for (std::int64_t j = 0; j < n_keys; ++j) {
        const auto key = static_cast<std::int64_t>(keys[i * n_keys + j]);
        if (key < 0) continue;
        ODDSEQ_CHECK_RANGE(key < n_objects, "object code " << key << " out of range");
        ++cnt[static_cast<std::size_t>(key / kBucketObjects)];
      }
      if (with_times) {
        const std::int64_t rel = times[i] - t0;
        ODDSEQ_CHECK_RANGE(rel >= 0 && (rel + half) / window < n_bins,
                           "time " << times[i] << " outside the bins");
        if (count_bins) {
          ++bc[static_cast<std::size_t>(rel / window)];
          ++bc[nb + static_cast<std::size_t>((rel + half) / window)];
        }
      }
    }
  });
  core::throw_if_interrupted();
  std::vector<std::int64_t> bucket_start(static_cast<std::size_t>(n_buckets) + 1, 0);
  for (std::int64_t b = 0; b < n_buckets; ++b) {
    std::int64_t at = bucket_start[static_cast<std::size_t>(b)];
    for (auto& cnt : count) {
      const std::int64_t k = cnt[static_cast<std::size_t>(b)];
      cnt[static_cast<std::size_t>(b)] = at;  // the chunk's first place in the bucket
      at += k;
    }
    bucket_start[static_cast<std::size_t>(b) + 1] = at;
  }
  const std::int64_t n_slots = bucket_start[static_cast<std::size_t>(n_buckets)];
  ByObject out;
  if (count_bins) {
    out.bin_counts.assign(2 * nb, 0);
    for (const auto& bc : bins) {
      for (std::size_t b = 0; b < 2 * nb; ++b) out.bin_counts[b] += bc[b];
    }
  }
  bins.clear();
  // Pass 2: every slot to its bucket, rows in order.
  struct Slot {
    std::uint32_t object;
    std::int32_t row;
    std::uint32_t code;
  };
  std::vector<Slot> staged(static_cast<std::size_t>(n_slots));
  core::parallel_for(n_chunks, threads, [&](std::int64_t c) {
    auto& next = count[static_cast<std::size_t>(c)];
    for (std::int64_t r = chunk_row[static_cast<std::size_t>(c)];
         r < chunk_row[static_cast<std::size_t>(c) + 1]; ++r) {
      for (std::int64_t i = event_offsets[r]; i < event_offsets[r + 1]; ++i) {
        std::uint32_t code = 0;
        if (with_times) {
          const std::int64_t rel = times[i] - t0;
          code = static_cast<std::uint32_t>(2 * (rel / window) + (rel % window >= window - half));
        }
        for (std::int64_t j = 0; j < n_keys; ++j) {
          const auto key = static_cast<std::int64_t>(keys[i * n_keys + j]);
          if (key < 0) continue;
          const std::int64_t at = next[static_cast<std::size_t>(key / kBucketObjects)]++;
          staged[static_cast<std::size_t>(at)] =
              Slot{static_cast<std::uint32_t>(key), static_cast<std::int32_t>(r), code};
        }
      }
    }
  });
  count.clear();
  core::throw_if_interrupted();
  // Pass 3: each bucket by object, into the final arrays.
  out.offsets.assign(static_cast<std::size_t>(n_objects) + 1, 0);
  out.rows.resize(static_cast<std::size_t>(n_slots));
  if (with_times) out.codes.resize(static_cast<std::size_t>(n_slots));
  core::parallel_for_dynamic(n_buckets, threads, [&](std::int64_t b) {
    const std::int64_t first = b * kBucketObjects;
    const std::int64_t n_here = std::min(kBucketObjects, n_objects - first);
    if (n_here <= 0) return;
    std::vector<std::int64_t> next(static_cast<std::size_t>(n_here) + 1, 0);
    const std::int64_t begin = bucket_start[static_cast<std::size_t>(b)];
    const std::int64_t end = bucket_start[static_cast<std::size_t>(b) + 1];
    for (std::int64_t s = begin; s < end; ++s) {
      ++next[staged[static_cast<std::size_t>(s)].object - static_cast<std::uint64_t>(first) + 1];
    }
    next[0] = begin;
    for (std::int64_t k = 1; k <= n_here; ++k)
      next[static_cast<std::size_t>(k)] += next[static_cast<std::size_t>(k) - 1];
    for (std::int64_t k = 0; k < n_here; ++k) {
      out.offsets[static_cast<std::size_t>(first + k) + 1] = next[static_cast<std::size_t>(k) + 1];
    }
    for (std::int64_t s = begin; s < end; ++s) {
      const Slot& slot = staged[static_cast<std::size_t>(s)];
      const std::int64_t at = next[slot.object - static_cast<std::uint64_t>(first)]++;
      out.rows[static_cast<std::size_t>(at)] = slot.row;
      if (with_times) out.codes[static_cast<std::size_t>(at)] = slot.code;
    }
  });
  core::throw_if_interrupted();
  return out;
}

template ByObject events_by_object<std::int32_t>(const std::int64_t*, std::int64_t,
                                                 const std::int32_t*, std::int64_t, std::int64_t,
                                                 const TimeBins*, int);
template ByObject events_by_object<std::int64_t>(const std::int64_t*, std::int64_t,
                                                 const std::int64_t*, std::int64_t, std::int64_t,
                                                 const TimeBins*, int);

ObjectRows distinct_rows(const std::int64_t* offsets, std::int64_t n_objects,
                         const std::int32_t* rows, int n_threads) {
  ObjectRows out;
  out.offsets.assign(static_cast<std::size_t>(n_objects) + 1, 0);
  core::parallel_for(n_objects, n_threads, [&](std::int64_t o) {
    std::int64_t d = 0;
    for (std::int64_t s = offsets[o]; s < offsets[o + 1]; ++s) {
      d += (s == offsets[o] || rows[s] != rows[s - 1]);
    }
    out.offsets[static_cast<std::size_t>(o) + 1] = d;
  });
  for (std::int64_t o = 0; o < n_objects; ++o) {
    out.offsets[static_cast<std::size_t>(o) + 1] += out.offsets[static_cast<std::size_t>(o)];
  }
  out.rows.resize(static_cast<std::size_t>(out.offsets[static_cast<std::size_t>(n_objects)]));
  core::parallel_for(n_objects, n_threads, [&](std::int64_t o) {
    std::int64_t at = out.offsets[static_cast<std::size_t>(o)];
    for (std::int64_t s = offsets[o]; s < offsets[o + 1]; ++s) {
      if (s == offsets[o] || rows[s] != rows[s - 1])
        out.rows[static_cast<std::size_t>(at++)] = rows[s];
    }
  });
  return out;
}

namespace {

struct BlockColumns {
  std::int64_t n_edges = 0;
  std::int64_t n_columns = 0;
  std::vector<std::int64_t> object, slot, degree, member_count;
  std::vector<double> expected;
  std::vector<std::int32_t> members;
};

}  // namespace

Lockstep lockstep_columns(const std::int64_t* offsets, std::int64_t n_objects,
                          const std::int32_t* rows, const std::uint32_t* codes, std::int64_t n_rows,
                          const double* bin_share, std::int64_t n_bins, double min_lift,
                          int n_threads) {
  const int threads = core::resolve_threads(n_threads);
  Lockstep out;
  out.object_degree.assign(static_cast<std::size_t>(n_objects), 0);
  out.row_degree.assign(static_cast<std::size_t>(n_rows), 0);
  const std::int64_t n_blocks = core::div_up(n_objects, kObjectBlock);
  std::vector<BlockColumns> blocks(static_cast<std::size_t>(n_blocks));
  std::vector<std::vector<std::uint64_t>> buffers(static_cast<std::size_t>(threads));
  std::vector<std::vector<std::int64_t>> slot_counts(static_cast<std::size_t>(threads));
  // Each row's columns counted per thread and added up after, or with atomic increments
  // where per-thread counts would take too much memory (integer sums either way).
  const bool per_thread = n_rows * threads <= kDegreeCells;
  std::vector<std::vector<std::int64_t>> local(per_thread ? static_cast<std::size_t>(threads) : 0);
  for (auto& l : local) l.assign(static_cast<std::size_t>(n_rows), 0);
  std::int64_t* row_degree = out.row_degree.data();
  const auto bump = [&](std::int64_t row) {
    if (per_thread) {
      ++local[static_cast<std::size_t>(omp_get_thread_num())][static_cast<std::size_t>(row)];
    } else {
#pragma omp atomic
      ++row_degree[row];
    }
  };
  core::parallel_for_interruptible(
      n_blocks, threads,
      [&](std::int64_t block) {
        BlockColumns& bo = blocks[static_cast<std::size_t>(block)];
        auto& keys = buffers[static_cast<std::size_t>(omp_get_thread_num())];
        const std::int64_t stop = std::min(n_objects, (block + 1) * kObjectBlock);
        for (std::int64_t o = block * kObjectBlock; o < stop; ++o) {
          const std::int64_t begin = offsets[o], end = offsets[o + 1];
          if (begin == end) continue;
          std::int64_t degree = 0;
          for (std::int64_t s = begin; s < end; ++s) {
            ODDSEQ_CHECK_RANGE(rows[s] >= 0 && rows[s] < n_rows,
                               "row " << rows[s] << " out of range");
            ODDSEQ_CHECK_RANGE((codes[s] >> 1) + (codes[s] & 1) < n_bins,
                               "time code " << codes[s] << " outside the bins");
            degree += (s == begin || rows[s] != rows[s - 1]);
          }
          out.object_degree[static_cast<std::size_t>(o)] = degree;
          if (degree == 1 && end - begin == 1) {  // one event: one column per grid
            bump(rows[begin]);
            bump(rows[begin]);
            bo.n_edges += 2;
            bo.n_columns += 2;
            continue;
          }
          // (slot, row) keys of both grids, sorted: runs of one slot are the columns.
          keys.resize(static_cast<std::size_t>(2 * (end - begin)));
          if (end - begin >= n_bins) {
            // Many events: a counting sort by slot, which keeps the rows ascending.
            auto& next = slot_counts[static_cast<std::size_t>(omp_get_thread_num())];
            next.assign(static_cast<std::size_t>(2 * n_bins) + 1, 0);
            for (std::int64_t s = begin; s < end; ++s) {
              const std::uint64_t bin = codes[s] >> 1;
              ++next[2 * bin + 1];
              ++next[2 * (bin + (codes[s] & 1)) + 2];
            }
            for (std::size_t b = 1; b < next.size(); ++b) next[b] += next[b - 1];
            for (std::int64_t s = begin; s < end; ++s) {
              const std::uint64_t bin = codes[s] >> 1;
              const std::uint64_t row = static_cast<std::uint32_t>(rows[s]);
              const std::uint64_t slot_a = 2 * bin, slot_b = 2 * (bin + (codes[s] & 1)) + 1;
              keys[static_cast<std::size_t>(next[slot_a]++)] = (slot_a << 32) | row;
              keys[static_cast<std::size_t>(next[slot_b]++)] = (slot_b << 32) | row;
            }
          } else {
            std::size_t k = 0;
            for (std::int64_t s = begin; s < end; ++s) {
              const std::uint64_t bin = codes[s] >> 1;
              const std::uint64_t row = static_cast<std::uint32_t>(rows[s]);
              keys[k++] = ((2 * bin) << 32) | row;
              keys[k++] = ((2 * (bin + (codes[s] & 1)) + 1) << 32) | row;
            }
            std::sort(keys.begin(), keys.end());
          }
          std::size_t i = 0;
          while (i < keys.size()) {
            const std::uint64_t slot = keys[i] >> 32;
            std::size_t j = i;
            std::int64_t d = 0;
            while (j < keys.size() && (keys[j] >> 32) == slot) {
              if (j == i || keys[j] != keys[j - 1]) {
                ++d;
                bump(static_cast<std::int64_t>(keys[j] & 0xffffffffu));
              }
              ++j;
            }
            bo.n_edges += d;
            ++bo.n_columns;
            if (d >= 2) {
              const auto grid = static_cast<std::int64_t>(slot & 1);
              const auto bin = static_cast<std::int64_t>(slot >> 1);
              const double expected = static_cast<double>(degree) * bin_share[grid * n_bins + bin];
              if (static_cast<double>(d) >= min_lift * expected) {
                bo.object.push_back(o);
                bo.slot.push_back(static_cast<std::int64_t>(slot));
                bo.degree.push_back(d);
                bo.expected.push_back(expected);
                bo.member_count.push_back(d);
                for (std::size_t m = i; m < j; ++m) {
                  if (m == i || keys[m] != keys[m - 1]) {
                    bo.members.push_back(static_cast<std::int32_t>(keys[m] & 0xffffffffu));
                  }
                }
              }
            }
            i = j;
          }
        }
      },
      1);
  buffers.clear();
  slot_counts.clear();
  for (const auto& l : local) {
    for (std::int64_t r = 0; r < n_rows; ++r) row_degree[r] += l[static_cast<std::size_t>(r)];
  }
  local.clear();
  std::size_t n_candidates = 0, n_members = 0;
  for (const auto& bo : blocks) {
    out.n_edges += bo.n_edges;
    out.n_columns += bo.n_columns;
    n_candidates += bo.object.size();
    n_members += bo.members.size();
  }
  out.col_object.reserve(n_candidates);
  out.col_slot.reserve(n_candidates);
  out.col_degree.reserve(n_candidates);
  out.col_expected.reserve(n_candidates);
  out.member_offsets.reserve(n_candidates + 1);
  out.member_offsets.push_back(0);
  out.members.reserve(n_members);
  for (auto& bo : blocks) {
    out.col_object.insert(out.col_object.end(), bo.object.begin(), bo.object.end());
    out.col_slot.insert(out.col_slot.end(), bo.slot.begin(), bo.slot.end());
    out.col_degree.insert(out.col_degree.end(), bo.degree.begin(), bo.degree.end());
    out.col_expected.insert(out.col_expected.end(), bo.expected.begin(), bo.expected.end());
    for (const std::int64_t m : bo.member_count) {
      out.member_offsets.push_back(out.member_offsets.back() + m);
    }
    out.members.insert(out.members.end(), bo.members.begin(), bo.members.end());
    bo = BlockColumns{};
  }
  return out;
}

}  // namespace oddseq::graph
