#include "oddseq/metrics/clustering.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "oddseq/core/check.hpp"
#include "oddseq/core/interrupt.hpp"
#include "oddseq/core/parallel.hpp"
#include "oddseq/simd/kernels.hpp"

namespace oddseq::metrics {

namespace {

// Rows whose distance sums are built together, so each other row is read once per tile.
constexpr std::int64_t kTileRows = 8;
// Tiles per interrupt check.
constexpr std::int64_t kTilesPerPoll = 64;

template <class T>
void silhouette_impl(const T* x, std::int64_t n, std::int64_t d, const std::int32_t* labels,
                     std::int64_t k, int n_threads, double* out) {
  ODDSEQ_CHECK(k >= 1, "silhouette: need at least one cluster");
  std::vector<std::int64_t> size(static_cast<std::size_t>(k), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    ODDSEQ_CHECK_RANGE(labels[i] >= 0 && labels[i] < k,
                       "label " << labels[i] << " outside [0, " << k << ")");
    ++size[static_cast<std::size_t>(labels[i])];
  }
  const auto& kernels = simd::active();
  const std::int64_t n_tiles = core::div_up(n, kTileRows);
  for (std::int64_t first = 0; first < n_tiles; first += kTilesPerPoll) {
    const std::int64_t last = std::min(n_tiles, first + kTilesPerPoll);
    core::parallel_for_dynamic(last - first, n_threads, [&](std::int64_t t) {
      const std::int64_t begin = (first + t) * kTileRows;
      const std::int64_t rows = std::min(kTileRows, n - begin);
      std::vector<double> sums(static_cast<std::size_t>(kTileRows * k), 0.0);
      for (std::int64_t j = 0; j < n; ++j) {
        const T* other = x + j * d;
        const std::int32_t c = labels[j];
        for (std::int64_t r = 0; r < rows; ++r) {
          const double dist = std::sqrt(static_cast<double>(
              simd::sqdist(kernels, x + (begin + r) * d, other, static_cast<std::size_t>(d))));
          sums[static_cast<std::size_t>(r * k + c)] += dist;
        }
      }
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t i = begin + r;
        const std::int32_t own = labels[i];
        const double* row_sums = sums.data() + r * k;
        if (size[own] <= 1) {
          out[i] = 0.0;
          continue;
        }
        // The row's distance to itself is 0, so the own-cluster sum needs no correction.
        const double a = row_sums[own] / static_cast<double>(size[own] - 1);
        double b = std::numeric_limits<double>::infinity();
        for (std::int64_t c = 0; c < k; ++c) {
          if (c != own && size[c] > 0) b = std::min(b, row_sums[c] / static_cast<double>(size[c]));
        }
        const double denominator = std::max(a, b);
        out[i] = denominator > 0.0 ? (b - a) / denominator : 0.0;
      }
    });
    core::throw_if_interrupted();
  }
}

}  // namespace

void silhouette_samples(const float* x, std::int64_t n, std::int64_t d, const std::int32_t* labels,
                        std::int64_t k, int n_threads, double* out) {
  silhouette_impl(x, n, d, labels, k, n_threads, out);
}
void silhouette_samples(const double* x, std::int64_t n, std::int64_t d, const std::int32_t* labels,
                        std::int64_t k, int n_threads, double* out) {
  silhouette_impl(x, n, d, labels, k, n_threads, out);
}

}  // namespace oddseq::metrics
