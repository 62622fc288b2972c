#include "oddseq/neighbors/kdtree.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <utility>

#include "oddseq/core/check.hpp"
#include "oddseq/core/hash.hpp"
#include "oddseq/core/interrupt.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::neighbors {

namespace {

// (reduced distance, original index), ordered lexicographically: ties go to the smaller
// index, which makes every neighbour list independent of the tree and thread count.
using Candidate = std::pair<double, std::int64_t>;

}  // namespace

KdTree::KdTree(const double* x, std::int64_t n, std::int64_t d, Metric metric,
               std::int64_t leaf_size, int n_threads, Frame frame)
    : n_(n), d_(d), metric_(metric), leaf_size_(std::max<std::int64_t>(leaf_size, 1)) {
  ODDSEQ_CHECK(n > 0 && d > 0, "a kd-tree needs at least one point and one dimension");
  order_.resize(n);
  std::iota(order_.begin(), order_.end(), std::int64_t{0});
  {
    const std::vector<double> framed_rows = fit_frame(x, frame);  // only to build on
    build(rotated_ ? framed_rows.data() : x, n_threads);
  }
  points_.resize(static_cast<std::size_t>(n * d));
  core::parallel_for(n, n_threads, [&](std::int64_t pos) {
    std::copy_n(x + order_[pos] * d, d, points_.data() + pos * d);
  });
  build_blocks(n_threads);
}

const Screen* KdTree::screen() const {
  std::call_once(screen_once_, [&] { screen_.emplace(points_.data(), n_, d_); });
  return screen_->usable() ? &*screen_ : nullptr;
}

KdTree::Strategy KdTree::choose_strategy(const double* x, Frame frame) const {
  const bool can_rotate = metric_ == Metric::euclidean && d_ >= 2;
  // One leaf is an exhaustive search already: scan it in cache-sized chunks.
  if (n_ <= leaf_size_) return {frame == Frame::principal && can_rotate, true};
  if (frame != Frame::automatic) return {frame == Frame::principal && can_rotate, false};
  // A trial on an evenly spaced sample: the same searches in a tree of each frame,
  // counting the points and nodes they visit. Measured with kNN (k = 20): the principal
  // frame made an 18-feature matrix of the pipeline 5x faster and DBSCAN on it 7x, sparse
  // counts 1.8x; it cost 8% on Gaussian blobs in 8 dimensions, 22% on DBSCAN of blobs in
  // 32, and 37% on a uniform cube, where any rotation only tilts the boxes. No statistic
  // of the covariance told these apart; the trial does.
  constexpr std::int64_t kSample = 4096, kQueries = 256, kNeighbours = 10;
  const std::int64_t m = std::min(n_, kSample);
  std::vector<double> sample(static_cast<std::size_t>(m * d_));
  for (std::int64_t i = 0; i < m; ++i) std::copy_n(x + (i * n_ / m) * d_, d_, &sample[i * d_]);
  const std::int64_t k = std::min(kNeighbours, m - 1);
  if (k < 1) return {false, false};
  const KdTree axes(sample.data(), m, d_, metric_, leaf_size_, 1, Frame::axes);
  const std::int64_t axes_work = axes.search_work(kQueries, k);
  std::int64_t best = axes_work;
  Strategy strategy{false, false};
  if (can_rotate) {
    const KdTree principal(sample.data(), m, d_, metric_, leaf_size_, 1, Frame::principal);
    const std::int64_t principal_work = principal.search_work(kQueries, k);
    // A fifth less work at least: rotated searches also frame each query and widen bounds.
    strategy.rotate = 5 * principal_work < 4 * axes_work;
    if (strategy.rotate) best = principal_work;
  }
  // Scan or search: the share of the points a search visits, against what a scan costs
  // per point. A tree prunes better as it grows, so the share at the full size is
  // extrapolated from the sample and a quarter of it (a power law through the two).
  const auto share = [&](std::int64_t work, std::int64_t size) {
    return static_cast<double>(work) / static_cast<double>(std::min(kQueries, size) * size);
  };
  double expected_share = share(best, m);
  if (n_ > m) {
    const std::int64_t quarter = m / 4;
    std::vector<double> small(static_cast<std::size_t>(quarter * d_));
    for (std::int64_t i = 0; i < quarter; ++i) std::copy_n(&sample[4 * i * d_], d_, &small[i * d_]);
    const KdTree smaller(small.data(), quarter, d_, metric_, leaf_size_, 1,
                         strategy.rotate ? Frame::principal : Frame::axes);
    const double small_share = share(smaller.search_work(kQueries, k), quarter);
    const double growth =
        std::clamp(std::log(expected_share / small_share) / std::log(4.0), -1.0, 0.0);
    expected_share *= std::pow(static_cast<double>(n_) / static_cast<double>(m), growth);
  }
  // A screened euclidean scan (screen.hpp) costs about a tenth of what a tree search pays
  // per point visited (measured, kNN of every row, d = 8 to 45: 0.35-1.1 ns per pair
  // against 3-14 ns per visited point); an unscreened scan is no cheaper per point than
  // the tree, so only where the search visits most of them. Measured against the rule:
  // it picks the faster of the two on Gaussian, uniform and clustered data in 8, 12, 16
  // and 32 dimensions at 25,000 and 100,000 rows and on the pipeline's features, except
  // blobs in 32 dimensions at 50,000 rows (a 10% loss).
  // A scanning tree still answers radius queries (DBSCAN's) by searching: it keeps the
  // frame the trial chose.
  strategy.scan = expected_share >= (metric_ == Metric::euclidean ? 0.1 : 0.7);
  return strategy;
}

