#include "common.hpp"
#include "oddseq/preprocessing/log.hpp"
#include "oddseq/preprocessing/pca.hpp"

namespace oddseq::bindings {

namespace {

// What pca_fit returns to Python: a read-only record read by name (float64 arrays).
struct PcaRun {
  py::array mean;                // d
  py::array components;          // n_components x d, rows by decreasing variance
  py::array explained_variance;  // n_components
  double total_variance = 0.0;
};

template <class T>
PcaRun pca(const CArray<T>& x, std::int64_t n_components, int n_threads) {
  if (x.ndim() != 2) throw std::invalid_argument("X must be 2-D");
  const std::int64_t n = x.shape(0), d = x.shape(1);
  const T* data = x.data();
  preprocessing::PcaResult result;
  {
    py::gil_scoped_release release;  // covariance blocks on OpenMP threads, then Eigen
    result = preprocessing::pca_fit(data, n, d, n_components, n_threads);
  }
  return {to_numpy(std::move(result.mean)),
          to_numpy_2d(std::move(result.components), n_components, d),
          to_numpy(std::move(result.explained_variance)), result.total_variance};
}

// LogScaler's log of any array, a new array of its shape and dtype.
template <class T>
py::array_t<T> log1p(const CArray<T>& x, bool signed_log, int n_threads) {
  py::array_t<T> out(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  const T* in = x.data();
  T* to = out.mutable_data();
  const auto n = static_cast<std::int64_t>(x.size());
  {
    py::gil_scoped_release release;  // an element-wise loop on OpenMP threads
    preprocessing::log1p_transform(in, to, n, signed_log, n_threads);
  }
  return out;
}

}  // namespace

void register_preprocessing(py::module_& m) {
  py::class_<PcaRun>(m, "PcaRun", "A principal component analysis (pca_fit).")
      .def_readonly("mean", &PcaRun::mean)
      .def_readonly("components", &PcaRun::components)
      .def_readonly("explained_variance", &PcaRun::explained_variance)
      .def_readonly("total_variance", &PcaRun::total_variance);
  m.def("log1p", &log1p<float>, py::arg("x").noconvert(), py::arg("signed"), py::arg("n_threads"));
  m.def("log1p", &log1p<double>, py::arg("x").noconvert(), py::arg("signed"), py::arg("n_threads"));
  m.def("pca_fit", &pca<float>, py::arg("x").noconvert(), py::arg("n_components"),
        py::arg("n_threads"));
  m.def("pca_fit", &pca<double>, py::arg("x").noconvert(), py::arg("n_components"),
        py::arg("n_threads"));
}

}  // namespace oddseq::bindings
