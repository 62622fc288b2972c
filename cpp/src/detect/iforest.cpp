#include "oddseq/detect/iforest.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "oddseq/core/check.hpp"
#include "oddseq/core/content_hash.hpp"
#include "oddseq/core/hash.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::detect {

namespace {

// numpy's np.euler_gamma.
constexpr double kEulerGamma = 0.5772156649015329;
constexpr double kTwoPi = 6.283185307179586;

// Uniform integer in [0, bound), bound >= 1, from 53 random bits.
std::int64_t uniform_index(core::SplitMix64& rng, std::int64_t bound) {
  const auto v = static_cast<std::int64_t>(rng.uniform() * static_cast<double>(bound));
  return v < bound ? v : bound - 1;
}

// A standard normal draw (Box-Muller, one of the pair).
double standard_normal(core::SplitMix64& rng) {
  const double u1 = 1.0 - rng.uniform();  // (0, 1]
  const double u2 = rng.uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

// w . v over k entries with four partial sums (the same order in fit and in scoring, so
// a training row takes the same side of every hyperplane when scored).
double dot(const double* w, const double* v, std::int64_t k) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  std::int64_t j = 0;
  for (; j + 4 <= k; j += 4) {
    s0 += w[j] * v[j];
    s1 += w[j + 1] * v[j + 1];
    s2 += w[j + 2] * v[j + 2];
    s3 += w[j + 3] * v[j + 3];
  }
  for (; j < k; ++j) s0 += w[j] * v[j];
  return (s0 + s1) + (s2 + s3);
}

struct Node {
  double value;  // the threshold, or at a leaf c(its training rows)
  std::int32_t left;
  std::int32_t split;
};

struct Tree {
  std::vector<std::int32_t> features;
  std::vector<std::int32_t> left, split, n_samples;
  std::vector<double> threshold, normals;

