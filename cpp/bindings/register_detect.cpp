#include "common.hpp"
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

// Isolation forest: the fitted forest travels as a dict of flat arrays (the estimator
// keeps them; nothing is held in C++ between calls).
template <class T>
py::dict iforest_fit(const CArray<T>& x, std::int64_t n_estimators, std::int64_t max_samples,
                     std::int64_t max_features, bool extended, std::uint64_t seed, int n_threads) {
  if (x.ndim() != 2) throw std::invalid_argument("X must be 2-D");
  detect::IForestParams params;
  params.n_estimators = n_estimators;
  params.max_samples = max_samples;
  params.max_features = max_features;
  params.extended = extended;
  params.seed = seed;
  detect::IForest forest;
  {
    py::gil_scoped_release release;  // trees built on OpenMP threads; polls for Ctrl-C
    forest = detect::iforest_fit(x.data(), x.shape(0), x.shape(1), params, n_threads);
  }
  const std::int64_t trees = forest.n_trees();
  const std::int64_t k = forest.tree_features;
  const std::int64_t planes = static_cast<std::int64_t>(forest.normals.size()) / k;
  py::dict out;
  out["tree_offsets"] = to_numpy(std::move(forest.tree_offsets));
  out["features"] = to_numpy_2d(std::move(forest.features), trees, k);
  out["left"] = to_numpy(std::move(forest.left));
  out["split"] = to_numpy(std::move(forest.split));
  out["threshold"] = to_numpy(std::move(forest.threshold));
  out["n_samples"] = to_numpy(std::move(forest.n_samples));
  out["normals"] = to_numpy_2d(std::move(forest.normals), planes, k);
  return out;
}

template <class V>
std::vector<V> vector_of(const CArray<V>& a) {
  return std::vector<V>(a.data(), a.data() + a.size());
}

template <class T>
py::tuple iforest_score(const CArray<T>& x, const CArray<std::int64_t>& tree_offsets,
                        const CArray<std::int32_t>& features, const CArray<std::int32_t>& left,
                        const CArray<std::int32_t>& split, const CArray<double>& threshold,
                        const CArray<std::int32_t>& n_samples, const CArray<double>& normals,
                        std::int64_t max_samples, bool extended, bool explain, int n_threads) {
  if (x.ndim() != 2 || features.ndim() != 2 || normals.ndim() != 2) {
    throw std::invalid_argument("X, features and normals must be 2-D");
  }
  if (tree_offsets.size() < 2 || tree_offsets.data()[0] != 0) {
    throw std::invalid_argument("tree_offsets must start at 0 and describe at least one tree");
  }
  detect::IForest forest;
  forest.n_features = x.shape(1);
  forest.max_samples = max_samples;
  forest.tree_features = features.shape(1);
  forest.extended = extended;
  forest.tree_offsets = vector_of(tree_offsets);
  forest.features = vector_of(features);
  forest.left = vector_of(left);
  forest.split = vector_of(split);
  forest.threshold = vector_of(threshold);
  forest.n_samples = vector_of(n_samples);
  forest.normals = vector_of(normals);
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
    detect::iforest_score(forest, x.data(), n, n_threads, s, c);
  }
  return py::make_tuple(scores, contributions);
}

py::array_t<double> average_path_length(const CArray<double>& n) {
  py::array_t<double> out(n.size());
  detect::average_path_lengths(n.data(), n.size(), out.mutable_data());
  return out;
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
  m.def("iforest_fit", &iforest_fit<float>, py::arg("x").noconvert(), py::arg("n_estimators"),
        py::arg("max_samples"), py::arg("max_features"), py::arg("extended"), py::arg("seed"),
        py::arg("n_threads"));
  m.def("iforest_fit", &iforest_fit<double>, py::arg("x").noconvert(), py::arg("n_estimators"),
        py::arg("max_samples"), py::arg("max_features"), py::arg("extended"), py::arg("seed"),
        py::arg("n_threads"));
  m.def("iforest_score", &iforest_score<float>, py::arg("x").noconvert(),
        py::arg("tree_offsets").noconvert(), py::arg("features").noconvert(),
        py::arg("left").noconvert(), py::arg("split").noconvert(), py::arg("threshold").noconvert(),
        py::arg("n_samples").noconvert(), py::arg("normals").noconvert(), py::arg("max_samples"),
        py::arg("extended"), py::arg("explain"), py::arg("n_threads"));
  m.def("iforest_score", &iforest_score<double>, py::arg("x").noconvert(),
        py::arg("tree_offsets").noconvert(), py::arg("features").noconvert(),
        py::arg("left").noconvert(), py::arg("split").noconvert(), py::arg("threshold").noconvert(),
        py::arg("n_samples").noconvert(), py::arg("normals").noconvert(), py::arg("max_samples"),
        py::arg("extended"), py::arg("explain"), py::arg("n_threads"));
  m.def("iforest_average_path_length", &average_path_length, py::arg("n").noconvert());
}

}  // namespace oddseq::bindings
