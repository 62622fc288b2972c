#pragma once
// Order-free cluster sums for K-means. Each value is put on a per-column binary
// fixed-point grid (trunc(v * 2^shift), a 128-bit integer) and the integers are added:
// integer addition is associative, so a cluster's sum is the same bit for bit whatever
// the order of its rows, however they are split into segments, threads or partitions,
// and however often rows are moved in and out of it. kmeans_fit keeps its per-segment
// sums this way, and oddseq.dask adds up per-partition sums the same way, so the
// distributed Lloyd steps give the single-machine centres exactly.
//
// The grid: for n values of magnitude below 2^e in a column, shift = 125 - bits(n) - e,
// so every value is below 2^(125 - bits(n)) on the grid and n of them below 2^125; the
// grid's step is 2^-shift, about 2^-(125 - bits(n)) of the column's largest value (1e-32
// of it at a billion rows), far below float32's or float64's rounding of a mean.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "oddseq/cluster/kmeans.hpp"
#include "oddseq/core/parallel.hpp"
#include "oddseq/simd/kernels.hpp"

namespace oddseq::cluster {

__extension__ typedef __int128 FixedSum;
__extension__ typedef unsigned __int128 FixedMagnitude;

// Largest magnitude of a value on the grid, as a power of two (see above).
constexpr int kFixedValueBits = 125;

// Number of bits of n (0 for n = 0).
// Constant time: it runs for every value put on the grid, and a loop over the bits
// made kmeans_fit's first pass (every row moves) 2x slower.
inline int bit_length(std::uint64_t n) { return n == 0 ? 0 : 64 - __builtin_clzll(n); }

// The grid's shift for a column of n values whose magnitudes are at most max_abs
// (finite, >= 0); 0 for a column of zeros.
inline int fixed_shift(double max_abs, std::int64_t n) {
  if (!(max_abs > 0.0)) return 0;
  int e = 0;
  std::frexp(max_abs, &e);  // max_abs < 2^e
  return kFixedValueBits - bit_length(static_cast<std::uint64_t>(n)) - e;
}

// trunc(v * 2^shift) exactly, for finite v with |v| * 2^shift < 2^kFixedValueBits.
// Returns false (and leaves *out alone) when v is beyond that.
inline bool to_fixed(double v, int shift, FixedSum* out) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  const bool negative = (bits >> 63) != 0;
  const int biased = static_cast<int>((bits >> 52) & 0x7ff);
  const std::uint64_t fraction = bits & ((std::uint64_t{1} << 52) - 1);
  if (biased == 0x7ff) return false;  // inf or NaN
  // v = mantissa * 2^exponent with an integer mantissa below 2^53.
  const std::uint64_t mantissa = biased == 0 ? fraction : fraction | (std::uint64_t{1} << 52);
  const int exponent = (biased == 0 ? 1 : biased) - 1075;
  if (mantissa == 0) {
    *out = 0;
    return true;
  }
  const int up = exponent + shift;
  if (bit_length(mantissa) + up > kFixedValueBits) return false;
  FixedMagnitude magnitude = 0;
  if (up >= 0) {
    magnitude = static_cast<FixedMagnitude>(mantissa) << up;
  } else if (up > -64) {
    magnitude = mantissa >> -up;  // toward zero
  }
  const FixedSum value = static_cast<FixedSum>(magnitude);
  *out = negative ? -value : value;
  return true;
}

// Whether a row's weight w is a whole number other than 1 (a count of tied rows) that
// its grid integers are multiplied by exactly: w tied rows and one row of weight w then
// put the same integer in a cluster's sum.
inline bool whole_weight(double w) {
  return w != 1.0 && w == std::trunc(w) && std::fabs(w) < 0x1p53;
}

// The grid integer of a value x of weight w: trunc(x 2^shift) * w for a whole weight,
// else trunc(w x 2^shift). False where it is beyond the grid (as to_fixed).
inline bool weighted_to_fixed(double x, double w, int shift, FixedSum* out) {
  if (!whole_weight(w) || w == 0.0) return to_fixed(w * x, shift, out);
  FixedSum q = 0;
  if (!to_fixed(x, shift, &q)) return false;
  FixedSum product = 0;
  if (__builtin_mul_overflow(q, static_cast<FixedSum>(w), &product)) return false;
  const FixedSum limit = FixedSum{1} << kFixedValueBits;
  if (product >= limit || product <= -limit) return false;
  *out = product;
  return true;
}