std::int64_t KdTree::search_work(std::int64_t queries, std::int64_t k) const {
  std::int64_t work = 0;
  with_metric(metric_, [&](auto metric) {
    using M = decltype(metric);
    std::vector<Candidate> heap;
    std::vector<std::pair<double, std::int32_t>> stack;
    std::vector<double> framed(static_cast<std::size_t>(d_));
    const std::int64_t m = std::min(queries, n_);
    for (std::int64_t i = 0; i < m; ++i) {
      const std::int64_t pos = i * n_ / m;
      heap.clear();
      search<M>(indexed_query(pos, framed.data()), order_[pos], k, false, heap, stack, &work);
    }
  });
  return work;
}

std::vector<double> KdTree::fit_frame(const double* x, Frame frame) {
  const Strategy strategy = choose_strategy(x, frame);
  scan_ = strategy.scan;
  if (!strategy.rotate) return {};
  using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMatrix> data(x, n_, d_);
  const Eigen::RowVectorXd centre = data.colwise().mean();
  // The axes from an evenly spaced sample: they need not be exact (the allowances below
  // hold for any computed axes), only good enough to tighten the boxes.
  constexpr std::int64_t kAxesSample = 65536;
  const std::int64_t m = std::min(n_, kAxesSample);
  RowMatrix sample(m, d_);
  for (std::int64_t i = 0; i < m; ++i) sample.row(i) = data.row(i * n_ / m) - centre;
  const Eigen::MatrixXd scatter = sample.transpose() * sample;
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(scatter);
  if (solver.info() != Eigen::Success) return {};
  const Eigen::MatrixXd& axes = solver.eigenvectors();
  // How far the computed axes are from orthonormal (eta, used below); far off (never
  // seen) would make the allowances meaningless: stay in the axes frame.
  const double u = std::numeric_limits<double>::epsilon() / 2;
  const double dim = static_cast<double>(d_);
  const double c = (dim + 4) * u;
  const double eta =
      (axes.transpose() * axes - Eigen::MatrixXd::Identity(d_, d_)).cwiseAbs().maxCoeff() + 2 * c;
  if (!(4 * dim * eta < 0.25)) return {};
  rotated_ = true;
  centre_.assign(centre.data(), centre.data() + d_);
  axes_.resize(static_cast<std::size_t>(d_ * d_));
  Eigen::Map<RowMatrix>(axes_.data(), d_, d_) = axes;
  std::vector<double> framed(static_cast<std::size_t>(n_ * d_));
  max_norm_ = 0.0;
  constexpr std::int64_t kBlock = 4096;  // rows at a time: no centred copy of the whole
  for (std::int64_t begin = 0; begin < n_; begin += kBlock) {
    const std::int64_t rows = std::min(kBlock, n_ - begin);
    const RowMatrix centred = data.middleRows(begin, rows).rowwise() - centre;
    Eigen::Map<RowMatrix>(framed.data() + begin * d_, rows, d_).noalias() = centred * axes;
    max_norm_ = std::max(max_norm_, centred.rowwise().norm().maxCoeff());
  }
  // Allowances. With u the unit roundoff and c = (d + 4) u: a framed coordinate is off by
  // at most (d + 3) u |x - centre| |axis| (a dot product of length d after a
  // subtraction), so a framed point by sqrt(d) (d + 3) u |x - centre|; a folded sum of
  // d squares is within a factor (1 +- c) of its exact value; and the computed axes are
  // orthonormal only up to eta, which scales distances by at most sqrt(1 +- d eta).
  // Each is taken four times over: a looser bound only costs a little pruning.
  slack_per_norm_ = 4 * std::sqrt(dim) * c;
  box_rounding_ = 4 * c;
  shrink_ = (1 - 4 * c) / (1 + 4 * dim * eta);
  grow_ = (1 + 4 * c) / (1 - 4 * dim * eta);
  return framed;
}

