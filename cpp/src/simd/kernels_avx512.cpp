// Built with AVX-512 flags; only called after dispatch confirmed the CPU has AVX-512F/DQ.
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "oddseq/simd/kernels.hpp"

namespace oddseq::simd {

namespace avx512_minhash {
#include "minhash_kernel.inl"
}  // namespace avx512_minhash

namespace avx512_grid {
#include "grid_kernel.inl"
}  // namespace avx512_grid

namespace avx512_detail {
inline __m512 multiply_add(float a, __m512 b, __m512 c) {
  return _mm512_fmadd_ps(_mm512_set1_ps(a), b, c);
}
inline __m512d multiply_add(double a, __m512d b, __m512d c) {
  return _mm512_fmadd_pd(_mm512_set1_pd(a), b, c);
}
typedef int Mask16 __attribute__((vector_size(16 * sizeof(int))));
inline std::uint32_t lane_bits(Mask16 mask) {
  return static_cast<std::uint32_t>(_mm512_movepi32_mask(reinterpret_cast<__m512i>(mask)));
}
#include "nearest_kernel.inl"
}  // namespace avx512_detail

namespace avx512_block {
#include "block_distance_kernel.inl"
}  // namespace avx512_block

namespace {

// Horizontal sums through memory: GCC 12's _mm512_reduce_add_* trips -Wuninitialized.
float hsum512_ps(__m512 v) {
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  float sum = 0.0f;
  for (float lane : lanes) sum += lane;
  return sum;
}

double hsum512_pd(__m512d v) {
  alignas(64) double lanes[8];
  _mm512_store_pd(lanes, v);
  double sum = 0.0;
  for (double lane : lanes) sum += lane;
  return sum;
}

constexpr int kRows = 12;

void nearest_f32_avx512(const float* x, std::int64_t m, std::int64_t d, const float* mu,
                        const float* packed, const float* norms, std::int64_t k_padded,
                        std::int32_t* labels, float* best, float* second) {
  avx512_detail::nearest_dispatch<float, 16, kRows>(x, m, d, mu, packed, norms, k_padded, labels,
                                                    best, second);
}
void nearest_f64_avx512(const double* x, std::int64_t m, std::int64_t d, const double* mu,
                        const double* packed, const double* norms, std::int64_t k_padded,
                        std::int32_t* labels, double* best, double* second) {
  avx512_detail::nearest_dispatch<double, 8, kRows>(x, m, d, mu, packed, norms, k_padded, labels,
                                                    best, second);
}

void screen_f32_avx512(const float* x, std::int64_t m, std::int64_t d, const float* packed,
                       const float* norms, std::int64_t n_padded, const float* limits,
                       std::uint32_t* masks) {
  avx512_detail::screen_kernel<float, 16, kRows>(x, m, d, packed, norms, n_padded, limits, masks);
}

float sqdist_f32_avx512(const float* a, const float* b, std::size_t d) {
  __m512 acc0 = _mm512_setzero_ps();
  __m512 acc1 = _mm512_setzero_ps();
  std::size_t j = 0;
  for (; j + 32 <= d; j += 32) {
    __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j));
    __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + j + 16), _mm512_loadu_ps(b + j + 16));
    acc0 = _mm512_fmadd_ps(d0, d0, acc0);
    acc1 = _mm512_fmadd_ps(d1, d1, acc1);
  }
  if (j < d) {
    // Masked loads cover the tail without reading past the arrays.
    for (; j < d; j += 16) {
      const std::size_t left = d - j;
      const __mmask16 mask =
          left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
      __m512 d0 =
          _mm512_sub_ps(_mm512_maskz_loadu_ps(mask, a + j), _mm512_maskz_loadu_ps(mask, b + j));
      acc0 = _mm512_fmadd_ps(d0, d0, acc0);
    }
  }
  return hsum512_ps(_mm512_add_ps(acc0, acc1));
}

double sqdist_f64_avx512(const double* a, const double* b, std::size_t d) {
  __m512d acc0 = _mm512_setzero_pd();
  __m512d acc1 = _mm512_setzero_pd();
  std::size_t j = 0;
  for (; j + 16 <= d; j += 16) {
    __m512d d0 = _mm512_sub_pd(_mm512_loadu_pd(a + j), _mm512_loadu_pd(b + j));
    __m512d d1 = _mm512_sub_pd(_mm512_loadu_pd(a + j + 8), _mm512_loadu_pd(b + j + 8));
    acc0 = _mm512_fmadd_pd(d0, d0, acc0);
    acc1 = _mm512_fmadd_pd(d1, d1, acc1);
  }
  for (; j < d; j += 8) {
    const std::size_t left = d - j;
    const __mmask8 mask =
        left >= 8 ? static_cast<__mmask8>(0xFF) : static_cast<__mmask8>((1u << left) - 1u);
    __m512d d0 =
        _mm512_sub_pd(_mm512_maskz_loadu_pd(mask, a + j), _mm512_maskz_loadu_pd(mask, b + j));
    acc0 = _mm512_fmadd_pd(d0, d0, acc0);
  }
  return hsum512_pd(_mm512_add_pd(acc0, acc1));
}

