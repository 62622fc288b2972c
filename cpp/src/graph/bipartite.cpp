#include "oddseq/graph/bipartite.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "oddseq/core/check.hpp"
#include "oddseq/core/interrupt.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::graph {

namespace {

// Events per chunk of rows: the sort buffers live for one chunk only.
constexpr std::int64_t kChunkEvents = std::int64_t{1} << 22;

struct KeyTime {
  std::int64_t key;
  std::int64_t time;
  bool operator<(const KeyTime& other) const {
    return key < other.key || (key == other.key && time < other.time);
  }
};

}  // namespace

template <class KeyT>
Bipartite build_bipartite(const std::int64_t* event_offsets, std::int64_t n_rows,
                          const KeyT* keys, const std::int64_t* times, std::int64_t n_cols,
                          int n_threads) {
  ODDSEQ_CHECK(n_rows >= 0 && n_cols >= 0, "negative graph size");
  Bipartite g;
  g.n_rows = n_rows;
  g.n_cols = n_cols;
  g.offsets.assign(static_cast<std::size_t>(n_rows) + 1, 0);
  const bool with_times = times != nullptr;
  std::vector<KeyTime> buffer;
  std::vector<std::int64_t> distinct;
  std::int64_t row = 0;
  while (row < n_rows) {
    // Rows [row, stop) hold about kChunkEvents events (at least one row).
    std::int64_t stop = row + 1;
    while (stop < n_rows && event_offsets[stop + 1] - event_offsets[row] <= kChunkEvents) ++stop;
    const std::int64_t base = event_offsets[row];
    const std::int64_t n_events = event_offsets[stop] - base;
    buffer.resize(static_cast<std::size_t>(n_events));
    distinct.assign(static_cast<std::size_t>(stop - row), 0);
    // Each row's present keys, sorted by (key, time), and the number of distinct keys.
    core::parallel_for_dynamic(
        stop - row, n_threads,
        [&](std::int64_t k) {
          const std::int64_t r = row + k;
          const std::int64_t begin = event_offsets[r], end = event_offsets[r + 1];
          KeyTime* out = buffer.data() + (begin - base);
          std::int64_t m = 0;
          for (std::int64_t i = begin; i < end; ++i) {
            const std::int64_t key = static_cast<std::int64_t>(keys[i]);
            if (key < 0) continue;
            ODDSEQ_CHECK_RANGE(key < n_cols, "object code " << key << " out of range");
            out[m++] = KeyTime{key, with_times ? times[i] : 0};
          }
          std::sort(out, out + m);
          std::int64_t d = 0;
          for (std::int64_t i = 0; i < m; ++i) d += (i == 0 || out[i].key != out[i - 1].key);
          distinct[static_cast<std::size_t>(k)] = d;
          // Mark the end of the row's present keys inside its slot.
          if (m < end - begin) out[m].key = -1;
        },
        64);
    for (std::int64_t k = 0; k < stop - row; ++k) {
      g.offsets[static_cast<std::size_t>(row + k + 1)] =
          g.offsets[static_cast<std::size_t>(row + k)] + distinct[static_cast<std::size_t>(k)];
    }
    const std::size_t total = static_cast<std::size_t>(g.offsets[static_cast<std::size_t>(stop)]);
    g.cols.resize(total);
    g.counts.resize(total);
    if (with_times) {
      g.first_time.resize(total);
      g.last_time.resize(total);
    }
    core::parallel_for_dynamic(
        stop - row, n_threads,
        [&](std::int64_t k) {
          const std::int64_t r = row + k;
          const std::int64_t begin = event_offsets[r], end = event_offsets[r + 1];
          const KeyTime* in = buffer.data() + (begin - base);
          std::int64_t e = g.offsets[static_cast<std::size_t>(r)] - 1;
          for (std::int64_t i = 0; i < end - begin && in[i].key >= 0; ++i) {
            const auto at = [](std::vector<std::int64_t>& v, std::int64_t j) -> std::int64_t& {
              return v[static_cast<std::size_t>(j)];
            };
            if (i == 0 || in[i].key != in[i - 1].key) {
              ++e;
              at(g.cols, e) = in[i].key;
              at(g.counts, e) = 0;
              if (with_times) at(g.first_time, e) = in[i].time;
            }
            ++at(g.counts, e);
            if (with_times) at(g.last_time, e) = in[i].time;
          }
        },
        64);
    row = stop;
    core::throw_if_interrupted();
  }
  return g;
}

template Bipartite build_bipartite<std::int32_t>(const std::int64_t*, std::int64_t,
                                                 const std::int32_t*, const std::int64_t*,
                                                 std::int64_t, int);
