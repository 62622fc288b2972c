#include "oddseq/cluster/kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "oddseq/core/check.hpp"
#include "oddseq/core/interrupt.hpp"
#include "oddseq/core/parallel.hpp"
#include "oddseq/simd/kernels.hpp"

namespace oddseq::cluster {

namespace {

// Rows per kernel call: small enough that a block of x stays in L2 next to the centres.
constexpr std::int64_t kBlockRows = 256;
// Per-centre partial sums are kept per segment, a fixed split of the rows that depends
// on n only, and merged in segment order: centres come out bit-identical for any
// thread count.
constexpr std::int64_t kMaxSegments = 32;
constexpr std::int64_t kMinSegmentRows = 4 * kBlockRows;
constexpr std::int64_t kSumChunk = 4096;

std::int64_t segment_count(std::int64_t n) {
  return std::clamp<std::int64_t>(n / kMinSegmentRows, 1, kMaxSegments);
}

// splitmix64: a tiny, well-mixed generator whose stream is fully specified, so a seed
// gives the same seeds on every platform and standard library.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

template <class T>
double weight_of(const KMeansData<T>& data, std::int64_t i) {
  return data.weights != nullptr ? static_cast<double>(data.weights[i]) : 1.0;
}

// Index of the first element whose running total exceeds target (searchsorted on the
// cumulative weights), clipped to the last positive-weight element.
std::int64_t pick_by_cumulative(const std::vector<double>& cumulative, double target) {
  auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
  std::int64_t index = it - cumulative.begin();
  const std::int64_t n = static_cast<std::int64_t>(cumulative.size());
  if (index >= n) index = n - 1;
  // Skip back over trailing zero-weight rows that cannot be drawn.
  while (index > 0 && cumulative[index] == cumulative[index - 1]) --index;
  return index;
}

template <class T>
void cumulative_potential(const KMeansData<T>& data, const std::vector<double>& closest,
                          int n_threads, std::vector<double>& cumulative) {
  // Chunked prefix sums, chunk totals added in order: exact same values for any thread count.
  const std::int64_t n = data.n;
  const std::int64_t n_chunks = core::div_up(n, kSumChunk);
  std::vector<double> chunk_total(static_cast<std::size_t>(n_chunks));
  core::parallel_for(n_chunks, n_threads, [&](std::int64_t c) {
    const std::int64_t end = std::min(n, (c + 1) * kSumChunk);
    double running = 0.0;
    for (std::int64_t i = c * kSumChunk; i < end; ++i) {
      running += weight_of(data, i) * closest[static_cast<std::size_t>(i)];
      cumulative[static_cast<std::size_t>(i)] = running;
    }
    chunk_total[static_cast<std::size_t>(c)] = running;
  });
  std::vector<double> chunk_base(static_cast<std::size_t>(n_chunks), 0.0);
  for (std::int64_t c = 1; c < n_chunks; ++c)
    chunk_base[c] = chunk_base[c - 1] + chunk_total[c - 1];
  core::parallel_for(n_chunks, n_threads, [&](std::int64_t c) {
    const std::int64_t end = std::min(n, (c + 1) * kSumChunk);
    const double base = chunk_base[static_cast<std::size_t>(c)];
    for (std::int64_t i = c * kSumChunk; i < end; ++i)
      cumulative[static_cast<std::size_t>(i)] += base;
  });
}

}  // namespace

template <class T>
std::vector<std::int64_t> kmeans_plusplus(const KMeansData<T>& data, std::int64_t k,
                                          std::uint64_t seed, int n_local_trials, int n_threads) {
  const std::int64_t n = data.n;
  const std::int64_t d = data.d;
  ODDSEQ_CHECK(k >= 1 && k <= n, "k-means++: need 1 <= k <= n, got k=" << k << ", n=" << n);
  ODDSEQ_CHECK(n_local_trials >= 1, "k-means++: n_local_trials must be >= 1");
  const auto& kernels = simd::active();
  SplitMix64 rng(seed);
  std::vector<std::int64_t> chosen;
  chosen.reserve(static_cast<std::size_t>(k));

  // First seed: drawn with probability proportional to weight.
  std::vector<double> cumulative(static_cast<std::size_t>(n));
  std::vector<double> unit(static_cast<std::size_t>(n), 1.0);
  cumulative_potential(data, unit, n_threads, cumulative);
  chosen.push_back(pick_by_cumulative(cumulative, rng.uniform() * cumulative.back()));

  std::vector<double> closest(static_cast<std::size_t>(n));
  {
    const T* c = data.x + chosen[0] * d;
    core::parallel_for(n, n_threads, [&](std::int64_t i) {
      closest[static_cast<std::size_t>(i)] = static_cast<double>(
          simd::sqdist(kernels, data.x + i * d, c, static_cast<std::size_t>(d)));
    });
  }
  std::vector<std::int64_t> candidates(static_cast<std::size_t>(n_local_trials));
  std::vector<double> candidate_dist(static_cast<std::size_t>(n) * n_local_trials);
  const std::int64_t n_chunks = core::div_up(n, kSumChunk);
  std::vector<double> chunk_potential(static_cast<std::size_t>(n_chunks) * n_local_trials);
  for (std::int64_t step = 1; step < k; ++step) {
    cumulative_potential(data, closest, n_threads, cumulative);
    const double potential = cumulative.back();
    for (int t = 0; t < n_local_trials; ++t) {
      // All points coincide with chosen seeds: any point is as good as another.
      candidates[t] = potential > 0.0
                          ? pick_by_cumulative(cumulative, rng.uniform() * potential)
                          : static_cast<std::int64_t>(rng.next() % static_cast<std::uint64_t>(n));
    }
    core::parallel_for(n_chunks, n_threads, [&](std::int64_t chunk) {
      const std::int64_t end = std::min(n, (chunk + 1) * kSumChunk);
      for (int t = 0; t < n_local_trials; ++t) {
        const T* c = data.x + candidates[t] * d;
        double pot = 0.0;
        for (std::int64_t i = chunk * kSumChunk; i < end; ++i) {
          const double dist =
              std::min(closest[static_cast<std::size_t>(i)],
                       static_cast<double>(
                           simd::sqdist(kernels, data.x + i * d, c, static_cast<std::size_t>(d))));
          candidate_dist[static_cast<std::size_t>(t) * n + i] = dist;
          pot += weight_of(data, i) * dist;
        }
        chunk_potential[static_cast<std::size_t>(chunk) * n_local_trials + t] = pot;
      }
    });
    int best = 0;
    double best_pot = std::numeric_limits<double>::infinity();
    for (int t = 0; t < n_local_trials; ++t) {
      double pot = 0.0;
      for (std::int64_t c = 0; c < n_chunks; ++c) pot += chunk_potential[c * n_local_trials + t];
      if (pot < best_pot) {
        best_pot = pot;
        best = t;
      }
    }
    chosen.push_back(candidates[best]);
    std::copy_n(candidate_dist.begin() + static_cast<std::ptrdiff_t>(best) * n, n, closest.begin());
    if (step % 16 == 0) core::throw_if_interrupted();
  }
  return chosen;
}

namespace {

// One pass over the data: nearest centre for each row (labels, best = ||c||^2 - 2x.c),
// and, when sums is not null, per-segment weighted sums of the rows of each cluster.
template <class T>
void assign_pass(const KMeansData<T>& data, const std::vector<T>& packed,
                 const std::vector<T>& packed_norms, std::int64_t k, std::int64_t k_padded,
                 int n_threads, std::int32_t* labels, T* best, std::vector<double>* sums,
                 std::vector<double>* counts) {
  const auto& kernels = simd::active();
  const std::int64_t n = data.n;
  const std::int64_t d = data.d;
  const std::int64_t segments = segment_count(n);
  const std::int64_t rows_per_segment = core::div_up(n, segments);
  core::parallel_for_dynamic(segments, n_threads, [&](std::int64_t s) {
    const std::int64_t begin = std::min(n, s * rows_per_segment);
    const std::int64_t end = std::min(n, begin + rows_per_segment);
    double* seg_sums = sums != nullptr ? sums->data() + s * k * d : nullptr;
    double* seg_counts = counts != nullptr ? counts->data() + s * k : nullptr;
    if (seg_sums != nullptr) {
      std::fill_n(seg_sums, k * d, 0.0);
      std::fill_n(seg_counts, k, 0.0);
    }
    for (std::int64_t b = begin; b < end; b += kBlockRows) {
      const std::int64_t rows = std::min(kBlockRows, end - b);
      simd::nearest(kernels, data.x + b * d, rows, d, packed.data(), packed_norms.data(), k_padded,
                    labels + b, best + b);
      if (seg_sums == nullptr) continue;
      for (std::int64_t i = b; i < b + rows; ++i) {
        const std::int64_t c = labels[i];
        const double w = weight_of(data, i);
        double* dst = seg_sums + c * d;
        const T* row = data.x + i * d;
        for (std::int64_t j = 0; j < d; ++j) dst[j] += w * static_cast<double>(row[j]);
        seg_counts[c] += w;
      }
    }
  });
}

template <class T>
void pack(const T* centers, std::int64_t k, std::int64_t d, std::vector<T>& packed,
          std::vector<T>& packed_norms) {
  const auto& kernels = simd::active();
  const std::int64_t tile = simd::tile_width(kernels, T{});
  const std::int64_t k_padded = simd::padded_count(k, tile);
  packed.resize(static_cast<std::size_t>(k_padded * d));
  packed_norms.resize(static_cast<std::size_t>(k_padded));
  simd::pack_centers(centers, k, d, tile, packed.data(), packed_norms.data());
}

template <class T>
double weighted_inertia(const KMeansData<T>& data, const T* centers, const std::int32_t* labels,
                        int n_threads) {
  const auto& kernels = simd::active();
  const std::int64_t n = data.n;
  const std::int64_t d = data.d;
  const std::int64_t n_chunks = core::div_up(n, kSumChunk);
  std::vector<double> partial(static_cast<std::size_t>(n_chunks), 0.0);
  core::parallel_for(n_chunks, n_threads, [&](std::int64_t c) {
    const std::int64_t end = std::min(n, (c + 1) * kSumChunk);
    double sum = 0.0;
    for (std::int64_t i = c * kSumChunk; i < end; ++i) {
      sum += weight_of(data, i) *
             static_cast<double>(simd::sqdist(kernels, data.x + i * d, centers + labels[i] * d,
                                              static_cast<std::size_t>(d)));
    }
    partial[static_cast<std::size_t>(c)] = sum;
  });
  double total = 0.0;
  for (double p : partial) total += p;
  return total;
}

}  // namespace

template <class T>
void assign_nearest(const KMeansData<T>& data, const T* centers, std::int64_t k, int n_threads,
                    std::int32_t* labels, T* sq_dist) {
  ODDSEQ_CHECK(k >= 1, "assign_nearest: need at least one centre");
  std::vector<T> packed, packed_norms;
  pack(centers, k, data.d, packed, packed_norms);
  assign_pass<T>(data, packed, packed_norms, k, static_cast<std::int64_t>(packed_norms.size()),
                 n_threads, labels, sq_dist, nullptr, nullptr);
  // best + ||x||^2 is the squared distance up to rounding; recompute it exactly, since
  // callers rank by it.
  const auto& kernels = simd::active();
  core::parallel_for(data.n, n_threads, [&](std::int64_t i) {
    sq_dist[i] = simd::sqdist(kernels, data.x + i * data.d, centers + labels[i] * data.d,
                              static_cast<std::size_t>(data.d));
  });
}

template <class T>
KMeansResult<T> kmeans_lloyd(const KMeansData<T>& data, const T* initial_centers, std::int64_t k,
                             int max_iter, double tol, int n_threads) {
  const std::int64_t n = data.n;
  const std::int64_t d = data.d;
  ODDSEQ_CHECK(k >= 1 && k <= n, "k-means: need 1 <= k <= n, got k=" << k << ", n=" << n);
  ODDSEQ_CHECK(max_iter >= 1, "k-means: max_iter must be >= 1");
  const auto& kernels = simd::active();
  KMeansResult<T> result;
  result.centers.assign(initial_centers, initial_centers + k * d);
  result.labels.assign(static_cast<std::size_t>(n), -1);
  std::vector<std::int32_t> previous_labels(static_cast<std::size_t>(n), -1);
  std::vector<T> best(static_cast<std::size_t>(n));
  std::vector<T> packed, packed_norms;
  const std::int64_t segments = segment_count(n);
  std::vector<double> sums(static_cast<std::size_t>(segments * k * d));
  std::vector<double> counts(static_cast<std::size_t>(segments * k));
  std::vector<double> merged(static_cast<std::size_t>(k * d));
  std::vector<double> merged_counts(static_cast<std::size_t>(k));
  std::vector<T> new_centers(static_cast<std::size_t>(k * d));

  bool strict = false;
  int iteration = 0;
  for (; iteration < max_iter; ++iteration) {
    pack(result.centers.data(), k, d, packed, packed_norms);
    assign_pass<T>(data, packed, packed_norms, k, static_cast<std::int64_t>(packed_norms.size()),
                   n_threads, result.labels.data(), best.data(), &sums, &counts);
    core::throw_if_interrupted();
    core::parallel_for(k, n_threads, [&](std::int64_t c) {
      double* dst = merged.data() + c * d;
      std::fill_n(dst, d, 0.0);
      double weight = 0.0;
      for (std::int64_t s = 0; s < segments; ++s) {
        const double* src = sums.data() + (s * k + c) * d;
        for (std::int64_t j = 0; j < d; ++j) dst[j] += src[j];
        weight += counts[static_cast<std::size_t>(s * k + c)];
      }
      merged_counts[static_cast<std::size_t>(c)] = weight;
    });

    // Empty clusters take the points farthest from their current centres (largest
    // distance first, ties by row index), removed from the clusters they leave.
    std::vector<std::int64_t> empty;
    for (std::int64_t c = 0; c < k; ++c) {
      if (merged_counts[static_cast<std::size_t>(c)] <= 0.0) empty.push_back(c);
    }
    if (!empty.empty()) {
      std::vector<double> dist(static_cast<std::size_t>(n));
      core::parallel_for(n, n_threads, [&](std::int64_t i) {
        dist[static_cast<std::size_t>(i)] = static_cast<double>(
            simd::sqdist(kernels, data.x + i * d, result.centers.data() + result.labels[i] * d,
                         static_cast<std::size_t>(d)));
      });
      std::vector<std::int64_t> rows(static_cast<std::size_t>(n));
      std::iota(rows.begin(), rows.end(), 0);
      const std::size_t take = std::min(empty.size(), rows.size());
      std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(take), rows.end(),
                        [&](std::int64_t a, std::int64_t b) {
                          return dist[a] > dist[b] || (dist[a] == dist[b] && a < b);
                        });
      for (std::size_t e = 0; e < take; ++e) {
        const std::int64_t c = empty[e];
        const std::int64_t i = rows[e];
        const std::int64_t old = result.labels[i];
        const double w = weight_of(data, i);
        for (std::int64_t j = 0; j < d; ++j) {
          const double v = static_cast<double>(data.x[i * d + j]);
          merged[old * d + j] -= w * v;
          merged[c * d + j] = w * v;
        }
        merged_counts[static_cast<std::size_t>(old)] -= w;
        merged_counts[static_cast<std::size_t>(c)] = w;
      }
    }

    double shift = 0.0;
    for (std::int64_t c = 0; c < k; ++c) {
      const double w = merged_counts[static_cast<std::size_t>(c)];
      for (std::int64_t j = 0; j < d; ++j) {
        // A cluster whose only points have zero weight keeps its centre.
        const T value = w > 0.0 ? static_cast<T>(merged[c * d + j] / w) : result.centers[c * d + j];
        const double delta =
            static_cast<double>(value) - static_cast<double>(result.centers[c * d + j]);
        shift += delta * delta;
        new_centers[c * d + j] = value;
      }
    }
    result.centers.swap(new_centers);
    if (result.labels == previous_labels) {
      strict = true;
      break;
    }
    if (shift <= tol) break;
    previous_labels = result.labels;
  }
  result.n_iter = std::min(iteration + 1, max_iter);
  result.converged = strict || iteration < max_iter;
  if (!strict) {
    // Labels must belong to the final centres.
    pack(result.centers.data(), k, d, packed, packed_norms);
    assign_pass<T>(data, packed, packed_norms, k, static_cast<std::int64_t>(packed_norms.size()),
                   n_threads, result.labels.data(), best.data(), nullptr, nullptr);
  }
  result.inertia = weighted_inertia(data, result.centers.data(), result.labels.data(), n_threads);
  return result;
}

template std::vector<std::int64_t> kmeans_plusplus<float>(const KMeansData<float>&, std::int64_t,
                                                          std::uint64_t, int, int);
template std::vector<std::int64_t> kmeans_plusplus<double>(const KMeansData<double>&, std::int64_t,
                                                           std::uint64_t, int, int);
template KMeansResult<float> kmeans_lloyd<float>(const KMeansData<float>&, const float*,
                                                 std::int64_t, int, double, int);
template KMeansResult<double> kmeans_lloyd<double>(const KMeansData<double>&, const double*,
                                                   std::int64_t, int, double, int);
template void assign_nearest<float>(const KMeansData<float>&, const float*, std::int64_t, int,
                                    std::int32_t*, float*);
template void assign_nearest<double>(const KMeansData<double>&, const double*, std::int64_t, int,
                                     std::int32_t*, double*);

}  // namespace oddseq::cluster