  std::int32_t add_node(std::int64_t rows) {
    left.push_back(-1);
    split.push_back(-1);
    threshold.push_back(0.0);
    n_samples.push_back(static_cast<std::int32_t>(rows));
    return static_cast<std::int32_t>(left.size() - 1);
  }
};

// Tree `tree`'s generator: its own stream, whatever the thread that builds it.
core::SplitMix64 tree_rng(const IForestParams& params, std::int64_t tree) {
  return core::SplitMix64(core::mix64(
      params.seed + core::mix64(static_cast<std::uint64_t>(tree) + 0x243F6A8885A308D3ULL)));
}

// Trees drawn in one pass over the rows (iforest_draw_rows), at most; even.
constexpr std::int64_t kDrawGroup = 8;

// Tree `tree`'s stream for the draw of its rows (salt kRowSalt) or features (kFeatureSalt).
constexpr std::uint64_t kRowSalt = 0x452821E638D01377ULL;
constexpr std::uint64_t kFeatureSalt = 0xBE5466CF34E90C6CULL;
std::uint64_t tree_stream(std::uint64_t seed, std::int64_t tree, std::uint64_t salt) {
  return core::splitmix64_mix(seed ^ core::splitmix64_mix(static_cast<std::uint64_t>(tree) + salt));
}

template <class T>
Tree build_tree(const T* x, std::int64_t d, const IForestParams& params, std::int64_t tree,
                const std::int64_t* rows, std::int64_t m,
                const std::vector<std::int32_t>& features) {
  core::SplitMix64 rng = tree_rng(params, tree);
  Tree out;
  const std::int64_t k = params.max_features;
  out.features = features;

  // The tree's sample, column by column (feature j of local row i at j * m + i).
  std::vector<double> column(static_cast<std::size_t>(k * m));
  for (std::int64_t i = 0; i < m; ++i) {
    const T* row = x + rows[i] * d;
    for (std::int64_t j = 0; j < k; ++j) {
      column[static_cast<std::size_t>(j * m + i)] =
          static_cast<double>(row[features[static_cast<std::size_t>(j)]]);
    }
  }
  std::vector<std::int32_t> index(static_cast<std::size_t>(m));
  std::iota(index.begin(), index.end(), 0);
  std::vector<std::int32_t> order(static_cast<std::size_t>(k));
  std::vector<double> low(static_cast<std::size_t>(k)), high(static_cast<std::size_t>(k));
  std::vector<double> weight(static_cast<std::size_t>(k)), gathered(static_cast<std::size_t>(k));
  std::vector<double> projection(static_cast<std::size_t>(m));

  // scikit-learn's depth limit: ceil(log2(max_samples)).
  const int max_depth = static_cast<int>(std::ceil(std::log2(std::max<double>(2.0, m))));
  struct Item {
    std::int32_t node, begin, end;
    int depth;
  };
  std::vector<Item> stack;
  stack.push_back({out.add_node(m), 0, static_cast<std::int32_t>(m), 0});
  while (!stack.empty()) {
    const Item item = stack.back();
    stack.pop_back();
    if (item.end - item.begin < 2 || item.depth >= max_depth) continue;  // a leaf
    const auto first = index.begin() + item.begin;
    const auto last = index.begin() + item.end;
    std::int32_t split = -1;
    double threshold = 0.0;
    std::vector<std::int32_t>::iterator middle;
    if (!params.extended) {
      // scikit-learn's random splitter: features in random order until one is not
      // constant in the node, the cut uniform between its minimum and maximum.
      std::iota(order.begin(), order.end(), 0);
      for (std::int64_t remaining = k; remaining > 0 && split < 0; --remaining) {
        const std::int64_t r = uniform_index(rng, remaining);
        const std::int32_t f = order[static_cast<std::size_t>(r)];
        std::swap(order[static_cast<std::size_t>(r)],
                  order[static_cast<std::size_t>(remaining - 1)]);
        const double* c = column.data() + static_cast<std::int64_t>(f) * m;
        double lo = c[*first], hi = lo;
        for (auto it = first; it != last; ++it) {
          lo = std::min(lo, c[*it]);
          hi = std::max(hi, c[*it]);
        }
        if (hi > lo) {
          threshold = lo + (hi - lo) * rng.uniform();
          if (threshold >= hi) threshold = lo;
          split = f;
          middle = std::partition(first, last, [&](std::int32_t i) { return c[i] <= threshold; });
        }
      }
      if (split < 0) continue;  // every feature constant here: a leaf
      split = static_cast<std::int32_t>(features[static_cast<std::size_t>(split)]);
    } else {
      // Hariri et al.: a normal vector of N(0, 1) weights, the hyperplane through a point
      // drawn uniformly in the node's bounding box.
      bool varies = false;
      for (std::int64_t j = 0; j < k; ++j) {
        const double* c = column.data() + j * m;
        double lo = c[*first], hi = lo;
        for (auto it = first; it != last; ++it) {
          lo = std::min(lo, c[*it]);
          hi = std::max(hi, c[*it]);
        }
        low[static_cast<std::size_t>(j)] = lo;
        high[static_cast<std::size_t>(j)] = hi;
        varies = varies || hi > lo;
      }
      if (!varies) continue;
      for (std::int64_t j = 0; j < k; ++j) {
        const std::size_t u = static_cast<std::size_t>(j);
        weight[u] = standard_normal(rng);
        threshold += weight[u] * (low[u] + (high[u] - low[u]) * rng.uniform());
      }
      for (auto it = first; it != last; ++it) {
        for (std::int64_t j = 0; j < k; ++j) {
          gathered[static_cast<std::size_t>(j)] = column[static_cast<std::size_t>(j * m + *it)];
        }
        projection[static_cast<std::size_t>(*it)] = dot(weight.data(), gathered.data(), k);
      }
      split = static_cast<std::int32_t>(out.normals.size() / static_cast<std::size_t>(k));
      out.normals.insert(out.normals.end(), weight.begin(), weight.end());
      middle = std::partition(first, last, [&](std::int32_t i) {
        return projection[static_cast<std::size_t>(i)] <= threshold;
      });
    }
    const std::int32_t cut = static_cast<std::int32_t>(middle - index.begin());
    const std::int32_t left = out.add_node(cut - item.begin);
    out.add_node(item.end - cut);
    const std::size_t node = static_cast<std::size_t>(item.node);
    out.left[node] = left;
    out.split[node] = split;
    out.threshold[node] = threshold;
    stack.push_back({left + 1, cut, item.end, item.depth + 1});
    stack.push_back({left, item.begin, cut, item.depth + 1});
  }
  return out;
}

}  // namespace

double average_path_length(double n) {
  if (n <= 1.0) return 0.0;
  if (n <= 2.0) return 1.0;
  return 2.0 * (std::log(n - 1.0) + kEulerGamma) - 2.0 * (n - 1.0) / n;
}

