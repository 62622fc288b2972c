#pragma once
// Helpers shared by the register_<domain>.cpp files: array conversion without copies.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "oddseq/core/content_hash.hpp"

namespace oddseq::bindings {

namespace py = pybind11;

// Input arrays: exact dtype, C-contiguous; the Python layer converts once, so a mismatch
// here is a TypeError from overload resolution rather than a silent copy.
template <class T>
using CArray = py::array_t<T, py::array::c_style>;

// A 2-D input array, or an invalid_argument (ValueError) naming it.
template <class T>
void require_matrix(const CArray<T>& x, const char* name) {
  if (x.ndim() != 2) throw std::invalid_argument(std::string(name) + " must be 2-D");
}

// Hands a vector's buffer to NumPy without copying: the capsule owns the moved vector.
template <class T>
py::array_t<T> to_numpy(std::vector<T>&& values) {
  auto* owner = new std::vector<T>(std::move(values));
  py::capsule release(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(static_cast<py::ssize_t>(owner->size()), owner->data(), release);
}

template <class T>
py::array_t<T> to_numpy_2d(std::vector<T>&& values, std::int64_t rows, std::int64_t cols) {
  auto* owner = new std::vector<T>(std::move(values));
  py::capsule release(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)},
                        owner->data(), release);
}

template <class T>
const T* data_or_null(const std::optional<CArray<T>>& array) {
  return array.has_value() ? array->data() : nullptr;
}

void register_simd(py::module_& m);
void register_linalg(py::module_& m);
void register_sequences(py::module_& m);
void register_encode(py::module_& m);
void register_cluster(py::module_& m);
void register_neighbors(py::module_& m);
void register_detect(py::module_& m);
void register_graph(py::module_& m);
void register_metrics(py::module_& m);
void register_preprocessing(py::module_& m);
void register_stream(py::module_& m);
void register_memory(py::module_& m);

// The floors a content key of x rounds its values by (core::key_floors): the given ones
// (checked: one per column of x) or those of x; none where the key reads exact bits
// (rounded false). Call with the GIL held; the floors of x are computed with it released.
template <class T>
std::vector<double> key_floors_for(const CArray<T>& x, const std::optional<CArray<double>>& floors,
                                   bool rounded, int n_threads) {
  if (!rounded) {
    if (floors.has_value()) throw std::invalid_argument("floors are read only with rounded=True");
    return {};
  }
  if (floors.has_value()) {
    if (floors->ndim() != 1 || floors->shape(0) != x.shape(1)) {
      throw std::invalid_argument("floors must hold one floor per column of x");
    }
    std::vector<double> given(floors->data(), floors->data() + floors->shape(0));
    for (const double floor : given) {
      if (!(floor >= 0.0) || !std::isfinite(floor)) {
        throw std::invalid_argument(
            "floors must be finite and >= 0 (kmeans_key_floors gives them), got " +
            std::to_string(floor));
      }
    }
    return given;
  }
  py::gil_scoped_release release;
  return core::key_floors(x.data(), x.shape(0), x.shape(1), n_threads);
}

}  // namespace oddseq::bindings
