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
// the row indices of the k seeds. Deterministic for a seed, whatever the thread count.
template <class T>
std::vector<std::int64_t> kmeans_plusplus(const KMeansData<T>& data, std::int64_t k,
                                          std::uint64_t seed, int n_local_trials, int n_threads);

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