// A row's grid integers (as weighted_to_fixed) as 42-bit limbs (value = l0 + l1 2^42 +
// l2 2^84, at limbs[j], limbs[d + j], limbs[2d + j]) through the vectorised kernel, for
// finite values within the grid (2^shift in scale[j]).
template <class T>
void weighted_grid_limbs(const simd::Kernels& kernels, const T* row, std::int64_t d, double w,
                         const double* scale, std::int64_t* limbs) {
  if (!whole_weight(w)) {
    simd::grid_limbs(kernels, row, d, w, scale, limbs);
    return;
  }
  simd::grid_limbs(kernels, row, d, 1.0, scale, limbs);
  constexpr std::int64_t kMask = (std::int64_t{1} << 42) - 1;
  const auto factor = static_cast<FixedSum>(w);
  for (std::int64_t j = 0; j < d; ++j) {
    const FixedSum value = (static_cast<FixedSum>(limbs[j]) +
                            static_cast<FixedSum>(limbs[d + j]) * (FixedSum{1} << 42) +
                            static_cast<FixedSum>(limbs[2 * d + j]) * (FixedSum{1} << 84)) *
                           factor;
    limbs[j] = static_cast<std::int64_t>(value & kMask);
    limbs[d + j] = static_cast<std::int64_t>((value >> 42) & kMask);
    limbs[2 * d + j] = static_cast<std::int64_t>(value >> 84);
  }
}

// The double nearest sum * 2^-shift (round to nearest even, as Python's float(int)).
inline double from_fixed(FixedSum sum, int shift) {
  return std::ldexp(static_cast<double>(sum), -shift);
}

// A cluster's new centre coordinate: sum * 2^-shift / weight (weight > 0) rounded once to
// T, to nearest, ties to even. Dividing the double nearest the sum instead rounds twice:
// m equal rows x then got fl(fl(m x) / m), one ULP off x for some m, and the rows' own
// cluster did not score them 0. The quotient is taken in integers with at least 56 bits
// and a sticky bit for the remainder, then converted (a correctly rounded conversion)
// and scaled by a power of two (exact unless the mean is subnormal).
template <class T>
T fixed_mean(FixedSum sum, int shift, double weight) {
  if (sum == 0) return T(0);
  int weight_exp = 0;
  const double fraction = std::frexp(weight, &weight_exp);  // weight = fraction 2^weight_exp
  // weight = divisor 2^(weight_exp - 53), divisor an integer in [2^52, 2^53).
  const auto divisor = static_cast<std::uint64_t>(std::ldexp(fraction, 53));
  FixedMagnitude magnitude =
      sum < 0 ? -static_cast<FixedMagnitude>(sum) : static_cast<FixedMagnitude>(sum);
  const auto top = static_cast<std::uint64_t>(magnitude >> 64);
  const int bits =
      top != 0 ? 64 + bit_length(top) : bit_length(static_cast<std::uint64_t>(magnitude));
  // At least 53 + 56 bits, so the quotient holds at least 56 (below 2^127 either way).
  const int up = std::max(0, 109 - bits);
  magnitude <<= up;
  FixedMagnitude quotient = magnitude / divisor;
  int sticky = 0;
  if (magnitude % divisor != 0) {
    quotient = (quotient << 1) | 1;  // below every bit the rounding looks at
    sticky = 1;
  }
  const T rounded = std::ldexp(static_cast<T>(quotient), -shift - (weight_exp - 53) - up - sticky);
  return sum < 0 ? -rounded : rounded;
}

// Per-column shifts for the (weighted) rows of data: max |w * x| over each column.
template <class T>
std::vector<int> fixed_shifts(const KMeansData<T>& data) {
  std::vector<double> max_abs(static_cast<std::size_t>(data.d), 0.0);
  for (std::int64_t i = 0; i < data.n; ++i) {
    const double w = data.weights != nullptr ? static_cast<double>(data.weights[i]) : 1.0;
    const T* row = data.x + i * data.d;
    for (std::int64_t j = 0; j < data.d; ++j) {
      max_abs[j] = std::max(max_abs[j], std::abs(w * static_cast<double>(row[j])));
    }
  }
  std::vector<int> shifts(static_cast<std::size_t>(data.d));
  for (std::int64_t j = 0; j < data.d; ++j) shifts[j] = fixed_shift(max_abs[j], data.n);
  return shifts;
}

