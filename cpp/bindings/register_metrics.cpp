#include "common.hpp"
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

}  // namespace

void register_metrics(py::module_& m) {
  m.def("roc_auc", &ranking<&metrics::roc_auc>, py::arg("y_true").noconvert(),
        py::arg("y_score").noconvert(), py::arg("sample_weight").noconvert());
  m.def("average_precision", &ranking<&metrics::average_precision>, py::arg("y_true").noconvert(),
        py::arg("y_score").noconvert(), py::arg("sample_weight").noconvert());
}

}  // namespace oddseq::bindings
