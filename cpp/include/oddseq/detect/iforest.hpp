#pragma once
// Isolation Forest (Liu, Ting & Zhou 2008) and its extended variant with random
// hyperplane cuts (Hariri, Kind & Brunner 2019). Trees are stored flat: one set of arrays
// for the whole forest, nodes of tree t at [tree_offsets[t], tree_offsets[t + 1]), the
// children of an internal node next to each other (right = left + 1), indices local to
// the tree. Each tree draws from its own generator seeded by (seed, tree index), so the
// forest is the same for any thread count. The draws are keyed by content, not position
// (iforest_draw_rows, iforest_tree_features): reordering the rows or the columns of the
// data grows the same forest (its splits naming the same columns where they moved).
#include <cstdint>
#include <vector>

namespace oddseq::detect {

struct IForestParams {
  std::int64_t n_estimators = 100;
  std::int64_t max_samples = 256;  // rows drawn without replacement per tree, <= n
  std::int64_t max_features = 0;   // features drawn per tree, in [1, d]
  bool extended = false;           // random hyperplanes over the tree's features
  std::uint64_t seed = 0;
  // When x holds only the rows the trees draw (gathered from a larger data set, as
  // oddseq.dask does): each tree's rows as row numbers of x (n_estimators x max_samples,
  // each tree's in its draw's order) and the data's column keys (iforest_column_keys
  // summed over the data). Both null: x is the data, and both are drawn from it.
  const std::int64_t* tree_rows = nullptr;
  const std::uint64_t* column_keys = nullptr;
};

struct IForest {
  std::int64_t n_features = 0;
  std::int64_t max_samples = 0;
  std::int64_t tree_features = 0;  // features per tree (k)
  bool extended = false;
  std::vector<std::int64_t> tree_offsets;  // n_trees + 1, first node of each tree
  std::vector<std::int32_t> features;      // n_trees x k, the features each tree uses
  std::vector<std::int32_t> left;          // per node: left child (local), -1 at a leaf
  // per internal node: the split feature (axis-parallel) or the row of `normals`
  // (extended); -1 at a leaf
  std::vector<std::int32_t> split;
  std::vector<double> threshold;        // go left when x[f] <= t (or x . normal <= t)
  std::vector<std::int32_t> n_samples;  // training rows that reached the node
  std::vector<double> normals;          // extended: one row of k weights per split

  std::int64_t n_trees() const { return static_cast<std::int64_t>(tree_offsets.size()) - 1; }
};

// A fitted forest as scoring reads it: IForest's flat arrays by pointer, so a forest kept
// elsewhere (NumPy arrays the Python estimator holds) is scored without a copy.
struct IForestView {
  std::int64_t n_features = 0;
  std::int64_t max_samples = 0;
  std::int64_t tree_features = 0;  // k
  bool extended = false;
  std::int64_t n_trees = 0;    // tree_offsets holds n_trees + 1
  std::int64_t n_nodes = 0;    // left, split, threshold, n_samples
  std::int64_t n_normals = 0;  // values in normals (rows of k)
  const std::int64_t* tree_offsets = nullptr;
  const std::int32_t* features = nullptr;  // n_trees x k
  const std::int32_t* left = nullptr;
  const std::int32_t* split = nullptr;
  const double* threshold = nullptr;
  const std::int32_t* n_samples = nullptr;
  const double* normals = nullptr;
};

// c(n): the average path length of an unsuccessful search in a binary search tree of n
// points, as scikit-learn computes it (0 for n <= 1, 1 for n = 2).
double average_path_length(double n);
void average_path_lengths(const double* n, std::int64_t size, double* out);

// Builds the forest from x (n x d, row-major); trees in parallel, each batch of trees
// drawn just before it is built (its rows held for that batch only); with max_samples =
// n every tree takes every row, undrawn. With params.tree_rows and params.column_keys,
// x holds only the drawn rows of a larger data set, and the forest is the one
// iforest_fit on that whole data set builds.
template <class T>
IForest iforest_fit(const T* x, std::int64_t n, std::int64_t d, const IForestParams& params,
                    int n_threads);

// Each column's key for the draws of the trees' features: core::refined_column_keys over
// the rows' core::row_hashes of core::column_keys (wrapping sums over the rows: a data
// set cut into parts sums its parts' keys). hashes: those row hashes; floors: the data's
// core::key_floors (the largest of its parts').
template <class T>
std::vector<std::uint64_t> iforest_column_keys(const T* x, std::int64_t n, std::int64_t d,
                                               const std::uint64_t* hashes, const double* floors,
                                               int n_threads);

// Tree t's features: the max_features columns of smallest finaliser of (column key ^ the
// tree's feature stream), smallest first; columns of equal keys (the same values on
// every row, or equal to the keys' rounding on every row, or a symmetry of the table) by
// their position.
std::vector<std::int32_t> iforest_tree_features(const std::uint64_t* column_keys, std::int64_t d,
                                                const IForestParams& params, std::int64_t tree);

// Each tree's rows, drawn by a bottom-k sample keyed by content: row i's row key is the
// finaliser of (hashes[i] + the finaliser of its copy number), and its key in trees 2p
// and 2p + 1 the finaliser of (row key ^ the stream of pair p), its 32-bit halves swapped
// for the odd tree (one finaliser for two trees, each ordering by another half). A tree
// takes the max_samples rows of smallest (key, row values, row) (fewer where n is
// smaller), smallest first. hashes: the rows' core::draw_hashes by iforest_column_keys;
// copies: core::copy_numbers (over the whole data set where x is a part of it).
// Identical rows have different copy numbers, so the multiset of values each tree draws
// depends on neither the order of the rows nor that of the columns (but for rows no
// content key tells apart: a symmetry of the table, where equal keys are ordered by the
// values, column by column). Returns n_estimators x m' keys and rows of x, m' = min(n,
// max_samples). The same for any thread count.
struct IForestDraw {
  std::int64_t per_tree = 0;
  std::vector<std::uint64_t> keys;
  std::vector<std::int64_t> rows;
};
template <class T>
IForestDraw iforest_draw_rows(const T* x, std::int64_t n, std::int64_t d,
                              const std::uint64_t* hashes, const std::int64_t* copies,
                              const IForestParams& params, int n_threads);

// Per row of x (n x d): the anomaly score 2^(-E[h(x)] / c(max_samples)) in (0, 1] into
// scores; with contributions (n x d, may be null), per feature the average over trees of
// log2(rows at the node / rows in the child the row goes to) for every split on its path
// (an empty child counts as one row), split across a hyperplane's features by their
// share w_j^2 / |w|^2 of its direction. Rows in parallel; polls for Ctrl-C. The forest's
// arrays are checked for consistency first (std::invalid_argument naming what is wrong).
template <class T>
void iforest_score(const IForestView& forest, const T* x, std::int64_t n, int n_threads,
                   double* scores, double* contributions);

}  // namespace oddseq::detect
