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

using TimedRow = std::pair<std::int64_t, std::int64_t>;  // (time, row)

// Rows [begin, end) of one sequence ordered by (time, row): rows come in row order, so
// this is the stable order by time. `buffer` is the caller's scratch.
void sort_by_time(std::int64_t begin, std::int64_t end, std::int64_t* order,
                  std::int64_t* sorted_times, std::vector<TimedRow>& buffer) {
  bool sorted = true;
  for (std::int64_t j = begin; j + 1 < end; ++j) {
    if (sorted_times[j + 1] < sorted_times[j]) {
      sorted = false;
      break;
    }
  }
  if (sorted) return;  // most logs are already ordered
  buffer.resize(static_cast<std::size_t>(end - begin));
  for (std::int64_t j = begin; j < end; ++j) {
    buffer[static_cast<std::size_t>(j - begin)] = {sorted_times[j], order[j]};
  }
  std::sort(buffer.begin(), buffer.end());
  for (std::int64_t j = begin; j < end; ++j) {
    sorted_times[j] = buffer[static_cast<std::size_t>(j - begin)].first;
    order[j] = buffer[static_cast<std::size_t>(j - begin)].second;
  }
}

// The same for a sequence long enough to keep every thread busy (a crawler): blocks
// sorted in parallel, then merged pairwise, the merges of a round in parallel. (time,
// row) pairs are distinct, so the result is the one order whatever the thread count.
void sort_long_by_time(std::int64_t begin, std::int64_t end, std::int64_t* order,
                       std::int64_t* sorted_times, int n_threads) {
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
  std::vector<TimedRow> a(static_cast<std::size_t>(n)), b(static_cast<std::size_t>(n));
  core::parallel_for(n, n_threads, [&](std::int64_t j) {
    a[static_cast<std::size_t>(j)] = {sorted_times[begin + j], order[begin + j]};
  });
  core::parallel_for_dynamic(n_blocks, n_threads, [&](std::int64_t k) {
    std::sort(a.begin() + k * kSortBlock, a.begin() + std::min(n, (k + 1) * kSortBlock));
  });
  for (std::int64_t width = kSortBlock; width < n; width *= 2) {
    const std::int64_t n_pairs = core::div_up(n, 2 * width);
    core::parallel_for_dynamic(n_pairs, n_threads, [&](std::int64_t k) {
      const std::int64_t lo = k * 2 * width;
      const std::int64_t mid = std::min(n, lo + width), hi = std::min(n, lo + 2 * width);
      std::merge(a.begin() + lo, a.begin() + mid, a.begin() + mid, a.begin() + hi, b.begin() + lo);
    });
    a.swap(b);
  }
  core::parallel_for(n, n_threads, [&](std::int64_t j) {
    sorted_times[begin + j] = a[static_cast<std::size_t>(j)].first;
    order[begin + j] = a[static_cast<std::size_t>(j)].second;
  });
}

// sort_long_by_time over every sequence longer than kLongSort.
void sort_long_sequences(const std::int64_t* offsets, std::int64_t n_entities, std::int64_t* order,
                         std::int64_t* sorted_times, int n_threads) {
  for (std::int64_t e = 0; e < n_entities; ++e) {
    if (offsets[e + 1] - offsets[e] > kLongSort) {
      sort_long_by_time(offsets[e], offsets[e + 1], order, sorted_times, n_threads);
    }
  }
}

