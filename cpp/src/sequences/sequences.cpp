#include "oddseq/sequences/sequences.hpp"

#include <algorithm>
#include <utility>

#include "oddseq/core/big_buffer.hpp"
#include "oddseq/core/check.hpp"
#include "oddseq/core/interrupt.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::sequences {

namespace {

constexpr std::int64_t kGatherBlock = 1 << 14;
// Sequences longer than this are sorted by time with every thread, in blocks of
// kSortBlock rows merged pairwise.
constexpr std::int64_t kLongSort = std::int64_t{1} << 18;
constexpr std::int64_t kSortBlock = std::int64_t{1} << 16;
// Beyond this many entities rows are grouped through buckets of entities.
constexpr std::int64_t kDirectEntities = std::int64_t{1} << 16;

// Per-thread entity histograms cost n_threads * n_entities counters; beyond a budget of
// one counter per row (or 1M) fewer threads do the counting.
int counting_threads(std::int64_t n, std::int64_t n_entities, int n_threads) {
  const std::int64_t budget = std::max<std::int64_t>(n, 1 << 20);
  const std::int64_t affordable =
      std::max<std::int64_t>(1, budget / std::max<std::int64_t>(1, n_entities));
  return static_cast<int>(std::min<std::int64_t>(core::resolve_threads(n_threads), affordable));
}

// Whether code_map sends each of n_codes codes to its own entity of n_entities (the
// relabelling that sorts a vocabulary): then rows can be counted and placed by their raw
// code, with the map read once per code instead of twice per row.
bool is_permutation(const std::int64_t* code_map, std::int64_t n_codes, std::int64_t n_entities) {
  if (code_map == nullptr || n_codes != n_entities) return false;
  std::vector<bool> seen(static_cast<std::size_t>(n_entities), false);
  for (std::int64_t c = 0; c < n_codes; ++c) {
    const auto e = static_cast<std::size_t>(code_map[c]);
    if (seen[e]) return false;
    seen[e] = true;
  }
  return true;
}

// The arrays written in the grouped order: the row numbers (in == nullptr), the times and
// the carried columns, each placed once by its row and then rearranged where it lies.
using Moved = std::vector<CarriedColumn>;

Moved moved_arrays(std::int64_t* order, const std::int64_t* times, std::int64_t* sorted_times,
                   const std::vector<CarriedColumn>& carried) {
  Moved moved;
  if (order != nullptr) moved.push_back({nullptr, order, 8});
  if (times != nullptr) moved.push_back({times, sorted_times, 8});
  for (const CarriedColumn& column : carried) {
    ODDSEQ_CHECK(
        column.width == 1 || column.width == 2 || column.width == 4 || column.width == 8,
        "group_rows: a carried column's width must be 1, 2, 4 or 8 bytes, got " << column.width);
    moved.push_back(column);
  }
  return moved;
}

// fn(T{}) with the unsigned type of `width` bytes: the arrays move as bits.
template <class Fn>
void with_width(int width, Fn&& fn) {
  switch (width) {
    case 1:
      fn(std::uint8_t{});
      break;
    case 2:
      fn(std::uint16_t{});
      break;
    case 4:
      fn(std::uint32_t{});
      break;
    default:
      fn(std::uint64_t{});
  }
}

// out[to] = in[row] (the row number itself for the order).
inline void place_row(const CarriedColumn& m, std::int64_t to, std::int64_t row) {
  switch (m.width) {
    case 1:
      static_cast<std::uint8_t*>(m.out)[to] = static_cast<const std::uint8_t*>(m.in)[row];
      break;
    case 2:
      static_cast<std::uint16_t*>(m.out)[to] = static_cast<const std::uint16_t*>(m.in)[row];
      break;
    case 4:
      static_cast<std::uint32_t*>(m.out)[to] = static_cast<const std::uint32_t*>(m.in)[row];
      break;
    default:
      static_cast<std::uint64_t*>(m.out)[to] = m.in == nullptr
                                                   ? static_cast<std::uint64_t>(row)
                                                   : static_cast<const std::uint64_t*>(m.in)[row];
  }
}

// A thread's scratch of T, reused across the calls of a thread. BigBuffers: a large one
// comes from the block pool, whose blocks go back to the system when freed (malloc's
// arenas of the OpenMP threads keep what they are given back).
template <class T>
core::BigBuffer<T>& scratch_of() {
  static thread_local core::BigBuffer<T> scratch;
  return scratch;
}

// A thread's scratch is kept for its next task only while it is small: a crawler's
// bucket (rows of one giant entity) would otherwise stay held by the OpenMP threads after
// the call, some 16 bytes a row per thread (80 MB after 4 M rows, review s40). The
// buckets of an even log stay under it (100 M rows of 1 M users: about 3 MB each).
constexpr std::size_t kKeptScratchBytes = std::size_t{16} << 20;

template <class T>
void release_if_large(core::BigBuffer<T>& scratch) {
  if (scratch.capacity() * sizeof(T) > kKeptScratchBytes) core::BigBuffer<T>().swap(scratch);
}

void release_scratch_if_large() {
  release_if_large(scratch_of<std::uint8_t>());
  release_if_large(scratch_of<std::uint16_t>());
  release_if_large(scratch_of<std::uint32_t>());
  release_if_large(scratch_of<std::uint64_t>());
}

// Positions [begin, begin + count) of every moved array but `skip` rearranged in place:
// with `scatter`, the element at begin + k goes to begin + index[k]; else begin + k takes
// the element at begin + index[k].
void rearrange(const Moved& moved, std::int64_t begin, std::int64_t count,
               const std::int64_t* index, bool scatter, const void* skip = nullptr) {
  for (const CarriedColumn& m : moved) {
    if (m.out == skip) continue;
    with_width(m.width, [&](auto zero) {
      using T = decltype(zero);
      T* base = static_cast<T*>(m.out) + begin;
      core::BigBuffer<T>& scratch = scratch_of<T>();
      scratch.resize(static_cast<std::size_t>(count));
      if (scatter) {
        for (std::int64_t k = 0; k < count; ++k) scratch[index[k]] = base[k];
      } else {
        for (std::int64_t k = 0; k < count; ++k) scratch[k] = base[index[k]];
      }
      std::copy(scratch.begin(), scratch.begin() + count, base);
    });
  }
}

// (time, position): positions within a sequence follow row order (every placement is
// stable), so ordering by them orders equal times by row.
using TimedPosition = std::pair<std::int64_t, std::int64_t>;

// Positions [begin, end) of one sequence ordered by (time, row). `buffer` and `from`
// are the caller's scratch.
void sort_by_time(std::int64_t begin, std::int64_t end, std::int64_t* sorted_times,
                  const Moved& moved, std::vector<TimedPosition>& buffer,
                  std::vector<std::int64_t>& from) {
  bool sorted = true;
  for (std::int64_t j = begin; j + 1 < end; ++j) {
    if (sorted_times[j + 1] < sorted_times[j]) {
      sorted = false;
      break;
    }
  }
  if (sorted) return;  // most logs are already ordered
  const std::int64_t count = end - begin;
  buffer.resize(static_cast<std::size_t>(count));
  for (std::int64_t k = 0; k < count; ++k) buffer[k] = {sorted_times[begin + k], k};
  std::sort(buffer.begin(), buffer.end());
  from.resize(static_cast<std::size_t>(count));
  for (std::int64_t k = 0; k < count; ++k) {
    sorted_times[begin + k] = buffer[k].first;  // the times come sorted with their positions
    from[k] = buffer[k].second;
  }
  rearrange(moved, begin, count, from.data(), false, sorted_times);
}

// The same for a sequence long enough to keep every thread busy (a crawler): blocks
// sorted in parallel, then merged pairwise, the merges of a round in parallel. (time,
// position) pairs are distinct, so the result is the one order whatever the thread count.
void sort_long_by_time(std::int64_t begin, std::int64_t end, std::int64_t* sorted_times,
                       const Moved& moved, int n_threads) {
  const std::int64_t n = end - begin;
  const std::int64_t n_blocks = core::div_up(n, kSortBlock);
  std::vector<char> block_sorted(static_cast<std::size_t>(n_blocks), 1);
  core::parallel_for(n_blocks, n_threads, [&](std::int64_t k) {
    const std::int64_t to = std::min(end, begin + (k + 1) * kSortBlock);
    for (std::int64_t j = std::max(begin + k * kSortBlock, begin + 1); j < to; ++j) {
      if (sorted_times[j] < sorted_times[j - 1]) {
        block_sorted[static_cast<std::size_t>(k)] = 0;
        break;
      }
    }
  });
  if (std::all_of(block_sorted.begin(), block_sorted.end(), [](char ok) { return ok != 0; })) {
    return;  // already ordered
  }
  core::BigBuffer<TimedPosition> a(static_cast<std::size_t>(n)), b(static_cast<std::size_t>(n));
  core::parallel_for(n, n_threads, [&](std::int64_t k) {
    a[static_cast<std::size_t>(k)] = {sorted_times[begin + k], k};
  });
  core::parallel_for_dynamic(n_blocks, n_threads, [&](std::int64_t k) {
    std::sort(a.begin() + k * kSortBlock, a.begin() + std::min(n, (k + 1) * kSortBlock));
  });
  // The last rounds have fewer pairs than threads: each merge is then cut into pieces of
  // its output, each piece's start in either run found by co-ranking (the merge path),
  // so the last merge of a crawler's rows is not one thread's work.
  const int threads = core::resolve_threads(n_threads);
  for (std::int64_t width = kSortBlock; width < n; width *= 2) {
    const std::int64_t n_pairs = core::div_up(n, 2 * width);
    const std::int64_t pieces = core::div_up(threads, n_pairs);
    core::parallel_for_dynamic(n_pairs * pieces, n_threads, [&](std::int64_t task) {
      const std::int64_t lo = task / pieces * 2 * width, piece = task % pieces;
      const std::int64_t mid = std::min(n, lo + width), hi = std::min(n, lo + 2 * width);
      const TimedPosition *left = a.data() + lo, *right = a.data() + mid;
      const std::int64_t n_left = mid - lo, n_right = hi - mid;
      const auto taken_from_left = [&](std::int64_t d) {  // of the first d merged
        std::int64_t low = std::max<std::int64_t>(0, d - n_right), high = std::min(d, n_left);
        while (low < high) {  // pairs are distinct: no tie to break
          const std::int64_t i = (low + high) / 2;
          if (left[i] < right[d - i - 1]) {
            low = i + 1;
          } else {
            high = i;
          }
        }
        return low;
      };
      const std::int64_t from = (hi - lo) * piece / pieces, to = (hi - lo) * (piece + 1) / pieces;
      const std::int64_t i0 = taken_from_left(from), i1 = taken_from_left(to);
      std::merge(left + i0, left + i1, right + (from - i0), right + (to - i1),
                 b.data() + lo + from);
    });
    a.swap(b);
  }
  // The times come sorted with their positions; each other array is rearranged by the
  // sorted positions, in parallel, through one scratch copy.
  core::parallel_for(n, n_threads, [&](std::int64_t k) {
    sorted_times[begin + k] = a[static_cast<std::size_t>(k)].first;
  });
  for (const CarriedColumn& m : moved) {
    if (m.out == sorted_times) continue;
    with_width(m.width, [&](auto zero) {
      using T = decltype(zero);
      T* base = static_cast<T*>(m.out) + begin;
      core::BigBuffer<T> scratch(static_cast<std::size_t>(n));
      core::parallel_for(n, n_threads, [&](std::int64_t k) {
        scratch[static_cast<std::size_t>(k)] = base[a[static_cast<std::size_t>(k)].second];
      });
      core::parallel_for(n, n_threads,
                         [&](std::int64_t k) { base[k] = scratch[static_cast<std::size_t>(k)]; });
    });
  }
}

// sort_long_by_time over every sequence longer than kLongSort.
void sort_long_sequences(const std::int64_t* offsets, std::int64_t n_entities,
                         std::int64_t* sorted_times, const Moved& moved, int n_threads) {
  for (std::int64_t e = 0; e < n_entities; ++e) {
    if (offsets[e + 1] - offsets[e] > kLongSort) {
      sort_long_by_time(offsets[e], offsets[e + 1], sorted_times, moved, n_threads);
    }
  }
}

// A counting sort's first pass: for each of `threads` chunks of the rows
// (core::for_each_chunk's), the rows of chunk t of each key, key_of(i) in [0, n_keys),
// counted into counts[t * n_keys + key], after checking the row's entity code against
// [0, n_valid_codes).
template <class KeyOf>
void count_chunks(const std::int64_t* codes, std::int64_t n, std::int64_t n_valid_codes,
                  int threads, std::int64_t n_keys, KeyOf&& key_of, std::int64_t* counts) {
  core::for_each_chunk(n, threads, [&](int t, std::int64_t begin, std::int64_t end) {
    std::int64_t* local = counts + static_cast<std::size_t>(t) * n_keys;
    for (std::int64_t i = begin; i < end; ++i) {
      const std::int64_t code = codes[i];
      ODDSEQ_CHECK_RANGE(code >= 0 && code < n_valid_codes, "entity code " << code << " at row "
                                                                           << i << " outside [0, "
                                                                           << n_valid_codes << ")");
      ++local[key_of(i)];
    }
  });
}

// Many entities: scattering rows straight to their entity's place writes to as many
// places at once as there are entities, a cache and TLB miss per row once they outnumber
// the cache (100 M rows of 1 M entities took 8-14 s that way). Rows go first to buckets
// of kBucketEntities consecutive entities (a few hundred write streams per array), then
// each bucket is grouped by entity, and its sequences sorted by time, while it is in
// cache. Same result as the direct scatter: stable within each entity, then by time.
template <class EntityOf>
void group_rows_bucketed(const std::int64_t* codes, std::int64_t n, std::int64_t n_valid_codes,
                         EntityOf&& entity_of, std::int64_t n_entities, const Moved& moved,
                         std::int64_t* sorted_times, int n_threads, std::int64_t* offsets) {
  // 4,096 entities a bucket: 1,024 (244 buckets -> 977 at 1 M entities) made the scatter
  // below write to three times as many places at once, and it took 4.8-5.5 s instead of
  // 1.0-2.0 s for 100 M rows on 2 threads. (uint16_t `within` holds up to 65,536.)
  constexpr int kShift = 12;
  constexpr std::int64_t kBucketEntities = std::int64_t{1} << kShift;
  const std::int64_t n_buckets = core::div_up(n_entities, kBucketEntities);
  const int threads = core::resolve_threads(n_threads);
  // cursor[t * n_buckets + b]: rows of bucket b in chunk t of the rows, later its place.
  std::vector<std::int64_t> cursor(static_cast<std::size_t>(threads * n_buckets), 0);
  count_chunks(
      codes, n, n_valid_codes, threads, n_buckets,
      [&](std::int64_t i) { return entity_of(i) >> kShift; }, cursor.data());
  std::vector<std::int64_t> bucket_start(static_cast<std::size_t>(n_buckets) + 1, 0);
  std::int64_t running = 0;
  for (std::int64_t b = 0; b < n_buckets; ++b) {
    bucket_start[b] = running;
    for (int t = 0; t < threads; ++t) {
      std::int64_t& c = cursor[static_cast<std::size_t>(t * n_buckets + b)];
      const std::int64_t size = c;
      c = running;
      running += size;
    }
  }
  bucket_start[n_buckets] = running;
  // Each row's entity within its bucket, beside the moved arrays.
  core::BigBuffer<std::uint16_t> within(static_cast<std::size_t>(n));
  core::for_each_chunk(n, threads, [&](int t, std::int64_t begin, std::int64_t end) {
    std::int64_t* place = cursor.data() + static_cast<std::size_t>(t) * n_buckets;
    for (std::int64_t i = begin; i < end; ++i) {
      const std::int64_t e = entity_of(i);
      const std::int64_t j = place[e >> kShift]++;
      within[static_cast<std::size_t>(j)] = static_cast<std::uint16_t>(e & (kBucketEntities - 1));
      for (const CarriedColumn& m : moved) place_row(m, j, i);
    }
  });
  core::throw_if_interrupted();
  offsets[n_entities] = n;
  core::parallel_for_dynamic(n_buckets, n_threads, [&](std::int64_t b) {
    static thread_local core::BigBuffer<std::int64_t> dest;
    static thread_local std::vector<std::int64_t> from;
    static thread_local std::vector<TimedPosition> buffer;
    const std::int64_t begin = bucket_start[b], end = bucket_start[b + 1];
    const std::int64_t first = b * kBucketEntities;
    const std::int64_t count = std::min(kBucketEntities, n_entities - first);
    std::int64_t next[kBucketEntities + 1] = {0};
    for (std::int64_t j = begin; j < end; ++j) ++next[within[static_cast<std::size_t>(j)] + 1];
    for (std::int64_t k = 0; k < count; ++k) {
      next[k + 1] += next[k];
      offsets[first + k] = begin + next[k];
    }
    dest.resize(static_cast<std::size_t>(end - begin));
    for (std::int64_t j = begin; j < end; ++j) {
      dest[static_cast<std::size_t>(j - begin)] = next[within[static_cast<std::size_t>(j)]]++;
    }
    rearrange(moved, begin, end - begin, dest.data(), true);
    release_if_large(dest);
    release_scratch_if_large();
    if (sorted_times == nullptr) return;
    for (std::int64_t k = 0; k < count; ++k) {
      // next[k] has moved to the end of entity k (the next bucket's offsets may not be
      // written yet).
      const std::int64_t from_row = offsets[first + k], to = begin + next[k];
      if (to - from_row <= kLongSort) sort_by_time(from_row, to, sorted_times, moved, buffer, from);
    }
  });
}

}  // namespace

