#include "common.hpp"
#include "oddseq/core/content_hash.hpp"
#include "oddseq/detect/iforest.hpp"
#include "oddseq/detect/markov.hpp"

namespace oddseq::bindings {

namespace {

using detect::MarkovModel;

void check_sequences(const CArray<std::int64_t>& offsets, const CArray<std::int32_t>& codes,
                     std::int32_t n_events) {
  if (offsets.ndim() != 1 || offsets.size() < 1) throw std::invalid_argument("bad offsets");
  const std::int64_t* o = offsets.data();
  const std::int64_t n = offsets.size() - 1;
  if (o[0] != 0 || o[n] != codes.size()) {
    throw std::invalid_argument("offsets do not describe the codes");
  }
  for (std::int64_t s = 0; s < n; ++s) {
    if (o[s + 1] < o[s]) throw std::invalid_argument("offsets must not decrease");
  }
  const std::int32_t* c = codes.data();
  for (std::int64_t i = 0; i < codes.size(); ++i) {
    if (c[i] < 0 || c[i] > n_events) throw std::invalid_argument("event code out of range");
  }
}

void fit(MarkovModel& model, const CArray<std::int64_t>& offsets,
         const CArray<std::int32_t>& codes) {
  check_sequences(offsets, codes, model.n_events());
  py::gil_scoped_release release;
  model.fit(offsets.data(), offsets.size() - 1, codes.data());
}

py::array_t<double> score(const MarkovModel& model, const CArray<std::int64_t>& offsets,
                          const CArray<std::int32_t>& codes, int top_g, int n_threads) {
  check_sequences(offsets, codes, model.n_events());
  const std::int64_t n = offsets.size() - 1;
  py::array_t<double> out(
      {static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(MarkovModel::kColumns)});
  double* data = out.mutable_data();
  {
    py::gil_scoped_release release;  // parallel over sequences, polls Ctrl-C
    model.score(offsets.data(), n, codes.data(), top_g, n_threads, data);
  }
  return out;
}

// What MarkovModel.explain returns to Python: a read-only record read by name.
struct Steps {
  py::array positions;  // sequences + 1: each sequence's steps in the arrays below
  py::array surprisal;  // steps: bits
  py::array rank;       // steps: the next event's rank among the model's predictions
  py::array likely;     // steps: the most likely next event
};

Steps explain(const MarkovModel& model, const CArray<std::int64_t>& offsets,
              const CArray<std::int32_t>& codes) {
  check_sequences(offsets, codes, model.n_events());
  std::vector<std::int64_t> positions;
  std::vector<double> surprisal;
  std::vector<std::int32_t> rank, likely;
  {
    py::gil_scoped_release release;
    model.explain(offsets.data(), offsets.size() - 1, codes.data(), positions, surprisal, rank,
                  likely);
  }
  return {to_numpy(std::move(positions)), to_numpy(std::move(surprisal)), to_numpy(std::move(rank)),
          to_numpy(std::move(likely))};
}

// What iforest_fit returns: the fitted forest's flat arrays as a read-only record read by
// name (the estimator keeps them; nothing is held in C++ between calls).
struct ForestTrees {
  py::array tree_offsets;  // n_trees + 1: the first node of each tree
  py::array features;      // (n_trees, k): the features each tree uses
  py::array left;          // per node: the left child within the tree, -1 at a leaf
  py::array split;         // per node: the feature, or the row of normals when extended
  py::array threshold;     // per node: go left when the value is <= it
  py::array n_samples;     // per node: training rows that reached it
  py::array normals;       // (n_planes, k): the hyperplanes' weights (extended)
};

template <class T>
ForestTrees iforest_fit(const CArray<T>& x, std::int64_t n_estimators, std::int64_t max_samples,
                        std::int64_t max_features, bool extended, std::uint64_t seed, int n_threads,
                        const std::optional<CArray<std::int64_t>>& tree_rows,
                        const std::optional<CArray<std::uint64_t>>& column_keys) {
  if (x.ndim() != 2) throw std::invalid_argument("X must be 2-D");
  detect::IForestParams params;
  params.n_estimators = n_estimators;
  params.max_samples = max_samples;
  params.max_features = max_features;
  params.extended = extended;
  params.seed = seed;
  if (tree_rows.has_value() != column_keys.has_value()) {
    throw std::invalid_argument("tree_rows and column_keys go together");
  }
  if (tree_rows) {  // x holds only the drawn rows of a larger data set
    if (tree_rows->ndim() != 2 || tree_rows->shape(0) != n_estimators ||
        tree_rows->shape(1) != max_samples) {
      throw std::invalid_argument("tree_rows must be n_estimators x max_samples");
    }
    if (column_keys->ndim() != 1 || column_keys->shape(0) != x.shape(1)) {
      throw std::invalid_argument("column_keys must hold one key per column of x");
    }
    params.tree_rows = tree_rows->data();
    params.column_keys = column_keys->data();
  }
  detect::IForest forest;
  {
    py::gil_scoped_release release;  // trees built on OpenMP threads; polls for Ctrl-C
    forest = detect::iforest_fit(x.data(), x.shape(0), x.shape(1), params, n_threads);
  }
  const std::int64_t trees = forest.n_trees();
  const std::int64_t k = forest.tree_features;
  const std::int64_t planes = static_cast<std::int64_t>(forest.normals.size()) / k;
  return {to_numpy(std::move(forest.tree_offsets)),
          to_numpy_2d(std::move(forest.features), trees, k),
          to_numpy(std::move(forest.left)),
          to_numpy(std::move(forest.split)),
          to_numpy(std::move(forest.threshold)),
          to_numpy(std::move(forest.n_samples)),
          to_numpy_2d(std::move(forest.normals), planes, k)};
}

template <class T>
py::array_t<std::uint64_t> column_keys(const CArray<T>& x,
                                       const py::array_t<std::uint64_t, py::array::c_style>& hashes,
                                       int n_threads, const std::optional<CArray<double>>& floors) {
  if (x.ndim() != 2) throw std::invalid_argument("X must be 2-D");
  if (hashes.size() != x.shape(0)) {
    throw std::invalid_argument("hashes length differs from the number of rows");
  }
  const std::vector<double> by = key_floors_for(x, floors, true, n_threads);
  std::vector<std::uint64_t> keys;
  {
    py::gil_scoped_release release;
    keys = detect::iforest_column_keys(x.data(), x.shape(0), x.shape(1), hashes.data(), by.data(),
                                       n_threads);
  }
  return to_numpy(std::move(keys));
}

template <class T>
py::array_t<std::int64_t> copy_numbers(const CArray<T>& x,
                                       const py::array_t<std::uint64_t, py::array::c_style>& hashes,
                                       int n_threads) {
  if (x.ndim() != 2) throw std::invalid_argument("X must be 2-D");
  if (hashes.size() != x.shape(0)) {
    throw std::invalid_argument("hashes length differs from the number of rows");
  }
  std::vector<std::int64_t> copies;
  {
    py::gil_scoped_release release;
    copies = core::copy_numbers(x.data(), x.shape(0), x.shape(1), hashes.data(), n_threads);
  }
  return to_numpy(std::move(copies));
}

template <class T>
py::tuple draw_rows(const CArray<T>& x,
                    const py::array_t<std::uint64_t, py::array::c_style>& hashes,
                    const CArray<std::int64_t>& copies, std::int64_t n_estimators,
                    std::int64_t max_samples, std::uint64_t seed, int n_threads) {
  if (x.ndim() != 2) throw std::invalid_argument("X must be 2-D");
  if (hashes.size() != x.shape(0) || copies.size() != x.shape(0)) {
    throw std::invalid_argument("hashes and copies need one value per row");
  }
  detect::IForestParams params;
  params.n_estimators = n_estimators;
  params.max_samples = max_samples;
  params.seed = seed;
  detect::IForestDraw draw;
  {
    py::gil_scoped_release release;
    draw = detect::iforest_draw_rows(x.data(), x.shape(0), x.shape(1), hashes.data(), copies.data(),
                                     params, n_threads);
  }
  const std::int64_t per_tree = draw.per_tree;
  return py::make_tuple(to_numpy_2d(std::move(draw.keys), n_estimators, per_tree),
                        to_numpy_2d(std::move(draw.rows), n_estimators, per_tree));
}

// A fitted forest (the estimator's forest_ arrays) held by reference and checked once:
// scoring reads the arrays in place through the core's IForestView.
struct ForestView {
  CArray<std::int64_t> tree_offsets;
  CArray<std::int32_t> features, left, split, n_samples;
  CArray<double> threshold, normals;
  detect::IForestView view;
};

ForestView make_forest_view(CArray<std::int64_t> tree_offsets, CArray<std::int32_t> features,
                            CArray<std::int32_t> left, CArray<std::int32_t> split,
                            CArray<double> threshold, CArray<std::int32_t> n_samples,
                            CArray<double> normals, std::int64_t n_features,
                            std::int64_t max_samples, bool extended) {
  if (features.ndim() != 2 || normals.ndim() != 2) {
    throw std::invalid_argument("features and normals must be 2-D");
  }
  if (tree_offsets.ndim() != 1 || tree_offsets.size() < 2 || tree_offsets.data()[0] != 0) {
    throw std::invalid_argument("tree_offsets must start at 0 and describe at least one tree");
  }
  const std::int64_t trees = tree_offsets.size() - 1;
  const std::int64_t nodes = left.size();
  if (split.size() != nodes || threshold.size() != nodes || n_samples.size() != nodes ||
      tree_offsets.data()[trees] != nodes) {
    throw std::invalid_argument(
        "left, split, threshold and n_samples must hold one value per node of tree_offsets");
  }
  if (features.shape(0) != trees || (normals.size() > 0 && normals.shape(1) != features.shape(1))) {
    throw std::invalid_argument("features must be (n_trees, k) and normals (n_planes, k)");
  }
  if (n_features < 1 || max_samples < 1) {
    throw std::invalid_argument("n_features and max_samples must be >= 1");
  }
  ForestView out{tree_offsets, features, left, split, n_samples, threshold, normals, {}};
  detect::IForestView& v = out.view;
  v.n_features = n_features;
  v.max_samples = max_samples;
  v.tree_features = features.shape(1);
  v.extended = extended;
  v.n_trees = trees;
  v.n_nodes = nodes;
  v.n_normals = normals.size();
  v.tree_offsets = out.tree_offsets.data();
  v.features = out.features.data();
  v.left = out.left.data();
  v.split = out.split.data();
  v.threshold = out.threshold.data();
  v.n_samples = out.n_samples.data();
  v.normals = out.normals.data();
  return out;
}

// What iforest_score returns: a read-only record read by name.
struct ForestScores {
  py::array scores;          // n: 2^(-E[h(x)] / c(max_samples)), in (0, 1]
  py::object contributions;  // n x d per-feature credits, or None without explain
};

template <class T>
ForestScores iforest_score(const CArray<T>& x, const ForestView& forest, bool explain,
                           int n_threads) {
  require_matrix(x, "X");
  if (x.shape(1) != forest.view.n_features) {
    throw std::invalid_argument("X has " + std::to_string(x.shape(1)) + " features, the forest " +
                                std::to_string(forest.view.n_features));
  }
  const std::int64_t n = x.shape(0), d = x.shape(1);
  py::array_t<double> scores(static_cast<py::ssize_t>(n));
  py::object contributions = py::none();
  double* c = nullptr;
  if (explain) {
    py::array_t<double> buffer({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(d)});
    c = buffer.mutable_data();
    contributions = buffer;
  }
  double* s = scores.mutable_data();
  {
    py::gil_scoped_release release;  // rows on OpenMP threads; polls for Ctrl-C
    detect::iforest_score(forest.view, x.data(), n, n_threads, s, c);
  }
  return {scores, contributions};
}

py::array_t<double> average_path_length(const CArray<double>& n) {
  py::array_t<double> out(n.size());
  detect::average_path_lengths(n.data(), n.size(), out.mutable_data());
  return out;
}

py::array_t<std::uint64_t> sequence_keys(const CArray<std::int64_t>& codes,
                                         const CArray<std::int64_t>& offsets,
                                         const std::optional<CArray<std::int64_t>>& times,
                                         int n_threads) {
  if (codes.ndim() != 1 || offsets.ndim() != 1 || offsets.size() < 1) {
    throw std::invalid_argument("codes and offsets must be 1-D, offsets not empty");
  }
  const std::int64_t* o = offsets.data();
  const std::int64_t n = offsets.size() - 1;
  if (o[n] - o[0] != codes.size()) throw std::invalid_argument("offsets do not describe the codes");
  for (std::int64_t s = 0; s < n; ++s) {
    if (o[s + 1] < o[s]) throw std::invalid_argument("offsets must not decrease");
  }
  if (times.has_value() && (times->ndim() != 1 || times->size() != codes.size())) {
    throw std::invalid_argument("times must hold one time per code");
  }
  std::vector<std::uint64_t> keys;
  {
    py::gil_scoped_release release;
    keys = core::sequence_keys(codes.data(), data_or_null(times), o, n, n_threads);
  }
  return to_numpy(std::move(keys));
}

// Checks codes (in [0, n_types)), offsets and times for the type keys.
void check_typed(const CArray<std::int64_t>& codes, const CArray<std::int64_t>& offsets,
                 const std::optional<CArray<std::int64_t>>& times, std::int64_t n_types) {
  if (codes.ndim() != 1 || offsets.ndim() != 1 || offsets.size() < 1) {
    throw std::invalid_argument("codes and offsets must be 1-D, offsets not empty");
  }
  const std::int64_t* o = offsets.data();
  const std::int64_t n = offsets.size() - 1;
  if (o[n] - o[0] != codes.size()) throw std::invalid_argument("offsets do not describe the codes");
  for (std::int64_t s = 0; s < n; ++s) {
    if (o[s + 1] < o[s]) throw std::invalid_argument("offsets must not decrease");
  }
  if (times.has_value() && (times->ndim() != 1 || times->size() != codes.size())) {
    throw std::invalid_argument("times must hold one time per code");
  }
  if (n_types < 0) throw std::invalid_argument("n_types must be >= 0");
  const std::int64_t* c = codes.data();
  for (std::int64_t i = 0; i < codes.size(); ++i) {
    if (c[i] < 0 || c[i] >= n_types) throw std::invalid_argument("event code out of range");
  }
}

py::array_t<std::uint64_t> type_keys(const CArray<std::int64_t>& codes,
                                     const CArray<std::int64_t>& offsets,
                                     const std::optional<CArray<std::int64_t>>& times,
                                     std::int64_t n_types, int n_threads) {
  check_typed(codes, offsets, times, n_types);
  std::vector<std::uint64_t> keys;
  {
    py::gil_scoped_release release;  // two passes over the events on OpenMP threads
    keys = core::sequence_type_keys(codes.data(), data_or_null(times), offsets.data(),
                                    offsets.size() - 1, n_types, n_threads);
  }
  return to_numpy(std::move(keys));
}

py::array_t<std::uint64_t> sequence_keys_by_type(const CArray<std::int64_t>& codes,
                                                 const CArray<std::int64_t>& offsets,
                                                 const std::optional<CArray<std::int64_t>>& times,
                                                 std::int64_t n_types, int n_threads) {
  check_typed(codes, offsets, times, n_types);
  std::vector<std::uint64_t> keys;
  {
    py::gil_scoped_release release;  // four passes over the events on OpenMP threads
    keys = core::sequence_keys_by_type(codes.data(), data_or_null(times), offsets.data(),
                                       offsets.size() - 1, n_types, n_threads);
  }
  return to_numpy(std::move(keys));
}

}  // namespace

void register_detect(py::module_& m) {
  py::class_<Steps>(m, "MarkovSteps", "Each step's surprisal and prediction (MarkovModel.explain).")
      .def_readonly("positions", &Steps::positions)
      .def_readonly("surprisal", &Steps::surprisal)
      .def_readonly("rank", &Steps::rank)
      .def_readonly("likely", &Steps::likely);
  py::class_<MarkovModel>(m, "MarkovModel")
      .def(py::init<std::int32_t, int, double, bool>(), py::arg("n_events"), py::arg("order"),
           py::arg("discount"), py::arg("end_symbol"))
      .def("fit", &fit, py::arg("offsets").noconvert(), py::arg("codes").noconvert())
      .def("score", &score, py::arg("offsets").noconvert(), py::arg("codes").noconvert(),
           py::arg("top_g"), py::arg("n_threads"))
      .def("explain", &explain, py::arg("offsets").noconvert(), py::arg("codes").noconvert());
  py::class_<ForestTrees>(m, "IForestTrees",
                          "A fitted isolation forest's flat arrays (iforest_fit).")
      .def_readonly("tree_offsets", &ForestTrees::tree_offsets)
      .def_readonly("features", &ForestTrees::features)
      .def_readonly("left", &ForestTrees::left)
      .def_readonly("split", &ForestTrees::split)
      .def_readonly("threshold", &ForestTrees::threshold)
      .def_readonly("n_samples", &ForestTrees::n_samples)
      .def_readonly("normals", &ForestTrees::normals);
  // tree_rows / column_keys: x holds only the rows the trees draw (gathered from
  // partitions by oddseq.dask: iforest_draw_rows per partition, the smallest keys over
  // them), each tree's as row numbers of x, and the data's iforest_column_keys.
  m.def("iforest_fit", &iforest_fit<float>, py::arg("x").noconvert(), py::arg("n_estimators"),
        py::arg("max_samples"), py::arg("max_features"), py::arg("extended"), py::arg("seed"),
        py::arg("n_threads"), py::kw_only(), py::arg("tree_rows").noconvert() = py::none(),
        py::arg("column_keys").noconvert() = py::none());
  m.def("iforest_fit", &iforest_fit<double>, py::arg("x").noconvert(), py::arg("n_estimators"),
        py::arg("max_samples"), py::arg("max_features"), py::arg("extended"), py::arg("seed"),
        py::arg("n_threads"), py::kw_only(), py::arg("tree_rows").noconvert() = py::none(),
        py::arg("column_keys").noconvert() = py::none());
  m.def("iforest_column_keys", &column_keys<float>, py::arg("x").noconvert(),
        py::arg("hashes").noconvert(), py::arg("n_threads"), py::kw_only(),
        py::arg("floors").noconvert() = py::none());
  m.def("iforest_column_keys", &column_keys<double>, py::arg("x").noconvert(),
        py::arg("hashes").noconvert(), py::arg("n_threads"), py::kw_only(),
        py::arg("floors").noconvert() = py::none(),
        "Each column's share of the key the trees' features are drawn by (wrapping sums over "
        "these rows; hashes: the rows' kmeans_row_hashes of kmeans_column_keys; floors: the "
        "data's kmeans_key_floors, default these rows').");
  m.def("content_sequence_keys", &sequence_keys, py::arg("codes").noconvert(),
        py::arg("offsets").noconvert(), py::arg("times").noconvert(), py::arg("n_threads"),
        "Each sequence's 64-bit key by its events' codes and times (int64; times None "
        "where there are none) and their steps: the same wherever the sequence stands.");
  m.def("content_type_keys", &type_keys, py::arg("codes").noconvert(),
        py::arg("offsets").noconvert(), py::arg("times").noconvert(), py::arg("n_types"),
        py::arg("n_threads"),
        "Each event type's 64-bit key by where its events stand (codes in [0, n_types); "
        "their steps, sequences and times), never by its code: relabelled types keep theirs.");
  m.def("content_sequence_keys_by_type", &sequence_keys_by_type, py::arg("codes").noconvert(),
        py::arg("offsets").noconvert(), py::arg("times").noconvert(), py::arg("n_types"),
        py::arg("n_threads"),
        "content_sequence_keys over each event's content_type_keys in place of its code: "
        "each sequence's key whatever the types' names.");
  m.def("iforest_copy_numbers", &copy_numbers<float>, py::arg("x").noconvert(),
        py::arg("hashes").noconvert(), py::arg("n_threads"));
  m.def("iforest_copy_numbers", &copy_numbers<double>, py::arg("x").noconvert(),
        py::arg("hashes").noconvert(), py::arg("n_threads"),
        "Each row's number among the rows identical to it (same hash and values), in row "
        "order.");
  m.def("iforest_draw_rows", &draw_rows<float>, py::arg("x").noconvert(),
        py::arg("hashes").noconvert(), py::arg("copies").noconvert(), py::arg("n_estimators"),
        py::arg("max_samples"), py::arg("seed"), py::arg("n_threads"));
  m.def("iforest_draw_rows", &draw_rows<double>, py::arg("x").noconvert(),
        py::arg("hashes").noconvert(), py::arg("copies").noconvert(), py::arg("n_estimators"),
        py::arg("max_samples"), py::arg("seed"), py::arg("n_threads"),
        "Each tree's smallest keyed rows: (keys, rows), n_estimators x min(n, max_samples), "
        "each tree's smallest first.");
  py::class_<ForestView>(m, "IForestView",
                         "A fitted isolation forest's arrays, held by reference and checked "
                         "once; iforest_score reads them in place.")
      .def(py::init(&make_forest_view), py::kw_only(), py::arg("tree_offsets").noconvert(),
           py::arg("features").noconvert(), py::arg("left").noconvert(),
           py::arg("split").noconvert(), py::arg("threshold").noconvert(),
           py::arg("n_samples").noconvert(), py::arg("normals").noconvert(), py::arg("n_features"),
           py::arg("max_samples"), py::arg("extended"))
      .def_property_readonly("n_trees", [](const ForestView& f) { return f.view.n_trees; })
      .def_property_readonly("n_nodes", [](const ForestView& f) { return f.view.n_nodes; })
      .def_property_readonly("n_features", [](const ForestView& f) { return f.view.n_features; })
      .def_property_readonly("max_samples", [](const ForestView& f) { return f.view.max_samples; })
      .def_property_readonly("extended", [](const ForestView& f) { return f.view.extended; });
  py::class_<ForestScores>(m, "IForestScores", "Isolation forest scores (iforest_score).")
      .def_readonly("scores", &ForestScores::scores)
      .def_readonly("contributions", &ForestScores::contributions);
  m.def("iforest_score", &iforest_score<float>, py::arg("x").noconvert(), py::arg("forest"),
        py::arg("explain"), py::arg("n_threads"));
  m.def("iforest_score", &iforest_score<double>, py::arg("x").noconvert(), py::arg("forest"),
        py::arg("explain"), py::arg("n_threads"));
  m.def("iforest_average_path_length", &average_path_length, py::arg("n").noconvert());
}

}  // namespace oddseq::bindings
