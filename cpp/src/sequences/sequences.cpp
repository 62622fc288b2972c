#include "oddseq/sequences/sequences.hpp"

#include <algorithm>
#include <utility>

#include "oddseq/core/check.hpp"
#include "oddseq/core/interrupt.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::sequences {

namespace {

constexpr std::int64_t kGatherBlock = 1 << 14;

// Per-thread entity histograms cost n_threads * n_entities counters; beyond a budget of
// one counter per row (or 1M) fewer threads do the counting.
int counting_threads(std::int64_t n, std::int64_t n_entities, int n_threads) {
  const std::int64_t budget = std::max<std::int64_t>(n, 1 << 20);
  const std::int64_t affordable =
      std::max<std::int64_t>(1, budget / std::max<std::int64_t>(1, n_entities));
  return static_cast<int>(std::min<std::int64_t>(core::resolve_threads(n_threads), affordable));
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
  auto entity_of = [&](std::int64_t i) {
    return code_map != nullptr ? code_map[codes[i]] : codes[i];
  };
  const int threads = counting_threads(n, n_entities, n_threads);
  const std::int64_t chunk = core::div_up(std::max<std::int64_t>(n, 1), threads);
  // counts[t * n_entities + e]: rows of entity e in thread t's chunk, later its cursor.
  std::vector<std::int64_t> counts(static_cast<std::size_t>(threads) * n_entities, 0);
  core::ErrorCollector errors;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const std::int64_t begin = std::min(n, t * chunk);
    const std::int64_t end = std::min(n, begin + chunk);
    std::int64_t* local = counts.data() + static_cast<std::size_t>(t) * n_entities;
    try {
      for (std::int64_t i = begin; i < end; ++i) {
        const std::int64_t code = codes[i];
        ODDSEQ_CHECK_RANGE(
            code >= 0 && code < n_valid_codes,
            "entity code " << code << " at row " << i << " outside [0, " << n_valid_codes << ")");
        ++local[entity_of(i)];
      }
    } catch (...) {
      errors.capture();
    }
  }
  errors.rethrow_if_any();

  // Sequence sizes, then each thread's first slot within each sequence.
  core::parallel_for(n_entities, n_threads, [&](std::int64_t e) {
    std::int64_t total = 0;
    for (int t = 0; t < threads; ++t) total += counts[static_cast<std::size_t>(t) * n_entities + e];
    offsets[e + 1] = total;
  });
  offsets[0] = 0;
  for (std::int64_t e = 0; e < n_entities; ++e) offsets[e + 1] += offsets[e];
  core::parallel_for(n_entities, n_threads, [&](std::int64_t e) {
    std::int64_t cursor = offsets[e];
    for (int t = 0; t < threads; ++t) {
      std::int64_t& slot = counts[static_cast<std::size_t>(t) * n_entities + e];
      const std::int64_t size = slot;
      slot = cursor;
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
    std::int64_t* cursor = counts.data() + static_cast<std::size_t>(t) * n_entities;
    if (times != nullptr) {
      for (std::int64_t i = begin; i < end; ++i) {
        const std::int64_t slot = cursor[entity_of(i)]++;
        order[slot] = i;
        sorted_times[slot] = times[i];
      }
    } else {
      for (std::int64_t i = begin; i < end; ++i) order[cursor[entity_of(i)]++] = i;
    }
  }
  core::throw_if_interrupted();
  if (times == nullptr) return;

  // Within each sequence, order by time; most logs are already ordered, so check first.
  core::parallel_for_dynamic(
      n_entities, n_threads,
      [&](std::int64_t e) {
        const std::int64_t begin = offsets[e];
        const std::int64_t end = offsets[e + 1];
        bool sorted = true;
        for (std::int64_t j = begin; j + 1 < end; ++j) {
          if (sorted_times[j + 1] < sorted_times[j]) {
            sorted = false;
            break;
          }
        }
        if (sorted) return;
        std::vector<std::pair<std::int64_t, std::int64_t>> keyed;
        keyed.reserve(static_cast<std::size_t>(end - begin));
        for (std::int64_t j = begin; j < end; ++j) keyed.emplace_back(sorted_times[j], order[j]);
        std::stable_sort(keyed.begin(), keyed.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (std::int64_t j = begin; j < end; ++j) {
          sorted_times[j] = keyed[static_cast<std::size_t>(j - begin)].first;
          order[j] = keyed[static_cast<std::size_t>(j - begin)].second;
        }
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
