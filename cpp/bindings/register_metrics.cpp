#include "common.hpp"
#include "oddseq/metrics/clustering.hpp"
#include "oddseq/metrics/ranking.hpp"

namespace oddseq::bindings {

namespace {

using Metric = double (*)(const std::uint8_t*, const double*, const double*, std::int64_t);

template <Metric metric>
double ranking(const CArray<std::uint8_t>& y_true, const CArray<double>& scores,
               const std::optional<CArray<double>>& weights) {
  const std::int64_t n = y_true.size();
  if (scores.size() != n || (weights && weights->size() != n)) {
    throw std::invalid_argument("y_true, y_score and sample_weight differ in length");
  }
  const std::uint8_t* y = y_true.data();
  const double* s = scores.data();
  const double* w = data_or_null(weights);
  py::gil_scoped_release release;  // O(n log n) sort
  return metric(y, s, w, n);
}

template <class T>
py::array_t<double> silhouette(const CArray<T>& x, const CArray<std::int32_t>& labels,
                               std::int64_t k, int n_threads) {
  if (x.ndim() != 2 || labels.size() != x.shape(0)) {
    throw std::invalid_argument("x must be 2-D with one label per row");
  }
  const std::int64_t n = x.shape(0), d = x.shape(1);
  py::array_t<double> out(n);
  const T* xp = x.data();
  const std::int32_t* lp = labels.data();
  double* op = out.mutable_data();
  {
    py::gil_scoped_release release;  // O(n^2 d) on OpenMP threads; polls for Ctrl-C
    metrics::silhouette_samples(xp, n, d, lp, k, n_threads, op);
  }
  return out;
}

}  // namespace

void register_metrics(py::module_& m) {
  m.def("silhouette_samples", &silhouette<float>, py::arg("x").noconvert(),
        py::arg("labels").noconvert(), py::arg("k"), py::arg("n_threads"));
  m.def("silhouette_samples", &silhouette<double>, py::arg("x").noconvert(),
        py::arg("labels").noconvert(), py::arg("k"), py::arg("n_threads"));
  m.def("roc_auc", &ranking<&metrics::roc_auc>, py::arg("y_true").noconvert(),
        py::arg("y_score").noconvert(), py::arg("sample_weight").noconvert());
  m.def("average_precision", &ranking<&metrics::average_precision>, py::arg("y_true").noconvert(),
        py::arg("y_score").noconvert(), py::arg("sample_weight").noconvert());
}

}  // namespace oddseq::bindings
