#pragma once
// Isolation Forest (Liu, Ting & Zhou 2008) and its extended variant with random
// hyperplane cuts (Hariri, Kind & Brunner 2019). Trees are stored flat: one set of arrays
// for the whole forest, nodes of tree t at [tree_offsets[t], tree_offsets[t + 1]), the
// children of an internal node next to each other (right = left + 1), indices local to
// the tree. Each tree draws from its own generator seeded by (seed, tree index), so the
// forest is the same for any thread count.
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
  // oddseq.dask does): the data's row count, and for each row of x its row number
  // there, sorted (the rows iforest_sample_rows gives). 0 and null: x is the data.
  std::int64_t n_rows = 0;
  const std::int64_t* row_ids = nullptr;
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

// Builds the forest from x (n x d, row-major); trees in parallel. With params.row_ids,
// x holds only the drawn rows of a data set of params.n_rows rows, and the forest is
// the one iforest_fit on that whole data set builds.
template <class T>
IForest iforest_fit(const T* x, std::int64_t n, std::int64_t d, const IForestParams& params,
                    int n_threads);

// The rows of a data set of n rows and d features that the trees of
// iforest_fit(params) draw, sorted and distinct (params.row_ids is ignored).
std::vector<std::int64_t> iforest_sample_rows(std::int64_t n, std::int64_t d,
                                              const IForestParams& params);

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
