#include "oddseq/cluster/dbscan.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "oddseq/core/check.hpp"
#include "oddseq/core/hash.hpp"
#include "oddseq/core/parallel.hpp"
#include "oddseq/core/union_find.hpp"
#include "oddseq/neighbors/kdtree.hpp"

namespace oddseq::cluster {

namespace {

using neighbors::KdNode;
using neighbors::KdQuery;
using neighbors::KdTree;
using neighbors::Metric;

// The calling thread's buffer for a query framed by a rotated tree (d values): each
// loop below holds one query at a time per thread.
double* framed_buffer(std::int64_t d) {
  thread_local std::vector<double> buffer;
  buffer.resize(static_cast<std::size_t>(d));
  return buffer.data();
}

// What every strategy hands to the final labelling, indexed by original row: whether a
// row is core, the union-find unit of each core row (a grid cell or a tree position),
// and for other rows the nearest core row within eps (-1: noise).
struct Partition {
  std::vector<std::uint8_t> is_core;
  std::vector<std::int64_t> unit;
  std::vector<std::int64_t> nearest_core;
};

// Numbers clusters by their smallest core row; a border row takes its core's label.
DbscanResult label(Partition&& part, const core::ConcurrentUnionFind& components,
                   std::int64_t n_units) {
  const auto n = static_cast<std::int64_t>(part.is_core.size());
  DbscanResult result;
  std::vector<std::int64_t> label_of_root(static_cast<std::size_t>(n_units), -1);
  std::vector<std::int64_t> root(static_cast<std::size_t>(n), -1);
  for (std::int64_t i = 0; i < n; ++i) {
    if (!part.is_core[i]) continue;
    root[i] = components.find(part.unit[i]);
    if (label_of_root[root[i]] < 0) label_of_root[root[i]] = result.n_clusters++;
  }
  result.labels.assign(static_cast<std::size_t>(n), -1);
  for (std::int64_t i = 0; i < n; ++i) {
    if (part.is_core[i]) {
      result.labels[i] = label_of_root[root[i]];
    } else if (part.nearest_core[i] >= 0) {
      result.labels[i] = label_of_root[root[part.nearest_core[i]]];
    }
  }
  result.is_core = std::move(part.is_core);
  return result;
}

// Nearest core point so far: (reduced distance, original row), smaller wins. Starts at
// the eps threshold with no row, and a point exactly at eps still counts (eps is
// inclusive).
struct NearestCore {
  double reduced;
  std::int64_t row = -1;
  void offer(double candidate, std::int64_t candidate_row) {
    if (candidate < reduced || (candidate == reduced && (row < 0 || candidate_row < row))) {
      reduced = candidate;
      row = candidate_row;
    }
  }
};

// ---------------------------------------------------------------- uniform grid -----

// Cells of side just under eps / sqrt(d) (eps / d for manhattan, eps for chebyshev), so
// any two points of one cell are within eps. Only occupied cells exist: they are sorted
// lexicographically, so the cells sharing all coordinates but the last form a "row"
// ordered by the last coordinate, and a hash of the rows finds the few rows that can
// hold a cell's neighbours. Memory is O(n) whatever the extent of the data.
class Grid {
 public:
  // Coordinates beyond this many cells per axis would lose precision; the caller falls
  // back to the kd-tree.
  static constexpr double kMaxCellsPerAxis = 1e12;
  // Neighbouring cells grow as 5^d; beyond a few dimensions the kd-tree is the tool.
  static constexpr std::int64_t kMaxGridDim = 6;

  static double cell_side(Metric metric, std::int64_t d, double eps) {
    const double shrink = 1.0 - 1e-9;  // rounding must never put two far points in one cell
    switch (metric) {
      case Metric::manhattan:
        return eps / static_cast<double>(d) * shrink;
      case Metric::chebyshev:
        return eps * shrink;
      case Metric::euclidean:
        break;
    }
    return eps / std::sqrt(static_cast<double>(d)) * shrink;
  }

  static bool fits(const double* x, std::int64_t n, std::int64_t d, Metric metric, double eps) {
    const double side = cell_side(metric, d, eps);
    for (std::int64_t k = 0; k < d; ++k) {
      double lo = x[k], hi = x[k];
      for (std::int64_t i = 1; i < n; ++i) {
        lo = std::min(lo, x[i * d + k]);
        hi = std::max(hi, x[i * d + k]);
      }
      if ((hi - lo) / side > kMaxCellsPerAxis) return false;
    }
    return true;
  }

