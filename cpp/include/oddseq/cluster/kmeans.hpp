#pragma once
// K-means as stateless functions over a row-major matrix; the estimator lives in Python.
#include <cstdint>
#include <vector>

namespace oddseq::cluster {

template <class T>
struct KMeansResult {
  std::vector<T> centers;            // k x d
  std::vector<std::int32_t> labels;  // n
  double inertia = 0.0;              // sum of weight * squared distance to own centre
  int n_iter = 0;
  bool converged = false;
};

template <class T>
struct KMeansData {
  const T* x = nullptr;  // n x d, row-major
  std::int64_t n = 0;
  std::int64_t d = 0;
  const T* weights = nullptr;  // n, or null for unit weights
};

// Greedy k-means++ (Arthur & Vassilvitskii; greedy variant as in scikit-learn): returns
// the row indices of the k seeds. Deterministic for a seed, whatever the thread count,
// and whatever the order of the rows: the draws are exponential races (kmeans_race)
// keyed by each row's values, so a permutation of the rows gives the same seeds (as
// values; among identical rows, the first in row order).
template <class T>
std::vector<std::int64_t> kmeans_plusplus(const KMeansData<T>& data, std::int64_t k,
                                          std::uint64_t seed, int n_local_trials, int n_threads);

// Each row's group weight: the summed weight (1 each without weights) of the rows
// identical to it (the same hash and values; hashes: core::draw_hashes of
// core::column_keys, oddseq/core/content_hash.hpp, which key the races too), added in an
// order fixed by the values and weights, so the same bits for any row order.
template <class T>
std::vector<double> group_weights(const KMeansData<T>& data,
                                  const std::vector<std::uint64_t>& hashes, int n_threads);

// One draw of a k-means++ step as an exponential race: row i gets u_i in (0, 1) from its
// hash mixed with (seed, step) by splitmix64's finaliser and the key -log(u_i) / p_i with
// p_i = group_weight[i] * closest[i] (a null array counts as ones). The smallest key
// wins with probability p_i / sum p over the groups of identical rows, which share one
// key (a group of m copies is drawn as one point of m times the weight, as k-means++
// draws one of its copies). Returns up to m picks with finite keys, smallest first: the
// m smallest distinct (key, row values), ties of keys broken by the row values, then by
// the row (identical rows are interchangeable: the first in row order stands for them).
// Per chunk of rows, merged by that total order: the same picks for any thread count
// and, as values, for any row order.
struct RacePick {
  double key = 0.0;
  std::int64_t row = 0;
};
template <class T>
std::vector<RacePick> kmeans_race(const KMeansData<T>& data, const std::uint64_t* hashes,
                                  const double* group_weight, const double* closest,
                                  std::uint64_t seed, std::int64_t step, int m, int n_threads);

// How the assignment step finds each row's nearest centre: lloyd searches every centre
// for every row; hamerly keeps an upper and one lower distance bound per row and searches
// only the rows whose bounds cannot prove their label unchanged; elkan keeps a lower
// bound per row and centre (n x k memory) and also skips single centres. All give the
// same iterations up to floating-point near-ties.
enum class KMeansAlgorithm { lloyd, hamerly, elkan };

// K-means iterations from initial centres (k x d). tol is absolute: iteration stops when
// the summed squared centre shift is at most tol, or when labels stop changing.
// Empty clusters are re-seeded from the points farthest from their centres.
template <class T>
KMeansResult<T> kmeans_fit(const KMeansData<T>& data, const T* initial_centers, std::int64_t k,
                           int max_iter, double tol, KMeansAlgorithm algorithm, int n_threads);

// Nearest centre for every row: labels[n] and squared distances sq_dist[n] (>= 0).
template <class T>
void assign_nearest(const KMeansData<T>& data, const T* centers, std::int64_t k, int n_threads,
                    std::int32_t* labels, T* sq_dist);

// One mini-batch step (Sculley 2010, as scikit-learn's MiniBatchKMeans): assigns the
// batch to the nearest centres (labels[m]) and moves each centre to the weighted mean of
// everything it has absorbed so far: c <- (c * W_c + sum of its batch rows) / (W_c + w_c),
// with W_c = weight_sums[c] updated in place. Returns the batch's weighted inertia
// (before the move) and writes the summed squared centre move to *moved_sq.
template <class T>
double minibatch_step(const KMeansData<T>& batch, T* centers, std::int64_t k, double* weight_sums,
                      int n_threads, std::int32_t* labels, double* moved_sq);

}  // namespace oddseq::cluster
