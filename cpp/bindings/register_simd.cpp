#include <algorithm>
#include <cmath>
#include <map>

#include "common.hpp"
#include "oddseq/linalg/exact_moments.hpp"
#include "oddseq/simd/kernels.hpp"

namespace oddseq::bindings {

namespace {

template <class T>
T sqdist_at(const CArray<T>& a, const CArray<T>& b, const std::string& level) {
  if (a.size() != b.size()) throw std::invalid_argument("a and b must have the same length");
  const auto& kernels = simd::kernels_for(simd::parse_level(level));
  return simd::sqdist(kernels, a.data(), b.data(), static_cast<std::size_t>(a.size()));
}

template <class T>
T dot_at(const CArray<T>& a, const CArray<T>& b, const std::string& level) {
  if (a.size() != b.size()) throw std::invalid_argument("a and b must have the same length");
  const auto& kernels = simd::kernels_for(simd::parse_level(level));
  return simd::dot(kernels, a.data(), b.data(), static_cast<std::size_t>(a.size()));
}

// L1 distances from the byte row q to each row of `rows` (both padded here to the
// kernel's width with zeros, which adds nothing).
py::array_t<std::uint32_t> l1_u8_at(const CArray<std::uint8_t>& q, const CArray<std::uint8_t>& rows,
                                    const std::string& level) {
  if (q.ndim() != 1 || rows.ndim() != 2 || rows.shape(1) != q.shape(0)) {
    throw std::invalid_argument("q must be 1-D and rows 2-D with as many columns as q has values");
  }
  const auto& kernels = simd::kernels_for(simd::parse_level(level));
  const std::int64_t n = rows.shape(0), d = q.shape(0);
  const std::int64_t lanes = simd::kL1ByteLanes;
  const std::int64_t width = std::max<std::int64_t>(1, (d + lanes - 1) / lanes) * lanes;
  std::vector<std::uint8_t> padded_q(static_cast<std::size_t>(width), 0);
  std::vector<std::uint8_t> padded(static_cast<std::size_t>(n * width), 0);
  std::copy_n(q.data(), d, padded_q.data());
  for (std::int64_t i = 0; i < n; ++i) std::copy_n(rows.data() + i * d, d, &padded[i * width]);
  py::array_t<std::uint32_t> out(n);
  kernels.l1_u8(padded_q.data(), padded.data(), width, n, out.mutable_data());
  return out;
}

// Whether each 16-byte row of `rows` lies within L1 distance `limit` of q (16 bytes),
// by the screen l1_u8x16_within (rows padded here to a multiple of 64).
py::array_t<bool> l1_u8x16_within_at(const CArray<std::uint8_t>& q,
                                     const CArray<std::uint8_t>& rows, std::uint32_t limit,
                                     const std::string& level) {
  if (q.ndim() != 1 || q.shape(0) != 16 || rows.ndim() != 2 || rows.shape(1) != 16) {
    throw std::invalid_argument("q must hold 16 values and rows 16 columns");
  }
  const auto& kernels = simd::kernels_for(simd::parse_level(level));
  const std::int64_t n = rows.shape(0), padded_n = (n + 63) / 64 * 64;
  std::vector<std::uint8_t> padded(static_cast<std::size_t>(padded_n * 16), 0);
  std::copy_n(rows.data(), n * 16, padded.data());
  std::vector<std::uint64_t> masks(static_cast<std::size_t>(padded_n / 64));
  kernels.l1_u8x16_within(q.data(), padded.data(), padded_n, limit, masks.data());
  py::array_t<bool> out(n);
  bool* within = out.mutable_data();
  for (std::int64_t j = 0; j < n; ++j) within[j] = (masks[j / 64] >> (j % 64)) & 1;
  return out;
}

// What simd_nearest returns: a read-only record read by name.
struct Nearest {
  py::array labels;  // m, int32
  py::array best;    // m: squared distance to the nearest centre (less ||x - mu||^2)
  py::array second;  // m: to the runner-up
};

template <class T>
Nearest nearest_at(const CArray<T>& x, const CArray<T>& centers, const std::string& level,
                   const std::optional<CArray<T>>& mu) {
  if (x.ndim() != 2 || centers.ndim() != 2 || x.shape(1) != centers.shape(1)) {
    throw std::invalid_argument("x and centers must be 2-D with the same number of columns");
  }
  const auto& kernels = simd::kernels_for(simd::parse_level(level));
  const std::int64_t m = x.shape(0), d = x.shape(1), k = centers.shape(0);
  if (mu && mu->size() != d) throw std::invalid_argument("mu must have one entry per column");
  const T* mu_ptr = data_or_null(mu);
  // With mu the kernel expects centres packed as c - mu.
  std::vector<T> shifted(centers.data(), centers.data() + k * d);
  if (mu_ptr != nullptr) {
    for (std::int64_t c = 0; c < k; ++c) {
      for (std::int64_t j = 0; j < d; ++j) shifted[c * d + j] -= mu_ptr[j];
    }
  }
  const std::int64_t tile = simd::tile_width(kernels, T{});
  const std::int64_t k_padded = simd::padded_count(k, tile);
  std::vector<T> packed(static_cast<std::size_t>(k_padded * d)),
      norms(static_cast<std::size_t>(k_padded));
  std::vector<std::int32_t> labels(static_cast<std::size_t>(m));
  std::vector<T> best(static_cast<std::size_t>(m)), second(static_cast<std::size_t>(m));
  {
    py::gil_scoped_release release;  // pure C++ from here on
    simd::pack_centers(shifted.data(), k, d, tile, packed.data(), norms.data());
    simd::nearest(kernels, x.data(), m, d, mu_ptr, packed.data(), norms.data(), k_padded,
                  labels.data(), best.data(), second.data());
  }
  return {to_numpy(std::move(labels)), to_numpy(std::move(best)), to_numpy(std::move(second))};
}

// A row on the columns' fixed-point grids as limbs (3 x d, int64): the kernel under test.
template <class T>
py::array_t<std::int64_t> grid_limbs_at(const CArray<T>& x, double weight,
                                        const CArray<std::int32_t>& shifts,
                                        const std::string& level) {
  if (x.ndim() != 1 || shifts.size() != x.size())
    throw std::invalid_argument("x must be 1-D with one shift per value");
  const auto& kernels = simd::kernels_for(simd::parse_level(level));
  const std::int64_t d = x.size();
  std::vector<double> scale(static_cast<std::size_t>(d));
  for (std::int64_t j = 0; j < d; ++j) {
    if (shifts.data()[j] < -1021 || shifts.data()[j] > 1023)
      throw std::invalid_argument("shifts must be in [-1021, 1023] (2**shift a normal double)");
    scale[static_cast<std::size_t>(j)] = std::ldexp(1.0, shifts.data()[j]);
  }
  py::array_t<std::int64_t> limbs({std::int64_t{3}, d});
  std::int64_t* out = limbs.mutable_data();
  {
    py::gil_scoped_release release;  // pure C++ from here on
    simd::grid_limbs(kernels, x.data(), d, weight, scale.data(), out);
  }
  return limbs;
}

py::array_t<std::uint32_t> minhash_min_at(const CArray<std::uint32_t>& x,
                                          const CArray<std::uint32_t>& multipliers,
                                          const CArray<std::uint32_t>& increments,
                                          const std::string& level) {
  if (multipliers.size() != increments.size())
    throw std::invalid_argument("multipliers and increments need the same length");
  const auto& kernels = simd::kernels_for(simd::parse_level(level));
  py::array_t<std::uint32_t> best(multipliers.size());
  std::uint32_t* out = best.mutable_data();
  {
    py::gil_scoped_release release;  // pure C++ from here on
    kernels.minhash_min(x.data(), x.size(), multipliers.data(), increments.data(),
                        multipliers.size(), out);
  }
  return best;
}

// Distances from q to the rows of points through one level's block kernel (the rows are
// packed feature-major and padded here, as the kd-tree packs its leaves).
py::array_t<double> block_distances_at(const CArray<double>& q, const CArray<double>& points,
                                       const std::string& reduction, const std::string& level) {
  if (points.ndim() != 2 || q.size() != points.shape(1)) {
    throw std::invalid_argument("points must be 2-D with one column per entry of q");
  }
  const auto& kernels = simd::kernels_for(simd::parse_level(level));
  const std::map<std::string, simd::Reduction> reductions{
      {"squares", simd::Reduction::squares},
      {"absolutes", simd::Reduction::absolutes},
      {"max_absolute", simd::Reduction::max_absolute}};
  const auto found = reductions.find(reduction);
  if (found == reductions.end()) throw std::invalid_argument("unknown reduction " + reduction);
  const std::int64_t n = points.shape(0), d = points.shape(1);
  const std::int64_t stride = simd::padded_count(n, simd::kBlockLanes);
  std::vector<double> packed(static_cast<std::size_t>(stride * d), 0.0);
  std::vector<double> out(static_cast<std::size_t>(stride));
  {
    py::gil_scoped_release release;
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t k = 0; k < d; ++k) packed[k * stride + i] = points.data()[i * d + k];
    }
    kernels.block_distances(found->second, q.data(), packed.data(), d, stride, stride, out.data());
  }
  out.resize(static_cast<std::size_t>(n));
  return to_numpy(std::move(out));
}

