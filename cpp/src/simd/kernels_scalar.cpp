#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "oddseq/simd/kernels.hpp"

namespace oddseq::simd {

namespace scalar_minhash {
#include "minhash_kernel.inl"
}  // namespace scalar_minhash

namespace scalar_grid {
#include "grid_kernel.inl"
}  // namespace scalar_grid

namespace {

constexpr std::int64_t kScalarTile = 8;

template <class T>
T sqdist_scalar(const T* a, const T* b, std::size_t d) {
  T sum = 0;
  for (std::size_t j = 0; j < d; ++j) {
    const T diff = a[j] - b[j];
    sum += diff * diff;
  }
  return sum;
}

template <class T>
T dot_scalar(const T* a, const T* b, std::size_t d) {
  T sum = 0;
  for (std::size_t j = 0; j < d; ++j) sum += a[j] * b[j];
  return sum;
}

float sqdist_f32_scalar(const float* a, const float* b, std::size_t d) {
  return sqdist_scalar(a, b, d);
}
double sqdist_f64_scalar(const double* a, const double* b, std::size_t d) {
  return sqdist_scalar(a, b, d);
}
float dot_f32_scalar(const float* a, const float* b, std::size_t d) { return dot_scalar(a, b, d); }
double dot_f64_scalar(const double* a, const double* b, std::size_t d) {
  return dot_scalar(a, b, d);
}

// Reference: read the packed layout back one centre at a time, plain loops.
template <class T>
void nearest_scalar(const T* x, std::int64_t m, std::int64_t d, const T* mu, const T* packed,
                    const T* packed_norms, std::int64_t k_padded, std::int32_t* labels, T* best,
                    T* second) {
  constexpr std::int64_t tile = kScalarTile;
  for (std::int64_t i = 0; i < m; ++i) {
    const T* row = x + i * d;
    T best_value = std::numeric_limits<T>::infinity();
    T second_value = std::numeric_limits<T>::infinity();
    std::int32_t best_index = 0;
    for (std::int64_t c = 0; c < k_padded; ++c) {
      const T* column = packed + (c / tile) * d * tile + (c % tile);
      T value = packed_norms[c];  // packed columns hold -2c
      for (std::int64_t j = 0; j < d; ++j) {
        const T coordinate = mu != nullptr ? row[j] - mu[j] : row[j];
        value += coordinate * column[j * tile];
      }
      if (value < best_value) {
        second_value = best_value;
        best_value = value;
        best_index = static_cast<std::int32_t>(c);
      } else if (value < second_value) {
        second_value = value;
      }
    }
    labels[i] = best_index;
    best[i] = best_value;
    if (second != nullptr) second[i] = second_value;
  }
}

void nearest_f32_scalar(const float* x, std::int64_t m, std::int64_t d, const float* mu,
                        const float* packed, const float* norms, std::int64_t k_padded,
                        std::int32_t* labels, float* best, float* second) {
  nearest_scalar(x, m, d, mu, packed, norms, k_padded, labels, best, second);
}
void nearest_f64_scalar(const double* x, std::int64_t m, std::int64_t d, const double* mu,
                        const double* packed, const double* norms, std::int64_t k_padded,
                        std::int32_t* labels, double* best, double* second) {
  nearest_scalar(x, m, d, mu, packed, norms, k_padded, labels, best, second);
}

// Reference: one row and one packed point at a time, plain loops.
void screen_f32_scalar(const float* x, std::int64_t m, std::int64_t d, const float* packed,
                       const float* packed_norms, std::int64_t n_padded, const float* limits,
                       std::uint32_t* masks) {
  constexpr std::int64_t tile = kScalarTile;
  const std::int64_t n_tiles = n_padded / tile;
  for (std::int64_t i = 0; i < m; ++i) {
    const float* row = x + i * d;
    for (std::int64_t t = 0; t < n_tiles; ++t) {
      std::uint32_t bits = 0;
      for (std::int64_t l = 0; l < tile; ++l) {
        const float* column = packed + t * d * tile + l;
        float value = packed_norms[t * tile + l];  // packed columns hold -2c
        for (std::int64_t j = 0; j < d; ++j) value += row[j] * column[j * tile];
        bits |= static_cast<std::uint32_t>(value <= limits[i]) << l;
      }
      masks[i * n_tiles + t] = bits;
    }
  }
}

// Reference: one point at a time; feature k into partial k mod 4, then the partials
// combined in pairs.
void block_distances_scalar(Reduction reduction, const double* q, const double* points,
                            std::int64_t d, std::int64_t stride, std::int64_t count, double* out) {
  const auto fold = [&](double acc, double g) {
    switch (reduction) {
      case Reduction::squares:
        return acc + g * g;
      case Reduction::absolutes:
        return acc + std::fabs(g);
      case Reduction::max_absolute:
        break;
    }
    return std::max(acc, std::fabs(g));
  };
  const auto combine = [&](double a, double b) {
    return reduction == Reduction::max_absolute ? std::max(a, b) : a + b;
  };
  for (std::int64_t j = 0; j < count; ++j) {
    double partial[4] = {0.0, 0.0, 0.0, 0.0};
    for (std::int64_t k = 0; k < d; ++k) {
      partial[k % 4] = fold(partial[k % 4], points[k * stride + j] - q[k]);
    }
    out[j] = combine(combine(partial[0], partial[1]), combine(partial[2], partial[3]));
  }
}

template <class T>
void pack_centers_impl(const T* centers, std::int64_t k, std::int64_t d, std::int64_t tile,
                       T* packed, T* packed_norms) {
  const std::int64_t k_padded = padded_count(k, tile);
  for (std::int64_t c = 0; c < k_padded; ++c) {
    T* column = packed + (c / tile) * d * tile + (c % tile);
    T norm = 0;
    for (std::int64_t j = 0; j < d; ++j) {
      const T value = c < k ? centers[c * d + j] : T(0);
      column[j * tile] = -2 * value;
      norm += value * value;
    }
    packed_norms[c] = c < k ? norm : std::numeric_limits<T>::infinity();
  }
}

}  // namespace

void pack_centers(const float* centers, std::int64_t k, std::int64_t d, std::int64_t tile,
                  float* packed, float* packed_norms) {
  pack_centers_impl(centers, k, d, tile, packed, packed_norms);
}
void pack_centers(const double* centers, std::int64_t k, std::int64_t d, std::int64_t tile,
                  double* packed, double* packed_norms) {
  pack_centers_impl(centers, k, d, tile, packed, packed_norms);
}

namespace {

void l1_u8_scalar(const std::uint8_t* q, const std::uint8_t* rows, std::int64_t width,
                  std::int64_t count, std::uint32_t* out) {
  for (std::int64_t j = 0; j < count; ++j) {
    const std::uint8_t* row = rows + j * width;
    std::uint32_t sum = 0;
    for (std::int64_t b = 0; b < width; ++b) sum += q[b] > row[b] ? q[b] - row[b] : row[b] - q[b];
    out[j] = sum;
  }
}

void l1_u8x16_within_scalar(const std::uint8_t* q, const std::uint8_t* rows, std::int64_t count,
                            std::uint32_t limit, std::uint64_t* masks) {
  std::uint32_t bounds[64];
  for (std::int64_t word = 0; word < count / 64; ++word) {
    l1_u8_scalar(q, rows + word * 64 * 16, 16, 64, bounds);
    std::uint64_t mask = 0;
    for (int j = 0; j < 64; ++j) mask |= static_cast<std::uint64_t>(bounds[j] <= limit) << j;
    masks[word] = mask;
  }
}

}  // namespace

const Kernels& scalar_kernels() {
  static const Kernels table{Level::scalar,
                             sqdist_f32_scalar,
                             sqdist_f64_scalar,
                             dot_f32_scalar,
                             dot_f64_scalar,
                             kScalarTile,
                             kScalarTile,
                             nearest_f32_scalar,
                             nearest_f64_scalar,
                             scalar_minhash::minhash_min_impl,
                             block_distances_scalar,
                             screen_f32_scalar,
                             scalar_grid::grid_limbs_impl<float>,
                             scalar_grid::grid_limbs_impl<double>,
                             scalar_grid::moment_sums_impl<float>,
                             scalar_grid::moment_sums_impl<double>,
                             scalar_grid::grid_slices_impl<float>,
                             scalar_grid::grid_slices_impl<double>,
                             l1_u8_scalar,
                             l1_u8x16_within_scalar};
  return table;
}

}  // namespace oddseq::simd