KdQuery KdTree::query(const double* q, double* buffer) const {
  if (!rotated_) return KdQuery{q, q, 0.0};
  double norm = 0.0;
  std::fill(buffer, buffer + d_, 0.0);
  for (std::int64_t i = 0; i < d_; ++i) {
    const double centred = q[i] - centre_[i];
    norm += centred * centred;
    const double* axis_row = axes_.data() + i * d_;
    for (std::int64_t j = 0; j < d_; ++j) buffer[j] += centred * axis_row[j];
  }
  return KdQuery{q, buffer, slack_of(std::sqrt(norm))};
}

double KdTree::lower_from_frame(double framed, double slack) const {
  // The exact framed box distance is at least the computed one times (1 - 4c); the
  // original points are at least that far apart less both points' rotation errors
  // (slack), divided by at most sqrt(1 + d eta); folding their squared distance loses at
  // most a factor (1 - c).
  const double root = std::sqrt(framed) * (1 - box_rounding_) - slack;
  return root > 0.0 ? root * root * shrink_ : 0.0;
}

double KdTree::upper_from_frame(double framed, double slack) const {
  const double root = std::sqrt(framed) * (1 + box_rounding_) + slack;
  return root * root * grow_;
}

void KdTree::build_blocks(int n_threads) {
  block_offset_.assign(nodes_.size(), -1);
  std::int64_t total = 0;
  for (std::size_t id = 0; id < nodes_.size(); ++id) {
    if (!nodes_[id].leaf()) continue;
    leaves_.push_back(static_cast<std::int32_t>(id));
    block_offset_[id] = total;
    total += leaf_stride(static_cast<std::int32_t>(id)) * d_;
  }
  blocks_.resize(static_cast<std::size_t>(total));
  core::parallel_for(static_cast<std::int64_t>(leaves_.size()), n_threads, [&](std::int64_t leaf) {
    const std::int32_t id = leaves_[leaf];
    const KdNode& node = nodes_[id];
    const std::int64_t stride = leaf_stride(id);
    double* block = blocks_.data() + block_offset_[id];
    for (std::int64_t k = 0; k < d_; ++k) {
      double* column = block + k * stride;
      for (std::int64_t i = 0; i < node.count(); ++i) column[i] = point(node.begin + i)[k];
      std::fill(column + node.count(), column + stride, 0.0);  // padding lanes
    }
  });
}

double* KdTree::scratch(std::int64_t size) {
  thread_local std::vector<double> buffer;
  if (static_cast<std::int64_t>(buffer.size()) < size)
    buffer.resize(static_cast<std::size_t>(size));
  return buffer.data();
}

std::int32_t KdTree::build_node(NodeArrays& into, const double* x, std::int64_t begin,
                                std::int64_t end) {
  const auto id = static_cast<std::int32_t>(into.nodes.size());
  into.nodes.push_back(KdNode{begin, end, -1, -1});
  into.min_index.push_back(std::numeric_limits<std::int64_t>::max());
  const std::size_t base = into.lo.size();
  into.lo.resize(base + d_, std::numeric_limits<double>::infinity());
  into.hi.resize(base + d_, -std::numeric_limits<double>::infinity());
  double* lo = into.lo.data() + base;
  double* hi = into.hi.data() + base;
  for (std::int64_t i = begin; i < end; ++i) {
    // Rows come in a shuffled order: fetching a few ahead hides most of the misses
    // (builds 25-30% faster at a million rows and more).
    if (i + 16 < end) {
      const double* ahead = x + order_[i + 16] * d_;
      for (std::int64_t k = 0; k < d_; k += 8) __builtin_prefetch(ahead + k);
    }
    const double* row = x + order_[i] * d_;
    for (std::int64_t k = 0; k < d_; ++k) {
      lo[k] = std::min(lo[k], row[k]);
      hi[k] = std::max(hi[k], row[k]);
    }
  }
  if (end - begin <= leaf_size_) {
    into.min_index[id] = *std::min_element(order_.begin() + begin, order_.begin() + end);
    return id;
  }
  std::int64_t split = 0;
  for (std::int64_t k = 1; k < d_; ++k) {
    if (hi[k] - lo[k] > hi[split] - lo[split]) split = k;
  }
  const std::int64_t mid = begin + (end - begin) / 2;
  // The median by (coordinate, row), on the keys copied out once: selecting through the
  // shuffled rows themselves missed the cache at every comparison.
  std::vector<std::pair<double, std::int64_t>> keyed(static_cast<std::size_t>(end - begin));
  for (std::int64_t i = begin; i < end; ++i) {
    if (i + 16 < end) __builtin_prefetch(x + order_[i + 16] * d_ + split);
    keyed[i - begin] = {x[order_[i] * d_ + split], order_[i]};
  }
  std::nth_element(keyed.begin(), keyed.begin() + (mid - begin), keyed.end());
  for (std::int64_t i = begin; i < end; ++i) order_[i] = keyed[i - begin].second;
  return id;
}