// Which (row, point) pairs one level's screen lets through: entry [i, c] is true when
// ||p_c||^2 - 2 x_i.p_c <= limits[i] as that level rounds it (points packed as the
// neighbour screen packs them).
py::array_t<bool> screen_at(const CArray<float>& x, const CArray<float>& points,
                            const CArray<float>& limits, const std::string& level) {
  if (x.ndim() != 2 || points.ndim() != 2 || x.shape(1) != points.shape(1) ||
      limits.size() != x.shape(0)) {
    throw std::invalid_argument("x and points must be 2-D with equal columns, one limit per row");
  }
  const auto& kernels = simd::kernels_for(simd::parse_level(level));
  const std::int64_t m = x.shape(0), n = points.shape(0), d = x.shape(1);
  const std::int64_t tile = kernels.tile_f32, padded = simd::padded_count(n, tile);
  std::vector<float> packed(static_cast<std::size_t>(padded * d)), norms(padded);
  std::vector<std::uint32_t> masks(static_cast<std::size_t>(m * (padded / tile)));
  py::array_t<bool> out({m, n});
  bool* through = out.mutable_data();
  {
    py::gil_scoped_release release;
    simd::pack_centers(points.data(), n, d, tile, packed.data(), norms.data());
    kernels.screen_f32(x.data(), m, d, packed.data(), norms.data(), padded, limits.data(),
                       masks.data());
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t c = 0; c < n; ++c) {
        through[i * n + c] = (masks[i * (padded / tile) + c / tile] >> (c % tile)) & 1u;
      }
    }
  }
  return out;
}