  Grid(const double* x, const double* weights, std::int64_t n, std::int64_t d, Metric metric,
       double eps, int n_threads)
      : d_(d), side_(cell_side(metric, d, eps)) {
    std::vector<double> origin(x, x + d);
    for (std::int64_t i = 1; i < n; ++i) {
      for (std::int64_t k = 0; k < d; ++k) origin[k] = std::min(origin[k], x[i * d + k]);
    }
    std::vector<std::int64_t> coords(static_cast<std::size_t>(n * d));
    core::parallel_for(n, n_threads, [&](std::int64_t i) {
      for (std::int64_t k = 0; k < d; ++k) {
        coords[i * d + k] =
            static_cast<std::int64_t>(std::floor((x[i * d + k] - origin[k]) / side_));
      }
    });

    // Distinct cells through a hash of full coordinates, then sorted lexicographically.
    std::vector<std::int64_t> cell_of(static_cast<std::size_t>(n));
    std::vector<std::int64_t> first_point;  // per provisional cell: a point in it
    {
      HashIndex index(n);
      for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t* c = coords.data() + i * d;
        cell_of[i] = index.find_or_add(
            hash_of(c, d), static_cast<std::int64_t>(first_point.size()),
            [&](std::int64_t cell) { return equal(coords.data() + first_point[cell] * d, c, d); });
        if (cell_of[i] == static_cast<std::int64_t>(first_point.size())) first_point.push_back(i);
      }
    }
    const auto n_cells = static_cast<std::int64_t>(first_point.size());
    std::vector<std::int64_t> sorted(static_cast<std::size_t>(n_cells));
    std::iota(sorted.begin(), sorted.end(), std::int64_t{0});
    std::sort(sorted.begin(), sorted.end(), [&](std::int64_t a, std::int64_t b) {
      const std::int64_t* ca = coords.data() + first_point[a] * d;
      const std::int64_t* cb = coords.data() + first_point[b] * d;
      return std::lexicographical_compare(ca, ca + d, cb, cb + d);
    });
    std::vector<std::int64_t> rank(static_cast<std::size_t>(n_cells));
    cell_coords_.resize(static_cast<std::size_t>(n_cells * d));
    for (std::int64_t r = 0; r < n_cells; ++r) {
      rank[sorted[r]] = r;
      std::copy_n(coords.data() + first_point[sorted[r]] * d, d, cell_coords_.data() + r * d);
    }

    // Points grouped by cell (stable: rows in increasing order within a cell).
    start_.assign(static_cast<std::size_t>(n_cells + 1), 0);
    for (std::int64_t i = 0; i < n; ++i) ++start_[rank[cell_of[i]] + 1];
    std::partial_sum(start_.begin(), start_.end(), start_.begin());
    std::vector<std::int64_t> fill(start_.begin(), start_.end() - 1);
    order_.resize(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) order_[fill[rank[cell_of[i]]]++] = i;
    points_.resize(static_cast<std::size_t>(n * d));
    weights_.resize(static_cast<std::size_t>(n));
    core::parallel_for(n, n_threads, [&](std::int64_t pos) {
      std::copy_n(x + order_[pos] * d, d, points_.data() + pos * d);
      weights_[pos] = weights != nullptr ? weights[order_[pos]] : 1.0;
    });
    cell_weight_.assign(static_cast<std::size_t>(n_cells), 0.0);
    box_lo_.assign(static_cast<std::size_t>(n_cells * d), std::numeric_limits<double>::infinity());
    box_hi_.assign(static_cast<std::size_t>(n_cells * d), -std::numeric_limits<double>::infinity());
    core::parallel_for(n_cells, n_threads, [&](std::int64_t c) {
      for (std::int64_t pos = start_[c]; pos < start_[c + 1]; ++pos) {
        cell_weight_[c] += weights_[pos];
        for (std::int64_t k = 0; k < d; ++k) {
          box_lo_[c * d + k] = std::min(box_lo_[c * d + k], points_[pos * d + k]);
          box_hi_[c * d + k] = std::max(box_hi_[c * d + k], points_[pos * d + k]);
        }
      }
    });

    // Rows: runs of cells with equal leading d - 1 coordinates.
    rows_ = HashIndex(n_cells);
    for (std::int64_t c = 0; c < n_cells; ++c) {
      if (c > 0 && equal(cell(c - 1), cell(c), d - 1)) continue;
      row_start_.push_back(c);
      rows_.find_or_add(hash_of(cell(c), d - 1), static_cast<std::int64_t>(row_start_.size()) - 1,
                        [](std::int64_t) { return false; });
    }
    row_start_.push_back(n_cells);
    build_offsets(metric, eps);
  }

