#pragma once
// Keys of a table's rows and columns by their content, not their position: what the
// order-free draws (k-means++'s races, the isolation forest's subsamples) are keyed by,
// so that reordering the rows (renamed entities) or the columns (relabelled event types)
// draws the same rows and columns.
//
// The draws key values rounded (key_bits): to kKeyMantissaBits fraction bits (17
// significant with the leading one), and below 2^-kKeyFloorBits of their column's
// largest magnitude to 0 (key_floors). Keyed by their exact bits, one value's last bit
// anywhere re-keyed every column, so every draw, as a new seed would: a sum rounded in
// another order (another machine's numpy, a feature computed another way: 5.6e-17 for 0)
// gave other verdicts on the same log.
// Rounded, such noise re-keys nothing, but where a value lies within it of a rounding
// edge: a relative change of 1e-12 moves about one value in 2^23 across one, so a log of
// N values so moved re-keys with a chance of about N / 2^23 (the edges lie on no value
// of fewer than 53 significant bits: integers and short fractions never sit on one).
// Rows are still compared by their exact values wherever identity matters
// (identical_groups, compare_rows), and rows equal to the rounding but not exactly, which
// share a rounded hash, are told apart for the draws (draw_hashes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "oddseq/core/hash.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::core {

// A value's bits as double, -0.0 as 0.0.
template <class T>
std::uint64_t value_bits(T x) {
  const double value = static_cast<double>(x) + 0.0;
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// Fraction bits a key keeps of a value's 52; values below 2^-kKeyFloorBits of their
// column's largest magnitude key as 0.
constexpr int kKeyMantissaBits = 16;
constexpr int kKeyFloorBits = 40;
// The salt of a near-equal row's number (draw_hashes): hexadecimal digits of e.
constexpr std::uint64_t kNearTieSalt = 0xB7E151628AED2A6BULL;

// Each column's floor: 2^(e - kKeyFloorBits) for the column's largest finite magnitude in
// [2^e, 2^(e+1)); 0 for a column of zeros. Maxima are exact in any order: the same
// floors for any row order, partition or thread count, and a data set cut into parts has
// the largest of its parts' floors.
template <class T>
std::vector<double> key_floors(const T* x, std::int64_t n, std::int64_t d, int n_threads) {
  constexpr std::int64_t kChunk = 4096;
  const std::int64_t n_chunks = div_up(n, kChunk);
  std::vector<double> partial(static_cast<std::size_t>(n_chunks * d), 0.0);
  parallel_for(n_chunks, n_threads, [&](std::int64_t c) {
    double* out = partial.data() + c * d;
    const std::int64_t end = std::min(n, (c + 1) * kChunk);
    for (std::int64_t i = c * kChunk; i < end; ++i) {
      const T* row = x + i * d;
      // (Selects, not branches, so that the loop over a row's columns vectorises.)
      for (std::int64_t j = 0; j < d; ++j) {
        const double magnitude = std::fabs(static_cast<double>(row[j]));
        const double finite = magnitude <= std::numeric_limits<double>::max() ? magnitude : 0.0;
        out[j] = out[j] < finite ? finite : out[j];
      }
    }
  });
  std::vector<double> floors(static_cast<std::size_t>(d), 0.0);
  for (std::int64_t j = 0; j < d; ++j) {
    double largest = 0.0;
    for (std::int64_t c = 0; c < n_chunks; ++c) largest = std::max(largest, partial[c * d + j]);
    if (largest > 0.0) floors[j] = std::ldexp(1.0, std::ilogb(largest) - kKeyFloorBits);
  }
  return floors;
}

// A value's bits as its key reads them: with floors (key_floors, per column) rounded at
// kKeyMantissaBits fraction bits (to nearest but for the offset below) and 0 below the
// column's floor; null
// floors, its exact bits (as value_bits). Non-finite values keep their bits.
template <class T>
std::uint64_t key_bits(T x, const double* floors, std::int64_t column) {
  const std::uint64_t bits = value_bits(x);
  if (floors == nullptr) return bits;
  // Adding about half the dropped part rounds the magnitude (a carry moves the exponent,
  // as rounding up to the next power of two should); the sign bit is left as it was.
  // Selects, not branches: a column's values go either way at random.
  constexpr int kDropped = 52 - kKeyMantissaBits;
  // Half the dropped part, and an odd offset: the rounding edges then lie on no value of
  // fewer than 53 significant bits (at exactly half, an integer of 18 bits would sit on an
  // edge, and read one ulp low would cross it).
  constexpr std::uint64_t kHalf = (std::uint64_t{1} << (kDropped - 1)) + 0x9E3779B1ULL;
  constexpr std::uint64_t kKept = ~((std::uint64_t{1} << kDropped) - 1);
  constexpr std::uint64_t kMagnitude = ~(std::uint64_t{1} << 63);
  constexpr std::uint64_t kNonFinite = 0x7FF0000000000000ULL;  // exponent all ones
  // (Magnitudes compare as their bits do: the floor's bits against the value's.)
  std::uint64_t floor_bits;
  std::memcpy(&floor_bits, floors + column, sizeof floor_bits);
  const std::uint64_t magnitude = bits & kMagnitude;
  const std::uint64_t kept = magnitude >= kNonFinite ? bits : (bits + kHalf) & kKept;
  return magnitude < floor_bits ? std::uint64_t{0} : kept;
}

// Rows a and b by their values (as double; -0.0 equals 0.0): <0, 0 or >0.
template <class T>
int compare_rows(const T* a, const T* b, std::int64_t d) {
  for (std::int64_t j = 0; j < d; ++j) {
    const double x = static_cast<double>(a[j]), y = static_cast<double>(b[j]);
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

namespace content_detail {
// Rows per chunk of the column sums (wrapping sums: exact in any order and chunking).
constexpr std::int64_t kChunk = 4096;

// A row's hash: the wrapping sum over the columns of the finaliser of (key bits +
// column key).
template <class T>
std::uint64_t row_hash(const T* row, std::int64_t d, const std::uint64_t* keys,
                       const double* floors) {
  std::uint64_t hash = 0;
  for (std::int64_t j = 0; j < d; ++j)
    hash += splitmix64_mix(key_bits(row[j], floors, j) + keys[j]);
  return hash;
}

// Per column j the wrapping sum over the rows i of splitmix64's finaliser of
// (key bits + salt(i)).
template <class T, class Salt>
std::vector<std::uint64_t> column_sums(const T* x, std::int64_t n, std::int64_t d,
                                       const double* floors, Salt&& salt, int n_threads) {
  const std::int64_t n_chunks = div_up(n, kChunk);
  std::vector<std::uint64_t> partial(static_cast<std::size_t>(n_chunks * d), 0);
  parallel_for(n_chunks, n_threads, [&](std::int64_t c) {
    std::uint64_t* out = partial.data() + c * d;
    const std::int64_t end = std::min(n, (c + 1) * kChunk);
    for (std::int64_t i = c * kChunk; i < end; ++i) {
      const std::uint64_t s = salt(i);
      for (std::int64_t j = 0; j < d; ++j) {
        out[j] += splitmix64_mix(key_bits(x[i * d + j], floors, j) + s);
      }
    }
  });
  std::vector<std::uint64_t> keys(static_cast<std::size_t>(d), 0);
  for (std::int64_t c = 0; c < n_chunks; ++c) {
    for (std::int64_t j = 0; j < d; ++j) keys[j] += partial[c * d + j];
  }
  return keys;
}
}  // namespace content_detail

// Each column's key: the wrapping sum over the rows of splitmix64's finaliser of its
// values' key bits (key_bits by floors; null floors: exact bits, as double, -0.0 as 0.0):
// the same for any row order or thread count, and it moves with its column (relabelled
// event types reorder the count columns). Columns of the same values in another
// arrangement over the rows share it.
template <class T>
std::vector<std::uint64_t> column_keys(const T* x, std::int64_t n, std::int64_t d,
                                       const double* floors, int n_threads) {
  return content_detail::column_sums(
      x, n, d, floors, [](std::int64_t) { return std::uint64_t{0}; }, n_threads);
}

// Each row's hash: the wrapping sum over the columns of the finaliser of (key bits +
// column key). Identical rows hash alike, whatever their position, and so does a row
// whatever the order of the columns; values in two columns of the same key swapped give
// the same hash.
template <class T>
std::vector<std::uint64_t> row_hashes(const T* x, std::int64_t n, std::int64_t d,
                                      const std::uint64_t* keys, const double* floors,
                                      int n_threads) {
  std::vector<std::uint64_t> hashes(static_cast<std::size_t>(n));
  parallel_for(n, n_threads, [&](std::int64_t i) {
    hashes[static_cast<std::size_t>(i)] = content_detail::row_hash(x + i * d, d, keys, floors);
  });
  return hashes;
}

// Each column's key refined by the rows' hashes (row_hashes with column_keys): the
// wrapping sum over the rows of the finaliser of (key bits + row hash). Two columns of
// the same values in other arrangements (two event types seen once each, by different
// entities) share their column_keys but not this one, unless swapping them and their
// rows maps the table onto itself (no order-free key can tell such columns apart).
template <class T>
std::vector<std::uint64_t> refined_column_keys(const T* x, std::int64_t n, std::int64_t d,
                                               const std::uint64_t* hashes, const double* floors,
                                               int n_threads) {
  return content_detail::column_sums(
      x, n, d, floors, [&](std::int64_t i) { return hashes[i]; }, n_threads);
}

// refined_column_keys over the rows' row_hashes by these column keys, the hashes computed
// on the way (one pass over x).
template <class T>
std::vector<std::uint64_t> refined_column_keys_by(const T* x, std::int64_t n, std::int64_t d,
                                                  const std::uint64_t* keys, const double* floors,
                                                  int n_threads) {
  return content_detail::column_sums(
      x, n, d, floors,
      [&](std::int64_t i) { return content_detail::row_hash(x + i * d, d, keys, floors); },
      n_threads);
}

// visit(rows, size) for each run of two or more rows of one hash, the run's rows in
// ascending order. Rows are bucketed by their hash's top bits (one counting pass; a
// bucket holds a few hundred rows), then each bucket sorted by (hash, row); buckets in
// parallel (visit must be safe to call so, and may reorder the run it is given).
template <class Visit>
void equal_hash_runs(std::int64_t n, const std::uint64_t* hashes, int n_threads, Visit&& visit) {
  int bits = 0;
  while (bits < 20 && (std::int64_t{256} << bits) < n) ++bits;
  const std::int64_t n_buckets = std::int64_t{1} << bits;
  // (The hashes are finaliser sums: their top bits are as good as any.)
  auto bucket_of = [&](std::uint64_t hash) {
    return bits == 0 ? std::int64_t{0} : static_cast<std::int64_t>(hash >> (64 - bits));
  };
  std::vector<std::int32_t> bucket(static_cast<std::size_t>(n));
  std::vector<std::int64_t> start(static_cast<std::size_t>(n_buckets + 1), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    bucket[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(bucket_of(hashes[i]));
    ++start[static_cast<std::size_t>(bucket[static_cast<std::size_t>(i)] + 1)];
  }
  for (std::int64_t b = 0; b < n_buckets; ++b) start[b + 1] += start[b];
  struct Keyed {
    std::uint64_t hash;
    std::int64_t row;
    bool operator<(const Keyed& o) const { return hash != o.hash ? hash < o.hash : row < o.row; }
  };
  std::vector<Keyed> keyed(static_cast<std::size_t>(n));
  {
    std::vector<std::int64_t> fill(start.begin(), start.end() - 1);
    for (std::int64_t i = 0; i < n; ++i) {
      keyed[static_cast<std::size_t>(fill[bucket[static_cast<std::size_t>(i)]]++)] =
          Keyed{hashes[i], i};
    }
  }
  parallel_for(n_buckets, n_threads, [&](std::int64_t b) {
    const auto first = keyed.begin() + start[b], last = keyed.begin() + start[b + 1];
    std::sort(first, last);
    std::vector<std::int64_t> run_rows;
    for (auto run = first; run != last;) {
      auto end = run + 1;
      while (end != last && end->hash == run->hash) ++end;
      if (end - run > 1) {
        run_rows.clear();
        for (auto it = run; it != end; ++it) run_rows.push_back(it->row);
        visit(run_rows.data(), static_cast<std::int64_t>(run_rows.size()));
      }
      run = end;
    }
  });
}

// visit(rows, size) for each group of two or more identical rows (the same hash and
// values as double), the group's rows in ascending order: each run of one hash
// (equal_hash_runs) sorted by (values, row); buckets in parallel (visit must be safe to
// call so).
template <class T, class Visit>
void identical_groups(const T* x, std::int64_t n, std::int64_t d, const std::uint64_t* hashes,
                      int n_threads, Visit&& visit) {
  equal_hash_runs(n, hashes, n_threads, [&](std::int64_t* run, std::int64_t size) {
    // Rows of one hash by their values, then row: each group of identical rows.
    std::stable_sort(run, run + size, [&](std::int64_t a, std::int64_t c) {
      return compare_rows(x + a * d, x + c * d, d) < 0;
    });
    for (std::int64_t g = 0; g < size;) {
      std::int64_t g_end = g + 1;
      while (g_end < size && compare_rows(x + run[g] * d, x + run[g_end] * d, d) == 0) ++g_end;
      if (g_end - g > 1) visit(run + g, g_end - g);
      g = g_end;
    }
  });
}

// A rounded row hash told apart for the exact row numbered `number` among those sharing
// it (draw_hashes): the first (0) keeps it.
inline std::uint64_t near_tie_hash(std::uint64_t hash, std::uint64_t number) {
  return number == 0 ? hash : hash + splitmix64_mix(number + kNearTieSalt);
}

// The hashes the draws read: the rows' rounded row_hashes (by keys and floors), where rows
// equal to the rounding but not exactly, which share one, are told apart: the exact rows
// of one hash are numbered in the order of their exact hash under the same column keys
// (row_hashes without floors: whatever the order of the rows or the columns), then of
// their values, and each after the first adds the finaliser of its number to the hash.
// Identical rows keep one hash (their group weights and copy numbers stand); near-equal
// rows draw apart, as distinct rows should; a last bit of one renumbers only its own
// hash's rows.
template <class T>
std::vector<std::uint64_t> draw_hashes(const T* x, std::int64_t n, std::int64_t d,
                                       const std::uint64_t* keys, const double* floors,
                                       int n_threads) {
  std::vector<std::uint64_t> hashes = row_hashes(x, n, d, keys, floors, n_threads);
  std::vector<std::uint64_t> out = hashes;
  equal_hash_runs(n, hashes.data(), n_threads, [&](std::int64_t* run, std::int64_t size) {
    std::vector<std::pair<std::uint64_t, std::int64_t>> by_exact(static_cast<std::size_t>(size));
    for (std::int64_t e = 0; e < size; ++e) {
      by_exact[e] = {content_detail::row_hash(x + run[e] * d, d, keys, nullptr), run[e]};
    }
    std::sort(by_exact.begin(), by_exact.end(), [&](const auto& a, const auto& c) {
      if (a.first != c.first) return a.first < c.first;
      const int order = compare_rows(x + a.second * d, x + c.second * d, d);
      return order != 0 ? order < 0 : a.second < c.second;
    });
    std::uint64_t number = 0;
    for (std::int64_t e = 0; e < size; ++e) {
      if (e > 0 &&
          (by_exact[e].first != by_exact[e - 1].first ||
           compare_rows(x + by_exact[e].second * d, x + by_exact[e - 1].second * d, d) != 0)) {
        ++number;
      }
      out[static_cast<std::size_t>(by_exact[e].second)] =
          near_tie_hash(hashes[static_cast<std::size_t>(by_exact[e].second)], number);
    }
  });
  return out;
}

namespace content_detail {
// A sequence key's salts: hexadecimal digits of pi (its steps) and of the golden ratio (its
// length).
constexpr std::uint64_t kCodeSalt = 0x243F6A8885A308D3ULL;
constexpr std::uint64_t kTimeSalt = 0x13198A2E03707344ULL;
constexpr std::uint64_t kLengthSalt = 0x9E3779B97F4A7C15ULL;

// sequence_keys with event i's code (i counted from offsets[0]) given by code_of(i).
template <class CodeOf>
std::vector<std::uint64_t> sequence_keys_of(CodeOf&& code_of, const std::int64_t* times,
                                            const std::int64_t* offsets, std::int64_t n,
                                            int n_threads) {
  std::vector<std::uint64_t> keys(static_cast<std::size_t>(n));
  parallel_for(n, n_threads, [&](std::int64_t s) {
    const std::int64_t first = offsets[s] - offsets[0], length = offsets[s + 1] - offsets[s];
    std::uint64_t sum = 0;
    for (std::int64_t t = 0; t < length; ++t) {
      const auto step = static_cast<std::uint64_t>(t);
      std::uint64_t term = splitmix64_mix(code_of(first + t) + splitmix64_mix(step + kCodeSalt));
      if (times != nullptr) {
        term += splitmix64_mix(static_cast<std::uint64_t>(times[first + t]) ^
                               splitmix64_mix(step + kTimeSalt));
      }
      sum += splitmix64_mix(term);
    }
    keys[static_cast<std::size_t>(s)] =
        splitmix64_mix(sum + static_cast<std::uint64_t>(length) * kLengthSalt);
  });
  return keys;
}
}  // namespace content_detail

// Each sequence's key by its content (sequence s: events offsets[s] - offsets[0] ..
// offsets[s + 1] - offsets[0] of codes and times, times null where there are none): per
// event at step t of its sequence, the finaliser of (code + finaliser of (t + salt)) plus,
// with times, the finaliser of (time bits ^ finaliser of (t + another salt)), through the
// finaliser; summed (wrapping) over the sequence, the sum plus the length times a third
// salt through the finaliser. Sequences of the same events at the same times key alike
// wherever they stand, so ordering the sequences by key (ties in position order) orders
// them the same whatever their order (renamed entities): what the neural models' draws
// and the folds of a detector of sequences are drawn over. The same keys for any
// n_threads.
inline std::vector<std::uint64_t> sequence_keys(const std::int64_t* codes,
                                                const std::int64_t* times,
                                                const std::int64_t* offsets, std::int64_t n,
                                                int n_threads) {
  return content_detail::sequence_keys_of(
      [&](std::int64_t i) { return static_cast<std::uint64_t>(codes[i]); }, times, offsets, n,
      n_threads);
}

namespace content_detail {
// Per event type (code), the wrapping sum over its events of term(s, t) (event t of
// sequence s): sequences dealt to n_threads blocks (fewer where there are more types than
// events per block), each block summing into its own row of types, the rows added up
// after (wrapping sums: exact in any order and blocking).
template <class Term>
std::vector<std::uint64_t> type_sums(const std::int64_t* codes, const std::int64_t* offsets,
                                     std::int64_t n, std::int64_t n_types, int n_threads,
                                     Term&& term) {
  // As many blocks as threads, fewer where the rows of types would outweigh the events.
  const std::int64_t n_events = n > 0 ? offsets[n] - offsets[0] : 0;
  const std::int64_t blocks =
      std::max<std::int64_t>(1, std::min({std::int64_t{resolve_threads(n_threads)}, n,
                                          n_events / std::max<std::int64_t>(n_types, 1)}));
  std::vector<std::uint64_t> partial(static_cast<std::size_t>(blocks * n_types), 0);
  parallel_for(blocks, n_threads, [&](std::int64_t b) {
    std::uint64_t* out = partial.data() + b * n_types;
    for (std::int64_t s = n * b / blocks; s < n * (b + 1) / blocks; ++s) {
      const std::int64_t first = offsets[s] - offsets[0], length = offsets[s + 1] - offsets[s];
      for (std::int64_t t = 0; t < length; ++t) out[codes[first + t]] += term(s, t, length);
    }
  });
  std::vector<std::uint64_t> keys(static_cast<std::size_t>(n_types), 0);
  for (std::int64_t b = 0; b < blocks; ++b) {
    for (std::int64_t c = 0; c < n_types; ++c) keys[c] += partial[b * n_types + c];
  }
  return keys;
}
}  // namespace content_detail

// Each event type's key by where its events stand, never by its code (codes in
// [0, n_types), sequences as for sequence_keys): first, the wrapping sum over its events
// of the finaliser of (the step's and the length's mix, plus the time's as sequence_keys
// mixes it); then refined once: the wrapping sum over its events of the finaliser of
// (the step's mix plus the key of the event's sequence by sequence_keys over the first
// keys). Relabelling the types (any one-to-one map of the codes, as the sorted names of an
// analyst's own labels give) moves each key with its type, so sequence_keys over each
// event's type key instead of its code keys every sequence the same under any names.
// Types whose events stand alike (as many, at the same steps of sequences alike) share a
// key: sequences that differ only by them tie, and keep their position order. Types seen
// nowhere key 0. The same keys for any n_threads.
inline std::vector<std::uint64_t> sequence_type_keys(const std::int64_t* codes,
                                                     const std::int64_t* times,
                                                     const std::int64_t* offsets, std::int64_t n,
                                                     std::int64_t n_types, int n_threads) {
  using namespace content_detail;
  auto step_mix = [](std::int64_t t, std::uint64_t salt) {
    return splitmix64_mix(static_cast<std::uint64_t>(t) + salt);
  };
  const std::vector<std::uint64_t> first = type_sums(
      codes, offsets, n, n_types, n_threads,
      [&](std::int64_t s, std::int64_t t, std::int64_t length) {
        std::uint64_t term =
            step_mix(t, kCodeSalt) + static_cast<std::uint64_t>(length) * kLengthSalt;
        if (times != nullptr) {
          const std::int64_t at = offsets[s] - offsets[0] + t;
          term += splitmix64_mix(static_cast<std::uint64_t>(times[at]) ^ step_mix(t, kTimeSalt));
        }
        return splitmix64_mix(term);
      });
  const std::vector<std::uint64_t> by_first =
      sequence_keys_of([&](std::int64_t i) { return first[static_cast<std::size_t>(codes[i])]; },
                       times, offsets, n, n_threads);
  return type_sums(
      codes, offsets, n, n_types, n_threads, [&](std::int64_t s, std::int64_t t, std::int64_t) {
        return splitmix64_mix(by_first[static_cast<std::size_t>(s)] + step_mix(t, kCodeSalt));
      });
}

// sequence_keys over each event's type key (sequence_type_keys) in place of its code, in
// one call: the sequences' content keys whatever the types' names (their codes).
inline std::vector<std::uint64_t> sequence_keys_by_type(const std::int64_t* codes,
                                                        const std::int64_t* times,
                                                        const std::int64_t* offsets, std::int64_t n,
                                                        std::int64_t n_types, int n_threads) {
  const std::vector<std::uint64_t> types =
      sequence_type_keys(codes, times, offsets, n, n_types, n_threads);
  return content_detail::sequence_keys_of(
      [&](std::int64_t i) { return types[static_cast<std::size_t>(codes[i])]; }, times, offsets, n,
      n_threads);
}

// Each row's copy number: how many rows identical to it (the same hash and values) come
// before it. The rows of a group of m copies number 0 .. m - 1, so the multiset of
// (row values, copy number) does not depend on the order of the rows.
template <class T>
std::vector<std::int64_t> copy_numbers(const T* x, std::int64_t n, std::int64_t d,
                                       const std::uint64_t* hashes, int n_threads) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(n), 0);
  identical_groups(x, n, d, hashes, n_threads, [&](const std::int64_t* group, std::int64_t size) {
    for (std::int64_t e = 1; e < size; ++e) out[static_cast<std::size_t>(group[e])] = e;
  });
  return out;
}

}  // namespace oddseq::core