float dot_f32_avx512(const float* a, const float* b, std::size_t d) {
  __m512 acc0 = _mm512_setzero_ps();
  __m512 acc1 = _mm512_setzero_ps();
  std::size_t j = 0;
  for (; j + 32 <= d; j += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j + 16), _mm512_loadu_ps(b + j + 16), acc1);
  }
  for (; j < d; j += 16) {
    const std::size_t left = d - j;
    const __mmask16 mask =
        left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
    acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + j), _mm512_maskz_loadu_ps(mask, b + j),
                           acc0);
  }
  return hsum512_ps(_mm512_add_ps(acc0, acc1));
}

double dot_f64_avx512(const double* a, const double* b, std::size_t d) {
  __m512d acc0 = _mm512_setzero_pd();
  __m512d acc1 = _mm512_setzero_pd();
  std::size_t j = 0;
  for (; j + 16 <= d; j += 16) {
    acc0 = _mm512_fmadd_pd(_mm512_loadu_pd(a + j), _mm512_loadu_pd(b + j), acc0);
    acc1 = _mm512_fmadd_pd(_mm512_loadu_pd(a + j + 8), _mm512_loadu_pd(b + j + 8), acc1);
  }
  for (; j < d; j += 8) {
    const std::size_t left = d - j;
    const __mmask8 mask =
        left >= 8 ? static_cast<__mmask8>(0xFF) : static_cast<__mmask8>((1u << left) - 1u);
    acc0 = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(mask, a + j), _mm512_maskz_loadu_pd(mask, b + j),
                           acc0);
  }
  return hsum512_pd(_mm512_add_pd(acc0, acc1));
}

// |q - row| summed per row: one SAD per 64 bytes (eight 64-bit partial sums), folded;
// the common one-register rows keep the query in a register.
std::uint32_t fold_sad(__m512i acc) {
  // Through memory, as hsum512_pd: GCC 12's 512-bit extracts trip -Wmaybe-uninitialized.
  alignas(64) std::uint64_t lanes[8];
  _mm512_store_si512(lanes, acc);
  std::uint64_t sum = 0;
  for (const std::uint64_t lane : lanes) sum += lane;
  return static_cast<std::uint32_t>(sum);
}

void l1_u8_avx512(const std::uint8_t* q, const std::uint8_t* rows, std::int64_t width,
                  std::int64_t count, std::uint32_t* out) {
  if (width == 64) {
    const __m512i a = _mm512_loadu_si512(q);
    for (std::int64_t j = 0; j < count; ++j)
      out[j] = fold_sad(_mm512_sad_epu8(a, _mm512_loadu_si512(rows + j * 64)));
    return;
  }
  for (std::int64_t j = 0; j < count; ++j) {
    const std::uint8_t* row = rows + j * width;
    __m512i acc = _mm512_setzero_si512();
    for (std::int64_t b = 0; b < width; b += 64)
      acc = _mm512_add_epi64(
          acc, _mm512_sad_epu8(_mm512_loadu_si512(q + b), _mm512_loadu_si512(row + b)));
    out[j] = fold_sad(acc);
  }
}

// Four 16-byte rows per register: each row's SAD comes in two 64-bit halves (their
// low 32-bit words, as the sums are small), gathered for eight rows and added, then
// compared with the limit. (The mask forms with a zero source: GCC 12's unmasked ones
// trip -Wuninitialized.)
void l1_u8x16_within_avx512(const std::uint8_t* q, const std::uint8_t* rows, std::int64_t count,
                            std::uint32_t limit, std::uint64_t* masks) {
  const __m512i query = _mm512_mask_broadcast_i32x4(
      _mm512_setzero_si512(), 0xFFFF, _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
  const __m512i low = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m512i high = _mm512_setr_epi32(2, 6, 10, 14, 18, 22, 26, 30, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m512i bar =
      _mm512_set1_epi32(static_cast<int>(limit > 0x7FFFFFFFu ? 0x7FFFFFFFu : limit));
  for (std::int64_t word = 0; word < count / 64; ++word) {
    std::uint64_t mask = 0;
    const std::uint8_t* block = rows + word * 64 * 16;
    for (int j = 0; j < 64; j += 8) {
      const __m512i a = _mm512_sad_epu8(query, _mm512_loadu_si512(block + 16 * j));
      const __m512i b = _mm512_sad_epu8(query, _mm512_loadu_si512(block + 16 * j + 64));
      const __m512i sums = _mm512_add_epi32(_mm512_permutex2var_epi32(a, low, b),
                                            _mm512_permutex2var_epi32(a, high, b));
      const __mmask16 within = _mm512_mask_cmple_epi32_mask(0x00FF, sums, bar);
      mask |= static_cast<std::uint64_t>(within) << j;
    }
    masks[word] = mask;
  }
}

}  // namespace

const Kernels& avx512_kernels() {
  static const Kernels table{Level::avx512,
                             sqdist_f32_avx512,
                             sqdist_f64_avx512,
                             dot_f32_avx512,
                             dot_f64_avx512,
                             32,
                             16,
                             nearest_f32_avx512,
                             nearest_f64_avx512,
                             avx512_minhash::minhash_min_impl,
                             avx512_block::block_distances_any<8, 2>,
                             screen_f32_avx512,
                             avx512_grid::grid_limbs_impl<float>,
                             avx512_grid::grid_limbs_impl<double>,
                             avx512_grid::moment_sums_impl<float>,
                             avx512_grid::moment_sums_impl<double>,
                             avx512_grid::grid_slices_impl<float>,
                             avx512_grid::grid_slices_impl<double>,
                             l1_u8_avx512,
                             l1_u8x16_within_avx512};
  return table;
}

}  // namespace oddseq::simd