  std::int64_t cells() const { return static_cast<std::int64_t>(start_.size()) - 1; }
  std::int64_t begin(std::int64_t cell) const { return start_[cell]; }
  std::int64_t end(std::int64_t cell) const { return start_[cell + 1]; }
  const double* point(std::int64_t pos) const { return points_.data() + pos * d_; }
  double weight(std::int64_t pos) const { return weights_[pos]; }
  double cell_weight(std::int64_t cell) const { return cell_weight_[cell]; }
  std::int64_t original(std::int64_t pos) const { return order_[pos]; }

  // A lower bound on the reduced distance between the points of two cells, from the
  // bounding boxes of the points they actually hold.
  template <class M>
  double gap_reduced(std::int64_t a, std::int64_t b) const {
    using neighbors::Lanes2;
    using neighbors::load_lanes;
    const double* lo_a = box_lo_.data() + a * d_;
    const double* hi_a = box_hi_.data() + a * d_;
    const double* lo_b = box_lo_.data() + b * d_;
    const double* hi_b = box_hi_.data() + b * d_;
    return neighbors::fold_gaps<M>(d_, [&](std::int64_t k) {
      const Lanes2 left = load_lanes(lo_a, k, d_) - load_lanes(hi_b, k, d_);
      const Lanes2 right = load_lanes(lo_b, k, d_) - load_lanes(hi_a, k, d_);
      const Lanes2 gap = left > right ? left : right;
      return gap > 0.0 ? gap : Lanes2{};
    });
  }

  // Whether two cells touch (differ by at most one in every coordinate).
  bool adjacent(std::int64_t a, std::int64_t b) const {
    for (std::int64_t k = 0; k < d_; ++k) {
      if (std::abs(cell(a)[k] - cell(b)[k]) > 1) return false;
    }
    return true;
  }

  // Calls visit(cell) for the occupied cells that may hold points within eps of cell c,
  // c excluded, until visit returns false; returns false when stopped early.
  template <class Visit>
  bool visit_neighbours(std::int64_t c, Visit&& visit) const {
    std::int64_t probe[kMaxGridDim];
    const std::int64_t lead = d_ - 1;
    const std::int64_t* base = cell(c);
    for (std::size_t o = 0; o < last_reach_.size(); ++o) {
      for (std::int64_t k = 0; k < lead; ++k) probe[k] = base[k] + lead_offsets_[o * lead + k];
      const std::int64_t row = rows_.find(hash_of(probe, lead), [&](std::int64_t r) {
        return equal(cell(row_start_[r]), probe, lead);
      });
      if (row < 0) continue;
      const std::int64_t low = base[lead] - last_reach_[o], high = base[lead] + last_reach_[o];
      std::int64_t first = row_start_[row], stop = row_start_[row + 1];
      // Binary search for the first cell of the row at or after `low`.
      while (first < stop) {
        const std::int64_t mid = first + (stop - first) / 2;
        if (cell(mid)[lead] < low) {
          first = mid + 1;
        } else {
          stop = mid;
        }
      }
      for (std::int64_t other = first; other < row_start_[row + 1] && cell(other)[lead] <= high;
           ++other) {
        if (other != c && !visit(other)) return false;
      }
    }
    return true;
  }

 private:
  // Open addressing from a 64-bit hash to an id; equal hashes are confirmed by the
  // caller's predicate, so distinct keys never merge.
  class HashIndex {
   public:
    HashIndex() = default;
    explicit HashIndex(std::int64_t capacity) {
      std::size_t size = 1;
      while (size < static_cast<std::size_t>(2 * capacity)) size <<= 1;
      slots_.assign(size, Slot{});
    }
    template <class Same>
    std::int64_t find_or_add(std::uint64_t hash, std::int64_t new_id, Same&& same) {
      for (std::size_t s = hash & (slots_.size() - 1);; s = (s + 1) & (slots_.size() - 1)) {
        if (slots_[s].id < 0) {
          slots_[s] = Slot{hash, new_id};
          return new_id;
        }
        if (slots_[s].hash == hash && same(slots_[s].id)) return slots_[s].id;
      }
    }
    template <class Same>
    std::int64_t find(std::uint64_t hash, Same&& same) const {
      for (std::size_t s = hash & (slots_.size() - 1);; s = (s + 1) & (slots_.size() - 1)) {
        if (slots_[s].id < 0) return -1;
        if (slots_[s].hash == hash && same(slots_[s].id)) return slots_[s].id;
      }
    }