void average_path_lengths(const double* n, std::int64_t size, double* out) {
  for (std::int64_t i = 0; i < size; ++i) out[i] = average_path_length(n[i]);
}

namespace {

void check_params(std::int64_t n, std::int64_t d, const IForestParams& params) {
  ODDSEQ_CHECK(n >= 1 && d >= 1, "an isolation forest needs at least one row and one feature");
  ODDSEQ_CHECK(params.n_estimators >= 1, "n_estimators must be >= 1");
  ODDSEQ_CHECK(params.max_samples >= 1 && params.max_samples <= n,
               "max_samples must be in [1, n], got " << params.max_samples);
  ODDSEQ_CHECK(params.max_samples < (std::int64_t{1} << 30), "max_samples must be < 2^30");
  ODDSEQ_CHECK(params.max_features >= 1 && params.max_features <= d,
               "max_features must be in [1, d], got " << params.max_features);
}

}  // namespace

template <class T>
std::vector<std::uint64_t> iforest_column_keys(const T* x, std::int64_t n, std::int64_t d,
                                               const std::uint64_t* hashes, const double* floors,
                                               int n_threads) {
  return core::refined_column_keys(x, n, d, hashes, floors, n_threads);
}

std::vector<std::int32_t> iforest_tree_features(const std::uint64_t* column_keys, std::int64_t d,
                                                const IForestParams& params, std::int64_t tree) {
  const std::uint64_t stream = tree_stream(params.seed, tree, kFeatureSalt);
  std::vector<std::pair<std::uint64_t, std::int32_t>> keyed(static_cast<std::size_t>(d));
  for (std::int64_t j = 0; j < d; ++j) {
    keyed[static_cast<std::size_t>(j)] = {core::splitmix64_mix(column_keys[j] ^ stream),
                                          static_cast<std::int32_t>(j)};
  }
  const std::int64_t k = std::min(params.max_features, d);
  std::partial_sort(keyed.begin(), keyed.begin() + k, keyed.end());
  std::vector<std::int32_t> out(static_cast<std::size_t>(k));
  for (std::int64_t j = 0; j < k; ++j) out[static_cast<std::size_t>(j)] = keyed[j].second;
  return out;
}