std::int32_t KdTree::build_subtree(NodeArrays& into, const double* x, std::int64_t begin,
                                   std::int64_t end) {
  const std::int32_t id = build_node(into, x, begin, end);
  if (end - begin <= leaf_size_) return id;
  const std::int64_t mid = begin + (end - begin) / 2;
  const std::int32_t left = build_subtree(into, x, begin, mid);
  const std::int32_t right = build_subtree(into, x, mid, end);
  into.nodes[id].left = left;
  into.nodes[id].right = right;
  into.min_index[id] = std::min(into.min_index[left], into.min_index[right]);
  return id;
}

void KdTree::build(const double* x, int n_threads) {
  // The top levels one node at a time, then the subtrees below them in parallel, each
  // into arrays of its own, appended in order of position: the same tree, node for
  // node, whatever the thread count. Measured on 2 cores (noisy): 2 M x 16 Gaussian 2.0 ->
  // 1.5-2.4 s, one-event features (1 M rows) 0.8 -> 0.6-0.75 s; 5.9 M session rows,
  // where the top levels' passes over shuffled rows dominate, unchanged.
  struct Pending {
    std::int64_t begin, end;
    std::int32_t parent;  // -1: the root
    bool left;
  };
  // About 32 subtrees whatever the thread count, so the numbering is the same too.
  constexpr std::int64_t kSubtrees = 32;
  const std::int64_t smallest = std::max<std::int64_t>(4 * leaf_size_, n_ / kSubtrees);
  NodeArrays all;
  std::vector<Pending> pending;
  const auto descend = [&](const auto& self, std::int64_t begin, std::int64_t end,
                           std::int32_t parent, bool left) -> void {
    if (end - begin <= smallest) {
      pending.push_back(Pending{begin, end, parent, left});
      return;
    }
    const std::int32_t id = build_node(all, x, begin, end);
    if (parent >= 0) (left ? all.nodes[parent].left : all.nodes[parent].right) = id;
    const std::int64_t mid = begin + (end - begin) / 2;
    self(self, begin, mid, id, true);
    self(self, mid, end, id, false);
  };
  descend(descend, 0, n_, -1, true);
  const auto top = static_cast<std::int32_t>(all.nodes.size());
  std::vector<NodeArrays> parts(pending.size());
  core::parallel_for_dynamic(
      static_cast<std::int64_t>(pending.size()), n_threads,
      [&](std::int64_t p) { build_subtree(parts[p], x, pending[p].begin, pending[p].end); });
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const auto offset = static_cast<std::int32_t>(all.nodes.size());
    for (KdNode node : parts[p].nodes) {
      if (!node.leaf()) {
        node.left += offset;
        node.right += offset;
      }
      all.nodes.push_back(node);
    }
    all.min_index.insert(all.min_index.end(), parts[p].min_index.begin(), parts[p].min_index.end());
    all.lo.insert(all.lo.end(), parts[p].lo.begin(), parts[p].lo.end());
    all.hi.insert(all.hi.end(), parts[p].hi.begin(), parts[p].hi.end());
    const Pending& at = pending[p];
    if (at.parent >= 0) (at.left ? all.nodes[at.parent].left : all.nodes[at.parent].right) = offset;
    parts[p] = NodeArrays{};
  }
  // The top nodes' smallest rows, children first (they were numbered parents first).
  for (std::int32_t id = top - 1; id >= 0; --id) {
    all.min_index[id] =
        std::min(all.min_index[all.nodes[id].left], all.min_index[all.nodes[id].right]);
  }
  nodes_ = std::move(all.nodes);
  min_index_ = std::move(all.min_index);
  lo_ = std::move(all.lo);
  hi_ = std::move(all.hi);
}

namespace {

// Writes a finished max-heap of k candidates as one row of the output, nearest first.
template <class M>
void write_row(std::vector<Candidate>& heap, std::int64_t k, double* distances,
               std::int64_t* indices) {
  std::sort_heap(heap.begin(), heap.end());
  const auto found = static_cast<std::int64_t>(heap.size());
  for (std::int64_t j = 0; j < k; ++j) {
    const bool have = j < found;
    distances[j] = have ? M::expand(heap[j].first) : std::numeric_limits<double>::infinity();
    indices[j] = have ? heap[j].second : -1;
  }
}

// Puts c into the max-heap of the k best so far when it beats the k-th (ties go to the
// smaller row), which then drops out.
void offer(std::vector<Candidate>& heap, std::int64_t k, const Candidate& c) {
  if (static_cast<std::int64_t>(heap.size()) < k) {
    heap.push_back(c);
  } else if (c < heap.front()) {
    std::pop_heap(heap.begin(), heap.end());
    heap.back() = c;
  } else {
    return;
  }
  std::push_heap(heap.begin(), heap.end());
}

}  // namespace