   private:
    struct Slot {
      std::uint64_t hash = 0;
      std::int64_t id = -1;
    };
    std::vector<Slot> slots_;
  };

  const std::int64_t* cell(std::int64_t c) const { return cell_coords_.data() + c * d_; }

  static bool equal(const std::int64_t* a, const std::int64_t* b, std::int64_t len) {
    for (std::int64_t k = 0; k < len; ++k) {
      if (a[k] != b[k]) return false;
    }
    return true;
  }

  // One multiply-add per coordinate and one finaliser: cheap enough for the millions of
  // lookups a grid makes.
  static std::uint64_t hash_of(const std::int64_t* coords, std::int64_t len) {
    static constexpr std::uint64_t kOdd[kMaxGridDim] = {
        0x9E3779B97F4A7C15ULL, 0xC2B2AE3D27D4EB4FULL, 0x165667B19E3779F9ULL,
        0xD6E8FEB86659FD93ULL, 0xFF51AFD7ED558CCDULL, 0xC4CEB9FE1A85EC53ULL};
    std::uint64_t h = 0;
    for (std::int64_t k = 0; k < len; ++k) h += static_cast<std::uint64_t>(coords[k]) * kOdd[k];
    return core::mix64(h);
  }

  // For every offset of the leading d - 1 coordinates that can reach a cell within eps,
  // the largest last-coordinate offset that still can (the reach is symmetric).
  void build_offsets(Metric metric, double eps) {
    const auto reach = static_cast<std::int64_t>(std::ceil(eps / side_));
    const std::int64_t lead = d_ - 1;
    std::vector<std::int64_t> offset(static_cast<std::size_t>(lead), -reach);
    neighbors::with_metric(metric, [&](auto m) {
      using M = decltype(m);
      const double threshold = M::threshold(eps);
      const auto gap_of = [&](std::int64_t o) {
        return static_cast<double>(std::max<std::int64_t>(std::abs(o) - 1, 0)) * side_;
      };
      // The smallest distance between points of two cells this far apart, folded as
      // distances are.
      const auto cells_gap = [&](std::int64_t o) {
        return neighbors::fold_gaps<M>(d_, [&](std::int64_t k) {
          neighbors::Lanes2 gaps{};
          for (std::int64_t l = 0; l < 2 && k + l < d_; ++l) {
            gaps[l] = gap_of(k + l < lead ? offset[k + l] : o);
          }
          return gaps;
        });
      };
      while (true) {
        std::int64_t last = -1;
        for (std::int64_t o = 0; o <= reach && cells_gap(o) <= threshold; ++o) last = o;
        if (last >= 0) {
          lead_offsets_.insert(lead_offsets_.end(), offset.begin(), offset.end());
          last_reach_.push_back(last);
        }
        std::int64_t k = 0;
        while (k < lead && offset[k] == reach) offset[k++] = -reach;
        if (k == lead) break;
        ++offset[k];
      }
    });
  }