// The exact moments' kernels at one level (tests): rows 0-3 the slices' sums, 4-13 the
// ten products' sums, 14 the values outside the grid, per column; or the slices.
template <class T>
py::array_t<double> moment_sums_at(const CArray<T>& x, const CArray<std::int64_t>& exps,
                                   const std::string& level) {
  require_matrix(x, "x");
  const std::int64_t n = x.shape(0), d = x.shape(1);
  if (exps.size() != d) throw std::invalid_argument("exps must hold one value per column");
  const auto& kernels = simd::kernels_for(simd::parse_level(level));
  if (n > (std::int64_t{1} << 21)) throw std::invalid_argument("at most 2^21 rows per call");
  const auto g = linalg::grid_scale(exps.data(), d);
  py::array_t<double> out({py::ssize_t{15}, static_cast<py::ssize_t>(d)});
  double* o = out.mutable_data();
  std::fill(o, o + 15 * d, 0.0);
  simd::moment_sums(kernels, x.data(), n, d, g.scale.data(), g.rescale.data(), o, o + 4 * d,
                    o + 14 * d);
  return out;
}

template <class T>
py::array_t<double> grid_slices_at(const CArray<T>& x, const CArray<std::int64_t>& exps,
                                   const std::string& level) {
  require_matrix(x, "x");
  const std::int64_t n = x.shape(0), d = x.shape(1);
  if (exps.size() != d) throw std::invalid_argument("exps must hold one value per column");
  const auto& kernels = simd::kernels_for(simd::parse_level(level));
  const auto g = linalg::grid_scale(exps.data(), d);
  py::array_t<double> out({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(4 * d)});
  std::vector<double> outside(static_cast<std::size_t>(d), 0.0);
  simd::grid_slices(kernels, x.data(), n, d, g.scale.data(), g.rescale.data(), out.mutable_data(),
                    outside.data());
  return out;
}

}  // namespace

