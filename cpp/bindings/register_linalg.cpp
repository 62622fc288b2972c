#include <climits>

#include "common.hpp"
#include "oddseq/linalg/exact_moments.hpp"
#include "oddseq/linalg/factorize.hpp"
#include "oddseq/linalg/select.hpp"

namespace oddseq::bindings {

namespace {

// What factorize_int64 returns: a read-only record read by name.
struct Factorization {
  py::array codes;    // n: each value's code (int64, or int32 for factorize_int64_to_int32)
  py::array uniques;  // the distinct values, code order
};

template <class CodeT>
Factorization factorize_int64(const CArray<std::int64_t>& values, int n_threads, bool sort) {
  const std::int64_t n = values.size();
  if (sizeof(CodeT) == 4 && n > INT32_MAX)
    throw std::invalid_argument("too many rows for int32 codes");
  py::array_t<CodeT> codes(n);
  const std::int64_t* src = values.data();
  CodeT* dst = codes.mutable_data();
  linalg::Factorization result;
  {
    py::gil_scoped_release release;  // partitioned hashing on OpenMP threads
    result = linalg::factorize_int64(src, n, n_threads, dst, sort);
  }
  return {codes, to_numpy(std::move(result.uniques))};
}

py::array_t<std::int64_t> first_indices(const CArray<std::int64_t>& codes, std::int64_t n_codes) {
  std::vector<std::int64_t> first;
  {
    py::gil_scoped_release release;  // one pass over the codes
    first = linalg::first_indices(codes.data(), codes.size(), n_codes);
  }
  return to_numpy(std::move(first));
}

py::array_t<std::int64_t> top_columns(const CArray<double>& x, std::int64_t top, int n_threads) {
  if (x.ndim() != 2) throw std::invalid_argument("top_columns needs a 2-D matrix");
  const std::int64_t n = x.shape(0), d = x.shape(1);
  if (top < 1 || top > d) {
    throw std::invalid_argument("top must be in [1, " + std::to_string(d) + "], got " +
                                std::to_string(top));
  }
  py::array_t<std::int64_t> out({n, top});
  std::int64_t* dst = out.mutable_data();
  {
    py::gil_scoped_release release;
    linalg::top_columns(x.data(), n, d, top, n_threads, dst);
  }
  return out;
}

// (median, mad) per column of a float64 matrix: linalg::column_median_mad.
py::tuple column_median_mad(const CArray<double>& x, int n_threads) {
  if (x.ndim() != 2) throw std::invalid_argument("column_median_mad needs a 2-D matrix");
  const std::int64_t n = x.shape(0), d = x.shape(1);
  py::array_t<double> median(d), mad(d);
  double* median_out = median.mutable_data();
  double* mad_out = mad.mutable_data();
  {
    py::gil_scoped_release release;
    linalg::column_median_mad(x.data(), n, d, n_threads, median_out, mad_out);
  }
  return py::make_tuple(median, mad);
}

// What exact_moment_sums returns: a read-only record read by name (int64 arrays).
struct ExactMomentSums {
  std::int64_t n = 0;
  py::array sums;      // 4 x d: each slice's column sums
  py::array products;  // 4 x 4 x d: [s, t, j] the sum of slice s times slice t of column j
};

std::int64_t check_exponents(const CArray<std::int64_t>& exps, std::int64_t d) {
  if (exps.ndim() != 1 || exps.shape(0) != d) {
    throw std::invalid_argument("exps must hold one exponent per column of X");
  }
  return d;
}

template <class T>
ExactMomentSums exact_moment_sums(const CArray<T>& x, const CArray<std::int64_t>& exps,
                                  int n_threads) {
  require_matrix(x, "X");
  const std::int64_t n = x.shape(0), d = check_exponents(exps, x.shape(1));
  linalg::MomentSums result;
  {
    py::gil_scoped_release release;  // blocks of rows on OpenMP threads; polls for Ctrl-C
    result = linalg::exact_moment_sums(x.data(), n, d, exps.data(), n_threads);
  }
  py::array_t<std::int64_t> sums(
      {static_cast<py::ssize_t>(linalg::kMomentSlices), static_cast<py::ssize_t>(d)});
  py::array_t<std::int64_t> products({static_cast<py::ssize_t>(linalg::kMomentSlices),
                                      static_cast<py::ssize_t>(linalg::kMomentSlices),
                                      static_cast<py::ssize_t>(d)});
  std::copy(result.sums.begin(), result.sums.end(), sums.mutable_data());
  std::copy(result.products.begin(), result.products.end(), products.mutable_data());
  return {n, sums, products};
}

template <class T>
py::array_t<double> column_max_abs(const CArray<T>& x) {
  require_matrix(x, "X");
  py::array_t<double> out(x.shape(1));
  double* dst = out.mutable_data();
  {
    py::gil_scoped_release release;  // one pass over the rows
    linalg::column_max_abs(x.data(), x.shape(0), x.shape(1), dst);
  }
  return out;
}

template <class T>
py::array_t<double> exact_grid_slices(const CArray<T>& x, const CArray<std::int64_t>& exps) {
  require_matrix(x, "X");
  const std::int64_t n = x.shape(0), d = check_exponents(exps, x.shape(1));
  py::array_t<double> out(
      {static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(linalg::kMomentSlices * d)});
  double* dst = out.mutable_data();
  {
    py::gil_scoped_release release;  // one pass over the rows
    linalg::exact_grid_slices(x.data(), n, d, exps.data(), dst);
  }
  return out;
}

}  // namespace

void register_linalg(py::module_& m) {
  py::class_<ExactMomentSums>(m, "ExactMomentSums",
                              "Integer sums of X's values on the columns' grids "
                              "(exact_moment_sums).")
      .def_readonly("n", &ExactMomentSums::n)
      .def_readonly("sums", &ExactMomentSums::sums)
      .def_readonly("products", &ExactMomentSums::products);
  m.def("exact_moment_sums", &exact_moment_sums<float>, py::arg("x").noconvert(),
        py::arg("exps").noconvert(), py::arg("n_threads"));
  m.def("exact_moment_sums", &exact_moment_sums<double>, py::arg("x").noconvert(),
        py::arg("exps").noconvert(), py::arg("n_threads"));
  m.def("column_max_abs", &column_max_abs<float>, py::arg("x").noconvert());
  m.def("column_max_abs", &column_max_abs<double>, py::arg("x").noconvert());
  m.def("exact_grid_slices", &exact_grid_slices<float>, py::arg("x").noconvert(),
        py::arg("exps").noconvert());
  m.def("exact_grid_slices", &exact_grid_slices<double>, py::arg("x").noconvert(),
        py::arg("exps").noconvert());
  py::class_<Factorization>(m, "Factorization",
                            "Codes of int64 values and the distinct values (factorize_int64).")
      .def_readonly("codes", &Factorization::codes)
      .def_readonly("uniques", &Factorization::uniques);
  m.def("top_columns", &top_columns, py::arg("x").noconvert(), py::arg("top"),
        py::arg("n_threads"));
  m.def("column_median_mad", &column_median_mad, py::arg("x").noconvert(), py::arg("n_threads"),
        "(median, median absolute deviation) of each column, as numpy's medians.");
  m.def("first_indices", &first_indices, py::arg("codes").noconvert(), py::arg("n_codes"));
  m.def("factorize_int64", &factorize_int64<std::int64_t>, py::arg("values").noconvert(),
        py::arg("n_threads"), py::arg("sort") = false);
  m.def("factorize_int64_to_int32", &factorize_int64<std::int32_t>, py::arg("values").noconvert(),
        py::arg("n_threads"), py::arg("sort") = false);
}

}  // namespace oddseq::bindings
