#include "oddseq/graph/bipartite.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
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
Bipartite build_bipartite(const std::int64_t* event_offsets, std::int64_t n_rows, const KeyT* keys,
                          const std::int64_t* times, std::int64_t n_cols, int n_threads) {
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

namespace {

// The counting passes keep one count per column per chunk of rows: at most this many.
constexpr std::int64_t kTransposeCells = std::int64_t{1} << 25;

}  // namespace

template <class IndexT>
Transpose<IndexT> transpose(const std::int64_t* offsets, std::int64_t n_rows, const IndexT* cols,
                            std::int64_t n_cols, int n_threads) {
  Transpose<IndexT> t;
  const std::int64_t n_edges = offsets[n_rows];
  const int threads = core::resolve_threads(n_threads);
  // Rows cut into chunks of about equal edges, each counted by its own thread; a chunk's
  // slots in a column follow the earlier chunks', so rows stay ascending for any cut.
  std::int64_t n_chunks = std::min<std::int64_t>(threads, std::max<std::int64_t>(1, n_edges >> 16));
  n_chunks = std::max<std::int64_t>(
      1, std::min(n_chunks, kTransposeCells / std::max<std::int64_t>(n_cols, 1)));
  std::vector<std::int64_t> chunk_row(static_cast<std::size_t>(n_chunks) + 1, n_rows);
  chunk_row[0] = 0;
  for (std::int64_t c = 1; c < n_chunks; ++c) {
    const std::int64_t at =
        std::upper_bound(offsets, offsets + n_rows + 1, n_edges / n_chunks * c) - offsets - 1;
    chunk_row[static_cast<std::size_t>(c)] =
        std::max(at, chunk_row[static_cast<std::size_t>(c) - 1]);
  }
  std::vector<std::vector<std::int64_t>> next(static_cast<std::size_t>(n_chunks));
  core::parallel_for(n_chunks, threads, [&](std::int64_t c) {
    auto& count = next[static_cast<std::size_t>(c)];
    count.assign(static_cast<std::size_t>(n_cols), 0);
    const std::int64_t begin = offsets[chunk_row[static_cast<std::size_t>(c)]];
    const std::int64_t end = offsets[chunk_row[static_cast<std::size_t>(c) + 1]];
    for (std::int64_t e = begin; e < end; ++e) {
      const auto col = static_cast<std::int64_t>(cols[e]);
      ODDSEQ_CHECK_RANGE(col >= 0 && col < n_cols, "column " << col << " out of range");
      ++count[static_cast<std::size_t>(col)];
    }
  });
  t.col_offsets.assign(static_cast<std::size_t>(n_cols) + 1, 0);
  for (std::int64_t c = 0; c < n_cols; ++c) {
    std::int64_t at = t.col_offsets[static_cast<std::size_t>(c)];
    for (auto& count : next) {
      const std::int64_t k = count[static_cast<std::size_t>(c)];
      count[static_cast<std::size_t>(c)] = at;
      at += k;
    }
    t.col_offsets[static_cast<std::size_t>(c) + 1] = at;
  }
  t.row_of.resize(static_cast<std::size_t>(n_edges));
  core::parallel_for(n_chunks, threads, [&](std::int64_t c) {
    auto& slot = next[static_cast<std::size_t>(c)];
    for (std::int64_t r = chunk_row[static_cast<std::size_t>(c)];
         r < chunk_row[static_cast<std::size_t>(c) + 1]; ++r) {
      for (std::int64_t e = offsets[r]; e < offsets[r + 1]; ++e) {
        t.row_of[static_cast<std::size_t>(slot[static_cast<std::size_t>(cols[e])]++)] =
            static_cast<IndexT>(r);
      }
    }
  });
  core::throw_if_interrupted();
  return t;
}

template Transpose<std::int32_t> transpose<std::int32_t>(const std::int64_t*, std::int64_t,
                                                         const std::int32_t*, std::int64_t, int);
template Transpose<std::int64_t> transpose<std::int64_t>(const std::int64_t*, std::int64_t,
                                                         const std::int64_t*, std::int64_t, int);

namespace {

// Indexed 4-ary min-heap over node ids keyed by (priority, id), with decrease-key. The
// priorities live in the heap's entries, four siblings to a 64-byte cache line, so a
// sift reads one line per level.
class NodeHeap {
 public:
  struct Entry {
    double priority;
    std::int64_t node;
  };

  explicit NodeHeap(std::int64_t n_nodes) : position_(static_cast<std::size_t>(n_nodes), -1) {}

  // The heap of the nodes with their priorities (priority[node]).
  void build(const std::vector<std::int64_t>& nodes, const std::vector<double>& priority) {
    size_ = static_cast<std::int64_t>(nodes.size());
    // Entry i at heap_ + i with heap_ + 1 on a 64-byte boundary: the children
    // 4i + 1 .. 4i + 4 of entry i share one cache line.
    storage_.assign(static_cast<std::size_t>(size_) + 4, Entry{0, 0});
    const auto base = reinterpret_cast<std::uintptr_t>(storage_.data());
    heap_ = storage_.data() + (64 - (base + sizeof(Entry)) % 64) % 64 / sizeof(Entry);
    for (std::int64_t i = 0; i < size_; ++i) {
      const std::int64_t v = nodes[static_cast<std::size_t>(i)];
      heap_[i] = Entry{priority[static_cast<std::size_t>(v)], v};
      position_[static_cast<std::size_t>(v)] = i;
    }
    if (size_ > 1) {
      for (std::int64_t i = (size_ - 2) / 4; i >= 0; --i) sift_down(i);
    }
  }
  bool empty() const { return size_ == 0; }
  Entry pop() {
    const Entry top = heap_[0];
    position_[static_cast<std::size_t>(top.node)] = -1;
    --size_;
    if (size_ > 0) {
      heap_[0] = heap_[size_];
      position_[static_cast<std::size_t>(heap_[0].node)] = 0;
      sift_down(0);
    }
    return top;
  }
  bool contains(std::int64_t node) const { return position_[static_cast<std::size_t>(node)] >= 0; }
  void prefetch(std::int64_t node) const { __builtin_prefetch(position_.data() + node); }
  void prefetch_entry(std::int64_t node) const {
    const std::int64_t at = position_[static_cast<std::size_t>(node)];
    if (at >= 0) __builtin_prefetch(heap_ + at);
  }
  // Lowers a node's priority by w (if it is in the heap) and restores the heap.
  void decrease(std::int64_t node, double w) {
    const std::int64_t at = position_[static_cast<std::size_t>(node)];
    if (at < 0) return;
    heap_[at].priority -= w;
    sift_up(at);
  }

 private:
  static bool less(const Entry& a, const Entry& b) {
    return a.priority < b.priority || (a.priority == b.priority && a.node < b.node);
  }
  void place(std::int64_t i, const Entry& e) {
    heap_[i] = e;
    position_[static_cast<std::size_t>(e.node)] = i;
  }
  void sift_up(std::int64_t i) {
    const Entry e = heap_[i];
    while (i > 0) {
      const std::int64_t parent = (i - 1) / 4;
      if (!less(e, heap_[parent])) break;
      place(i, heap_[parent]);
      i = parent;
    }
    place(i, e);
  }
  void sift_down(std::int64_t i) {
    const Entry e = heap_[i];
    while (true) {
      const std::int64_t first = 4 * i + 1;
      if (first >= size_) break;
      std::int64_t best = first;
      const std::int64_t last = std::min(first + 4, size_);
      for (std::int64_t c = first + 1; c < last; ++c) {
        if (less(heap_[c], heap_[best])) best = c;
      }
      if (!less(heap_[best], e)) break;
      place(i, heap_[best]);
      i = best;
    }
    place(i, e);
  }

  std::vector<std::int64_t> position_;
  std::vector<Entry> storage_;
  Entry* heap_ = nullptr;
  std::int64_t size_ = 0;
};

// How far ahead of the edge being processed its neighbour's heap slot is fetched.
constexpr std::int64_t kPrefetch = 8;

}  // namespace

template <class IndexT>
Block peel_densest(const std::int64_t* offsets, std::int64_t n_rows, const IndexT* cols,
                   const std::int64_t* col_offsets, const IndexT* row_of, std::int64_t n_cols,
                   const double* col_weight, const std::uint8_t* row_alive, int n_threads) {
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

  NodeHeap heap(n_nodes);
  heap.build(nodes, priority);
  std::vector<double>().swap(priority);
  std::vector<std::int64_t> removed;
  removed.reserve(static_cast<std::size_t>(n0));
  double best = f / static_cast<double>(n0);
  std::int64_t best_step = 0;
  for (std::int64_t step = 1; step < n0; ++step) {
    if ((step & ((std::int64_t{1} << 20) - 1)) == 0) core::throw_if_interrupted();
    const NodeHeap::Entry top = heap.pop();
    const std::int64_t v = top.node;
    removed.push_back(v);
    f -= top.priority;
    if (v < n_rows) {
      const std::int64_t begin = offsets[v], end = offsets[v + 1];
      for (std::int64_t e = begin; e < std::min(end, begin + 2 * kPrefetch); ++e) {
        heap.prefetch(n_rows + cols[e]);
      }
      for (std::int64_t e = begin; e < end; ++e) {
        if (e + 2 * kPrefetch < end) heap.prefetch(n_rows + cols[e + 2 * kPrefetch]);
        if (e + kPrefetch < end) heap.prefetch_entry(n_rows + cols[e + kPrefetch]);
        heap.decrease(n_rows + cols[e], col_weight[cols[e]]);
      }
    } else {
      const std::int64_t c = v - n_rows;
      const double w = col_weight[c];
      const std::int64_t begin = col_offsets[c], end = col_offsets[c + 1];
      for (std::int64_t k = begin; k < std::min(end, begin + 2 * kPrefetch); ++k) {
        heap.prefetch(row_of[k]);
      }
      for (std::int64_t k = begin; k < end; ++k) {
        if (k + 2 * kPrefetch < end) heap.prefetch(row_of[k + 2 * kPrefetch]);
        if (k + kPrefetch < end) heap.prefetch_entry(row_of[k + kPrefetch]);
        heap.decrease(row_of[k], w);
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
      const auto c = static_cast<std::int64_t>(cols[e]);
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
  const std::int64_t size = static_cast<std::int64_t>(block.rows.size() + block.cols.size());
  block.density = size > 0 ? block.weight / static_cast<double>(size) : 0.0;
  return block;
}

template Block peel_densest<std::int32_t>(const std::int64_t*, std::int64_t, const std::int32_t*,
                                          const std::int64_t*, const std::int32_t*, std::int64_t,
                                          const double*, const std::uint8_t*, int);
template Block peel_densest<std::int64_t>(const std::int64_t*, std::int64_t, const std::int64_t*,
                                          const std::int64_t*, const std::int64_t*, std::int64_t,
                                          const double*, const std::uint8_t*, int);

}  // namespace oddseq::graph
