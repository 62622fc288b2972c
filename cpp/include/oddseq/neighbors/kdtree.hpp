#pragma once
// A kd-tree over a row-major matrix, the one neighbour index of the core: DBSCAN, the
// NearestNeighbors estimator and the neighbour-based detectors all search it. Nodes
// split at the median of their widest coordinate and keep their bounding box, which
// bounds every search. (Bounding balls as a second bound, tried from d = 8, cost more
// than they pruned: kNN 10-20% and DBSCAN 3-6% slower at d = 8 to 64.) A leaf size of
// at least n gives one leaf: an exhaustive ("brute force") search through the same code.
#include <cstdint>
#include <utility>
#include <vector>

#include "oddseq/neighbors/metric.hpp"

namespace oddseq::neighbors {

struct KdNode {
  std::int64_t begin = 0;  // tree positions [begin, end)
  std::int64_t end = 0;
  std::int32_t left = -1;  // -1 for a leaf
  std::int32_t right = -1;
  bool leaf() const { return left < 0; }
  std::int64_t count() const { return end - begin; }
};

class KdTree {
 public:
  KdTree(const double* x, std::int64_t n, std::int64_t d, Metric metric, std::int64_t leaf_size,
         int n_threads);

  std::int64_t size() const { return n_; }
  std::int64_t dim() const { return d_; }
  Metric metric() const { return metric_; }
  // Points in tree order; original(pos) is the row of x stored at position pos.
  const double* point(std::int64_t pos) const { return points_.data() + pos * d_; }
  std::int64_t original(std::int64_t pos) const { return order_[pos]; }
  const std::vector<std::int64_t>& order() const { return order_; }
  const std::vector<KdNode>& nodes() const { return nodes_; }

  // Bounds on the reduced distance (see metric.hpp) from q to any point of a node.
  template <class M>
  double min_reduced(const double* q, std::int32_t node) const;
  template <class M>
  double max_reduced(const double* q, std::int32_t node) const;
  // A lower bound on the reduced distance between a point of one node and one of another.
  template <class M>
  double gap_reduced(std::int32_t a, std::int32_t b) const;
  // Pushes a node's children as (lower bound, child) with the nearer one on top, so a
  // best-first search descends into it first.
  template <class M>
  void push_children(const double* q, const KdNode& node,
                     std::vector<std::pair<double, std::int32_t>>& stack) const {
    const double left = min_reduced<M>(q, node.left);
    const double right = min_reduced<M>(q, node.right);
    if (left <= right) {
      stack.emplace_back(right, node.right);
      stack.emplace_back(left, node.left);
    } else {
      stack.emplace_back(left, node.left);
      stack.emplace_back(right, node.right);
    }
  }

  // The k nearest points of each of the m queries q[m x d]: distances (not reduced) and
  // original row indices, row by row in (distance, index) order, so ties go to the
  // smaller index. exclude (m entries, or null) names a row each query must skip: the
  // query itself when the queries are the indexed points.
  void knn(const double* q, std::int64_t m, std::int64_t k, const std::int64_t* exclude,
           int n_threads, double* distances, std::int64_t* indices) const;

  // knn of every indexed point against the others (each skips itself): the same result
  // as knn(points, n, k, exclude = their own rows), faster.
  void knn_self(std::int64_t k, int n_threads, double* distances, std::int64_t* indices) const;

  // Number of indexed points within `radius` (inclusive) of each query.
  void radius_count(const double* q, std::int64_t m, double radius, int n_threads,
                    std::int64_t* counts) const;

 private:
  std::int32_t build(const double* x, std::int64_t begin, std::int64_t end);
  // Best-first search for the k nearest points to query (skipping original row `skip`)
  // into the max-heap `heap` of (reduced distance, original row), which may come seeded
  // with candidates (then a point already in it is not added twice).
  template <class M>
  void search(const double* query, std::int64_t skip, std::int64_t k, bool seeded,
              std::vector<std::pair<double, std::int64_t>>& heap,
              std::vector<std::pair<double, std::int32_t>>& stack) const;

  std::int64_t n_ = 0;
  std::int64_t d_ = 0;
  Metric metric_ = Metric::euclidean;
  std::int64_t leaf_size_ = 32;
  std::vector<std::int64_t> order_;
  std::vector<double> points_;
  std::vector<KdNode> nodes_;
  std::vector<double> lo_, hi_;  // per node, d values each
  // Per node, the smallest original index below it: with many equal points a search
  // whose k-th best is at distance d skips a node at lower bound d whose points all
  // have larger indices (they could only tie and lose the tie), instead of visiting
  // every copy (a quadratic search on data where most rows are equal).
  std::vector<std::int64_t> min_index_;
};

template <class M>
double KdTree::min_reduced(const double* q, std::int32_t node) const {
  const double* lo = lo_.data() + static_cast<std::int64_t>(node) * d_;
  const double* hi = hi_.data() + static_cast<std::int64_t>(node) * d_;
  double acc = 0.0;
  for (std::int64_t k = 0; k < d_; ++k) {
    const double gap = std::max(std::max(lo[k] - q[k], q[k] - hi[k]), 0.0);
    acc = M::fold(acc, gap);
  }
  return acc;
}

template <class M>
double KdTree::max_reduced(const double* q, std::int32_t node) const {
  const double* lo = lo_.data() + static_cast<std::int64_t>(node) * d_;
  const double* hi = hi_.data() + static_cast<std::int64_t>(node) * d_;
  double acc = 0.0;
  for (std::int64_t k = 0; k < d_; ++k) {
    acc = M::fold(acc, std::max(std::fabs(q[k] - lo[k]), std::fabs(q[k] - hi[k])));
  }
  return acc;
}

template <class M>
double KdTree::gap_reduced(std::int32_t a, std::int32_t b) const {
  const double* lo_a = lo_.data() + static_cast<std::int64_t>(a) * d_;
  const double* hi_a = hi_.data() + static_cast<std::int64_t>(a) * d_;
  const double* lo_b = lo_.data() + static_cast<std::int64_t>(b) * d_;
  const double* hi_b = hi_.data() + static_cast<std::int64_t>(b) * d_;
  double acc = 0.0;
  for (std::int64_t k = 0; k < d_; ++k) {
    acc = M::fold(acc, std::max(std::max(lo_a[k] - hi_b[k], lo_b[k] - hi_a[k]), 0.0));
  }
  return acc;
}

}  // namespace oddseq::neighbors