  std::int64_t d_;
  double side_;
  std::vector<std::int64_t> cell_coords_;  // cells x d, lexicographic order
  std::vector<std::int64_t> start_;        // cells + 1: points of each cell
  std::vector<std::int64_t> order_;        // cell-sorted position -> original row
  std::vector<double> points_;
  std::vector<double> weights_;
  std::vector<double> cell_weight_;
  std::vector<double> box_lo_, box_hi_;  // cells x d: bounding box of each cell's points
  HashIndex rows_;
  std::vector<std::int64_t> row_start_;     // rows + 1
  std::vector<std::int64_t> lead_offsets_;  // offsets x (d - 1)
  std::vector<std::int64_t> last_reach_;    // per offset
};

template <class M>
DbscanResult dbscan_grid(const double* x, std::int64_t n, std::int64_t d, double eps,
                         double min_samples, const double* weights, Metric metric, int n_threads) {
  const Grid grid(x, weights, n, d, metric, eps, n_threads);
  const double threshold = M::threshold(eps);
  const std::int64_t n_cells = grid.cells();
  std::vector<std::uint8_t> core(static_cast<std::size_t>(n), 0);  // by grid position

  // Core points: a cell holding min_samples of weight is all core (its points are within
  // eps of each other); otherwise count into neighbouring cells and stop at min_samples.
  core::parallel_for_interruptible(
      n_cells, n_threads,
      [&](std::int64_t cell) {
        if (grid.cell_weight(cell) >= min_samples) {
          std::fill(core.begin() + grid.begin(cell), core.begin() + grid.end(cell), 1);
          return;
        }
        std::vector<double> total(static_cast<std::size_t>(grid.end(cell) - grid.begin(cell)),
                                  grid.cell_weight(cell));
        std::int64_t pending = static_cast<std::int64_t>(total.size());
        grid.visit_neighbours(cell, [&](std::int64_t other) {
          for (std::int64_t p = grid.begin(cell); p < grid.end(cell); ++p) {
            double& t = total[p - grid.begin(cell)];
            if (t >= min_samples) continue;
            for (std::int64_t q = grid.begin(other); q < grid.end(other); ++q) {
              if (M::between(grid.point(p), grid.point(q), d) <= threshold) {
                t += grid.weight(q);
                if (t >= min_samples) {
                  --pending;
                  break;
                }
              }
            }
          }
          return pending > 0;
        });
        for (std::int64_t p = grid.begin(cell); p < grid.end(cell); ++p) {
          core[p] = total[p - grid.begin(cell)] >= min_samples;
        }
      },
      4);

  std::vector<std::uint8_t> cell_has_core(static_cast<std::size_t>(n_cells), 0);
  for (std::int64_t cell = 0; cell < n_cells; ++cell) {
    cell_has_core[cell] = std::any_of(core.begin() + grid.begin(cell),
                                      core.begin() + grid.end(cell), [](auto c) { return c != 0; });
  }

  // Clusters: core points of one cell are connected; two cells are joined when some pair
  // of their core points is within eps. Each pair of cells is examined once, touching
  // cells first: they join at once in dense regions, so by the second pass most farther
  // pairs are already in one component and skipped without a distance computed.
  core::ConcurrentUnionFind components(n_cells);
  for (const bool touching : {true, false}) {
    core::parallel_for_interruptible(
        n_cells, n_threads,
        [&](std::int64_t cell) {
          if (!cell_has_core[cell]) return;
          grid.visit_neighbours(cell, [&](std::int64_t other) {
            if (other < cell || !cell_has_core[other]) return true;
            if (grid.adjacent(cell, other) != touching) return true;
            if (components.find(cell) == components.find(other)) return true;
            if (grid.gap_reduced<M>(cell, other) > threshold) return true;
            for (std::int64_t p = grid.begin(cell); p < grid.end(cell); ++p) {
              if (!core[p]) continue;
              for (std::int64_t q = grid.begin(other); q < grid.end(other); ++q) {
                if (core[q] && M::between(grid.point(p), grid.point(q), d) <= threshold) {
                  components.unite(cell, other);
                  return true;
                }
              }
            }
            return true;
          });
        },
        4);
  }

  // Border points: the nearest core point within eps, in this cell or a neighbouring one.
  Partition part;
  part.is_core.assign(static_cast<std::size_t>(n), 0);
  part.unit.assign(static_cast<std::size_t>(n), -1);
  part.nearest_core.assign(static_cast<std::size_t>(n), -1);
  core::parallel_for_interruptible(
      n_cells, n_threads,
      [&](std::int64_t cell) {
        for (std::int64_t p = grid.begin(cell); p < grid.end(cell); ++p) {
          const std::int64_t row = grid.original(p);
          part.unit[row] = cell;
          if (core[p]) {
            part.is_core[row] = 1;
            continue;
          }
          NearestCore best{threshold};
          const auto offer_cell = [&](std::int64_t other) {
            if (!cell_has_core[other]) return true;
            for (std::int64_t q = grid.begin(other); q < grid.end(other); ++q) {
              if (core[q])
                best.offer(M::between(grid.point(p), grid.point(q), d), grid.original(q));
            }
            return true;
          };
          offer_cell(cell);
          grid.visit_neighbours(cell, offer_cell);
          part.nearest_core[row] = best.row;
        }
      },
      4);
  // A border row's nearest core names a row; label() needs that row's unit, already set.
  DbscanResult result = label(std::move(part), components, n_cells);
  return result;
}

// ------------------------------------------------------------------- kd-tree -------

template <class M>
DbscanResult dbscan_tree(const double* x, std::int64_t n, std::int64_t d, double eps,
                         double min_samples, const double* weights, Metric metric,
                         std::int64_t leaf_size, int n_threads) {
  const KdTree tree(x, n, d, metric, leaf_size, n_threads, neighbors::Frame::automatic);
  const auto& nodes = tree.nodes();
  const auto n_nodes = static_cast<std::int64_t>(nodes.size());
  const double threshold = M::threshold(eps);

  // Node weights, children after parents in the node array, so a reverse sweep is
  // bottom-up.
  std::vector<double> weight(static_cast<std::size_t>(n), 1.0);  // by tree position
  if (weights != nullptr) {
    for (std::int64_t pos = 0; pos < n; ++pos) weight[pos] = weights[tree.original(pos)];
  }
  std::vector<double> node_weight(static_cast<std::size_t>(n_nodes), 0.0);
  for (std::int64_t id = n_nodes - 1; id >= 0; --id) {
    const KdNode& node = nodes[id];
    if (node.leaf()) {
      for (std::int64_t pos = node.begin; pos < node.end; ++pos) node_weight[id] += weight[pos];
    } else {
      node_weight[id] = node_weight[node.left] + node_weight[node.right];
    }
  }

  std::vector<std::int32_t> leaf_of(static_cast<std::size_t>(n));
  for (std::int64_t id = 0; id < n_nodes; ++id) {
    if (nodes[id].leaf()) {
      std::fill(leaf_of.begin() + nodes[id].begin, leaf_of.begin() + nodes[id].end,
                static_cast<std::int32_t>(id));
    }
  }

  // Core points: count the neighbourhood's weight, whole nodes at once where a node lies
  // inside the eps-ball, and stop as soon as min_samples is reached.
  std::vector<std::uint8_t> core(static_cast<std::size_t>(n), 0);
  core::parallel_for_interruptible(n, n_threads, [&](std::int64_t p) {
    // The point's own leaf first: in dense regions it settles the count without a
    // search. Otherwise search the tree, nearer child first, skipping that leaf.
    const KdQuery q = tree.indexed_query(p, framed_buffer(d));
    const KdNode& own = nodes[leaf_of[p]];
    double total = 0.0;
    // Weights of the points of a leaf within eps, until min_samples is reached.
    const auto count_leaf = [&](std::int32_t id) {
      const KdNode& leaf = nodes[id];
      // A chunk at a time: in dense regions a few points settle the count.
      for (std::int64_t first = 0; first < leaf.count() && total < min_samples;
           first += KdTree::kLeafChunk) {
        const double* distance = tree.leaf_distances<M>(q.point, id, first, KdTree::kLeafChunk);
        const std::int64_t last = std::min(leaf.count(), first + KdTree::kLeafChunk);
        for (std::int64_t i = first; i < last && total < min_samples; ++i) {
          if (distance[i - first] <= threshold) total += weight[leaf.begin + i];
        }
      }
    };
    count_leaf(leaf_of[p]);
    std::vector<std::int32_t> stack{0};
    const auto push_children = [&](const KdNode& node) {
      const double left = tree.min_reduced<M>(q, node.left);
      const double right = tree.min_reduced<M>(q, node.right);
      const bool left_first = left <= right;
      if ((left_first ? right : left) <= threshold) {
        stack.push_back(left_first ? node.right : node.left);
      }
      if ((left_first ? left : right) <= threshold) {
        stack.push_back(left_first ? node.left : node.right);
      }
    };
    while (!stack.empty() && total < min_samples) {
      const std::int32_t id = stack.back();
      stack.pop_back();
      if (id == leaf_of[p]) continue;
      const KdNode& node = nodes[id];
      if (node.begin <= own.begin && own.end <= node.end) {
        push_children(node);  // an ancestor of the own leaf: its weight would count it twice
      } else if (tree.max_reduced<M>(q, id) <= threshold) {
        total += node_weight[id];
      } else if (node.leaf()) {
        count_leaf(id);
      } else {
        push_children(node);
      }
    }
    core[p] = total >= min_samples;
  });

  // Core points per node, bottom-up.
  std::vector<std::int64_t> core_count(static_cast<std::size_t>(n_nodes), 0);
  std::vector<std::int32_t> leaves;
  for (std::int64_t id = n_nodes - 1; id >= 0; --id) {
    const KdNode& node = nodes[id];
    if (node.leaf()) {
      core_count[id] = std::count(core.begin() + node.begin, core.begin() + node.end, 1);
      if (core_count[id] > 0) leaves.push_back(static_cast<std::int32_t>(id));
    } else {
      core_count[id] = core_count[node.left] + core_count[node.right];
    }
  }
  std::reverse(leaves.begin(), leaves.end());  // tree-position order

  // Clusters, leaf by leaf rather than point by point: first the core pairs inside each
  // leaf, then the pairs of leaves whose bounds come within eps (each pair once, from the
  // earlier leaf), the nearer pairs (within eps / 2) before the rest. Between passes each
  // node records whether all its core points already share one component; a search then
  // skips, without a distance computed, every subtree already joined to its own leaf.
  // In dense regions that is nearly all of them.
  core::ConcurrentUnionFind components(n);
  // roots: a scratch buffer of the caller's, one per task.
  const auto join_pairs = [&](std::int32_t a_id, std::int32_t b_id,
                              std::vector<std::int64_t>& roots) {
    const KdNode& a = nodes[a_id];
    const KdNode& b = nodes[b_id];
    roots.resize(static_cast<std::size_t>(b.count()));
    for (std::int64_t r = b.begin; r < b.end; ++r) {
      roots[r - b.begin] = core[r] ? components.find(r) : -1;
    }
    for (std::int64_t p = a.begin; p < a.end; ++p) {
      if (!core[p]) continue;
      std::int64_t root = components.find(p);
      const std::int64_t first = std::max(b.begin, p + 1);
      // A stale root can only be an ancestor's old name: equal still means joined.
      const auto pending = [&](std::int64_t r) {
        return roots[r - b.begin] >= 0 && roots[r - b.begin] != root;
      };
      std::int64_t n_pending = 0;
      for (std::int64_t r = first; r < b.end; ++r) n_pending += pending(r);
      if (n_pending == 0) continue;
      // The whole leaf in one vectorised pass once a few pairs are left, else pair by pair.
      const double* distance =
          n_pending >= 3 ? tree.leaf_distances<M>(tree.point(p), b_id) : nullptr;
      for (std::int64_t r = first; r < b.end; ++r) {
        if (!pending(r)) continue;
        const double reduced = distance != nullptr ? distance[r - b.begin]
                                                   : M::between(tree.point(p), tree.point(r), d);
        if (reduced <= threshold) {
          components.unite(p, r);
          root = components.find(p);
          roots[r - b.begin] = root;
        }
      }
    }
  };
  std::vector<std::int64_t> joined(static_cast<std::size_t>(n_nodes), -1);
  const auto record_joined = [&]() {
    for (std::int64_t id = n_nodes - 1; id >= 0; --id) {
      const KdNode& node = nodes[id];
      std::int64_t root = -1;
      if (node.leaf()) {
        for (std::int64_t pos = node.begin; pos < node.end; ++pos) {
          if (!core[pos]) continue;
          const std::int64_t r = components.find(pos);
          if (root == -1) root = r;
          if (r != root) {
            root = -1;
            break;
          }
        }
      } else if (core_count[node.left] == 0) {
        root = joined[node.right];
      } else if (core_count[node.right] == 0) {
        root = joined[node.left];
      } else if (joined[node.left] >= 0 && joined[node.right] >= 0 &&
                 components.find(joined[node.left]) == components.find(joined[node.right])) {
        root = joined[node.left];
      }
      joined[id] = root;
    }
  };
  const auto n_leaves = static_cast<std::int64_t>(leaves.size());
  core::parallel_for_interruptible(
      n_leaves, n_threads,
      [&](std::int64_t i) {
        std::vector<std::int64_t> roots;
        join_pairs(leaves[i], leaves[i], roots);
      },
      4);
  const double near = M::reduce(0.5 * eps);
  for (const bool near_pass : {true, false}) {
    record_joined();
    core::parallel_for_interruptible(
        n_leaves, n_threads,
        [&](std::int64_t i) {
          const std::int32_t own = leaves[i];
          const KdNode& leaf = nodes[own];
          std::vector<std::int32_t> stack{0};
          std::vector<std::int64_t> roots;
          while (!stack.empty()) {
            const std::int32_t id = stack.back();
            stack.pop_back();
            const KdNode& node = nodes[id];
            if (node.end <= leaf.end || core_count[id] == 0) continue;
            if (joined[own] >= 0 && joined[id] >= 0 &&
                components.find(joined[own]) == components.find(joined[id])) {
              continue;
            }
            const double gap = tree.gap_reduced<M>(own, id);
            if (gap > threshold) continue;
            if (!node.leaf()) {
              stack.push_back(node.right);
              stack.push_back(node.left);
            } else if ((gap <= near) == near_pass) {
              join_pairs(own, id, roots);
            }
          }
        },
        1);
  }

  // Border points: the nearest core point within eps, searched nearer child first.
  Partition part;
  part.is_core.assign(static_cast<std::size_t>(n), 0);
  part.unit.assign(static_cast<std::size_t>(n), -1);
  part.nearest_core.assign(static_cast<std::size_t>(n), -1);
  core::parallel_for_interruptible(n, n_threads, [&](std::int64_t p) {
    const std::int64_t row = tree.original(p);
    part.unit[row] = p;
    if (core[p]) {
      part.is_core[row] = 1;
      return;
    }
    const KdQuery q = tree.indexed_query(p, framed_buffer(d));
    NearestCore best{threshold};
    std::vector<std::pair<double, std::int32_t>> stack{{0.0, 0}};
    while (!stack.empty()) {
      const auto [bound, id] = stack.back();
      stack.pop_back();
      if (bound > best.reduced || core_count[id] == 0) continue;
      const KdNode& node = nodes[id];
      if (node.leaf()) {
        const double* distance = tree.leaf_distances<M>(q.point, id);
        for (std::int64_t pos = node.begin; pos < node.end; ++pos) {
          if (core[pos]) best.offer(distance[pos - node.begin], tree.original(pos));
        }
        continue;
      }
      tree.push_children<M>(q, node, stack);
    }
    part.nearest_core[row] = best.row;
  });
  DbscanResult result = label(std::move(part), components, n);
  return result;
}

// Measured: the grid wins up to three dimensions, the kd-tree from four.
constexpr std::int64_t kGridMaxAutoDim = 3;

}  // namespace

