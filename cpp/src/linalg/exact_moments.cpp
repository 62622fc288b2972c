#include "oddseq/linalg/exact_moments.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "oddseq/core/parallel.hpp"
#include "oddseq/simd/kernels.hpp"

namespace oddseq::linalg {

namespace {

// Rows per kernel call: the double sums of products below 2^32 stay exact up to 2^21.
constexpr std::int64_t kBlockRows = std::int64_t{1} << 14;

void refuse_outside(const std::vector<double>& outside) {
  for (std::size_t j = 0; j < outside.size(); ++j) {
    if (outside[j] > 0.0) {
      throw std::invalid_argument(
          "column " + std::to_string(j) +
          " has values beyond its grid (|x| >= 2^e for its exponent e) or not finite: the "
          "exponents were made for other rows");
    }
  }
}

}  // namespace

template <class T>
void column_max_abs(const T* x, std::int64_t n, std::int64_t d, double* out) {
  std::vector<double> top(static_cast<std::size_t>(d), 0.0), nan(static_cast<std::size_t>(d), 0.0);
  double* __restrict m = top.data();
  double* __restrict bad = nan.data();
  for (std::int64_t i = 0; i < n; ++i) {
    const T* __restrict row = x + i * d;
    for (std::int64_t j = 0; j < d; ++j) {
      const double v = std::fabs(static_cast<double>(row[j]));
      m[j] = v > m[j] ? v : m[j];
      bad[j] += v == v ? 0.0 : 1.0;
    }
  }
  for (std::int64_t j = 0; j < d; ++j) out[j] = nan[j] > 0.0 ? std::nan("") : top[j];
}

GridScale grid_scale(const std::int64_t* exps, std::int64_t d) {
  GridScale g;
  g.scale.resize(static_cast<std::size_t>(d));
  g.rescale.resize(static_cast<std::size_t>(d));
  for (std::int64_t j = 0; j < d; ++j) {
    const std::int64_t e = exps[j];
    if (e < kMinGridExponent || e > kMaxGridExponent) {
      throw std::invalid_argument("grid exponents must be in [-1074, 1024], got " +
                                  std::to_string(e));
    }
    const int up = kMomentSliceBits - static_cast<int>(e);  // in [-1008, 1090]
    // 2^up is no double above 2^1023: scale by 2^600 first, which keeps any finite x
    // exact (x * 2^600 is a normal double for |x| >= 2^-1074), then by the rest.
    const int first = up > 1000 ? 600 : up;
    g.scale[static_cast<std::size_t>(j)] = std::ldexp(1.0, first);
    g.rescale[static_cast<std::size_t>(j)] = std::ldexp(1.0, up - first);
  }
  return g;
}

template <class T>
MomentSums exact_moment_sums(const T* x, std::int64_t n, std::int64_t d, const std::int64_t* exps,
                             int n_threads) {
  if (n < 0 || d < 0) throw std::invalid_argument("negative matrix size");
  if (n > kMaxMomentRows) {
    throw std::invalid_argument("exact moments take at most 2^30 rows per call");
  }
  const GridScale g = grid_scale(exps, d);
  const auto& kernels = simd::active();
  const std::int64_t blocks = core::div_up(n, kBlockRows);
  // Each thread adds its blocks' integer sums into its own slot: integers, so neither
  // the split of blocks between threads nor the order of additions changes the result.
  const int slots = core::resolve_threads(n_threads);
  const std::size_t width = static_cast<std::size_t>(d);
  std::vector<std::int64_t> sums(static_cast<std::size_t>(slots) * kMomentSlices * width, 0);
  std::vector<std::int64_t> pairs(static_cast<std::size_t>(slots) * kMomentPairs * width, 0);
  std::vector<double> outside(static_cast<std::size_t>(slots) * width, 0.0);
  core::parallel_for_interruptible(
      blocks, slots,
      [&](std::int64_t b) {
        const std::size_t slot = static_cast<std::size_t>(omp_get_thread_num());
        const std::int64_t begin = b * kBlockRows;
        const std::int64_t rows = std::min(n, begin + kBlockRows) - begin;
        std::vector<double> block_sums(kMomentSlices * width, 0.0);
        std::vector<double> block_pairs(kMomentPairs * width, 0.0);
        simd::moment_sums(kernels, x + begin * d, rows, d, g.scale.data(), g.rescale.data(),
                          block_sums.data(), block_pairs.data(), outside.data() + slot * width);
        std::int64_t* to_sums = sums.data() + slot * kMomentSlices * width;
        std::int64_t* to_pairs = pairs.data() + slot * kMomentPairs * width;
        for (std::size_t i = 0; i < block_sums.size(); ++i) {
          to_sums[i] += static_cast<std::int64_t>(block_sums[i]);
        }
        for (std::size_t i = 0; i < block_pairs.size(); ++i) {
          to_pairs[i] += static_cast<std::int64_t>(block_pairs[i]);
        }
      },
      1);
  std::vector<double> bad(width, 0.0);
  MomentSums out;
  out.n = n;
  out.sums.assign(kMomentSlices * width, 0);
  out.products.assign(kMomentSlices * kMomentSlices * width, 0);
  std::vector<std::int64_t> merged(kMomentPairs * width, 0);
  for (int s = 0; s < slots; ++s) {
    const std::size_t at = static_cast<std::size_t>(s);
    for (std::size_t i = 0; i < out.sums.size(); ++i) {
      out.sums[i] += sums[at * kMomentSlices * width + i];
    }
    for (std::size_t i = 0; i < merged.size(); ++i)
      merged[i] += pairs[at * kMomentPairs * width + i];
    for (std::size_t j = 0; j < width; ++j) bad[j] += outside[at * width + j];
  }
  refuse_outside(bad);
  // The ten pairs s <= t into the symmetric 4 x 4 blocks.
  int q = 0;
  for (int a = 0; a < kMomentSlices; ++a) {
    for (int b = a; b < kMomentSlices; ++b, ++q) {
      for (std::size_t j = 0; j < width; ++j) {
        const std::int64_t value = merged[static_cast<std::size_t>(q) * width + j];
        out.products[(static_cast<std::size_t>(a) * kMomentSlices + b) * width + j] = value;
        out.products[(static_cast<std::size_t>(b) * kMomentSlices + a) * width + j] = value;
      }
    }
  }
  return out;
}

template <class T>
void exact_grid_slices(const T* x, std::int64_t n, std::int64_t d, const std::int64_t* exps,
                       double* out) {
  if (n < 0 || d < 0) throw std::invalid_argument("negative matrix size");
  const GridScale g = grid_scale(exps, d);
  std::vector<double> outside(static_cast<std::size_t>(d), 0.0);
  simd::grid_slices(simd::active(), x, n, d, g.scale.data(), g.rescale.data(), out, outside.data());
  refuse_outside(outside);
}

template MomentSums exact_moment_sums<float>(const float*, std::int64_t, std::int64_t,
                                             const std::int64_t*, int);
template MomentSums exact_moment_sums<double>(const double*, std::int64_t, std::int64_t,
                                              const std::int64_t*, int);
template void column_max_abs<float>(const float*, std::int64_t, std::int64_t, double*);
template void column_max_abs<double>(const double*, std::int64_t, std::int64_t, double*);
template void exact_grid_slices<float>(const float*, std::int64_t, std::int64_t,
                                       const std::int64_t*, double*);
template void exact_grid_slices<double>(const double*, std::int64_t, std::int64_t,
                                        const std::int64_t*, double*);

}  // namespace oddseq::linalg