void group_rows(const std::int64_t* codes, std::int64_t n, const std::int64_t* code_map,
                std::int64_t n_codes, std::int64_t n_entities, const std::int64_t* times,
                int n_threads, std::int64_t* order, std::int64_t* offsets,
                std::int64_t* sorted_times, const std::vector<CarriedColumn>& carried) {
  ODDSEQ_CHECK(n >= 0 && n_entities >= 0, "group_rows: negative size");
  ODDSEQ_CHECK(times == nullptr || sorted_times != nullptr, "group_rows: sorted_times missing");
  if (code_map != nullptr) {
    for (std::int64_t c = 0; c < n_codes; ++c) {
      ODDSEQ_CHECK_RANGE(
          code_map[c] >= 0 && code_map[c] < n_entities,
          "code_map[" << c << "] = " << code_map[c] << " outside [0, " << n_entities << ")");
    }
  }
  const Moved moved = moved_arrays(order, times, sorted_times, carried);
  std::int64_t* grouped_times = times != nullptr ? sorted_times : nullptr;
  const std::int64_t n_valid_codes = code_map != nullptr ? n_codes : n_entities;
  if (n_entities > kDirectEntities) {
    auto entity_of = [&](std::int64_t i) {
      return code_map != nullptr ? code_map[codes[i]] : codes[i];
    };
    group_rows_bucketed(codes, n, n_valid_codes, entity_of, n_entities, moved, grouped_times,
                        n_threads, offsets);
    if (times != nullptr) sort_long_sequences(offsets, n_entities, sorted_times, moved, n_threads);
    return;
  }
  // Rows are counted and placed by `slot_of(i)`: the entity, or the raw code when the map
  // is a permutation (entity_of_slot then maps slots to entities once per slot).
  const bool by_raw_code = is_permutation(code_map, n_codes, n_entities);
  const std::int64_t n_slots = n_entities;
  auto slot_of = [&](std::int64_t i) {
    return code_map != nullptr && !by_raw_code ? code_map[codes[i]] : codes[i];
  };
  auto entity_of_slot = [&](std::int64_t slot) { return by_raw_code ? code_map[slot] : slot; };
  const int threads = counting_threads(n, n_entities, n_threads);
  // counts[t * n_slots + k]: rows of slot k in chunk t of the rows, later its cursor.
  std::vector<std::int64_t> counts(static_cast<std::size_t>(threads) * n_slots, 0);
  count_chunks(codes, n, n_valid_codes, threads, n_slots, slot_of, counts.data());

  // Sequence sizes, then each thread's first place within each sequence.
  core::parallel_for(n_slots, n_threads, [&](std::int64_t k) {
    std::int64_t total = 0;
    for (int t = 0; t < threads; ++t) total += counts[static_cast<std::size_t>(t) * n_slots + k];
    offsets[entity_of_slot(k) + 1] = total;
  });
  offsets[0] = 0;
  for (std::int64_t e = 0; e < n_entities; ++e) offsets[e + 1] += offsets[e];
  core::parallel_for(n_slots, n_threads, [&](std::int64_t k) {
    std::int64_t cursor = offsets[entity_of_slot(k)];
    for (int t = 0; t < threads; ++t) {
      std::int64_t& place = counts[static_cast<std::size_t>(t) * n_slots + k];
      const std::int64_t size = place;
      place = cursor;
      cursor += size;
    }
  });
  // Scatter the rows' arrays (the times read in order, so the time sort below touches
  // only contiguous memory).
  core::for_each_chunk(n, threads, [&](int t, std::int64_t begin, std::int64_t end) {
    std::int64_t* cursor = counts.data() + static_cast<std::size_t>(t) * n_slots;
    for (std::int64_t i = begin; i < end; ++i) {
      const std::int64_t place = cursor[slot_of(i)]++;
      for (const CarriedColumn& m : moved) place_row(m, place, i);
    }
  });
  core::throw_if_interrupted();
  if (times == nullptr) return;

  // Within each sequence, order by time: sequences long enough to keep every thread busy
  // one at a time with all threads, the others one per thread.
  sort_long_sequences(offsets, n_entities, sorted_times, moved, n_threads);
  core::parallel_for_dynamic(
      n_entities, n_threads,
      [&](std::int64_t e) {
        if (offsets[e + 1] - offsets[e] > kLongSort) return;  // done above
        static thread_local std::vector<TimedPosition> buffer;
        static thread_local std::vector<std::int64_t> from;
        sort_by_time(offsets[e], offsets[e + 1], sorted_times, moved, buffer, from);
      },
      64);
}