template Bipartite build_bipartite<std::int64_t>(const std::int64_t*, std::int64_t,
                                                 const std::int64_t*, const std::int64_t*,
                                                 std::int64_t, int);

Transpose transpose(const std::int64_t* offsets, std::int64_t n_rows, const std::int64_t* cols,
                    std::int64_t n_cols, int n_threads) {
  Transpose t;
  const std::int64_t n_edges = offsets[n_rows];
  t.col_offsets.assign(static_cast<std::size_t>(n_cols) + 1, 0);
  for (std::int64_t e = 0; e < n_edges; ++e) {
    ODDSEQ_CHECK_RANGE(cols[e] >= 0 && cols[e] < n_cols, "column " << cols[e] << " out of range");
    ++t.col_offsets[static_cast<std::size_t>(cols[e]) + 1];
  }
  for (std::int64_t c = 0; c < n_cols; ++c) {
    t.col_offsets[static_cast<std::size_t>(c) + 1] += t.col_offsets[static_cast<std::size_t>(c)];
  }
  t.row_of.resize(static_cast<std::size_t>(n_edges));
  // Rows in ascending order fill each column's slots in ascending row order.
  std::vector<std::int64_t> next(t.col_offsets.begin(), t.col_offsets.end() - 1);
  for (std::int64_t r = 0; r < n_rows; ++r) {
    for (std::int64_t e = offsets[r]; e < offsets[r + 1]; ++e) {
      const std::int64_t at = next[static_cast<std::size_t>(cols[e])]++;
      t.row_of[static_cast<std::size_t>(at)] = r;
    }
  }
  (void)n_threads;
  return t;
}

namespace {

// Indexed 4-ary min-heap over node ids keyed by (priority, id), with decrease-key.
class NodeHeap {
 public:
  NodeHeap(std::int64_t n_nodes, const double* priority)
      : priority_(priority), position_(static_cast<std::size_t>(n_nodes), -1) {}

  void build(std::vector<std::int64_t> nodes) {
    heap_ = std::move(nodes);
    for (std::size_t i = 0; i < heap_.size(); ++i) {
      position_[static_cast<std::size_t>(heap_[i])] = static_cast<std::int64_t>(i);
    }
    if (heap_.size() > 1) {
      for (std::int64_t i = (static_cast<std::int64_t>(heap_.size()) - 2) / 4; i >= 0; --i) {
        sift_down(i);
      }
    }
  }
  bool empty() const { return heap_.empty(); }
  std::int64_t pop() {
    const std::int64_t top = heap_[0];
    position_[static_cast<std::size_t>(top)] = -1;
    const std::int64_t last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) {
      heap_[0] = last;
      position_[static_cast<std::size_t>(last)] = 0;
      sift_down(0);
    }
    return top;
  }
  bool contains(std::int64_t node) const { return position_[static_cast<std::size_t>(node)] >= 0; }
  // Call after the node's priority went down.
  void decreased(std::int64_t node) { sift_up(position_[static_cast<std::size_t>(node)]); }

 private:
  bool less(std::int64_t a, std::int64_t b) const {
    const double pa = priority_[a], pb = priority_[b];
    return pa < pb || (pa == pb && a < b);
  }
  void place(std::int64_t i, std::int64_t node) {
    heap_[static_cast<std::size_t>(i)] = node;
    position_[static_cast<std::size_t>(node)] = i;
  }
  void sift_up(std::int64_t i) {
    const std::int64_t node = heap_[static_cast<std::size_t>(i)];
    while (i > 0) {
      const std::int64_t parent = (i - 1) / 4;
      const std::int64_t p = heap_[static_cast<std::size_t>(parent)];
      if (!less(node, p)) break;
      place(i, p);
      i = parent;
    }
    place(i, node);
  }
  void sift_down(std::int64_t i) {
    const std::int64_t n = static_cast<std::int64_t>(heap_.size());
    const std::int64_t node = heap_[static_cast<std::size_t>(i)];
    while (true) {
      const std::int64_t first = 4 * i + 1;
      if (first >= n) break;
      std::int64_t best = first;
      const std::int64_t last = std::min(first + 4, n);
      for (std::int64_t c = first + 1; c < last; ++c) {
        if (less(heap_[static_cast<std::size_t>(c)], heap_[static_cast<std::size_t>(best)])) {
          best = c;
        }
      }
      const std::int64_t child = heap_[static_cast<std::size_t>(best)];
      if (!less(child, node)) break;
      place(i, child);
      i = best;
    }
    place(i, node);
  }

  const double* priority_;
  std::vector<std::int64_t> position_;
  std::vector<std::int64_t> heap_;
};

}  // namespace