// A counting sort's first pass: thread t counts the rows of its chunk
// [t * chunk, (t + 1) * chunk) of each key, key_of(i) in [0, n_keys), into
// counts[t * n_keys + key], after checking the row's entity code against
// [0, n_valid_codes).
template <class KeyOf>
void count_chunks(const std::int64_t* codes, std::int64_t n, std::int64_t n_valid_codes,
                  int threads, std::int64_t chunk, std::int64_t n_keys, KeyOf&& key_of,
                  std::int64_t* counts) {
  core::ErrorCollector errors;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const std::int64_t begin = std::min(n, t * chunk), end = std::min(n, begin + chunk);
    std::int64_t* local = counts + static_cast<std::size_t>(t) * n_keys;
    try {
      for (std::int64_t i = begin; i < end; ++i) {
        const std::int64_t code = codes[i];
        ODDSEQ_CHECK_RANGE(
            code >= 0 && code < n_valid_codes,
            "entity code " << code << " at row " << i << " outside [0, " << n_valid_codes << ")");
        ++local[key_of(i)];
      }
    } catch (...) {
      errors.capture();
    }
  }
  errors.rethrow_if_any();
}

// Many entities: scattering rows straight to their entity's place writes to as many
// places at once as there are entities, a cache and TLB miss per row once they outnumber
// the cache (100 M rows of 1 M entities took 8-14 s that way). Rows go first to buckets
// of kBucketEntities consecutive entities (a few hundred write streams), then each
// bucket is grouped by entity, and its sequences sorted by time, while it is in cache.
// Same result as the direct scatter: stable within each entity, then by time.
template <class EntityOf>
void group_rows_bucketed(const std::int64_t* codes, std::int64_t n, std::int64_t n_valid_codes,
                         EntityOf&& entity_of, std::int64_t n_entities, const std::int64_t* times,
                         int n_threads, std::int64_t* order, std::int64_t* offsets,
                         std::int64_t* sorted_times) {
  // 4,096 entities a bucket: 1,024 (244 buckets -> 977 at 1 M entities) made the scatter
  // below write to three times as many places at once, and it took 4.8-5.5 s instead of
  // 1.0-2.0 s for 100 M rows on 2 threads. (uint16_t `within` holds up to 65,536.)
  constexpr int kShift = 12;
  constexpr std::int64_t kBucketEntities = std::int64_t{1} << kShift;
  const std::int64_t n_buckets = core::div_up(n_entities, kBucketEntities);
  const int threads = core::resolve_threads(n_threads);
  const std::int64_t chunk = core::div_up(std::max<std::int64_t>(n, 1), threads);
  // cursor[t * n_buckets + b]: rows of bucket b in thread t's chunk, later its place.
  std::vector<std::int64_t> cursor(static_cast<std::size_t>(threads * n_buckets), 0);
  count_chunks(
      codes, n, n_valid_codes, threads, chunk, n_buckets,
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
  // Each row's entity within its bucket, beside its row number and time.
  core::BigBuffer<std::uint16_t> within(static_cast<std::size_t>(n));
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const std::int64_t begin = std::min(n, t * chunk), end = std::min(n, begin + chunk);
    std::int64_t* place = cursor.data() + static_cast<std::size_t>(t) * n_buckets;
    for (std::int64_t i = begin; i < end; ++i) {
      const std::int64_t e = entity_of(i);
      const std::int64_t j = place[e >> kShift]++;
      order[j] = i;
      within[static_cast<std::size_t>(j)] = static_cast<std::uint16_t>(e & (kBucketEntities - 1));
      if (times != nullptr) sorted_times[j] = times[i];
    }
  }
  core::throw_if_interrupted();
  offsets[n_entities] = n;
  core::parallel_for_dynamic(n_buckets, n_threads, [&](std::int64_t b) {
    static thread_local std::vector<std::int64_t> rows, stamps;
    static thread_local std::vector<TimedRow> buffer;
    const std::int64_t begin = bucket_start[b], end = bucket_start[b + 1];
    const std::int64_t first = b * kBucketEntities;
    const std::int64_t count = std::min(kBucketEntities, n_entities - first);
    std::int64_t next[kBucketEntities + 1] = {0};
    for (std::int64_t j = begin; j < end; ++j) ++next[within[static_cast<std::size_t>(j)] + 1];
    for (std::int64_t k = 0; k < count; ++k) {
      next[k + 1] += next[k];
      offsets[first + k] = begin + next[k];
    }
    rows.resize(static_cast<std::size_t>(end - begin));
    if (times != nullptr) stamps.resize(static_cast<std::size_t>(end - begin));
    for (std::int64_t j = begin; j < end; ++j) {
      const auto p = static_cast<std::size_t>(next[within[static_cast<std::size_t>(j)]]++);
      rows[p] = order[j];
      if (times != nullptr) stamps[p] = sorted_times[j];
    }
    std::copy(rows.begin(), rows.end(), order + begin);
    if (times == nullptr) return;
    std::copy(stamps.begin(), stamps.end(), sorted_times + begin);
    for (std::int64_t k = 0; k < count; ++k) {
      // next[k] has moved to the end of entity k (the next bucket's offsets may not be
      // written yet).
      const std::int64_t from = offsets[first + k], to = begin + next[k];
      if (to - from <= kLongSort) sort_by_time(from, to, order, sorted_times, buffer);
    }
  });
}

}  // namespace

