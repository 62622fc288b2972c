#include "oddseq/cluster/kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "oddseq/cluster/exact_sums.hpp"
#include "oddseq/core/check.hpp"
#include "oddseq/core/content_hash.hpp"
#include "oddseq/core/hash.hpp"
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
// Rows prefetched ahead of the one whose bound is being tightened.
constexpr std::size_t kPrefetchAhead = 8;

std::int64_t segment_count(std::int64_t n) {
  return std::clamp<std::int64_t>(n / kMinSegmentRows, 1, kMaxSegments);
}

template <class T>
double weight_of(const KMeansData<T>& data, std::int64_t i) {
  return data.weights != nullptr ? static_cast<double>(data.weights[i]) : 1.0;
}

// A row's u in (0, 1) for one race: its hash mixed with the race's stream, 53 bits.
double race_uniform(std::uint64_t hash, std::uint64_t stream) {
  return (static_cast<double>(core::splitmix64_mix(hash ^ stream) >> 11) + 0.5) * 0x1.0p-53;
}

// The race of (seed, step): a stream every row's hash is mixed with.
std::uint64_t race_stream(std::uint64_t seed, std::int64_t step) {
  return core::splitmix64_mix(
      seed ^ core::splitmix64_mix(static_cast<std::uint64_t>(step) + 0x9E3779B97F4A7C15ULL));
}

using core::compare_rows;

// Puts a pick into top (the m smallest distinct picks, smallest first): ordered by key,
// then the row's values, then the row; a pick of the same key and values as one held is
// the same point (identical rows share a key) and keeps the lower row.
template <class T>
void race_insert(const KMeansData<T>& data, std::vector<RacePick>& top, RacePick pick,
                 std::size_t m) {
  std::size_t at = top.size();
  for (std::size_t e = 0; e < top.size(); ++e) {
    if (pick.key > top[e].key) continue;
    if (pick.key < top[e].key) {
      at = e;
      break;
    }
    const int order =
        compare_rows(data.x + pick.row * data.d, data.x + top[e].row * data.d, data.d);
    if (order == 0) {
      top[e].row = std::min(top[e].row, pick.row);
      return;
    }
    if (order < 0) {
      at = e;
      break;
    }
  }
  if (at >= m) return;
  top.insert(top.begin() + static_cast<std::ptrdiff_t>(at), pick);
  if (top.size() > m) top.pop_back();
}

// A key's lower bound (1 - u) / p (as -log(u) >= 1 - u) is compared against the m-th
// key held, less this margin for rounding, so that only rows that may enter are logged.
constexpr double kRacePrune = 1.0 - 0x1.0p-30;
// Trials whose potentials lie within this fraction of the lowest are equal: the first
// of them (in the race's order) is kept. Sums of the same distances in another order
// (another row order, oddseq.dask's partitions) differ by rounding, far less than this.
constexpr double kPotentialTie = 1e-9;

}  // namespace

template <class T>
std::vector<double> group_weights(const KMeansData<T>& data,
                                  const std::vector<std::uint64_t>& hashes, int n_threads) {
  // Each row's weight, or its group's weights added in ascending order (the same bits for
  // any row order).
  std::vector<double> out(static_cast<std::size_t>(data.n));
  for (std::int64_t i = 0; i < data.n; ++i) out[static_cast<std::size_t>(i)] = weight_of(data, i);
  auto add_up = [&](const std::int64_t* group, std::int64_t size) {
    std::vector<double> weights(static_cast<std::size_t>(size));
    for (std::int64_t e = 0; e < size; ++e) weights[e] = weight_of(data, group[e]);
    std::sort(weights.begin(), weights.end());
    double total = 0.0;
    for (const double w : weights) total += w;
    for (std::int64_t e = 0; e < size; ++e) out[static_cast<std::size_t>(group[e])] = total;
  };
  core::identical_groups(data.x, data.n, data.d, hashes.data(), n_threads, add_up);
  return out;
}

template <class T>
std::vector<RacePick> kmeans_race(const KMeansData<T>& data, const std::uint64_t* hashes,
                                  const double* group_weight, const double* closest,
                                  std::uint64_t seed, std::int64_t step, int m, int n_threads) {
  ODDSEQ_CHECK(m >= 1, "k-means++ race: need at least one pick");
  const std::int64_t n = data.n;
  const std::uint64_t stream = race_stream(seed, step);
  const std::size_t want = static_cast<std::size_t>(m);
  const std::int64_t n_chunks = core::div_up(n, kSumChunk);
  std::vector<std::vector<RacePick>> tops(static_cast<std::size_t>(n_chunks));
  core::parallel_for(n_chunks, n_threads, [&](std::int64_t chunk) {
    std::vector<RacePick>& top = tops[static_cast<std::size_t>(chunk)];
    const std::int64_t end = std::min(n, (chunk + 1) * kSumChunk);
    for (std::int64_t i = chunk * kSumChunk; i < end; ++i) {
      const double p = (group_weight != nullptr ? group_weight[i] : 1.0) *
                       (closest != nullptr ? closest[i] : 1.0);
      if (!(p > 0.0)) continue;
      const double u = race_uniform(hashes[i], stream);
      if (top.size() == want && (1.0 - u) * kRacePrune > top.back().key * p) continue;
      const double key = -std::log(u) / p;
      if (top.size() == want && key > top.back().key) continue;
      race_insert(data, top, RacePick{key, i}, want);
    }
  });
  std::vector<RacePick> picks;
  for (const auto& top : tops) {
    for (const RacePick& pick : top) race_insert(data, picks, pick, want);
  }
  return picks;
}