template <class M>
void KdTree::search(const KdQuery& query, std::int64_t skip, std::int64_t k, bool seeded,
                    std::vector<Candidate>& heap,
                    std::vector<std::pair<double, std::int32_t>>& stack, std::int64_t* work) const {
  // Whether a node at this lower bound cannot hold a candidate better than the k-th
  // best: farther, or as far with only larger indices (ties go to the smaller).
  auto hopeless = [&](double bound, std::int32_t id) {
    if (static_cast<std::int64_t>(heap.size()) < k) return false;
    const Candidate& kth = heap.front();
    return bound > kth.first || (bound == kth.first && min_index_[id] > kth.second);
  };
  stack.clear();
  stack.emplace_back(0.0, 0);
  while (!stack.empty()) {
    const auto [bound, id] = stack.back();
    stack.pop_back();
    if (hopeless(bound, id)) continue;
    const KdNode& node = nodes_[id];
    if (work != nullptr) *work += node.leaf() ? node.count() : 1;
    if (!node.leaf()) {
      push_children<M>(query, node, stack);
      continue;
    }
    const double* distance = leaf_distances<M>(query.point, id);
    for (std::int64_t pos = node.begin; pos < node.end; ++pos) {
      const double reduced = distance[pos - node.begin];
      const bool full = static_cast<std::int64_t>(heap.size()) >= k;
      if (full && reduced > heap.front().first) continue;
      const std::int64_t original = order_[pos];
      if (original == skip) continue;
      const Candidate c{reduced, original};
      if (full && !(c < heap.front())) continue;
      // A seeded heap may already hold this point.
      if (seeded && std::any_of(heap.begin(), heap.end(),
                                [&](const Candidate& h) { return h.second == original; }))
        continue;
      offer(heap, k, c);
    }
  }
}

template <class QueryOf>
void KdTree::scan_knn(std::int64_t m, std::int64_t k, int n_threads, QueryOf&& query_of,
                      double* distances, std::int64_t* indices) const {
  if (metric_ == Metric::euclidean) {
    if (const Screen* screen = this->screen()) {
      screened_scan_knn(*screen, m, k, n_threads, query_of, distances, indices);
      return;
    }
  }
  // Every query against every point, but a tile of queries at a time over each chunk of
  // points: the chunk stays in L1 for the whole tile instead of streaming from memory
  // once per query (a search that would visit most leaves anyway is bound by memory
  // otherwise, and pays for bounds that prune nothing).
  constexpr std::int64_t kTile = 64, kChunk = 256;
  with_metric(metric_, [&](auto metric) {
    using M = decltype(metric);
    core::parallel_for_interruptible(
        (m + kTile - 1) / kTile, n_threads,
        [&](std::int64_t tile) {
          const std::int64_t first_row = tile * kTile;
          const std::int64_t rows = std::min(kTile, m - first_row);
          std::vector<ScanQuery> queries;
          for (std::int64_t t = 0; t < rows; ++t) queries.push_back(query_of(first_row + t));
          std::vector<std::vector<Candidate>> heaps(static_cast<std::size_t>(rows));
          for (auto& heap : heaps) heap.reserve(static_cast<std::size_t>(k));
          for (const std::int32_t id : leaves_) {
            const KdNode& leaf = nodes_[id];
            for (std::int64_t first = 0; first < leaf.count(); first += kChunk) {
              const std::int64_t last = std::min(leaf.count(), first + kChunk);
              for (std::int64_t t = 0; t < rows; ++t) {
                const double* distance = leaf_distances<M>(queries[t].point, id, first, kChunk);
                std::vector<Candidate>& heap = heaps[t];
                for (std::int64_t i = first; i < last; ++i) {
                  const double reduced = distance[i - first];
                  if (static_cast<std::int64_t>(heap.size()) >= k && reduced > heap.front().first)
                    continue;
                  const std::int64_t original = order_[leaf.begin + i];
                  if (original != queries[t].skip) offer(heap, k, Candidate{reduced, original});
                }
              }
            }
          }
          for (std::int64_t t = 0; t < rows; ++t) {
            const std::int64_t out = queries[t].out_row;
            write_row<M>(heaps[t], k, distances + out * k, indices + out * k);
          }
        },
        1);
  });
}