template <class T>
void gather(const T* src, std::int64_t n_src, const std::int64_t* index, std::int64_t n, T* dst,
            int n_threads) {
  const std::int64_t blocks = core::div_up(n, kGatherBlock);
  core::parallel_for(blocks, n_threads, [&](std::int64_t b) {
    const std::int64_t end = std::min(n, (b + 1) * kGatherBlock);
    for (std::int64_t i = b * kGatherBlock; i < end; ++i) {
      const std::int64_t j = index[i];
      ODDSEQ_CHECK_RANGE(j >= 0 && j < n_src,
                         "gather index " << j << " outside [0, " << n_src << ")");
      dst[i] = src[j];
    }
  });
}

template void gather<std::int32_t>(const std::int32_t*, std::int64_t, const std::int64_t*,
                                   std::int64_t, std::int32_t*, int);
template void gather<std::int64_t>(const std::int64_t*, std::int64_t, const std::int64_t*,
                                   std::int64_t, std::int64_t*, int);
template void gather<float>(const float*, std::int64_t, const std::int64_t*, std::int64_t, float*,
                            int);
template void gather<double>(const double*, std::int64_t, const std::int64_t*, std::int64_t,
                             double*, int);

SessionSplit split_by_gap(const std::int64_t* offsets, std::int64_t n_sequences,
                          const std::int64_t* times, std::int64_t max_gap, int n_threads) {
  ODDSEQ_CHECK(max_gap > 0, "split_by_gap: max_gap must be positive, got " << max_gap);
  std::vector<std::int64_t> per_sequence(static_cast<std::size_t>(n_sequences), 0);
  core::parallel_for(n_sequences, n_threads, [&](std::int64_t s) {
    std::int64_t sessions = offsets[s + 1] > offsets[s] ? 1 : 0;
    for (std::int64_t i = offsets[s] + 1; i < offsets[s + 1]; ++i) {
      if (times[i] - times[i - 1] > max_gap) ++sessions;
    }
    per_sequence[static_cast<std::size_t>(s)] = sessions;
  });
  std::vector<std::int64_t> first_session(static_cast<std::size_t>(n_sequences) + 1, 0);
  for (std::int64_t s = 0; s < n_sequences; ++s) {
    first_session[s + 1] = first_session[s] + per_sequence[static_cast<std::size_t>(s)];
  }
  const std::int64_t total = first_session[static_cast<std::size_t>(n_sequences)];
  SessionSplit out;
  out.offsets.assign(static_cast<std::size_t>(total) + 1, offsets[n_sequences]);
  out.parent.resize(static_cast<std::size_t>(total));
  out.session_number.resize(static_cast<std::size_t>(total));
  core::parallel_for(n_sequences, n_threads, [&](std::int64_t s) {
    std::int64_t session = first_session[static_cast<std::size_t>(s)];
    if (offsets[s + 1] == offsets[s]) return;
    std::int64_t number = 0;
    out.offsets[session] = offsets[s];
    out.parent[session] = s;
    out.session_number[session] = 0;
    for (std::int64_t i = offsets[s] + 1; i < offsets[s + 1]; ++i) {
      if (times[i] - times[i - 1] > max_gap) {
        ++session;
        ++number;
        out.offsets[session] = i;
        out.parent[session] = s;
        out.session_number[session] = number;
      }
    }
  });
  return out;
}