void group_rows(const std::int64_t* codes, std::int64_t n, const std::int64_t* code_map,
                std::int64_t n_codes, std::int64_t n_entities, const std::int64_t* times,
                int n_threads, std::int64_t* order, std::int64_t* offsets,
                std::int64_t* sorted_times) {
  ODDSEQ_CHECK(n >= 0 && n_entities >= 0, "group_rows: negative size");
  ODDSEQ_CHECK(times == nullptr || sorted_times != nullptr, "group_rows: sorted_times missing");
  if (code_map != nullptr) {
    for (std::int64_t c = 0; c < n_codes; ++c) {
      ODDSEQ_CHECK_RANGE(
          code_map[c] >= 0 && code_map[c] < n_entities,
          "code_map[" << c << "] = " << code_map[c] << " outside [0, " << n_entities << ")");
    }
  }
  const std::int64_t n_valid_codes = code_map != nullptr ? n_codes : n_entities;
  if (n_entities > kDirectEntities) {
    auto entity_of = [&](std::int64_t i) {
      return code_map != nullptr ? code_map[codes[i]] : codes[i];
    };
    group_rows_bucketed(codes, n, n_valid_codes, entity_of, n_entities, times, n_threads, order,
                        offsets, sorted_times);
    if (times != nullptr) sort_long_sequences(offsets, n_entities, order, sorted_times, n_threads);
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
  const std::int64_t chunk = core::div_up(std::max<std::int64_t>(n, 1), threads);
  // counts[t * n_slots + k]: rows of slot k in thread t's chunk, later its cursor.
  std::vector<std::int64_t> counts(static_cast<std::size_t>(threads) * n_slots, 0);
  count_chunks(codes, n, n_valid_codes, threads, chunk, n_slots, slot_of, counts.data());

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
  // Scatter rows (and their times, read in order, so the time sort below touches only
  // contiguous memory).
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const std::int64_t begin = std::min(n, t * chunk);
    const std::int64_t end = std::min(n, begin + chunk);
    std::int64_t* cursor = counts.data() + static_cast<std::size_t>(t) * n_slots;
    if (times != nullptr) {
      for (std::int64_t i = begin; i < end; ++i) {
        const std::int64_t place = cursor[slot_of(i)]++;
        order[place] = i;
        sorted_times[place] = times[i];
      }
    } else {
      for (std::int64_t i = begin; i < end; ++i) order[cursor[slot_of(i)]++] = i;
    }
  }
  core::throw_if_interrupted();
  if (times == nullptr) return;

  // Within each sequence, order by time: sequences long enough to keep every thread busy
  // one at a time with all threads, the others one per thread.
  sort_long_sequences(offsets, n_entities, order, sorted_times, n_threads);
  core::parallel_for_dynamic(
      n_entities, n_threads,
      [&](std::int64_t e) {
        if (offsets[e + 1] - offsets[e] > kLongSort) return;  // done above
        static thread_local std::vector<TimedRow> buffer;
        sort_by_time(offsets[e], offsets[e + 1], order, sorted_times, buffer);
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