template <class QueryOf>
void KdTree::screened_scan_knn(const Screen& screen, std::int64_t m, std::int64_t k, int n_threads,
                               QueryOf&& query_of, double* distances, std::int64_t* indices) const {
  // A tile of queries against a chunk of points per screen call: the chunk's packed
  // floats stay in L2 for the whole tile; its masks are mostly zero words, and the few
  // points they let through are measured exactly.
  constexpr std::int64_t kTile = 128, kFirstChunk = 64, kChunk = 2048;
  const std::int64_t tile = screen.tile();
  const std::int64_t chunk_tiles = std::max<std::int64_t>(1, kChunk / tile);
  const std::int64_t total_tiles = screen.padded() / tile;
  core::parallel_for_interruptible(
      (m + kTile - 1) / kTile, n_threads,
      [&](std::int64_t task) {
        const std::int64_t first_row = task * kTile;
        const std::int64_t rows = std::min(kTile, m - first_row);
        std::vector<ScanQuery> queries;
        std::vector<double> points(static_cast<std::size_t>(rows * d_));
        for (std::int64_t t = 0; t < rows; ++t) {
          queries.push_back(query_of(first_row + t));
          std::copy_n(queries[t].point, d_, points.data() + t * d_);
        }
        std::vector<float> framed(static_cast<std::size_t>(rows * d_)), limits(rows);
        std::vector<double> norms(static_cast<std::size_t>(rows));
        const std::unique_ptr<bool[]> screenable(new bool[static_cast<std::size_t>(rows)]);
        screen.frame(points.data(), rows, framed.data(), norms.data(), screenable.get());
        // Each heap starts from the k + 1 points around the query's anchor (near it in
        // tree order, so its k-th distance is a tight limit from the first chunk on);
        // the chunks then skip those positions.
        std::vector<std::vector<Candidate>> heaps(static_cast<std::size_t>(rows));
        std::vector<std::int64_t> seed_begin(rows), seed_end(rows);
        for (std::int64_t t = 0; t < rows; ++t) {
          const ScanQuery& query = queries[t];
          seed_begin[t] =
              std::clamp<std::int64_t>(query.anchor - k / 2, 0, n_ - std::min(n_, k + 1));
          seed_end[t] = std::min(n_, seed_begin[t] + k + 1);
          heaps[t].reserve(static_cast<std::size_t>(k));
          for (std::int64_t pos = seed_begin[t]; pos < seed_end[t]; ++pos) {
            if (order_[pos] == query.skip) continue;
            offer(heaps[t], k,
                  Candidate{Euclidean::between(query.point, point(pos), d_), order_[pos]});
          }
        }
        std::vector<std::uint32_t> masks(static_cast<std::size_t>(rows * chunk_tiles));
        // Chunks grow from a few tiles: a limit is fixed for a whole chunk, and the first
        // ones tighten it fastest (a random order measures ~9x fewer points exactly than
        // 2,048 points from the start).
        std::int64_t tiles = std::max<std::int64_t>(1, kFirstChunk / tile);
        for (std::int64_t first_tile = 0; first_tile < total_tiles;
             first_tile += tiles, tiles = std::min(chunk_tiles, 2 * tiles)) {
          tiles = std::min(tiles, total_tiles - first_tile);
          for (std::int64_t t = 0; t < rows; ++t) {
            const bool full = static_cast<std::int64_t>(heaps[t].size()) >= k;
            limits[t] = full && screenable[t] ? screen.limit(heaps[t].front().first, norms[t])
                                              : std::numeric_limits<float>::infinity();
          }
          screen.screen(framed.data(), rows, limits.data(), first_tile, tiles, masks.data());
          for (std::int64_t t = 0; t < rows; ++t) {
            std::vector<Candidate>& heap = heaps[t];
            const ScanQuery& query = queries[t];
            for (std::int64_t w = 0; w < tiles; ++w) {
              for (std::uint32_t bits = masks[t * tiles + w]; bits != 0; bits &= bits - 1) {
                const std::int64_t pos = (first_tile + w) * tile + __builtin_ctz(bits);
                if (pos >= n_ || (pos >= seed_begin[t] && pos < seed_end[t])) continue;
                const std::int64_t original = order_[pos];
                if (original == query.skip) continue;
                const double reduced = Euclidean::between(query.point, point(pos), d_);
                if (static_cast<std::int64_t>(heap.size()) >= k && reduced > heap.front().first)
                  continue;
                offer(heap, k, Candidate{reduced, original});
              }
            }
          }
        }
        for (std::int64_t t = 0; t < rows; ++t) {
          const std::int64_t out = queries[t].out_row;
          write_row<Euclidean>(heaps[t], k, distances + out * k, indices + out * k);
        }
      },
      1);
}

