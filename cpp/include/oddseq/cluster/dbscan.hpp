#pragma once
// DBSCAN (Ester et al. 1996) with exact eps-neighbourhoods and O(n) memory: core points
// are found with searches that stop at min_samples, clusters are the connected
// components of core points under a concurrent union-find, and no neighbourhood is ever
// stored. Results do not depend on the thread count.
#include <cstdint>
#include <vector>

#include "oddseq/neighbors/metric.hpp"

namespace oddseq::cluster {

// grid: cells of a uniform grid (side eps / sqrt(d) for euclidean) so two points in one
// cell are always neighbours and only nearby cells are searched; for low dimensions.
// kdtree: the neighbour index of neighbors/kdtree.hpp. brute: the same searches over
// one leaf (every pair). automatic: grid up to 3 dimensions, the kd-tree above.
enum class DbscanAlgorithm { automatic, grid, kdtree, brute };

struct DbscanResult {
  std::vector<std::int64_t> labels;   // n; -1 for noise
  std::vector<std::uint8_t> is_core;  // n
  std::int64_t n_clusters = 0;
  DbscanAlgorithm used = DbscanAlgorithm::kdtree;
};

// x: n x d row-major. A point is core when the summed weight (1 each without weights)
// of the points within eps of it, itself included, reaches min_samples. Clusters are
// numbered in the order of their smallest core-point row (as scikit-learn's). A border
// point joins the cluster of its nearest core point (ties: the smaller row).
DbscanResult dbscan(const double* x, std::int64_t n, std::int64_t d, double eps, double min_samples,
                    const double* weights, neighbors::Metric metric, DbscanAlgorithm algorithm,
                    std::int64_t leaf_size, int n_threads);

// Cluster of each of the m query rows: that of the nearest core point within eps (ties:
// the smaller row), -1 when none. core_points: c x d; core_labels: c.
std::vector<std::int64_t> dbscan_assign(const double* core_points, const std::int64_t* core_labels,
                                        std::int64_t c, const double* q, std::int64_t m,
                                        std::int64_t d, double eps, neighbors::Metric metric,
                                        int n_threads);

}  // namespace oddseq::cluster