namespace {

// Each row's key for the draws: its hash and copy number (identical rows differ in the
// latter).
std::vector<std::uint64_t> draw_row_keys(const std::uint64_t* hashes, const std::int64_t* copies,
                                         std::int64_t n, int n_threads) {
  std::vector<std::uint64_t> row_key(static_cast<std::size_t>(n));
  core::parallel_for(n, n_threads, [&](std::int64_t i) {
    row_key[static_cast<std::size_t>(i)] = core::splitmix64_mix(
        hashes[i] +
        core::splitmix64_mix(static_cast<std::uint64_t>(copies[i]) + 0x9E3779B97F4A7C15ULL));
  });
  return row_key;
}

// Trees [first, first + count)'s draws (iforest_draw_rows) into keys and rows, count x m
// each, m = min(n, max_samples) >= 1.
template <class T>
void draw_trees(const T* x, std::int64_t n, std::int64_t d, const std::uint64_t* row_key,
                const IForestParams& params, std::int64_t first, std::int64_t count, int n_threads,
                std::uint64_t* keys, std::int64_t* rows) {
  const std::int64_t m = std::min(n, params.max_samples);
  struct Pick {
    std::uint64_t key;
    std::int64_t row;
  };
  // (key, row values, row): a total order that does not depend on the rows' order except
  // between identical rows of equal keys, which identical rows never have.
  auto before = [&](const Pick& a, const Pick& b) {
    if (a.key != b.key) return a.key < b.key;
    const int order = core::compare_rows(x + a.row * d, x + b.row * d, d);
    return order != 0 ? order < 0 : a.row < b.row;
  };
  // pick into a full heap of a tree's m smallest, if it comes before the largest held.
  auto offer = [&](std::vector<Pick>& heap, std::uint64_t& top, const Pick& pick) {
    if (!before(pick, heap.front())) return;
    std::pop_heap(heap.begin(), heap.end(), before);
    heap.back() = pick;
    std::push_heap(heap.begin(), heap.end(), before);
    top = heap.front().key;
  };
  // Trees in groups of up to kDrawGroup, each group one pass over the rows: a row's key
  // is loaded once for its group's trees, and one finaliser keys two trees (pair p =
  // trees 2p and 2p + 1, stream p: tree 2p's key is the finaliser's value, tree 2p + 1's
  // the value with its 32-bit halves swapped, so each tree orders the rows first by
  // another half). Each tree keeps a max-heap of its m smallest picks so far (its top
  // the largest); a key above the top's is skipped at once (almost every key, once the
  // heap is full).
  const int threads = core::resolve_threads(n_threads);
  const std::int64_t group = std::clamp<std::int64_t>(count / threads, 1, kDrawGroup);
  auto key_of = [](std::uint64_t mixed, std::int64_t tree) {
    return tree % 2 == 0 ? mixed : (mixed << 32) | (mixed >> 32);
  };
  core::parallel_for_interruptible(
      core::div_up(count, group), threads,
      [&](std::int64_t g) {
        const std::int64_t begin = first + g * group;
        const std::int64_t end = std::min(first + count, begin + group);
        // The group's pairs: stream, and the heaps of its even and odd tree (-1: not here).
        const std::int64_t pair0 = begin / 2, pairs = (end - 1) / 2 - pair0 + 1;
        std::uint64_t stream[kDrawGroup], top[kDrawGroup + 1];
        std::int64_t even[kDrawGroup], odd[kDrawGroup];
        std::vector<Pick> heaps[kDrawGroup + 1];
        for (std::int64_t q = 0; q < pairs; ++q) {
          stream[q] = tree_stream(params.seed, pair0 + q, kRowSalt);
          even[q] = odd[q] = -1;
        }
        for (std::int64_t t = begin; t < end; ++t) {
          const std::int64_t q = t / 2 - pair0, h = t - begin;
          (t % 2 == 0 ? even : odd)[q] = h;
          std::vector<Pick>& heap = heaps[h];
          heap.reserve(static_cast<std::size_t>(m));
          for (std::int64_t i = 0; i < m; ++i) {
            heap.push_back({key_of(core::splitmix64_mix(row_key[i] ^ stream[q]), t), i});
          }
          std::make_heap(heap.begin(), heap.end(), before);
          top[h] = heap.front().key;
        }
        for (std::int64_t i = m; i < n; ++i) {
          const std::uint64_t key_of_row = row_key[i];
          for (std::int64_t q = 0; q < pairs; ++q) {
            const std::uint64_t mixed = core::splitmix64_mix(key_of_row ^ stream[q]);
            const std::uint64_t swapped = (mixed << 32) | (mixed >> 32);
            const std::int64_t e = even[q], o = odd[q];
            if (e >= 0 && mixed <= top[e]) offer(heaps[e], top[e], Pick{mixed, i});
            if (o >= 0 && swapped <= top[o]) offer(heaps[o], top[o], Pick{swapped, i});
          }
        }
        for (std::int64_t t = begin; t < end; ++t) {
          std::vector<Pick>& heap = heaps[t - begin];
          std::sort_heap(heap.begin(), heap.end(), before);
          const std::int64_t at = (t - first) * m;
          for (std::int64_t e = 0; e < m; ++e) {
            keys[at + e] = heap[static_cast<std::size_t>(e)].key;
            rows[at + e] = heap[static_cast<std::size_t>(e)].row;
          }
        }
      },
      1);
}

}  // namespace

template <class T>
IForestDraw iforest_draw_rows(const T* x, std::int64_t n, std::int64_t d,
                              const std::uint64_t* hashes, const std::int64_t* copies,
                              const IForestParams& params, int n_threads) {
  ODDSEQ_CHECK(params.n_estimators >= 1 && params.max_samples >= 1,
               "an isolation forest's draw needs n_estimators >= 1 and max_samples >= 1");
  IForestDraw draw;
  const std::int64_t m = std::min(n, params.max_samples);
  const std::int64_t trees = params.n_estimators;
  draw.per_tree = m;
  draw.keys.resize(static_cast<std::size_t>(trees * m));
  draw.rows.resize(static_cast<std::size_t>(trees * m));
  if (m == 0) return draw;
  const std::vector<std::uint64_t> row_key = draw_row_keys(hashes, copies, n, n_threads);
  draw_trees(x, n, d, row_key.data(), params, 0, trees, n_threads, draw.keys.data(),
             draw.rows.data());
  return draw;
}

