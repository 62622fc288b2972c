#include "oddseq/neighbors/kdtree.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <utility>

#include "oddseq/core/check.hpp"
#include "oddseq/core/interrupt.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::neighbors {

namespace {

// (reduced distance, original index), ordered lexicographically: ties go to the smaller
// index, which makes every neighbour list independent of the tree and thread count.
using Candidate = std::pair<double, std::int64_t>;

}  // namespace

KdTree::KdTree(const double* x, std::int64_t n, std::int64_t d, Metric metric,
               std::int64_t leaf_size, int n_threads)
    : n_(n), d_(d), metric_(metric), leaf_size_(std::max<std::int64_t>(leaf_size, 1)) {
  ODDSEQ_CHECK(n > 0 && d > 0, "a kd-tree needs at least one point and one dimension");
  order_.resize(n);
  std::iota(order_.begin(), order_.end(), std::int64_t{0});
  nodes_.reserve(static_cast<std::size_t>(4 * (n / leaf_size_ + 1)));
  build(x, 0, n);
  points_.resize(static_cast<std::size_t>(n * d));
  core::parallel_for(n, n_threads, [&](std::int64_t pos) {
    std::copy_n(x + order_[pos] * d, d, points_.data() + pos * d);
  });
}

std::int32_t KdTree::build(const double* x, std::int64_t begin, std::int64_t end) {
  const auto id = static_cast<std::int32_t>(nodes_.size());
  nodes_.push_back(KdNode{begin, end, -1, -1});
  min_index_.push_back(std::numeric_limits<std::int64_t>::max());
  const std::size_t base = lo_.size();
  lo_.resize(base + d_, std::numeric_limits<double>::infinity());
  hi_.resize(base + d_, -std::numeric_limits<double>::infinity());
  double* lo = lo_.data() + base;
  double* hi = hi_.data() + base;
  for (std::int64_t i = begin; i < end; ++i) {
    const double* row = x + order_[i] * d_;
    for (std::int64_t k = 0; k < d_; ++k) {
      lo[k] = std::min(lo[k], row[k]);
      hi[k] = std::max(hi[k], row[k]);
    }
  }
  if (end - begin <= leaf_size_) {
    min_index_[id] = *std::min_element(order_.begin() + begin, order_.begin() + end);
    return id;
  }
  std::int64_t split = 0;
  for (std::int64_t k = 1; k < d_; ++k) {
    if (hi[k] - lo[k] > hi[split] - lo[split]) split = k;
  }
  const std::int64_t mid = begin + (end - begin) / 2;
  std::nth_element(order_.begin() + begin, order_.begin() + mid, order_.begin() + end,
                   [&](std::int64_t a, std::int64_t b) {
                     const double va = x[a * d_ + split], vb = x[b * d_ + split];
                     return va < vb || (va == vb && a < b);
                   });
  const std::int32_t left = build(x, begin, mid);
  const std::int32_t right = build(x, mid, end);
  nodes_[id].left = left;
  nodes_[id].right = right;
  min_index_[id] = std::min(min_index_[left], min_index_[right]);
  return id;
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

}  // namespace

template <class M>
void KdTree::search(const double* query, std::int64_t skip, std::int64_t k, bool seeded,
                    std::vector<Candidate>& heap,
                    std::vector<std::pair<double, std::int32_t>>& stack) const {
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
    if (!node.leaf()) {
      push_children<M>(query, node, stack);
      continue;
    }
    for (std::int64_t pos = node.begin; pos < node.end; ++pos) {
      const std::int64_t original = order_[pos];
      if (original == skip) continue;
      const Candidate c{M::between(query, point(pos), d_), original};
      const bool full = static_cast<std::int64_t>(heap.size()) >= k;
      if (full && !(c < heap.front())) continue;
      // A seeded heap may already hold this point.
      if (seeded && std::any_of(heap.begin(), heap.end(),
                                [&](const Candidate& h) { return h.second == original; }))
        continue;
      if (full) {
        std::pop_heap(heap.begin(), heap.end());
        heap.back() = c;
      } else {
        heap.push_back(c);
      }
      std::push_heap(heap.begin(), heap.end());
    }
  }
}

void KdTree::knn(const double* q, std::int64_t m, std::int64_t k, const std::int64_t* exclude,
                 int n_threads, double* distances, std::int64_t* indices) const {
  ODDSEQ_CHECK(k >= 1 && k <= n_, "k must be in [1, n]");
  with_metric(metric_, [&](auto metric) {
    using M = decltype(metric);
    core::parallel_for_interruptible(m, n_threads, [&](std::int64_t row) {
      std::vector<Candidate> heap;  // max-heap of the best k so far
      heap.reserve(static_cast<std::size_t>(k));
      std::vector<std::pair<double, std::int32_t>> stack;
      search<M>(q + row * d_, exclude != nullptr ? exclude[row] : -1, k, false, heap, stack);
      write_row<M>(heap, k, distances + row * k, indices + row * k);
    });
  });
}

void KdTree::knn_self(std::int64_t k, int n_threads, double* distances,
                      std::int64_t* indices) const {
  ODDSEQ_CHECK(k >= 1 && k < n_, "k must be in [1, n - 1]");
  // Queries in tree order, so that consecutive ones are close: each search starts from
  // the previous query and its neighbours as candidates, whose k-th distance bounds the
  // search from the first node on (instead of from infinity).
  std::vector<std::int64_t> position(static_cast<std::size_t>(n_));
  for (std::int64_t pos = 0; pos < n_; ++pos) position[order_[pos]] = pos;
  constexpr std::int64_t kRun = 64;  // consecutive queries per task
  with_metric(metric_, [&](auto metric) {
    using M = decltype(metric);
    core::parallel_for_interruptible(
        (n_ + kRun - 1) / kRun, n_threads,
        [&](std::int64_t run) {
          std::vector<Candidate> heap;
          heap.reserve(static_cast<std::size_t>(k + 1));
          std::vector<std::pair<double, std::int32_t>> stack;
          std::vector<std::int64_t> seeds;  // original rows
          for (std::int64_t pos = run * kRun; pos < std::min(n_, (run + 1) * kRun); ++pos) {
            const double* query = point(pos);
            const std::int64_t self = order_[pos];
            heap.clear();
            for (const std::int64_t seed : seeds) {
              if (seed == self) continue;
              heap.emplace_back(M::between(query, point(position[seed]), d_), seed);
              std::push_heap(heap.begin(), heap.end());
              if (static_cast<std::int64_t>(heap.size()) > k) {
                std::pop_heap(heap.begin(), heap.end());
                heap.pop_back();
              }
            }
            search<M>(query, self, k, true, heap, stack);
            write_row<M>(heap, k, distances + self * k, indices + self * k);
            seeds.assign(indices + self * k, indices + self * k + k);
            seeds.push_back(self);
          }
        },
        1);
  });
}

void KdTree::radius_count(const double* q, std::int64_t m, double radius, int n_threads,
                          std::int64_t* counts) const {
  with_metric(metric_, [&](auto metric) {
    using M = decltype(metric);
    const double threshold = M::reduce(radius);
    core::parallel_for_interruptible(m, n_threads, [&](std::int64_t row) {
      const double* query = q + row * d_;
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
          for (std::int64_t pos = node.begin; pos < node.end; ++pos) {
            total += M::between(query, point(pos), d_) <= threshold;
          }
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
