#pragma once
// A kd-tree over a row-major matrix, the one neighbour index of the core: DBSCAN, the
// NearestNeighbors estimator and the neighbour-based detectors all search it. Nodes
// split at the median of their widest coordinate and keep their bounding box, which
// bounds every search, and each leaf also keeps its points feature-major, so a search
// computes a query's distances to a whole leaf in one vectorised pass.
//
// Frames: for euclidean distances the tree may be built on the data's principal axes
// (the points rotated about their mean), where correlated features no longer make the
// axis-aligned boxes loose. Distances are still computed on the original coordinates,
// so results are exactly those of the axes frame; the boxes then only bound them, with
// a rigorous allowance for the rounding of the rotation (see lower_from_frame).
// (Bounding balls as a second bound, tried from d = 8, cost more than they pruned: kNN
// 10-20% and DBSCAN 3-6% slower at d = 8 to 64.) A leaf size of at least n gives one
// leaf: an exhaustive ("brute force") search through the same code.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "oddseq/neighbors/metric.hpp"
#include "oddseq/neighbors/screen.hpp"
#include "oddseq/simd/kernels.hpp"

namespace oddseq::neighbors {

// How the boxes are oriented. automatic: the principal axes for euclidean distances when
// a trial finds searches cheaper in them (see KdTree::choose_strategy), otherwise the
// axes; the same trial may also decide that kNN is better served by a scan.
enum class Frame { axes, principal, automatic };

struct KdNode {
  std::int64_t begin = 0;  // tree positions [begin, end)
  std::int64_t end = 0;
  std::int32_t left = -1;  // -1 for a leaf
  std::int32_t right = -1;
  bool leaf() const { return left < 0; }
  std::int64_t count() const { return end - begin; }
};

// A query as the tree sees it: its coordinates, the same in the tree's frame, and the
// allowance (in distance units) that box bounds in a rotated frame must give away.
struct KdQuery {
  const double* point = nullptr;
  const double* framed = nullptr;
  double slack = 0.0;
};

class KdTree {
 public:
  KdTree(const double* x, std::int64_t n, std::int64_t d, Metric metric, std::int64_t leaf_size,
         int n_threads, Frame frame = Frame::axes);

  std::int64_t size() const { return n_; }
  std::int64_t dim() const { return d_; }
  Metric metric() const { return metric_; }
  bool rotated() const { return rotated_; }
  bool scans() const { return scan_; }
  // Points in tree order; original(pos) is the row of x stored at position pos.
  const double* point(std::int64_t pos) const { return points_.data() + pos * d_; }
  std::int64_t original(std::int64_t pos) const { return order_[pos]; }
  const std::vector<std::int64_t>& order() const { return order_; }
  const std::vector<KdNode>& nodes() const { return nodes_; }

  // The query for an arbitrary point q[d]; `buffer` (d values) holds its framed copy.
  KdQuery query(const double* q, double* buffer) const;
  // The query for the indexed point at tree position pos (framed into `buffer`, d values,
  // when rotated: d^2 operations, against a framed copy of every point kept in memory).
  KdQuery indexed_query(std::int64_t pos, double* buffer) const {
    return query(point(pos), buffer);
  }