namespace {

// A race's picks, falling back where no row can be drawn: without the distances (every
// row coincides with a chosen centre: any is as good as another), then without weights.
template <class T>
std::vector<RacePick> race_or_any(const KMeansData<T>& data,
                                  const std::vector<std::uint64_t>& hashes,
                                  const std::vector<double>& group_weight, const double* closest,
                                  std::uint64_t seed, std::int64_t step, int m, int n_threads) {
  auto picks =
      kmeans_race(data, hashes.data(), group_weight.data(), closest, seed, step, m, n_threads);
  if (picks.empty() && closest != nullptr) {
    picks =
        kmeans_race(data, hashes.data(), group_weight.data(), nullptr, seed, step, m, n_threads);
  }
  if (picks.empty()) {
    picks = kmeans_race(data, hashes.data(), nullptr, nullptr, seed, step, m, n_threads);
  }
  return picks;
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
  std::vector<std::int64_t> chosen;
  chosen.reserve(static_cast<std::size_t>(k));
  // Each row's hash and its group's weight, once: the races are keyed by the values
  // (rounded: core::key_bits).
  const std::vector<double> floors = core::key_floors(data.x, n, d, n_threads);
  const std::vector<std::uint64_t> keys = core::column_keys(data.x, n, d, floors.data(), n_threads);
  const std::vector<std::uint64_t> hashes =
      core::draw_hashes(data.x, n, d, keys.data(), floors.data(), n_threads);
  const std::vector<double> group_weight = group_weights(data, hashes, n_threads);

  // First seed: drawn with probability proportional to weight.
  chosen.push_back(race_or_any(data, hashes, group_weight, nullptr, seed, 0, 1, n_threads)[0].row);

  std::vector<double> closest(static_cast<std::size_t>(n));
  {
    const T* c = data.x + chosen[0] * d;
    core::parallel_for(n, n_threads, [&](std::int64_t i) {
      closest[static_cast<std::size_t>(i)] = static_cast<double>(
          simd::sqdist(kernels, data.x + i * d, c, static_cast<std::size_t>(d)));
    });
  }
  std::vector<double> candidate_dist(static_cast<std::size_t>(n) * n_local_trials);
  const std::int64_t n_chunks = core::div_up(n, kSumChunk);
  std::vector<double> chunk_potential(static_cast<std::size_t>(n_chunks) * n_local_trials);
  for (std::int64_t step = 1; step < k; ++step) {
    // The n_local_trials candidates: the race's first picks (distinct points drawn in
    // proportion to weight * D^2, without replacement).
    const std::vector<RacePick> picks = race_or_any(data, hashes, group_weight, closest.data(),
                                                    seed, step, n_local_trials, n_threads);
    const int trials = static_cast<int>(picks.size());
    core::parallel_for(n_chunks, n_threads, [&](std::int64_t chunk) {
      const std::int64_t end = std::min(n, (chunk + 1) * kSumChunk);
      for (int t = 0; t < trials; ++t) {
        const T* c = data.x + picks[static_cast<std::size_t>(t)].row * d;
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
    std::vector<double> potential(static_cast<std::size_t>(trials), 0.0);
    double lowest = std::numeric_limits<double>::infinity();
    for (int t = 0; t < trials; ++t) {
      for (std::int64_t c = 0; c < n_chunks; ++c)
        potential[t] += chunk_potential[c * n_local_trials + t];
      lowest = std::min(lowest, potential[t]);
    }
    // The first trial within kPotentialTie of the lowest: which of two equal trials a sum
    // in row order favours is not left to its rounding.
    int best = 0;
    while (potential[best] > lowest + lowest * kPotentialTie) ++best;
    chosen.push_back(picks[static_cast<std::size_t>(best)].row);
    std::copy_n(candidate_dist.begin() + static_cast<std::ptrdiff_t>(best) * n, n, closest.begin());
    if (step % 16 == 0) core::throw_if_interrupted();
  }
  return chosen;
}

namespace {

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

// Everything one iteration's assignment step needs to know about the centres.
template <class T>
struct CentreState {
  std::vector<T> packed, packed_norms;
  std::int64_t k_padded = 0;
  // The kernel works on x - mu and c - mu with mu the centres' mean: the expansion
  // ||c||^2 - 2 x.c then cancels no more than the spread of the data allows, not its
  // distance from the origin (scikit-learn centres a copy of X for the same reason).
  // Shifting costs a little, so it is used only when the centres' mean lies farther from
  // the origin than the centres spread around it (for standardised data it does not).
  std::vector<T> mu;
  bool shift = false;
  // Hamerly only: half the distance from each centre to its nearest other centre, how far
  // each centre moved in the last update, and the largest such moves.
  std::vector<double> half_gap, moved;
  std::vector<T> moved_t;    // Elkan: the moves in T, for the vectorised bound update
  std::vector<T> half_pair;  // Elkan: half the distance between every pair of centres (k x k)
  double max_moved = 0.0, second_max_moved = 0.0;
  std::int64_t most_moved = -1;
  double max_sqnorm = 0.0;  // largest ||c||^2, for the rounding margin of lower bounds
};

template <class T>
void prepare_centres(const std::vector<T>& centers, std::int64_t k, std::int64_t d, bool bounds,
                     bool pairwise, CentreState<T>& state) {
  std::vector<double> mean(static_cast<std::size_t>(d), 0.0);
  for (std::int64_t c = 0; c < k; ++c) {
    for (std::int64_t j = 0; j < d; ++j) mean[j] += static_cast<double>(centers[c * d + j]);
  }
  state.mu.resize(static_cast<std::size_t>(d));
  for (std::int64_t j = 0; j < d; ++j)
    state.mu[j] = static_cast<T>(mean[j] / static_cast<double>(k));
  double mu_sq = 0.0, spread_sq = 0.0;
  for (std::int64_t j = 0; j < d; ++j) mu_sq += static_cast<double>(state.mu[j]) * state.mu[j];
  std::vector<T> shifted(centers.size());
  for (std::int64_t c = 0; c < k; ++c) {
    double dist_sq = 0.0;
    for (std::int64_t j = 0; j < d; ++j) {
      shifted[c * d + j] = centers[c * d + j] - state.mu[j];
      dist_sq += static_cast<double>(shifted[c * d + j]) * shifted[c * d + j];
    }
    spread_sq = std::max(spread_sq, dist_sq);
  }
  state.shift = mu_sq > spread_sq;
  if (!state.shift) {
    std::fill(state.mu.begin(), state.mu.end(), T(0));
    shifted = centers;
  }
  pack(shifted.data(), k, d, state.packed, state.packed_norms);
  state.k_padded = static_cast<std::int64_t>(state.packed_norms.size());
  if (!bounds) return;
  const auto& kernels = simd::active();
  state.half_gap.assign(static_cast<std::size_t>(k), std::numeric_limits<double>::infinity());
  if (pairwise) state.half_pair.assign(static_cast<std::size_t>(k * k), T(0));
  state.max_sqnorm = 0.0;
  for (std::int64_t a = 0; a < k; ++a) {
    const T* ca = centers.data() + a * d;
    const T* shifted_a = shifted.data() + a * d;
    state.max_sqnorm = std::max(
        state.max_sqnorm,
        static_cast<double>(simd::dot(kernels, shifted_a, shifted_a, static_cast<std::size_t>(d))));
    for (std::int64_t b = a + 1; b < k; ++b) {
      const double gap =
          0.5 * std::sqrt(static_cast<double>(simd::sqdist(kernels, ca, centers.data() + b * d,
                                                           static_cast<std::size_t>(d))));
      state.half_gap[a] = std::min(state.half_gap[a], gap);
      state.half_gap[b] = std::min(state.half_gap[b], gap);
      if (pairwise) {
        state.half_pair[static_cast<std::size_t>(a * k + b)] = static_cast<T>(gap);
        state.half_pair[static_cast<std::size_t>(b * k + a)] = static_cast<T>(gap);
      }
    }
  }
}

// out[r] = rows[r] - mu for a block of rows (the kernel's centred coordinates).
template <class T>
void shift_rows(const T* __restrict rows, std::int64_t m, std::int64_t d, const T* __restrict mu,
                T* __restrict out) {
  for (std::int64_t r = 0; r < m; ++r) {
    const T* src = rows + r * d;
    T* dst = out + r * d;
    for (std::int64_t j = 0; j < d; ++j) dst[j] = src[j] - mu[j];
  }
}

// Per-row state of the bounded algorithms: an upper bound on the distance to the own
// centre and lower bounds on the distance to the other centres: one for all of them
// (Hamerly, n values) or one per centre (Elkan, n x k values).
template <class T>
struct Bounds {
  std::vector<T> upper, lower;
  bool per_centre = false;  // Elkan
  bool ready = false;       // false until a full assignment has set them
};

// Elkan (2003) for one row whose bounds are set: the triangle inequality with the
// centre-centre distances and the per-centre lower bounds rules out most centres; the
// rest get an exact distance. Returns the new label.
template <class T>
std::int32_t elkan_row(const simd::Kernels& kernels, const T* row, const std::vector<T>& centers,
                       std::int64_t k, std::int64_t d, const CentreState<T>& state,
                       std::int32_t label, T& upper, T* lower) {
  for (std::int64_t c = 0; c < k; ++c) {
    const T moved_lower = lower[c] - state.moved_t[static_cast<std::size_t>(c)];
    lower[c] = moved_lower > T(0) ? moved_lower : T(0);
  }
  std::int32_t a = label;
  T u = upper + state.moved_t[static_cast<std::size_t>(a)];
  if (u <= static_cast<T>(state.half_gap[a])) {
    upper = u;
    return a;
  }
  auto distance = [&](std::int64_t c) {
    return std::sqrt(
        simd::sqdist(kernels, row, centers.data() + c * d, static_cast<std::size_t>(d)));
  };
  bool stale = true;
  for (std::int64_t c = 0; c < k; ++c) {
    if (c == a) continue;
    if (u <= lower[c] || u <= state.half_pair[static_cast<std::size_t>(a * k + c)]) continue;
    if (stale) {
      u = distance(a);
      lower[a] = u;
      stale = false;
      if (u <= lower[c] || u <= state.half_pair[static_cast<std::size_t>(a * k + c)]) continue;
    }
    const T dc = distance(c);
    lower[c] = dc;
    if (dc < u || (dc == u && c < a)) {
      a = static_cast<std::int32_t>(c);
      u = dc;
    }
  }
  upper = u;
  return a;
}

// Per-segment cluster sums kept across iterations and updated only for rows whose label
// changed: after the first iterations few rows move, so the update costs little. Sums are
// exact fixed-point integers (exact_sums.hpp), so they do not depend on the order rows
// came and went in: a cluster's sum is that of its rows, as oddseq.dask adds them up per
// partition. A segment keeps each sum as three 64-bit limbs (value = l0 + l1 * 2^42 +
// l2 * 2^84), which a row's limbs (simd::grid_limbs, vectorised) are added to lane by lane
// without carries; the limbs are brought back below 2^42 (normalize_limbs) at every merge
// and every kMovesPerNormalize moves, so they never overflow. Member counts are exact
// integers so that emptiness is never a rounding matter.
constexpr int kLimbs = 3;
constexpr int kLimbBits = 42;
// Between normalisations a limb (below 2^42 after one) takes at most this many row limbs
// (each below 2^42): |limb| < 2^42 * (1 + 2^19) < 2^62.
constexpr std::int64_t kMovesPerNormalize = std::int64_t{1} << 19;

struct SegmentSums {
  SegmentSums(std::int64_t segments, std::int64_t k, std::int64_t d, const std::vector<int>& grid)
      : limbs(static_cast<std::size_t>(segments * k * kLimbs * d), 0),
        weights(static_cast<std::size_t>(segments * k), 0.0),
        members(static_cast<std::size_t>(segments * k), 0),
        shifts(grid),
        scale(grid.size()) {
    // The vectorised conversion multiplies by 2^shift, which must be a normal double.
    for (std::size_t j = 0; j < grid.size(); ++j) {
      scaled = scaled && grid[j] >= std::numeric_limits<double>::min_exponent &&
               grid[j] < std::numeric_limits<double>::max_exponent;
      scale[j] = std::ldexp(1.0, std::clamp(grid[j], -1000, 1000));
    }
  }
  std::vector<std::int64_t> limbs;    // segments x k x kLimbs x d
  std::vector<double> weights;        // segments x k
  std::vector<std::int64_t> members;  // segments x k
  std::vector<int> shifts;            // d: each column's fixed-point grid
  std::vector<double> scale;          // d: 2^shift
  bool scaled = true;                 // every scale exact (else the scalar conversion)
};

// Every cluster's merged sums as 128-bit integers.
struct MergedSums {
  MergedSums(std::int64_t k, std::int64_t d, const std::vector<int>& grid)
      : sums(static_cast<std::size_t>(k * d), 0),
        weights(static_cast<std::size_t>(k), 0.0),
        members(static_cast<std::size_t>(k), 0),
        shifts(grid) {}
  std::vector<FixedSum> sums;         // k x d
  std::vector<double> weights;        // k
  std::vector<std::int64_t> members;  // k
  std::vector<int> shifts;            // d
};

// x of weight w on column j's grid (weighted_to_fixed); the grid was made for these rows,
// so it always fits.
inline FixedSum on_grid(double value, double w, int shift) {
  FixedSum q = 0;
  weighted_to_fixed(value, w, shift, &q);
  return q;
}

// The value of one sum's limbs (at limbs[0], limbs[d], limbs[2d]).
inline FixedSum limb_value(const std::int64_t* limbs, std::int64_t d) {
  return static_cast<FixedSum>(limbs[0]) +
         static_cast<FixedSum>(limbs[d]) * (FixedSum{1} << kLimbBits) +
         static_cast<FixedSum>(limbs[2 * d]) * (FixedSum{1} << (2 * kLimbBits));
}

// The same value with its two low limbs in [0, 2^42).
inline void set_limbs(FixedSum value, std::int64_t* limbs, std::int64_t d) {
  constexpr std::int64_t kMask = (std::int64_t{1} << kLimbBits) - 1;
  limbs[0] = static_cast<std::int64_t>(value & kMask);
  limbs[d] = static_cast<std::int64_t>((value >> kLimbBits) & kMask);
  limbs[2 * d] = static_cast<std::int64_t>(value >> (2 * kLimbBits));
}

// A segment's k sums (k x kLimbs x d limbs) with their limbs brought back below 2^42.
inline void normalize_limbs(std::int64_t* limbs, std::int64_t k, std::int64_t d) {
  for (std::int64_t c = 0; c < k; ++c) {
    std::int64_t* sum = limbs + c * kLimbs * d;
    for (std::int64_t j = 0; j < d; ++j) set_limbs(limb_value(sum + j, d), sum + j, d);
  }
}

// Row i's values of weight w on the grids as limbs (kLimbs x d; weighted_to_fixed's
// integers: x's integer times w for a whole w, a count of tied rows, so that a cluster of
// one distinct row of count w sums to w times its integer, exactly as its w copies do):
// vectorised when every column's scale is exact, else value by value (the same integers).
template <class T>
void row_limbs(const simd::Kernels& kernels, const KMeansData<T>& data, const SegmentSums& totals,
               std::int64_t i, std::int64_t* limbs) {
  const std::int64_t d = data.d;
  const double w = weight_of(data, i);
  const T* row = data.x + i * d;
  if (totals.scaled) {
    weighted_grid_limbs(kernels, row, d, w, totals.scale.data(), limbs);
    return;
  }
  for (std::int64_t j = 0; j < d; ++j) {
    const FixedSum q = on_grid(static_cast<double>(row[j]), w, totals.shifts[j]);
    const FixedSum magnitude = q < 0 ? -q : q;
    set_limbs(magnitude, limbs + j, d);
    if (q < 0) {
      for (int l = 0; l < kLimbs; ++l) limbs[l * d + j] = -limbs[l * d + j];
    }
  }
}

// One segment's side of a pass: counts the rows that change cluster and moves them
// between the segment's cluster sums (when the pass keeps sums).
template <class T>
struct SegmentMover {
  SegmentMover(const KMeansData<T>& rows, SegmentSums* sums_of, std::int64_t segment,
               std::int64_t k_clusters)
      : data(rows),
        totals(sums_of),
        k(k_clusters),
        limbs(sums_of != nullptr ? sums_of->limbs.data() + segment * k_clusters * kLimbs * rows.d
                                 : nullptr),
        weights(sums_of != nullptr ? sums_of->weights.data() + segment * k_clusters : nullptr),
        members(sums_of != nullptr ? sums_of->members.data() + segment * k_clusters : nullptr),
        row(sums_of != nullptr ? static_cast<std::size_t>(kLimbs * rows.d) : 0) {}

  void move(std::int64_t i, std::int32_t before, std::int32_t after) {
    ++changed;
    if (limbs == nullptr) return;
    const std::int64_t d = data.d;
    const std::int64_t width = kLimbs * d;
    const double w = weight_of(data, i);
    row_limbs(simd::active(), data, *totals, i, row.data());
    if (before >= 0) {
      std::int64_t* src = limbs + static_cast<std::int64_t>(before) * width;
      for (std::int64_t e = 0; e < width; ++e) src[e] -= row[static_cast<std::size_t>(e)];
      weights[before] -= w;
      --members[before];
    }
    std::int64_t* dst = limbs + static_cast<std::int64_t>(after) * width;
    for (std::int64_t e = 0; e < width; ++e) dst[e] += row[static_cast<std::size_t>(e)];
    weights[after] += w;
    ++members[after];
    if (++since_normalized == kMovesPerNormalize) {
      normalize_limbs(limbs, k, d);
      since_normalized = 0;
    }
  }

  const KMeansData<T>& data;
  const SegmentSums* totals;
  std::int64_t k;
  std::int64_t* limbs;            // k x kLimbs x d, or null
  double* weights;                // k
  std::int64_t* members;          // k
  std::vector<std::int64_t> row;  // the moving row's limbs
  std::int64_t since_normalized = 0;
  std::int64_t changed = 0;  // rows whose label changed
};

// A thread's scratch for the blocks of a pass: the kernel's labels and best and
// runner-up squared distances, the rows still to search and their centred copies.
template <class T>
struct BlockScratch {
  explicit BlockScratch(std::int64_t d)
      : best(static_cast<std::size_t>(kBlockRows)),
        second(static_cast<std::size_t>(kBlockRows)),
        found(static_cast<std::size_t>(kBlockRows)),
        shifted(static_cast<std::size_t>(kBlockRows * d)) {}
  std::vector<T> best, second;
  std::vector<std::int32_t> found;
  std::vector<std::int64_t> pending, unsettled;
  std::vector<T> shifted;
};

// Elkan: each row of the block settled by its per-centre bounds, with exact distances
// where they cannot (elkan_row).
template <class T>
void elkan_block(const simd::Kernels& kernels, const KMeansData<T>& data,
                 const CentreState<T>& state, const std::vector<T>& centers, std::int64_t k,
                 std::int64_t b, std::int64_t rows, std::int32_t* labels, Bounds<T>& bounds,
                 SegmentMover<T>& mover) {
  for (std::int64_t i = b; i < b + rows; ++i) {
    const std::int32_t before = labels[i];
    const std::int32_t after = elkan_row(kernels, data.x + i * data.d, centers, k, data.d, state,
                                         before, bounds.upper[i], bounds.lower.data() + i * k);
    if (after != before) {
      labels[i] = after;
      mover.move(i, before, after);
    }
  }
}

// Hamerly: the rows of the block whose bounds cannot settle their label go to
// scratch.pending. First the bounds alone (streaming through three small arrays), then
// the rows whose upper bound must be tightened, prefetched ahead: they are scattered,
// and waiting on each row's cache miss would dominate the pass.
template <class T>
void hamerly_screen(const simd::Kernels& kernels, const KMeansData<T>& data,
                    const CentreState<T>& state, const std::vector<T>& centers, std::int64_t b,
                    std::int64_t rows, const std::int32_t* labels, Bounds<T>& bounds,
                    BlockScratch<T>& scratch) {
  const std::int64_t d = data.d;
  T* upper = bounds.upper.data();
  T* lower = bounds.lower.data();
  auto& unsettled = scratch.unsettled;
  unsettled.clear();
  for (std::int64_t i = b; i < b + rows; ++i) {
    const std::int32_t a = labels[i];
    upper[i] = static_cast<T>(static_cast<double>(upper[i]) + state.moved[a]);
    lower[i] = static_cast<T>(static_cast<double>(lower[i]) -
                              (a == state.most_moved ? state.second_max_moved : state.max_moved));
    if (upper[i] > std::max(static_cast<T>(state.half_gap[a]), lower[i])) {
      unsettled.push_back(i);
    }
  }
  const std::size_t n_unsettled = unsettled.size();
  for (std::size_t u = 0; u < n_unsettled; ++u) {
    if (u + kPrefetchAhead < n_unsettled) {
      const char* ahead = reinterpret_cast<const char*>(data.x + unsettled[u + kPrefetchAhead] * d);
      for (std::int64_t byte = 0; byte < d * static_cast<std::int64_t>(sizeof(T)); byte += 64) {
        __builtin_prefetch(ahead + byte);
      }
    }
    const std::int64_t i = unsettled[u];
    const std::int32_t a = labels[i];
    const T limit = std::max(static_cast<T>(state.half_gap[a]), lower[i]);
    upper[i] = std::sqrt(
        simd::sqdist(kernels, data.x + i * d, centers.data() + a * d, static_cast<std::size_t>(d)));
    if (upper[i] > limit) scratch.pending.push_back(i);
  }
}

// The rows in scratch.pending searched afresh as one block with the fused kernel; each
// gets its label (a near-tie that the kernel's expansion cannot settle decided by exact
// distances, so that Lloyd, Hamerly and Elkan give the same labels) and, with bounds,
// fresh bounds: the exact distance to its centre above, the runner-up's below
// (Hamerly), or zeros but its own centre's (Elkan, which computes the others as it
// needs them).
template <class T>
void search_pending(const simd::Kernels& kernels, const KMeansData<T>& data,
                    const CentreState<T>& state, const std::vector<T>& centers, std::int64_t k,
                    std::int32_t* labels, Bounds<T>* bounds, BlockScratch<T>& scratch,
                    SegmentMover<T>& mover) {
  const std::int64_t d = data.d;
  const T eps = std::numeric_limits<T>::epsilon();
  const std::int64_t m = static_cast<std::int64_t>(scratch.pending.size());
  if (m == 0) return;
  // A whole block (Lloyd, a first pass) is searched where it lies, the kernel shifting
  // each row by mu as it reads it; scattered rows are gathered and shifted first.
  const bool whole_block = scratch.pending.back() - scratch.pending.front() == m - 1;
  const T* mu = state.shift ? state.mu.data() : nullptr;
  if (whole_block) {
    simd::nearest(kernels, data.x + scratch.pending.front() * d, m, d, mu, state.packed.data(),
                  state.packed_norms.data(), state.k_padded, scratch.found.data(),
                  scratch.best.data(), scratch.second.data());
  } else {
    for (std::int64_t r = 0; r < m; ++r) {
      shift_rows(data.x + scratch.pending[r] * d, 1, d, state.mu.data(),
                 scratch.shifted.data() + r * d);
    }
    simd::nearest(kernels, scratch.shifted.data(), m, d, nullptr, state.packed.data(),
                  state.packed_norms.data(), state.k_padded, scratch.found.data(),
                  scratch.best.data(), scratch.second.data());
  }
  for (std::int64_t r = 0; r < m; ++r) {
    const std::int64_t i = scratch.pending[r];
    const T* row = data.x + i * d;
    // second + ||x - mu||^2 is the runner-up's squared distance up to float rounding in
    // the dot products; the margin bounds that rounding. (sqdist(x, mu) is the dot
    // product of x - mu with itself, term for term.)
    const T sq_norm =
        whole_block ? (mu != nullptr ? simd::sqdist(kernels, row, mu, static_cast<std::size_t>(d))
                                     : simd::dot(kernels, row, row, static_cast<std::size_t>(d)))
                    : simd::dot(kernels, scratch.shifted.data() + r * d,
                                scratch.shifted.data() + r * d, static_cast<std::size_t>(d));
    const T margin =
        static_cast<T>(2 * (d + 2)) * eps * (sq_norm + static_cast<T>(state.max_sqnorm));
    std::int32_t a = scratch.found[r];
    T runner_up_sq = scratch.second[r] + sq_norm - margin;
    if (scratch.second[r] - scratch.best[r] <= 2 * margin) {
      // A near-tie the expansion cannot settle: exact distances decide.
      T best_sq = std::numeric_limits<T>::infinity();
      T next_sq = std::numeric_limits<T>::infinity();
      for (std::int64_t c = 0; c < k; ++c) {
        const T dc =
            simd::sqdist(kernels, row, centers.data() + c * d, static_cast<std::size_t>(d));
        if (dc < best_sq) {
          next_sq = best_sq;
          best_sq = dc;
          a = static_cast<std::int32_t>(c);
        } else if (dc < next_sq) {
          next_sq = dc;
        }
      }
      runner_up_sq = next_sq;
    }
    if (labels[i] != a) {
      mover.move(i, labels[i], a);
      labels[i] = a;
    }
    if (bounds == nullptr) continue;  // Lloyd
    bounds->upper[i] =
        std::sqrt(simd::sqdist(kernels, row, centers.data() + a * d, static_cast<std::size_t>(d)));
    if (bounds->per_centre) {
      // Zero is a valid lower bound; the exact distances come as Elkan needs them.
      T* row_lower = bounds->lower.data() + i * k;
      std::fill_n(row_lower, k, T(0));
      row_lower[a] = bounds->upper[i];
      continue;
    }
    bounds->lower[i] = runner_up_sq > 0 ? std::sqrt(runner_up_sq) : T(0);
  }
}

// One pass over the rows: labels[i] = nearest centre, and when totals is not null the
// per-segment weighted sums of each cluster's rows kept up to date. Without bounds every
// row is searched (Lloyd); with them, rows whose bounds prove their label unchanged skip
// the distance computations (Hamerly 2010, or Elkan 2003 per centre) and the rows that
// cannot skip are gathered into a block and searched with the fused kernel. Returns how
// many rows changed cluster.
template <class T>
std::int64_t assign_pass(const KMeansData<T>& data, const CentreState<T>& state,
                         const std::vector<T>& centers, std::int64_t k, int n_threads,
                         std::int32_t* labels, Bounds<T>* bounds, SegmentSums* totals) {
  const auto& kernels = simd::active();
  const std::int64_t n = data.n;
  const std::int64_t segments = segment_count(n);
  const std::int64_t rows_per_segment = core::div_up(n, segments);
  std::vector<std::int64_t> changed(static_cast<std::size_t>(segments), 0);
  core::parallel_for_dynamic(segments, n_threads, [&](std::int64_t s) {
    const std::int64_t begin = std::min(n, s * rows_per_segment);
    const std::int64_t end = std::min(n, begin + rows_per_segment);
    SegmentMover<T> mover(data, totals, s, k);
    BlockScratch<T> scratch(data.d);
    for (std::int64_t b = begin; b < end; b += kBlockRows) {
      const std::int64_t rows = std::min(kBlockRows, end - b);
      scratch.pending.clear();
      if (bounds == nullptr || !bounds->ready) {  // Lloyd, or the first bounded pass
        for (std::int64_t i = b; i < b + rows; ++i) scratch.pending.push_back(i);
      } else if (bounds->per_centre) {
        elkan_block(kernels, data, state, centers, k, b, rows, labels, *bounds, mover);
      } else {
        hamerly_screen(kernels, data, state, centers, b, rows, labels, *bounds, scratch);
      }
      search_pending(kernels, data, state, centers, k, labels, bounds, scratch, mover);
    }
    changed[static_cast<std::size_t>(s)] = mover.changed;
  });
  if (bounds != nullptr) bounds->ready = true;
  std::int64_t total = 0;
  for (std::int64_t c : changed) total += c;
  return total;
}

// Per-row bounds for the bounded algorithms, unset until the first pass.
template <class T>
Bounds<T> make_bounds(std::int64_t n, std::int64_t k, bool per_centre) {
  Bounds<T> bounds;
  bounds.per_centre = per_centre;
  bounds.upper.resize(static_cast<std::size_t>(n));
  bounds.lower.resize(static_cast<std::size_t>(per_centre ? n * k : n));
  return bounds;
}

// Every cluster's sums over the segments (exact integers: any order gives the same); the
// segments' limbs are normalised on the way.
void merge_segments(SegmentSums& totals, std::int64_t segments, std::int64_t k, std::int64_t d,
                    int n_threads, MergedSums& merged) {
  core::parallel_for(k, n_threads, [&](std::int64_t c) {
    FixedSum* dst = merged.sums.data() + c * d;
    std::fill_n(dst, d, FixedSum{0});
    double weight = 0.0;
    std::int64_t members = 0;
    for (std::int64_t s = 0; s < segments; ++s) {
      std::int64_t* src = totals.limbs.data() + (s * k + c) * kLimbs * d;
      for (std::int64_t j = 0; j < d; ++j) {
        const FixedSum value = limb_value(src + j, d);
        set_limbs(value, src + j, d);
        dst[j] += value;
      }
      weight += totals.weights[static_cast<std::size_t>(s * k + c)];
      members += totals.members[static_cast<std::size_t>(s * k + c)];
    }
    merged.weights[static_cast<std::size_t>(c)] = weight;
    merged.members[static_cast<std::size_t>(c)] = members;
  });
}

// Empty clusters take the points farthest from their current centres (largest distance
// first, ties by the rows' values, then by row index: identical rows are alike); each moved point
// joins its new cluster in the merged and the per-segment sums, and its bounds are zeroed so that
// the next pass searches it.
template <class T>
void reseed_empty(const KMeansData<T>& data, const std::vector<T>& centers, std::int64_t k,
                  int n_threads, std::int64_t rows_per_segment, std::vector<std::int32_t>& labels,
                  SegmentSums& totals, MergedSums& merged, Bounds<T>* bounds) {
  const auto& kernels = simd::active();
  const std::int64_t n = data.n;
  const std::int64_t d = data.d;
  std::vector<std::int64_t> empty;
  for (std::int64_t c = 0; c < k; ++c) {
    if (merged.members[static_cast<std::size_t>(c)] == 0) empty.push_back(c);
  }
  if (empty.empty()) return;
  std::vector<double> dist(static_cast<std::size_t>(n));
  core::parallel_for(n, n_threads, [&](std::int64_t i) {
    dist[static_cast<std::size_t>(i)] = static_cast<double>(simd::sqdist(
        kernels, data.x + i * d, centers.data() + labels[i] * d, static_cast<std::size_t>(d)));
  });
  std::vector<std::int64_t> rows(static_cast<std::size_t>(n));
  std::iota(rows.begin(), rows.end(), 0);
  const std::size_t take = std::min(empty.size(), rows.size());
  std::vector<std::int64_t> limbs(static_cast<std::size_t>(kLimbs * d));
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(take), rows.end(),
                    [&](std::int64_t a, std::int64_t b) {
                      if (dist[a] != dist[b]) return dist[a] > dist[b];
                      const int order = compare_rows(data.x + a * d, data.x + b * d, d);
                      return order != 0 ? order < 0 : a < b;
                    });
  for (std::size_t e = 0; e < take; ++e) {
    const std::int64_t c = empty[e];
    const std::int64_t i = rows[e];
    const std::int64_t old = labels[i];
    const std::int64_t seg = i / rows_per_segment;
    const double w = weight_of(data, i);
    row_limbs(kernels, data, totals, i, limbs.data());
    std::int64_t* from = totals.limbs.data() + (seg * k + old) * kLimbs * d;
    std::int64_t* to = totals.limbs.data() + (seg * k + c) * kLimbs * d;
    for (std::int64_t e = 0; e < kLimbs * d; ++e) {
      from[e] -= limbs[static_cast<std::size_t>(e)];
      to[e] += limbs[static_cast<std::size_t>(e)];
    }
    for (std::int64_t j = 0; j < d; ++j) {
      const FixedSum v = limb_value(limbs.data() + j, d);
      merged.sums[static_cast<std::size_t>(old * d + j)] -= v;
      merged.sums[static_cast<std::size_t>(c * d + j)] = v;
    }
    merged.weights[static_cast<std::size_t>(old)] -= w;
    merged.weights[static_cast<std::size_t>(c)] = w;
    --merged.members[static_cast<std::size_t>(old)];
    merged.members[static_cast<std::size_t>(c)] = 1;
    totals.weights[static_cast<std::size_t>(seg * k + old)] -= w;
    totals.weights[static_cast<std::size_t>(seg * k + c)] += w;
    --totals.members[static_cast<std::size_t>(seg * k + old)];
    ++totals.members[static_cast<std::size_t>(seg * k + c)];
    labels[i] = static_cast<std::int32_t>(c);
    if (bounds != nullptr) {
      // The new centre sits on the point; zero bounds force a fresh search next time.
      bounds->upper[i] = T(0);
      if (bounds->per_centre) {
        std::fill_n(bounds->lower.begin() + i * k, k, T(0));
      } else {
        bounds->lower[i] = T(0);
      }
    }
  }
}

// The new centres (each cluster's weighted mean; a cluster whose only points have zero
// weight keeps its centre) into new_centers. Records how far each centre moved and the
// two largest moves in state, which bound how much closer any other centre can have
// come; returns the summed squared move.
template <class T>
double update_centres(const MergedSums& merged, std::int64_t k, std::int64_t d,
                      const std::vector<T>& centers, std::vector<T>& new_centers,
                      CentreState<T>& state) {
  double shift = 0.0;
  state.moved.assign(static_cast<std::size_t>(k), 0.0);
  for (std::int64_t c = 0; c < k; ++c) {
    const double w = merged.weights[static_cast<std::size_t>(c)];
    double moved_sq = 0.0;
    for (std::int64_t j = 0; j < d; ++j) {
      const T value = w > 0.0 ? fixed_mean<T>(merged.sums[static_cast<std::size_t>(c * d + j)],
                                              merged.shifts[j], w)
                              : centers[c * d + j];
      const double delta = static_cast<double>(value) - static_cast<double>(centers[c * d + j]);
      moved_sq += delta * delta;
      new_centers[c * d + j] = value;
    }
    shift += moved_sq;
    state.moved[static_cast<std::size_t>(c)] = std::sqrt(moved_sq);
  }
  state.moved_t.assign(state.moved.begin(), state.moved.end());
  state.max_moved = state.second_max_moved = 0.0;
  state.most_moved = -1;
  for (std::int64_t c = 0; c < k; ++c) {
    const double m = state.moved[static_cast<std::size_t>(c)];
    if (m > state.max_moved) {
      state.second_max_moved = state.max_moved;
      state.max_moved = m;
      state.most_moved = c;
    } else if (m > state.second_max_moved) {
      state.second_max_moved = m;
    }
  }
  return shift;
}

}  // namespace

template <class T>
void assign_nearest(const KMeansData<T>& data, const T* centers, std::int64_t k, int n_threads,
                    std::int32_t* labels, T* sq_dist) {
  ODDSEQ_CHECK(k >= 1, "assign_nearest: need at least one centre");
  CentreState<T> state;
  std::vector<T> centre_copy(centers, centers + k * data.d);
  prepare_centres(centre_copy, k, data.d, false, false, state);
  assign_pass<T>(data, state, centre_copy, k, n_threads, labels, nullptr, nullptr);
  // Squared distances recomputed exactly, since callers rank by them.
  const auto& kernels = simd::active();
  core::parallel_for(data.n, n_threads, [&](std::int64_t i) {
    sq_dist[i] = simd::sqdist(kernels, data.x + i * data.d, centers + labels[i] * data.d,
                              static_cast<std::size_t>(data.d));
  });
}

template <class T>
KMeansResult<T> kmeans_fit(const KMeansData<T>& data, const T* initial_centers, std::int64_t k,
                           int max_iter, double tol, KMeansAlgorithm algorithm, int n_threads) {
  const std::int64_t n = data.n;
  const std::int64_t d = data.d;
  ODDSEQ_CHECK(k >= 1 && k <= n, "k-means: need 1 <= k <= n, got k=" << k << ", n=" << n);
  ODDSEQ_CHECK(max_iter >= 1, "k-means: max_iter must be >= 1");
  const bool use_bounds = algorithm != KMeansAlgorithm::lloyd;
  const bool per_centre = algorithm == KMeansAlgorithm::elkan;
  KMeansResult<T> result;
  result.centers.assign(initial_centers, initial_centers + k * d);
  result.labels.assign(static_cast<std::size_t>(n), -1);
  Bounds<T> bounds = use_bounds ? make_bounds<T>(n, k, per_centre) : Bounds<T>{};
  Bounds<T>* bounds_ptr = use_bounds ? &bounds : nullptr;
  CentreState<T> state;
  const std::int64_t segments = segment_count(n);
  const std::int64_t rows_per_segment = core::div_up(n, segments);
  const std::vector<int> grid = fixed_shifts(data);
  SegmentSums totals(segments, k, d, grid);
  MergedSums merged(k, d, grid);
  std::vector<T> new_centers(static_cast<std::size_t>(k * d));

  bool strict = false;  // stopped because no label changed
  int iteration = 0;
  for (; iteration < max_iter; ++iteration) {
    prepare_centres(result.centers, k, d, use_bounds, per_centre, state);
    const std::int64_t n_changed = assign_pass<T>(data, state, result.centers, k, n_threads,
                                                  result.labels.data(), bounds_ptr, &totals);
    core::throw_if_interrupted();
    merge_segments(totals, segments, k, d, n_threads, merged);
    reseed_empty(data, result.centers, k, n_threads, rows_per_segment, result.labels, totals,
                 merged, bounds_ptr);
    const double shift = update_centres(merged, k, d, result.centers, new_centers, state);
    result.centers.swap(new_centers);
    if (n_changed == 0) {
      strict = true;
      break;
    }
    if (shift <= tol) break;
  }
  result.n_iter = std::min(iteration + 1, max_iter);
  result.converged = strict || iteration < max_iter;
  if (!strict) {
    // Labels must belong to the final centres: one more assignment, no update.
    prepare_centres(result.centers, k, d, use_bounds, per_centre, state);
    assign_pass<T>(data, state, result.centers, k, n_threads, result.labels.data(), bounds_ptr,
                   nullptr);
  }
  result.inertia = weighted_inertia(data, result.centers.data(), result.labels.data(), n_threads);
  return result;
}

template <class T>
double minibatch_step(const KMeansData<T>& batch, T* centers, std::int64_t k, double* weight_sums,
                      int n_threads, std::int32_t* labels, double* moved_sq) {
  const std::int64_t m = batch.n;
  const std::int64_t d = batch.d;
  std::vector<T> sq_dist(static_cast<std::size_t>(m));
  assign_nearest(batch, centers, k, n_threads, labels, sq_dist.data());
  // A batch is small: one ordered pass keeps the sums independent of the thread count.
  std::vector<double> sums(static_cast<std::size_t>(k * d), 0.0);
  std::vector<double> batch_weight(static_cast<std::size_t>(k), 0.0);
  double inertia = 0.0;
  for (std::int64_t i = 0; i < m; ++i) {
    const double w = weight_of(batch, i);
    const std::int32_t c = labels[i];
    inertia += w * static_cast<double>(sq_dist[static_cast<std::size_t>(i)]);
    batch_weight[static_cast<std::size_t>(c)] += w;
    const T* row = batch.x + i * d;
    double* dst = sums.data() + static_cast<std::int64_t>(c) * d;
    for (std::int64_t j = 0; j < d; ++j) dst[j] += w * static_cast<double>(row[j]);
  }
  double moved = 0.0;
  for (std::int64_t c = 0; c < k; ++c) {
    const double added = batch_weight[static_cast<std::size_t>(c)];
    if (added <= 0.0) continue;
    const double total = weight_sums[c] + added;
    for (std::int64_t j = 0; j < d; ++j) {
      const double old = static_cast<double>(centers[c * d + j]);
      const double updated =
          (old * weight_sums[c] + sums[static_cast<std::size_t>(c * d + j)]) / total;
      centers[c * d + j] = static_cast<T>(updated);
      moved += (updated - old) * (updated - old);
    }
    weight_sums[c] = total;
  }
  *moved_sq = moved;
  return inertia;
}

template double minibatch_step<float>(const KMeansData<float>&, float*, std::int64_t, double*, int,
                                      std::int32_t*, double*);
template double minibatch_step<double>(const KMeansData<double>&, double*, std::int64_t, double*,
                                       int, std::int32_t*, double*);
template std::vector<double> group_weights<float>(const KMeansData<float>&,
                                                  const std::vector<std::uint64_t>&, int);
template std::vector<double> group_weights<double>(const KMeansData<double>&,
                                                   const std::vector<std::uint64_t>&, int);
template std::vector<RacePick> kmeans_race<float>(const KMeansData<float>&, const std::uint64_t*,
                                                  const double*, const double*, std::uint64_t,
                                                  std::int64_t, int, int);
template std::vector<RacePick> kmeans_race<double>(const KMeansData<double>&, const std::uint64_t*,
                                                   const double*, const double*, std::uint64_t,
                                                   std::int64_t, int, int);
template std::vector<std::int64_t> kmeans_plusplus<float>(const KMeansData<float>&, std::int64_t,
                                                          std::uint64_t, int, int);
template std::vector<std::int64_t> kmeans_plusplus<double>(const KMeansData<double>&, std::int64_t,
                                                           std::uint64_t, int, int);
template KMeansResult<float> kmeans_fit<float>(const KMeansData<float>&, const float*, std::int64_t,
                                               int, double, KMeansAlgorithm, int);
template KMeansResult<double> kmeans_fit<double>(const KMeansData<double>&, const double*,
                                                 std::int64_t, int, double, KMeansAlgorithm, int);
template void assign_nearest<float>(const KMeansData<float>&, const float*, std::int64_t, int,
                                    std::int32_t*, float*);
template void assign_nearest<double>(const KMeansData<double>&, const double*, std::int64_t, int,
                                     std::int32_t*, double*);

}  // namespace oddseq::cluster