Ranges count_windows(const std::int64_t* offsets, std::int64_t n_sequences, std::int64_t length,
                     std::int64_t stride) {
  ODDSEQ_CHECK(length > 0 && stride > 0, "count_windows: length and stride must be positive");
  Ranges out;
  for (std::int64_t s = 0; s < n_sequences; ++s) {
    const std::int64_t size = offsets[s + 1] - offsets[s];
    if (size == 0) continue;
    if (size <= length) {
      out.starts.push_back(offsets[s]);
      out.stops.push_back(offsets[s + 1]);
      out.parent.push_back(s);
      out.origin.push_back(0);
      continue;
    }
    for (std::int64_t start = 0; start + length <= size; start += stride) {
      out.starts.push_back(offsets[s] + start);
      out.stops.push_back(offsets[s] + start + length);
      out.parent.push_back(s);
      out.origin.push_back(start);
    }
  }
  return out;
}

Ranges time_windows(const std::int64_t* offsets, std::int64_t n_sequences,
                    const std::int64_t* times, std::int64_t width, std::int64_t step,
                    int n_threads) {
  ODDSEQ_CHECK(width > 0 && step > 0, "time_windows: width and step must be positive");
  // Per-sequence windows first (parallel), then concatenated in sequence order.
  std::vector<Ranges> local(static_cast<std::size_t>(n_sequences));
  core::parallel_for_dynamic(
      n_sequences, n_threads,
      [&](std::int64_t s) {
        const std::int64_t begin = offsets[s];
        const std::int64_t end = offsets[s + 1];
        if (begin == end) return;
        Ranges& r = local[static_cast<std::size_t>(s)];
        const std::int64_t t0 = times[begin];
        const std::int64_t t_last = times[end - 1];
        std::int64_t lo = begin;
        std::int64_t hi = begin;
        for (std::int64_t j = 0;; ++j) {
          const std::int64_t start = t0 + j * step;
          if (start > t_last) break;
          const std::int64_t stop_time = start + width;
          while (lo < end && times[lo] < start) ++lo;
          if (hi < lo) hi = lo;
          while (hi < end && times[hi] < stop_time) ++hi;
          if (hi > lo) {
            r.starts.push_back(lo);
            r.stops.push_back(hi);
            r.parent.push_back(s);
            r.origin.push_back(start);
          } else if (lo < end) {
            // Jump over an idle stretch instead of stepping through empty windows.
            const std::int64_t next = times[lo];
            const std::int64_t skip = (next - start - width) / step;
            if (skip > 0) j += skip;
          }
        }
      },
      64);
  Ranges out;
  for (auto& r : local) {
    out.starts.insert(out.starts.end(), r.starts.begin(), r.starts.end());
    out.stops.insert(out.stops.end(), r.stops.begin(), r.stops.end());
    out.parent.insert(out.parent.end(), r.parent.begin(), r.parent.end());
    out.origin.insert(out.origin.end(), r.origin.begin(), r.origin.end());
  }
  return out;
}

void ranges_to_index(const std::int64_t* starts, const std::int64_t* stops, std::int64_t n_ranges,
                     int n_threads, std::int64_t* offsets_out, std::int64_t* index_out) {
  offsets_out[0] = 0;
  for (std::int64_t r = 0; r < n_ranges; ++r) {
    ODDSEQ_CHECK(stops[r] >= starts[r], "range " << r << " ends before it starts");
    offsets_out[r + 1] = offsets_out[r] + (stops[r] - starts[r]);
  }
  core::parallel_for(n_ranges, n_threads, [&](std::int64_t r) {
    std::int64_t* dst = index_out + offsets_out[r];
    for (std::int64_t i = starts[r]; i < stops[r]; ++i) *dst++ = i;
  });
}

}  // namespace oddseq::sequences