template <class T>
IForest iforest_fit(const T* x, std::int64_t n, std::int64_t d, const IForestParams& params,
                    int n_threads) {
  check_params(n, d, params);
  ODDSEQ_CHECK((params.tree_rows == nullptr) == (params.column_keys == nullptr),
               "tree_rows and column_keys go together");
  // The draws: the columns' keys, and each tree's rows (row numbers of x): given, or
  // every row (max_samples = n: any order grows the same tree), or drawn per batch of
  // trees below (their rows held for that batch only: max_samples x batch).
  const std::int64_t trees = params.n_estimators;
  const std::int64_t m = params.max_samples;
  std::vector<std::uint64_t> column_keys, row_key;
  std::vector<std::int64_t> all_rows;
  const bool given = params.tree_rows != nullptr;
  if (!given) {
    const std::vector<double> floors = core::key_floors(x, n, d, n_threads);
    const std::vector<std::uint64_t> keys = core::column_keys(x, n, d, floors.data(), n_threads);
    column_keys = core::refined_column_keys_by(x, n, d, keys.data(), floors.data(), n_threads);
    if (m >= n) {
      all_rows.resize(static_cast<std::size_t>(n));
      std::iota(all_rows.begin(), all_rows.end(), std::int64_t{0});
    } else {
      const std::vector<std::uint64_t> hashes =
          core::draw_hashes(x, n, d, column_keys.data(), floors.data(), n_threads);
      const std::vector<std::int64_t> copies =
          core::copy_numbers(x, n, d, hashes.data(), n_threads);
      row_key = draw_row_keys(hashes.data(), copies.data(), n, n_threads);
    }
  } else {
    column_keys.assign(params.column_keys, params.column_keys + d);
    for (std::int64_t e = 0; e < trees * m; ++e) {
      ODDSEQ_CHECK(params.tree_rows[e] >= 0 && params.tree_rows[e] < n,
                   "tree_rows must be row numbers of x, got " << params.tree_rows[e]);
    }
  }
  std::vector<Tree> built(static_cast<std::size_t>(trees));
  // Large trees (a second each at a million rows) in batches of one per thread, with a
  // Ctrl-C check after each; small ones in one loop that polls every 16 trees.
  const int threads = core::resolve_threads(n_threads);
  const std::int64_t batch = m > 4096 ? threads : trees;
  std::vector<std::uint64_t> batch_keys;
  std::vector<std::int64_t> batch_rows;
  for (std::int64_t first = 0; first < trees; first += batch) {
    const std::int64_t count = std::min(batch, trees - first);
    if (!row_key.empty()) {
      batch_keys.resize(static_cast<std::size_t>(count * m));
      batch_rows.resize(static_cast<std::size_t>(count * m));
      draw_trees(x, n, d, row_key.data(), params, first, count, threads, batch_keys.data(),
                 batch_rows.data());
      core::throw_if_interrupted();
    }
    auto rows_of = [&](std::int64_t t) -> const std::int64_t* {
      if (given) return params.tree_rows + t * m;
      if (!all_rows.empty()) return all_rows.data();
      return batch_rows.data() + (t - first) * m;
    };
    core::parallel_for_interruptible(
        count, threads,
        [&](std::int64_t i) {
          const std::int64_t t = first + i;
          built[static_cast<std::size_t>(t)] =
              build_tree(x, d, params, t, rows_of(t), m,
                         iforest_tree_features(column_keys.data(), d, params, t));
        },
        1);
    if (first + batch < trees) core::throw_if_interrupted();
  }

  IForest forest;
  forest.n_features = d;
  forest.max_samples = params.max_samples;
  forest.tree_features = params.max_features;
  forest.extended = params.extended;
  forest.tree_offsets.assign(1, 0);
  std::int64_t rows_of_normals = 0;
  for (Tree& tree : built) {
    const std::int64_t nodes = static_cast<std::int64_t>(tree.left.size());
    forest.tree_offsets.push_back(forest.tree_offsets.back() + nodes);
    forest.features.insert(forest.features.end(), tree.features.begin(), tree.features.end());
    forest.left.insert(forest.left.end(), tree.left.begin(), tree.left.end());
    if (params.extended) {
      for (std::int32_t& s : tree.split) {
        if (s >= 0) s += static_cast<std::int32_t>(rows_of_normals);
      }
      rows_of_normals += static_cast<std::int64_t>(tree.normals.size()) / params.max_features;
      ODDSEQ_CHECK(rows_of_normals < std::numeric_limits<std::int32_t>::max(),
                   "too many hyperplanes for one forest");
    }
    forest.split.insert(forest.split.end(), tree.split.begin(), tree.split.end());
    forest.threshold.insert(forest.threshold.end(), tree.threshold.begin(), tree.threshold.end());
    forest.n_samples.insert(forest.n_samples.end(), tree.n_samples.begin(), tree.n_samples.end());
    forest.normals.insert(forest.normals.end(), tree.normals.begin(), tree.normals.end());
    tree = Tree();
  }
  return forest;
}