DbscanResult dbscan(const double* x, std::int64_t n, std::int64_t d, double eps, double min_samples,
                    const double* weights, Metric metric, DbscanAlgorithm algorithm,
                    std::int64_t leaf_size, int n_threads) {
  ODDSEQ_CHECK(n > 0 && d > 0, "DBSCAN needs at least one point and one feature");
  ODDSEQ_CHECK(std::isfinite(eps) && eps > 0, "eps must be finite and > 0");
  if (algorithm == DbscanAlgorithm::automatic) {
    algorithm = d <= kGridMaxAutoDim && Grid::fits(x, n, d, metric, eps) ? DbscanAlgorithm::grid
                                                                         : DbscanAlgorithm::kdtree;
  }
  if (algorithm == DbscanAlgorithm::grid && d > Grid::kMaxGridDim) {
    throw std::invalid_argument("the grid handles at most " + std::to_string(Grid::kMaxGridDim) +
                                " dimensions; use algorithm='kdtree'");
  }
  if (algorithm == DbscanAlgorithm::grid && !Grid::fits(x, n, d, metric, eps)) {
    throw std::invalid_argument(
        "eps is too small for a grid over this data's extent (over 1e12 cells per axis); use "
        "algorithm='kdtree'");
  }
  return neighbors::with_metric(metric, [&](auto m) {
    using M = decltype(m);
    DbscanResult result;
    switch (algorithm) {
      case DbscanAlgorithm::grid:
        result = dbscan_grid<M>(x, n, d, eps, min_samples, weights, metric, n_threads);
        break;
      case DbscanAlgorithm::brute:
        result = dbscan_tree<M>(x, n, d, eps, min_samples, weights, metric, n, n_threads);
        break;
      default:
        result = dbscan_tree<M>(x, n, d, eps, min_samples, weights, metric, leaf_size, n_threads);
        break;
    }
    result.used = algorithm;
    return result;
  });
}

std::vector<std::int64_t> dbscan_assign(const double* core_points, const std::int64_t* core_labels,
                                        std::int64_t c, const double* q, std::int64_t m,
                                        std::int64_t d, double eps, Metric metric, int n_threads) {
  std::vector<std::int64_t> labels(static_cast<std::size_t>(m), -1);
  if (c == 0 || m == 0) return labels;
  const KdTree tree(core_points, c, d, metric, 32, n_threads);
  std::vector<double> distance(static_cast<std::size_t>(m));
  std::vector<std::int64_t> nearest(static_cast<std::size_t>(m));
  tree.knn(q, m, 1, nullptr, n_threads, distance.data(), nearest.data());
  for (std::int64_t i = 0; i < m; ++i) {
    if (distance[i] <= eps) labels[i] = core_labels[nearest[i]];
  }
  return labels;
}

}  // namespace oddseq::cluster