void register_simd(py::module_& m) {
  py::class_<Nearest>(m, "Nearest", "Each row's nearest centre at one SIMD level (simd_nearest).")
      .def_readonly("labels", &Nearest::labels)
      .def_readonly("best", &Nearest::best)
      .def_readonly("second", &Nearest::second);
  m.def(
      "simd_level", [] { return std::string(simd::level_name(simd::active().level)); },
      "SIMD level chosen at import (ODDSEQ_SIMD overrides).");
  m.def("simd_best_supported",
        [] { return std::string(simd::level_name(simd::best_supported_level())); });
  m.def("simd_is_supported",
        [](const std::string& level) { return simd::is_supported(simd::parse_level(level)); });
  // Per-level entry points so tests can compare every ISA with the scalar reference.
  m.def("simd_l1_u8", &l1_u8_at, py::arg("q").noconvert(), py::arg("rows").noconvert(),
        py::arg("level"));
  m.def("simd_l1_u8x16_within", &l1_u8x16_within_at, py::arg("q").noconvert(),
        py::arg("rows").noconvert(), py::arg("limit"), py::arg("level"));
  m.def("simd_sqdist", &sqdist_at<float>, py::arg("a").noconvert(), py::arg("b").noconvert(),
        py::arg("level"));
  m.def("simd_sqdist", &sqdist_at<double>, py::arg("a").noconvert(), py::arg("b").noconvert(),
        py::arg("level"));
  m.def("simd_dot", &dot_at<float>, py::arg("a").noconvert(), py::arg("b").noconvert(),
        py::arg("level"));
  m.def("simd_dot", &dot_at<double>, py::arg("a").noconvert(), py::arg("b").noconvert(),
        py::arg("level"));
  m.def("simd_nearest", &nearest_at<float>, py::arg("x").noconvert(),
        py::arg("centers").noconvert(), py::arg("level"), py::arg("mu").noconvert() = py::none());
  m.def("simd_nearest", &nearest_at<double>, py::arg("x").noconvert(),
        py::arg("centers").noconvert(), py::arg("level"), py::arg("mu").noconvert() = py::none());
  m.def("simd_grid_limbs", &grid_limbs_at<float>, py::arg("x").noconvert(), py::arg("weight"),
        py::arg("shifts").noconvert(), py::arg("level"));
  m.def("simd_grid_limbs", &grid_limbs_at<double>, py::arg("x").noconvert(), py::arg("weight"),
        py::arg("shifts").noconvert(), py::arg("level"));
  m.def("simd_moment_sums", &moment_sums_at<float>, py::arg("x").noconvert(),
        py::arg("exps").noconvert(), py::arg("level"));
  m.def("simd_moment_sums", &moment_sums_at<double>, py::arg("x").noconvert(),
        py::arg("exps").noconvert(), py::arg("level"));
  m.def("simd_grid_slices", &grid_slices_at<float>, py::arg("x").noconvert(),
        py::arg("exps").noconvert(), py::arg("level"));
  m.def("simd_grid_slices", &grid_slices_at<double>, py::arg("x").noconvert(),
        py::arg("exps").noconvert(), py::arg("level"));
  m.def("simd_minhash_min", &minhash_min_at, py::arg("x").noconvert(),
        py::arg("multipliers").noconvert(), py::arg("increments").noconvert(), py::arg("level"));
  m.def("simd_block_distances", &block_distances_at, py::arg("q").noconvert(),
        py::arg("points").noconvert(), py::arg("reduction"), py::arg("level"));
  m.def("simd_screen", &screen_at, py::arg("x").noconvert(), py::arg("points").noconvert(),
        py::arg("limits").noconvert(), py::arg("level"));
}

}  // namespace oddseq::bindings