// sums[c * d + j] = the fixed-point sum of w * x[i, j] over the rows i with labels[i] == c,
// members[c] their count and weights[c] their weight (added in row order). Labels must be
// in [0, k). Throws std::invalid_argument for a value beyond its column's grid (the
// shifts were made for smaller values).
template <class T>
void fixed_cluster_sums(const KMeansData<T>& data, const std::int32_t* labels, std::int64_t k,
                        const int* shifts, int n_threads, FixedSum* sums, std::int64_t* members,
                        double* weights) {
  const std::int64_t n = data.n;
  const std::int64_t d = data.d;
  // Per-thread-chunk partial sums, merged after the region: integers, so the merge order
  // does not matter; the weights are added in row order afterwards.
  constexpr std::int64_t kChunk = 8192;
  const std::int64_t n_chunks = std::max<std::int64_t>(1, core::div_up(n, kChunk));
  const std::int64_t slots = std::min<std::int64_t>(n_chunks, 64);
  std::vector<FixedSum> partial(static_cast<std::size_t>(slots * k * d), 0);
  std::vector<std::int64_t> counts(static_cast<std::size_t>(slots * k), 0);
  std::vector<char> bad(static_cast<std::size_t>(slots), 0);
  // Rows go onto the grid through the vectorised kernel K-means uses (simd::grid_limbs:
  // the same integers as to_fixed) when every column's 2^shift is a normal double.
  std::vector<double> scale(static_cast<std::size_t>(d));
  bool scaled = true;
  for (std::int64_t j = 0; j < d; ++j) {
    scaled = scaled && shifts[j] >= std::numeric_limits<double>::min_exponent &&
             shifts[j] < std::numeric_limits<double>::max_exponent;
    scale[static_cast<std::size_t>(j)] = std::ldexp(1.0, std::clamp(shifts[j], -1000, 1000));
  }
  const simd::Kernels& kernels = simd::active();
  core::parallel_for_dynamic(slots, n_threads, [&](std::int64_t s) {
    FixedSum* local = partial.data() + s * k * d;
    std::int64_t* local_counts = counts.data() + s * k;
    std::vector<std::int64_t> limbs(static_cast<std::size_t>(scaled ? 3 * d : 0));
    for (std::int64_t chunk = s; chunk < n_chunks; chunk += slots) {
      const std::int64_t end = std::min(n, (chunk + 1) * kChunk);
      for (std::int64_t i = chunk * kChunk; i < end; ++i) {
        const std::int32_t c = labels[i];
        if (c < 0 || c >= k) {
          bad[static_cast<std::size_t>(s)] = 2;
          return;
        }
        const double w = data.weights != nullptr ? static_cast<double>(data.weights[i]) : 1.0;
        const T* row = data.x + i * d;
        FixedSum* dst = local + static_cast<std::int64_t>(c) * d;
        if (scaled) {
          // The grid's promise, |w x 2^shift| < 2^125 and finite, checked as to_fixed does.
          bool fits = true;
          for (std::int64_t j = 0; j < d; ++j) {
            fits &= std::fabs(w * static_cast<double>(row[j]) *
                              scale[static_cast<std::size_t>(j)]) < 0x1p125;
          }
          if (!fits) {
            bad[static_cast<std::size_t>(s)] = 1;
            return;
          }
          weighted_grid_limbs(kernels, row, d, w, scale.data(), limbs.data());
        }
        for (std::int64_t j = 0; j < d; ++j) {
          FixedSum q = 0;
          if (scaled) {
            q = static_cast<FixedSum>(limbs[static_cast<std::size_t>(j)]) +
                static_cast<FixedSum>(limbs[static_cast<std::size_t>(d + j)]) *
                    (FixedSum{1} << 42) +
                static_cast<FixedSum>(limbs[static_cast<std::size_t>(2 * d + j)]) *
                    (FixedSum{1} << 84);
          } else if (!weighted_to_fixed(static_cast<double>(row[j]), w, shifts[j], &q)) {
            bad[static_cast<std::size_t>(s)] = 1;
            return;
          }
          if (__builtin_add_overflow(dst[j], q, &dst[j])) {
            bad[static_cast<std::size_t>(s)] = 1;
            return;
          }
        }
        ++local_counts[c];
      }
    }
  });
  for (char b : bad) {
    if (b == 2) throw std::invalid_argument("labels must be in [0, n_clusters)");
    if (b == 1) {
      throw std::invalid_argument(
          "a value or a cluster's sum is too large for its column's fixed-point grid (or not "
          "finite): the shifts were made for smaller values or fewer rows");
    }
  }
  std::fill_n(sums, k * d, FixedSum{0});
  std::fill_n(members, k, std::int64_t{0});
  for (std::int64_t s = 0; s < slots; ++s) {
    for (std::int64_t e = 0; e < k * d; ++e) {
      if (__builtin_add_overflow(sums[e], partial[static_cast<std::size_t>(s * k * d + e)],
                                 &sums[e])) {
        throw std::invalid_argument(
            "a cluster's sum is too large for its column's fixed-point grid: the shifts were "
            "made for fewer rows");
      }
    }
    for (std::int64_t c = 0; c < k; ++c) members[c] += counts[static_cast<std::size_t>(s * k + c)];
  }
  std::fill_n(weights, k, 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    weights[labels[i]] += data.weights != nullptr ? static_cast<double>(data.weights[i]) : 1.0;
  }
}

}  // namespace oddseq::cluster