  // Bounds on the reduced distance (see metric.hpp) from q to any point of a node.
  template <class M>
  double min_reduced(const KdQuery& q, std::int32_t node) const;
  template <class M>
  double max_reduced(const KdQuery& q, std::int32_t node) const;
  // A lower bound on the reduced distance between a point of one node and one of another.
  template <class M>
  double gap_reduced(std::int32_t a, std::int32_t b) const;
  // Pushes a node's children as (lower bound, child) with the nearer one on top, so a
  // best-first search descends into it first.
  template <class M>
  void push_children(const KdQuery& q, const KdNode& node,
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

  // Reduced distances (see metric.hpp) from q to the points of leaf `id`, in tree order:
  // entry i for position nodes()[id].begin + i. The buffer is the calling thread's and
  // holds until its next call.
  template <class M>
  const double* leaf_distances(const double* q, std::int32_t id) const {
    return leaf_distances<M>(q, id, 0, leaf_stride(id));
  }
  // The same for `count` of the leaf's points from its `first` (a multiple of
  // simd::kBlockLanes), for searches that may stop early: entry i for position
  // begin + first + i.
  template <class M>
  const double* leaf_distances(const double* q, std::int32_t id, std::int64_t first,
                               std::int64_t count) const {
    const std::int64_t stride = leaf_stride(id);
    const std::int64_t lanes = simd::kBlockLanes;
    count = std::min((count + lanes - 1) / lanes * lanes, stride - first);
    double* out = scratch(count);
    simd::active().block_distances(M::reduction, q, blocks_.data() + block_offset_[id] + first, d_,
                                   stride, count, out);
    return out;
  }
  // Points per partial leaf_distances call where a search can stop early.
  static constexpr std::int64_t kLeafChunk = 2 * simd::kBlockLanes;

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
  // The frame, and whether kNN should scan every point instead of searching the tree.
  struct Strategy {
    bool rotate;
    bool scan;
  };
  Strategy choose_strategy(const double* x, Frame frame) const;
  // kNN by scanning: query_of(i) gives the i-th query as a ScanQuery.
  struct ScanQuery {
    const double* point;
    std::int64_t skip;     // original row to leave out, or -1
    std::int64_t out_row;  // output row
    std::int64_t anchor;   // a tree position near the query (its own, for indexed points)
  };
  template <class QueryOf>
  void scan_knn(std::int64_t m, std::int64_t k, int n_threads, QueryOf&& query_of,
                double* distances, std::int64_t* indices) const;
  // The euclidean scan with the float32 screen in front (same results).
  template <class QueryOf>
  void screened_scan_knn(const Screen& screen, std::int64_t m, std::int64_t k, int n_threads,
                         QueryOf&& query_of, double* distances, std::int64_t* indices) const;
  // For knn_self: writes the answers of the rows that have more than k copies and
  // returns, per tree position, whether its row was written.
  std::vector<std::uint8_t> fill_repeated(std::int64_t k, double* distances,
                                          std::int64_t* indices) const;
  // kNN searches of `count` queries taken in an order where consecutive ones are close:
  // each search starts from the previous query's neighbours (and the previous query
  // itself, when indexed) as candidates, whose k-th distance bounds it from the first
  // node on instead of from infinity. query_at(i, buffer) gives the i-th (out_row -1: none).
  struct SeededQuery {
    KdQuery query;
    std::int64_t skip;     // original row to leave out, or -1
    std::int64_t out_row;  // output row, or -1 to skip this one
    std::int64_t self;     // its original row when it is an indexed point, else -1
  };
  template <class QueryAt>
  void seeded_knn(std::int64_t count, std::int64_t k, int n_threads, QueryAt&& query_at,
                  double* distances, std::int64_t* indices) const;
  // Points and nodes visited by kNN searches of `queries` indexed points spread evenly.
  std::int64_t search_work(std::int64_t queries, std::int64_t k) const;
  // Chooses the frame and whether to scan; when rotated, sets the frame's members and
  // returns the rotated points in row order (empty otherwise).
  std::vector<double> fit_frame(const double* x, Frame frame);
  // Nodes with their boxes (lo, hi: d values per node) and smallest original rows.
  struct NodeArrays {
    std::vector<KdNode> nodes;
    std::vector<std::int64_t> min_index;
    std::vector<double> lo, hi;
  };
  // Builds the tree over order_ (the points x in the frame) into the node members.
  void build(const double* x, int n_threads);
  // One node of [begin, end) appended to `into` (its box; for an inner node, order_'s
  // range partitioned at the median of the widest coordinate; children left unset).
  std::int32_t build_node(NodeArrays& into, const double* x, std::int64_t begin, std::int64_t end);
  std::int32_t build_subtree(NodeArrays& into, const double* x, std::int64_t begin,
                             std::int64_t end);
  void build_blocks(int n_threads);
  std::int64_t leaf_stride(std::int32_t id) const {
    const std::int64_t lanes = simd::kBlockLanes;
    return (nodes_[id].count() + lanes - 1) / lanes * lanes;
  }
  // A per-thread buffer of at least `size` doubles.
  static double* scratch(std::int64_t size);
  // Box bounds computed in the frame, in the frame's reduced units.
  template <class M>
  double framed_min(const double* framed, std::int32_t node) const;
  template <class M>
  double framed_max(const double* framed, std::int32_t node) const;
  // In a rotated frame, the distance allowance of a point at `norm` from the centre.
  double slack_of(double norm) const { return slack_per_norm_ * (norm + max_norm_); }
  // A framed squared distance bound turned into a bound on the original coordinates'
  // squared distance, as computed by Euclidean::between, for a query with this slack.
  double lower_from_frame(double framed, double slack) const;
  double upper_from_frame(double framed, double slack) const;
  // Best-first search for the k nearest points to query (skipping original row `skip`)
  // into the max-heap `heap` of (reduced distance, original row), which may come seeded
  // with candidates (then a point already in it is not added twice). Adds the points and
  // nodes it visits to *work when given.
  template <class M>
  void search(const KdQuery& query, std::int64_t skip, std::int64_t k, bool seeded,
              std::vector<std::pair<double, std::int64_t>>& heap,
              std::vector<std::pair<double, std::int32_t>>& stack,
              std::int64_t* work = nullptr) const;

  std::int64_t n_ = 0;
  std::int64_t d_ = 0;
  Metric metric_ = Metric::euclidean;
  std::int64_t leaf_size_ = 32;
  std::vector<std::int64_t> order_;
  std::vector<double> points_;
  std::vector<KdNode> nodes_;
  std::vector<double> lo_, hi_;  // per node, d values each, in the frame
  // Per leaf, its points feature-major: coordinate k of position begin + i at
  // blocks_[block_offset_[id] + k * leaf_stride(id) + i] (padding lanes hold zeros).
  std::vector<double> blocks_;
  std::vector<std::int64_t> block_offset_;
  std::vector<std::int32_t> leaves_;  // leaf ids in tree order
  // kNN scans every point (a tile of queries per chunk) instead of searching: chosen when
  // the trial expects a search to visit more points than a scan costs (choose_strategy),
  // and for a single leaf.
  bool scan_ = false;
  // The screen that spares a euclidean scan most exact distances (screen.hpp), built by
  // the first scan (a tree that only answers radius queries, as DBSCAN's, never needs
  // it); null when the data's scale is outside its range.
  const Screen* screen() const;
  mutable std::once_flag screen_once_;
  mutable std::optional<Screen> screen_;
  // Per node, the smallest original index below it: with many equal points a search
  // whose k-th best is at distance d skips a node at lower bound d whose points all
  // have larger indices (they could only tie and lose the tie), instead of visiting
  // every copy (a quadratic search on data where most rows are equal).
  std::vector<std::int64_t> min_index_;
  // The rotated frame: framed = (x - centre_) * axes_ (axes_ row-major d x d, one axis
  // per column); max_norm_ is the largest |x - centre_| of the points.
  bool rotated_ = false;
  std::vector<double> centre_, axes_;
  double max_norm_ = 0.0;
  double slack_per_norm_ = 0.0;
  double box_rounding_ = 0.0;         // relative, on a framed box distance
  double shrink_ = 1.0, grow_ = 1.0;  // relative, on a squared distance
};

template <class M>
double KdTree::framed_min(const double* framed, std::int32_t node) const {
  const double* lo = lo_.data() + static_cast<std::int64_t>(node) * d_;
  const double* hi = hi_.data() + static_cast<std::int64_t>(node) * d_;
  return fold_gaps<M>(d_, [&](std::int64_t k) {
    const Lanes2 q = load_lanes(framed, k, d_);
    const Lanes2 below = load_lanes(lo, k, d_) - q;
    const Lanes2 above = q - load_lanes(hi, k, d_);
    const Lanes2 gap = below > above ? below : above;
    return gap > 0.0 ? gap : Lanes2{};
  });
}

template <class M>
double KdTree::framed_max(const double* framed, std::int32_t node) const {
  const double* lo = lo_.data() + static_cast<std::int64_t>(node) * d_;
  const double* hi = hi_.data() + static_cast<std::int64_t>(node) * d_;
  return fold_gaps<M>(d_, [&](std::int64_t k) {
    const Lanes2 q = load_lanes(framed, k, d_);
    Lanes2 below = q - load_lanes(lo, k, d_);
    Lanes2 above = load_lanes(hi, k, d_) - q;
    below = below < 0.0 ? -below : below;
    above = above < 0.0 ? -above : above;
    return below > above ? below : above;
  });
}

// In the axes frame a box bound folds per-coordinate bounds on the gaps exactly as
// `between` folds the gaps, so it rounds the same way and never contradicts its points.
template <class M>
double KdTree::min_reduced(const KdQuery& q, std::int32_t node) const {
  const double framed = framed_min<M>(q.framed, node);
  return rotated_ ? lower_from_frame(framed, q.slack) : framed;
}

template <class M>
double KdTree::max_reduced(const KdQuery& q, std::int32_t node) const {
  const double framed = framed_max<M>(q.framed, node);
  return rotated_ ? upper_from_frame(framed, q.slack) : framed;
}

template <class M>
double KdTree::gap_reduced(std::int32_t a, std::int32_t b) const {
  const double* lo_a = lo_.data() + static_cast<std::int64_t>(a) * d_;
  const double* hi_a = hi_.data() + static_cast<std::int64_t>(a) * d_;
  const double* lo_b = lo_.data() + static_cast<std::int64_t>(b) * d_;
  const double* hi_b = hi_.data() + static_cast<std::int64_t>(b) * d_;
  const double framed = fold_gaps<M>(d_, [&](std::int64_t k) {
    const Lanes2 left = load_lanes(lo_a, k, d_) - load_lanes(hi_b, k, d_);
    const Lanes2 right = load_lanes(lo_b, k, d_) - load_lanes(hi_a, k, d_);
    const Lanes2 gap = left > right ? left : right;
    return gap > 0.0 ? gap : Lanes2{};
  });
  return rotated_ ? lower_from_frame(framed, slack_of(max_norm_)) : framed;
}

}  // namespace oddseq::neighbors