void KdTree::knn(const double* q, std::int64_t m, std::int64_t k, const std::int64_t* exclude,
                 int n_threads, double* distances, std::int64_t* indices) const {
  ODDSEQ_CHECK(k >= 1 && k <= n_, "k must be in [1, n]");
  if (scan_) {
    scan_knn(
        m, k, n_threads,
        [&](std::int64_t row) {
          return ScanQuery{q + row * d_, exclude != nullptr ? exclude[row] : -1, row, 0};
        },
        distances, indices);
    return;
  }
  // Queries in the order of the leaves they fall in, so that consecutive ones are close
  // and each search can start from the previous one's neighbours (see seeded_knn): in a
  // random order each starts from nothing (2.5x slower on the pipeline's features).
  std::vector<std::int64_t> home(static_cast<std::size_t>(m));
  with_metric(metric_, [&](auto metric) {
    using M = decltype(metric);
    core::parallel_for(m, n_threads, [&](std::int64_t row) {
      std::vector<double> framed(static_cast<std::size_t>(d_));
      const KdQuery query = this->query(q + row * d_, framed.data());
      std::int32_t id = 0;
      while (!nodes_[id].leaf()) {
        const KdNode& node = nodes_[id];
        id = min_reduced<M>(query, node.right) < min_reduced<M>(query, node.left) ? node.right
                                                                                  : node.left;
      }
      home[row] = nodes_[id].begin;
    });
  });
  std::vector<std::int64_t> rows(static_cast<std::size_t>(m));
  std::iota(rows.begin(), rows.end(), std::int64_t{0});
  std::sort(rows.begin(), rows.end(), [&](std::int64_t a, std::int64_t b) {
    return home[a] < home[b] || (home[a] == home[b] && a < b);
  });
  seeded_knn(
      m, k, n_threads,
      [&](std::int64_t i, double* framed) {
        const std::int64_t row = rows[i];
        return SeededQuery{query(q + row * d_, framed), exclude != nullptr ? exclude[row] : -1, row,
                           -1};
      },
      distances, indices);
}

template <class QueryAt>
void KdTree::seeded_knn(std::int64_t count, std::int64_t k, int n_threads, QueryAt&& query_at,
                        double* distances, std::int64_t* indices) const {
  std::vector<std::int64_t> position(static_cast<std::size_t>(n_));
  for (std::int64_t pos = 0; pos < n_; ++pos) position[order_[pos]] = pos;
  constexpr std::int64_t kRun = 64;  // consecutive queries per task
  with_metric(metric_, [&](auto metric) {
    using M = decltype(metric);
    core::parallel_for_interruptible(
        (count + kRun - 1) / kRun, n_threads,
        [&](std::int64_t run) {
          std::vector<Candidate> heap;
          heap.reserve(static_cast<std::size_t>(k + 1));
          std::vector<std::pair<double, std::int32_t>> stack;
          std::vector<std::int64_t> seeds;  // original rows
          std::vector<double> framed(static_cast<std::size_t>(d_));
          for (std::int64_t i = run * kRun; i < std::min(count, (run + 1) * kRun); ++i) {
            const SeededQuery next = query_at(i, framed.data());
            if (next.out_row < 0) continue;
            heap.clear();
            for (const std::int64_t seed : seeds) {
              if (seed == next.skip) continue;
              heap.emplace_back(M::between(next.query.point, point(position[seed]), d_), seed);
              std::push_heap(heap.begin(), heap.end());
              if (static_cast<std::int64_t>(heap.size()) > k) {
                std::pop_heap(heap.begin(), heap.end());
                heap.pop_back();
              }
            }
            search<M>(next.query, next.skip, k, true, heap, stack);
            std::int64_t* found = indices + next.out_row * k;
            write_row<M>(heap, k, distances + next.out_row * k, found);
            seeds.clear();
            for (std::int64_t j = 0; j < k && found[j] >= 0; ++j) seeds.push_back(found[j]);
            if (next.self >= 0) seeds.push_back(next.self);
          }
        },
        1);
  });
}

