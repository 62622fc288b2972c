// Built with -mavx2 -mfma; only called after dispatch confirmed the CPU has both.
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "oddseq/simd/kernels.hpp"

namespace oddseq::simd {

namespace avx2_minhash {
#include "minhash_kernel.inl"
}  // namespace avx2_minhash

namespace avx2_grid {
#include "grid_kernel.inl"
}  // namespace avx2_grid

namespace avx2_detail {
inline __m256 multiply_add(float a, __m256 b, __m256 c) {
  return _mm256_fmadd_ps(_mm256_set1_ps(a), b, c);
}
inline __m256d multiply_add(double a, __m256d b, __m256d c) {
  return _mm256_fmadd_pd(_mm256_set1_pd(a), b, c);
}
typedef int Mask8 __attribute__((vector_size(8 * sizeof(int))));
inline std::uint32_t lane_bits(Mask8 mask) {
  return static_cast<std::uint32_t>(_mm256_movemask_ps(reinterpret_cast<__m256>(mask)));
}
#include "nearest_kernel.inl"
}  // namespace avx2_detail

namespace avx2_block {
#include "block_distance_kernel.inl"
}  // namespace avx2_block

namespace {

constexpr int kRows = 6;

void nearest_f32_avx2(const float* x, std::int64_t m, std::int64_t d, const float* mu,
                      const float* packed, const float* norms, std::int64_t k_padded,
                      std::int32_t* labels, float* best, float* second) {
  avx2_detail::nearest_dispatch<float, 8, kRows>(x, m, d, mu, packed, norms, k_padded, labels, best,
                                                 second);
}
void nearest_f64_avx2(const double* x, std::int64_t m, std::int64_t d, const double* mu,
                      const double* packed, const double* norms, std::int64_t k_padded,
                      std::int32_t* labels, double* best, double* second) {
  avx2_detail::nearest_dispatch<double, 4, kRows>(x, m, d, mu, packed, norms, k_padded, labels,
                                                  best, second);
}

void screen_f32_avx2(const float* x, std::int64_t m, std::int64_t d, const float* packed,
                     const float* norms, std::int64_t n_padded, const float* limits,
                     std::uint32_t* masks) {
  avx2_detail::screen_kernel<float, 8, kRows>(x, m, d, packed, norms, n_padded, limits, masks);
}

float hsum256_ps(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  __m128 shuf = _mm_movehdup_ps(lo);
  __m128 sums = _mm_add_ps(lo, shuf);
  shuf = _mm_movehl_ps(shuf, sums);
  sums = _mm_add_ss(sums, shuf);
  return _mm_cvtss_f32(sums);
}

double hsum256_pd(__m256d v) {
  __m128d lo = _mm256_castpd256_pd128(v);
  __m128d hi = _mm256_extractf128_pd(v, 1);
  lo = _mm_add_pd(lo, hi);
  __m128d high64 = _mm_unpackhi_pd(lo, lo);
  return _mm_cvtsd_f64(_mm_add_sd(lo, high64));
}

float sqdist_f32_avx2(const float* a, const float* b, std::size_t d) {
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  std::size_t j = 0;
  for (; j + 16 <= d; j += 16) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j));
    __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
    acc1 = _mm256_fmadd_ps(d1, d1, acc1);
  }
  for (; j + 8 <= d; j += 8) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
  }
  float sum = hsum256_ps(_mm256_add_ps(acc0, acc1));
  for (; j < d; ++j) {
    const float diff = a[j] - b[j];
    sum += diff * diff;
  }
  return sum;
}

double sqdist_f64_avx2(const double* a, const double* b, std::size_t d) {
  __m256d acc0 = _mm256_setzero_pd();
  __m256d acc1 = _mm256_setzero_pd();
  std::size_t j = 0;
  for (; j + 8 <= d; j += 8) {
    __m256d d0 = _mm256_sub_pd(_mm256_loadu_pd(a + j), _mm256_loadu_pd(b + j));
    __m256d d1 = _mm256_sub_pd(_mm256_loadu_pd(a + j + 4), _mm256_loadu_pd(b + j + 4));
    acc0 = _mm256_fmadd_pd(d0, d0, acc0);
    acc1 = _mm256_fmadd_pd(d1, d1, acc1);
  }
  for (; j + 4 <= d; j += 4) {
    __m256d d0 = _mm256_sub_pd(_mm256_loadu_pd(a + j), _mm256_loadu_pd(b + j));
    acc0 = _mm256_fmadd_pd(d0, d0, acc0);
  }
  double sum = hsum256_pd(_mm256_add_pd(acc0, acc1));
  for (; j < d; ++j) {
    const double diff = a[j] - b[j];
    sum += diff * diff;
  }
  return sum;
}