Block peel_densest(const std::int64_t* offsets, std::int64_t n_rows, const std::int64_t* cols,
                   const std::int64_t* col_offsets, const std::int64_t* row_of,
                   std::int64_t n_cols, const double* col_weight, const std::uint8_t* row_alive,
                   int n_threads) {
  const std::int64_t n_nodes = n_rows + n_cols;
  std::vector<double> priority(static_cast<std::size_t>(n_nodes), 0.0);
  // Weighted degrees, each summed in edge order (independent of the thread count).
  core::parallel_for(n_rows, n_threads, [&](std::int64_t r) {
    if (!row_alive[r]) return;
    double s = 0;
    for (std::int64_t e = offsets[r]; e < offsets[r + 1]; ++e) s += col_weight[cols[e]];
    priority[static_cast<std::size_t>(r)] = s;
  });
  core::parallel_for(n_cols, n_threads, [&](std::int64_t c) {
    const double w = col_weight[c];
    if (!(w > 0)) return;
    double s = 0;
    for (std::int64_t k = col_offsets[c]; k < col_offsets[c + 1]; ++k) {
      if (row_alive[row_of[k]]) s += w;
    }
    priority[static_cast<std::size_t>(n_rows + c)] = s;
  });
  std::vector<std::int64_t> nodes;
  double f = 0;
  for (std::int64_t v = 0; v < n_nodes; ++v) {
    if (priority[static_cast<std::size_t>(v)] > 0) nodes.push_back(v);
  }
  for (std::int64_t r = 0; r < n_rows; ++r) f += priority[static_cast<std::size_t>(r)];
  Block block;
  const std::int64_t n0 = static_cast<std::int64_t>(nodes.size());
  block.n_nodes = n0;
  if (n0 == 0) return block;

  NodeHeap heap(n_nodes, priority.data());
  heap.build(nodes);
  std::vector<std::int64_t> removed;
  removed.reserve(static_cast<std::size_t>(n0));
  double best = f / static_cast<double>(n0);
  std::int64_t best_step = 0;
  for (std::int64_t step = 1; step < n0; ++step) {
    if ((step & ((std::int64_t{1} << 20) - 1)) == 0) core::throw_if_interrupted();
    const std::int64_t v = heap.pop();
    removed.push_back(v);
    f -= priority[static_cast<std::size_t>(v)];
    if (v < n_rows) {
      for (std::int64_t e = offsets[v]; e < offsets[v + 1]; ++e) {
        const std::int64_t u = n_rows + cols[e];
        if (!heap.contains(u)) continue;
        priority[static_cast<std::size_t>(u)] -= col_weight[cols[e]];
        heap.decreased(u);
      }
    } else {
      const std::int64_t c = v - n_rows;
      const double w = col_weight[c];
      for (std::int64_t k = col_offsets[c]; k < col_offsets[c + 1]; ++k) {
        const std::int64_t u = row_of[k];
        if (!heap.contains(u)) continue;
        priority[static_cast<std::size_t>(u)] -= w;
        heap.decreased(u);
      }
    }
    const double g = f / static_cast<double>(n0 - step);
    if (g > best) {
      best = g;
      best_step = step;
    }
  }
  // The block: the nodes not among the first best_step removals.
  std::vector<std::uint8_t> in_block(static_cast<std::size_t>(n_nodes), 0);
  for (const std::int64_t v : nodes) in_block[static_cast<std::size_t>(v)] = 1;
  for (std::int64_t s = 0; s < best_step; ++s) in_block[static_cast<std::size_t>(removed[s])] = 0;
  std::vector<std::int64_t> col_edges(static_cast<std::size_t>(n_cols), 0);
  for (std::int64_t r = 0; r < n_rows; ++r) {
    if (!in_block[static_cast<std::size_t>(r)]) continue;
    std::int64_t inside = 0;
    for (std::int64_t e = offsets[r]; e < offsets[r + 1]; ++e) {
      const std::int64_t c = cols[e];
      if (!in_block[static_cast<std::size_t>(n_rows + c)]) continue;
      ++inside;
      ++col_edges[static_cast<std::size_t>(c)];
      block.weight += col_weight[c];
    }
    block.rows.push_back(r);
    block.row_edges.push_back(inside);
    block.n_edges += inside;
  }
  for (std::int64_t c = 0; c < n_cols; ++c) {
    if (!in_block[static_cast<std::size_t>(n_rows + c)]) continue;
    block.cols.push_back(c);
    block.col_edges.push_back(col_edges[static_cast<std::size_t>(c)]);
  }
  const std::int64_t size =
      static_cast<std::int64_t>(block.rows.size() + block.cols.size());
  block.density = size > 0 ? block.weight / static_cast<double>(size) : 0.0;
  return block;
}

}  // namespace oddseq::graph