std::vector<std::uint8_t> KdTree::fill_repeated(std::int64_t k, double* distances,
                                                std::int64_t* indices) const {
  std::vector<std::uint8_t> filled(static_cast<std::size_t>(n_), 0);
  // Distinct rows are never at distance 0 (gaps between distinct doubles do not vanish),
  // except that a euclidean square underflows for gaps below 2^-537: with coordinates that
  // small anywhere, no shortcut.
  if (metric_ == Metric::euclidean && std::any_of(points_.begin(), points_.end(), [](double v) {
        return v != 0.0 && std::fabs(v) < 0x1p-480;
      })) {
    return filled;
  }
  // Equal rows grouped by an open-addressing table of representatives (-0.0 hashed as
  // 0.0: they are equal coordinates).
  const auto hash_row = [&](std::int64_t pos) {
    std::uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (std::int64_t j = 0; j < d_; ++j) {
      const double v = point(pos)[j] + 0.0;
      std::uint64_t bits;
      std::memcpy(&bits, &v, sizeof(bits));
      h = core::mix64(h ^ bits);
    }
    return h;
  };
  std::uint64_t capacity = 1;
  while (capacity < 2 * static_cast<std::uint64_t>(n_)) capacity *= 2;
  std::vector<std::int64_t> table(capacity, -1);
  std::vector<std::int64_t> group(static_cast<std::size_t>(n_));
  std::vector<std::int64_t> copies(static_cast<std::size_t>(n_), 0);
  for (std::int64_t pos = 0; pos < n_; ++pos) {
    std::uint64_t slot = hash_row(pos) & (capacity - 1);
    while (table[slot] >= 0 && !std::equal(point(pos), point(pos) + d_, point(table[slot])))
      slot = (slot + 1) & (capacity - 1);
    if (table[slot] < 0) table[slot] = pos;
    group[pos] = table[slot];
    ++copies[table[slot]];
  }
  // Groups of more than k copies get compact ids (copies[rep] becomes -1 - id), each
  // with its k + 1 smallest rows (a max-heap while scanning).
  std::int64_t saturated = 0;
  for (std::int64_t& c : copies) c = c > k ? -1 - saturated++ : 0;
  if (saturated == 0) return filled;
  std::vector<std::vector<std::int64_t>> first_rows(static_cast<std::size_t>(saturated));
  const auto id_of = [&](std::int64_t pos) { return -1 - copies[group[pos]]; };
  for (std::int64_t pos = 0; pos < n_; ++pos) {
    if (copies[group[pos]] == 0) continue;
    std::vector<std::int64_t>& rows = first_rows[id_of(pos)];
    if (static_cast<std::int64_t>(rows.size()) <= k) {
      rows.push_back(order_[pos]);
      std::push_heap(rows.begin(), rows.end());
    } else if (order_[pos] < rows.front()) {
      std::pop_heap(rows.begin(), rows.end());
      rows.back() = order_[pos];
      std::push_heap(rows.begin(), rows.end());
    }
  }
  for (auto& rows : first_rows) std::sort_heap(rows.begin(), rows.end());
  // A copy's k nearest: the group's first k + 1 rows less itself, all at distance 0.
  for (std::int64_t pos = 0; pos < n_; ++pos) {
    if (copies[group[pos]] == 0) continue;
    const std::int64_t self = order_[pos];
    std::int64_t* out = indices + self * k;
    std::int64_t written = 0;
    for (const std::int64_t row : first_rows[id_of(pos)]) {
      if (row != self && written < k) out[written++] = row;
    }
    std::fill_n(distances + self * k, k, 0.0);
    filled[pos] = 1;
  }
  return filled;
}

void KdTree::knn_self(std::int64_t k, int n_threads, double* distances,
                      std::int64_t* indices) const {
  ODDSEQ_CHECK(k >= 1 && k < n_, "k must be in [1, n - 1]");
  // Rows repeated more than k times need no search: their k nearest are copies of
  // themselves (distance 0, the least possible; ties to the smaller row). Logs where most
  // entities did one thing have few distinct rows (one-event users: 4 among a million).
  const std::vector<std::uint8_t> filled = fill_repeated(k, distances, indices);
  std::vector<std::int64_t> pending;
  for (std::int64_t pos = 0; pos < n_; ++pos) {
    if (!filled[pos]) pending.push_back(pos);
  }
  if (pending.empty()) return;
  if (scan_) {
    scan_knn(
        static_cast<std::int64_t>(pending.size()), k, n_threads,
        [&](std::int64_t i) {
          const std::int64_t pos = pending[i];
          return ScanQuery{point(pos), order_[pos], order_[pos], pos};
        },
        distances, indices);
    return;
  }
  // Queries in tree order, so that consecutive ones are close (see seeded_knn).
  seeded_knn(
      n_, k, n_threads,
      [&](std::int64_t pos, double* framed) {
        if (filled[pos]) return SeededQuery{KdQuery{}, -1, -1, -1};
        return SeededQuery{indexed_query(pos, framed), order_[pos], order_[pos], order_[pos]};
      },
      distances, indices);
}

void KdTree::radius_count(const double* q, std::int64_t m, double radius, int n_threads,
                          std::int64_t* counts) const {
  with_metric(metric_, [&](auto metric) {
    using M = decltype(metric);
    const double threshold = M::threshold(radius);
    core::parallel_for_interruptible(m, n_threads, [&](std::int64_t row) {
      std::vector<double> framed(static_cast<std::size_t>(d_));
      const KdQuery query = this->query(q + row * d_, framed.data());
      std::int64_t total = 0;
      std::vector<std::int32_t> stack{0};
      while (!stack.empty()) {
        const std::int32_t id = stack.back();
        stack.pop_back();
        if (min_reduced<M>(query, id) > threshold) continue;
        const KdNode& node = nodes_[id];
        if (max_reduced<M>(query, id) <= threshold) {
          total += node.count();
        } else if (node.leaf()) {
          const double* distance = leaf_distances<M>(query.point, id);
          for (std::int64_t i = 0; i < node.count(); ++i) total += distance[i] <= threshold;
        } else {
          stack.push_back(node.right);
          stack.push_back(node.left);
        }
      }
      counts[row] = total;
    });
  });
}

}  // namespace oddseq::neighbors