template <class T>
void iforest_score(const IForestView& forest, const T* x, std::int64_t n, int n_threads,
                   double* scores, double* contributions) {
  const std::int64_t trees = forest.n_trees;
  const std::int64_t d = forest.n_features;
  const std::int64_t k = forest.tree_features;
  const std::size_t nodes = static_cast<std::size_t>(forest.n_nodes);
  ODDSEQ_CHECK(trees >= 1, "the forest has no trees");
  ODDSEQ_CHECK(forest.tree_offsets[0] == 0 && forest.tree_offsets[trees] == forest.n_nodes,
               "inconsistent forest arrays");
  for (std::size_t i = 0; i < nodes; ++i) {
    const std::int32_t s = forest.split[i];
    if (forest.left[i] < 0) continue;
    ODDSEQ_CHECK(s >= 0, "internal node without a split");
    if (forest.extended) {
      ODDSEQ_CHECK((static_cast<std::int64_t>(s) + 1) * k <= forest.n_normals,
                   "hyperplane index out of range");
    } else {
      ODDSEQ_CHECK(s < d, "split feature out of range");
    }
  }
  for (std::int64_t f = 0; f < trees * k; ++f) {
    ODDSEQ_CHECK(forest.features[f] >= 0 && forest.features[f] < d, "tree feature out of range");
  }
  for (std::int64_t t = 0; t < trees; ++t) {
    ODDSEQ_CHECK(forest.tree_offsets[t + 1] >= forest.tree_offsets[t], "tree offsets decrease");
    const std::int64_t size = forest.tree_offsets[t + 1] - forest.tree_offsets[t];
    for (std::int64_t i = forest.tree_offsets[t]; i < forest.tree_offsets[t + 1]; ++i) {
      const std::int32_t l = forest.left[i];
      ODDSEQ_CHECK(l < 0 || (l > i - forest.tree_offsets[t] && l + 1 < size),
                   "child index out of range");
    }
  }

  // Per node, for explanations: log2 of its training rows (an empty node counts as one).
  std::vector<double> log_rows(contributions != nullptr ? nodes : 0);
  for (std::size_t i = 0; i < log_rows.size(); ++i) {
    log_rows[i] = std::log2(std::max(1.0, static_cast<double>(forest.n_samples[i])));
  }
  const double denominator =
      static_cast<double>(trees) * average_path_length(static_cast<double>(forest.max_samples));
  // The nodes packed for the walk: 16 bytes each, the leaf's remaining expected path
  // length in place of a threshold.
  std::vector<Node> packed(nodes);
  for (std::size_t i = 0; i < nodes; ++i) {
    const bool leaf = forest.left[i] < 0;
    packed[i] = {
        leaf ? average_path_length(static_cast<double>(forest.n_samples[i])) : forest.threshold[i],
        forest.left[i], forest.split[i]};
  }
  const Node* tree_nodes = packed.data();
  const double* normals = forest.normals;
  const bool extended = forest.extended;

  constexpr std::int64_t kBlock = 64;
  const std::int64_t blocks = core::div_up(n, kBlock);
  core::parallel_for_interruptible(
      blocks, n_threads,
      [&](std::int64_t b) {
        const std::int64_t begin = b * kBlock;
        const std::int64_t end = std::min(n, begin + kBlock);
        double depth[kBlock] = {};
        std::vector<double> gathered(static_cast<std::size_t>(extended ? k : 0));
        if (contributions != nullptr) {
          std::fill(contributions + begin * d, contributions + end * d, 0.0);
        }
        // Tree by tree over the block, so a tree stays in cache; each row still sums
        // its trees in order.
        for (std::int64_t t = 0; t < trees; ++t) {
          const Node* tree = tree_nodes + forest.tree_offsets[t];
          const std::int32_t* features = forest.features + t * k;
          if (!extended && contributions == nullptr) {
            // Eight rows walk the tree side by side, so their node loads overlap.
            constexpr std::int64_t kLanes = 8;
            for (std::int64_t r0 = begin; r0 < end; r0 += kLanes) {
              const std::int64_t lanes = std::min(kLanes, end - r0);
              const Node* at[kLanes];
              int length[kLanes];
              for (std::int64_t l = 0; l < lanes; ++l) {
                at[l] = tree;
                length[l] = 0;
              }
              for (bool moving = true; moving;) {
                moving = false;
                for (std::int64_t l = 0; l < lanes; ++l) {
                  const Node* node = at[l];
                  if (node->left < 0) continue;
                  const T* row = x + (r0 + l) * d;
                  at[l] = tree + node->left +
                          (static_cast<double>(row[node->split]) <= node->value ? 0 : 1);
                  ++length[l];
                  moving = true;
                }
              }
              for (std::int64_t l = 0; l < lanes; ++l) {
                depth[r0 - begin + l] += length[l] + at[l]->value;
              }
            }
            continue;
          }
          for (std::int64_t r = begin; r < end; ++r) {
            const T* row = x + r * d;
            double* credit = contributions != nullptr ? contributions + r * d : nullptr;
            const Node* node = tree;
            int length = 0;
            {
              if (extended) {
                for (std::int64_t j = 0; j < k; ++j) {
                  gathered[static_cast<std::size_t>(j)] = static_cast<double>(row[features[j]]);
                }
              }
              while (node->left >= 0) {
                const std::int32_t s = node->split;
                const double* w = extended ? normals + static_cast<std::int64_t>(s) * k : nullptr;
                const bool go_left = extended ? dot(w, gathered.data(), k) <= node->value
                                              : static_cast<double>(row[s]) <= node->value;
                const Node* child = tree + node->left + (go_left ? 0 : 1);
                if (credit != nullptr) {
                  const double cut = log_rows[static_cast<std::size_t>(node - tree_nodes)] -
                                     log_rows[static_cast<std::size_t>(child - tree_nodes)];
                  if (!extended) {
                    credit[s] += cut;
                  } else {
                    const double norm = dot(w, w, k);
                    if (norm > 0) {
                      for (std::int64_t j = 0; j < k; ++j)
                        credit[features[j]] += cut * w[j] * w[j] / norm;
                    }
                  }
                }
                node = child;
                ++length;
              }
            }
            depth[r - begin] += length + node->value;
          }
        }
        for (std::int64_t r = begin; r < end; ++r) {
          // One row per tree (max_samples = 1) has c = 0; scikit-learn scores 0.5 then.
          scores[r] = denominator > 0 ? std::exp2(-depth[r - begin] / denominator) : 0.5;
          if (contributions != nullptr) {
            for (std::int64_t j = 0; j < d; ++j)
              contributions[r * d + j] /= static_cast<double>(trees);
          }
        }
      },
      4);
}

template IForest iforest_fit<float>(const float*, std::int64_t, std::int64_t, const IForestParams&,
                                    int);
template IForest iforest_fit<double>(const double*, std::int64_t, std::int64_t,
                                     const IForestParams&, int);
template std::vector<std::uint64_t> iforest_column_keys<float>(const float*, std::int64_t,
                                                               std::int64_t, const std::uint64_t*,
                                                               const double*, int);
template std::vector<std::uint64_t> iforest_column_keys<double>(const double*, std::int64_t,
                                                                std::int64_t, const std::uint64_t*,
                                                                const double*, int);
template IForestDraw iforest_draw_rows<float>(const float*, std::int64_t, std::int64_t,
                                              const std::uint64_t*, const std::int64_t*,
                                              const IForestParams&, int);
template IForestDraw iforest_draw_rows<double>(const double*, std::int64_t, std::int64_t,
                                               const std::uint64_t*, const std::int64_t*,
                                               const IForestParams&, int);
template void iforest_score<float>(const IForestView&, const float*, std::int64_t, int, double*,
                                   double*);
template void iforest_score<double>(const IForestView&, const double*, std::int64_t, int, double*,
                                    double*);

}  // namespace oddseq::detect
