#pragma once
// Internal clustering quality measures that need all pairwise distances.
#include <cstdint>

namespace oddseq::metrics {

// Silhouette coefficient of every row: (b - a) / max(a, b), where a is the mean Euclidean
// distance to the other members of its cluster and b the smallest mean distance to the
// members of another cluster; 0 for members of singleton clusters (as scikit-learn).
// labels are in [0, k); every cluster has at least one member. O(n^2 d) time, O(k) memory
// per thread: no distance matrix is stored. out has n entries.
void silhouette_samples(const float* x, std::int64_t n, std::int64_t d, const std::int32_t* labels,
                        std::int64_t k, int n_threads, double* out);
void silhouette_samples(const double* x, std::int64_t n, std::int64_t d, const std::int32_t* labels,
                        std::int64_t k, int n_threads, double* out);

}  // namespace oddseq::metrics