float dot_f32_avx2(const float* a, const float* b, std::size_t d) {
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  std::size_t j = 0;
  for (; j + 16 <= d; j += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), acc1);
  }
  for (; j + 8 <= d; j += 8) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), acc0);
  }
  float sum = hsum256_ps(_mm256_add_ps(acc0, acc1));
  for (; j < d; ++j) sum += a[j] * b[j];
  return sum;
}

double dot_f64_avx2(const double* a, const double* b, std::size_t d) {
  __m256d acc0 = _mm256_setzero_pd();
  __m256d acc1 = _mm256_setzero_pd();
  std::size_t j = 0;
  for (; j + 8 <= d; j += 8) {
    acc0 = _mm256_fmadd_pd(_mm256_loadu_pd(a + j), _mm256_loadu_pd(b + j), acc0);
    acc1 = _mm256_fmadd_pd(_mm256_loadu_pd(a + j + 4), _mm256_loadu_pd(b + j + 4), acc1);
  }
  for (; j + 4 <= d; j += 4) {
    acc0 = _mm256_fmadd_pd(_mm256_loadu_pd(a + j), _mm256_loadu_pd(b + j), acc0);
  }
  double sum = hsum256_pd(_mm256_add_pd(acc0, acc1));
  for (; j < d; ++j) sum += a[j] * b[j];
  return sum;
}

// |q - row| summed per row: one SAD per 32 bytes (four 64-bit partial sums), folded.
void l1_u8_avx2(const std::uint8_t* q, const std::uint8_t* rows, std::int64_t width,
                std::int64_t count, std::uint32_t* out) {
  for (std::int64_t j = 0; j < count; ++j) {
    const std::uint8_t* row = rows + j * width;
    __m256i acc = _mm256_setzero_si256();
    for (std::int64_t b = 0; b < width; b += 32) {
      const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + b));
      const __m256i r = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + b));
      acc = _mm256_add_epi64(acc, _mm256_sad_epu8(a, r));
    }
    __m128i sum = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    sum = _mm_add_epi64(sum, _mm_unpackhi_epi64(sum, sum));
    out[j] = static_cast<std::uint32_t>(_mm_cvtsi128_si64(sum));
  }
}

// Two 16-byte rows per register: each row's two 64-bit SAD halves added.
void l1_u8x16_within_avx2(const std::uint8_t* q, const std::uint8_t* rows, std::int64_t count,
                          std::uint32_t limit, std::uint64_t* masks) {
  const __m128i half = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  const __m256i query = _mm256_set_m128i(half, half);
  // Bounds above the limit, as 64-bit lanes: sum > limit.
  const __m256i bar = _mm256_set1_epi64x(static_cast<std::int64_t>(limit));
  for (std::int64_t word = 0; word < count / 64; ++word) {
    std::uint64_t mask = 0;
    for (int j = 0; j < 64; j += 2) {
      const __m256i sad = _mm256_sad_epu8(
          query, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows + 16 * (word * 64 + j))));
      const __m256i sums =
          _mm256_add_epi64(sad, _mm256_shuffle_epi32(sad, _MM_SHUFFLE(1, 0, 3, 2)));
      // Lanes 0 and 2 hold the two rows' bounds: bits 0 and 2 of the 64-bit lanes' mask.
      const int above = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(sums, bar)));
      mask |= static_cast<std::uint64_t>(~above & 1) << j;
      mask |= static_cast<std::uint64_t>((~above >> 2) & 1) << (j + 1);
    }
    masks[word] = mask;
  }
}

}  // namespace

const Kernels& avx2_kernels() {
  static const Kernels table{Level::avx2,
                             sqdist_f32_avx2,
                             sqdist_f64_avx2,
                             dot_f32_avx2,
                             dot_f64_avx2,
                             16,
                             8,
                             nearest_f32_avx2,
                             nearest_f64_avx2,
                             avx2_minhash::minhash_min_impl,
                             avx2_block::block_distances_any<4, 2>,
                             screen_f32_avx2,
                             avx2_grid::grid_limbs_impl<float>,
                             avx2_grid::grid_limbs_impl<double>,
                             avx2_grid::moment_sums_impl<float>,
                             avx2_grid::moment_sums_impl<double>,
                             avx2_grid::grid_slices_impl<float>,
                             avx2_grid::grid_slices_impl<double>,
                             l1_u8_avx2,
                             l1_u8x16_within_avx2};
  return table;
}

}  // namespace oddseq::simd
