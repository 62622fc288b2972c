#pragma once
// Vector kernels with one implementation per instruction set. The scalar kernels are
// the reference; AVX2 and AVX-512 variants live in their own translation units built
// with their own flags, and dispatch picks one table once per process.
#include <cstddef>
#include <cstdint>
#include <string>

namespace oddseq::simd {

enum class Level { scalar = 0, avx2 = 1, avx512 = 2 };

// How block_distances folds per-feature differences g: the sum of g^2 (squared
// euclidean), of |g| (manhattan), or the largest |g| (chebyshev).
enum class Reduction { squares, absolutes, max_absolute };

// Points per vector slot of block_distances: blocks are padded to a multiple of this.
constexpr std::int64_t kBlockLanes = 8;

// Bytes per row of l1_u8 come in multiples of this (one AVX-512 register).
constexpr std::int64_t kL1ByteLanes = 64;

struct Kernels {
  Level level;
  float (*sqdist_f32)(const float* a, const float* b, std::size_t d);
  double (*sqdist_f64)(const double* a, const double* b, std::size_t d);
  float (*dot_f32)(const float* a, const float* b, std::size_t d);
  double (*dot_f64)(const double* a, const double* b, std::size_t d);

  // Fused nearest-centre search (the k-means assignment step): for each of the m rows of
  // x[m x d], the index of the centre minimising ||c||^2 - 2 x.c and that value (add
  // ||x||^2 for the squared distance). Centres come packed by pack_centers() with this
  // table's tile width; ties go to the smallest centre index. When `second` is not null
  // it receives the second smallest value (the runner-up centre, for bounds). When `mu` is
  // not null the rows are taken as x - mu (centres must then be packed as c - mu), which
  // keeps the expansion from cancelling when the data lie far from the origin.
  std::int64_t tile_f32;
  std::int64_t tile_f64;
  void (*nearest_f32)(const float* x, std::int64_t m, std::int64_t d, const float* mu,
                      const float* packed, const float* packed_norms, std::int64_t k_padded,
                      std::int32_t* labels, float* best, float* second);
  void (*nearest_f64)(const double* x, std::int64_t m, std::int64_t d, const double* mu,
                      const double* packed, const double* packed_norms, std::int64_t k_padded,
                      std::int32_t* labels, double* best, double* second);

  // MinHash minima: best[j] = min over x[0..n) of ((mult[j] * x + add[j]) mod 2^32) >> 8
  // for j < n_hashes, or 2^24 when n == 0 (values fit float32 exactly).
  void (*minhash_min)(const std::uint32_t* x, std::int64_t n, const std::uint32_t* mult,
                      const std::uint32_t* add, std::int64_t n_hashes, std::uint32_t* best);

  // Reduced distances from the query q[d] to `count` points stored feature-major
  // (coordinate k of point j at points[k * stride + j]); count is a multiple of
  // kBlockLanes. Every level folds the features in the order that defines a neighbour
  // distance (neighbors/metric.hpp: four interleaved partials, no fused multiply-add),
  // so the result is the same on every CPU and equal to neighbors::*::between.
  void (*block_distances)(Reduction reduction, const double* q, const double* points,
                          std::int64_t d, std::int64_t stride, std::int64_t count, double* out);

  // Screening for exact neighbour searches, on points packed like centres (tile_f32):
  // bit l of masks[i * tiles + t] (tiles = n_padded / tile_f32) is set when
  // packed_norms[c] - 2 x_i.c <= limits[i] for point c = t * tile_f32 + l. Rounding
  // differs between levels (fused or not); callers bound it, they never rely on it.
  void (*screen_f32)(const float* x, std::int64_t m, std::int64_t d, const float* packed,
                     const float* packed_norms, std::int64_t n_padded, const float* limits,
                     std::uint32_t* masks);

  // A row on the columns' fixed-point grids (cluster/exact_sums.hpp) as three signed limbs:
  // limbs[j] + limbs[d + j] * 2^42 + limbs[2d + j] * 2^84 = trunc(w * x[j] * scale[j]), each
  // limb below 2^42 in magnitude, for scale[j] = 2^shift_j a normal double and
  // |w * x[j] * scale[j]| < 2^125. Exact: the same integers at every level.
  void (*grid_limbs_f32)(const float* x, std::int64_t d, double w, const double* scale,
                         std::int64_t* limbs);
  void (*grid_limbs_f64)(const double* x, std::int64_t d, double w, const double* scale,
                         std::int64_t* limbs);

  // The exact moments' grid (linalg/exact_moments.hpp): y = x[r, j] * scale[j] *
  // rescale[j] cut into four signed 16-bit slices a_0 + a_1 2^-16 + a_2 2^-32 +
  // a_3 2^-48 (toward zero). moment_sums adds, over `rows` rows (stride d, at most 2^21),
  // sums[s * d + j] += a_s and products[q * d + j] += |a_s a_t| for the ten pairs s <= t
  // ((0,0) (0,1) (0,2) (0,3) (1,1) (1,2) (1,3) (2,2) (2,3) (3,3)); grid_slices writes
  // out[r * 4d + s * d + j] = a_s. Both add 1 to outside[j] per value with |y| >= 2^16 or
  // NaN. Exact integers in doubles: the same at every level.
  void (*moment_sums_f32)(const float* x, std::int64_t rows, std::int64_t d, const double* scale,
                          const double* rescale, double* sums, double* products, double* outside);
  void (*moment_sums_f64)(const double* x, std::int64_t rows, std::int64_t d, const double* scale,
                          const double* rescale, double* sums, double* products, double* outside);
  void (*grid_slices_f32)(const float* x, std::int64_t rows, std::int64_t d, const double* scale,
                          const double* rescale, double* out, double* outside);
  void (*grid_slices_f64)(const double* x, std::int64_t rows, std::int64_t d, const double* scale,
                          const double* rescale, double* out, double* outside);

  // L1 distances between rows of bytes (small counts): out[j] = sum over b < width of
  // |q[b] - rows[j * width + b]| for j < count, width a multiple of kL1ByteLanes (at most
  // 2^24 bytes, so a sum fits 32 bits). Exact integers: the same at every level.
  void (*l1_u8)(const std::uint8_t* q, const std::uint8_t* rows, std::int64_t width,
                std::int64_t count, std::uint32_t* out);
  // The same for rows of 16 bytes (a count vector's group sums, which bound its distances),
  // as a screen: bit j % 64 of masks[j / 64] is set when sum over b < 16 of
  // |q[b] - rows[16 j + b]| <= limit, for j < count, a multiple of 64. Exact at every level.
  void (*l1_u8x16_within)(const std::uint8_t* q, const std::uint8_t* rows, std::int64_t count,
                          std::uint32_t limit, std::uint64_t* masks);
};

// Number of centre slots after padding k up to a multiple of the tile width.
inline std::int64_t padded_count(std::int64_t k, std::int64_t tile) {
  return (k + tile - 1) / tile * tile;
}

// Packs centres[k x d] into tiles of `tile` centres stored feature-major
// (packed[t][j][0..tile)) and scaled by -2, so kernels stream whole vectors of centres
// per feature and accumulate ||c||^2 - 2 x.c directly.
// Padding slots get zero coordinates and +inf norms so they are never chosen.
// `packed` holds padded_count(k, tile) * d values, `packed_norms` padded_count(k, tile).
void pack_centers(const float* centers, std::int64_t k, std::int64_t d, std::int64_t tile,
                  float* packed, float* packed_norms);
void pack_centers(const double* centers, std::int64_t k, std::int64_t d, std::int64_t tile,
                  double* packed, double* packed_norms);

// Per-ISA tables (defined in kernels_<isa>.cpp).
const Kernels& scalar_kernels();
const Kernels& avx2_kernels();
const Kernels& avx512_kernels();

// The best level this CPU supports, ignoring any override.
Level best_supported_level();
bool is_supported(Level level);

// The table used by the whole core: chosen on first use from the CPU, or forced by the
// ODDSEQ_SIMD environment variable ("scalar", "avx2", "avx512"). Throws
// std::invalid_argument for an unknown name or a level this CPU cannot run.
const Kernels& active();
// A specific level's table (for tests comparing ISAs); throws if unsupported.
const Kernels& kernels_for(Level level);

Level parse_level(const std::string& name);
const char* level_name(Level level);

// Typed access so templated algorithms pick the right kernel.
inline float sqdist(const Kernels& k, const float* a, const float* b, std::size_t d) {
  return k.sqdist_f32(a, b, d);
}
inline double sqdist(const Kernels& k, const double* a, const double* b, std::size_t d) {
  return k.sqdist_f64(a, b, d);
}
inline float dot(const Kernels& k, const float* a, const float* b, std::size_t d) {
  return k.dot_f32(a, b, d);
}
inline double dot(const Kernels& k, const double* a, const double* b, std::size_t d) {
  return k.dot_f64(a, b, d);
}
inline void grid_limbs(const Kernels& k, const float* x, std::int64_t d, double w,
                       const double* scale, std::int64_t* limbs) {
  k.grid_limbs_f32(x, d, w, scale, limbs);
}
inline void grid_limbs(const Kernels& k, const double* x, std::int64_t d, double w,
                       const double* scale, std::int64_t* limbs) {
  k.grid_limbs_f64(x, d, w, scale, limbs);
}
inline void moment_sums(const Kernels& k, const float* x, std::int64_t rows, std::int64_t d,
                        const double* scale, const double* rescale, double* sums, double* products,
                        double* outside) {
  k.moment_sums_f32(x, rows, d, scale, rescale, sums, products, outside);
}
inline void moment_sums(const Kernels& k, const double* x, std::int64_t rows, std::int64_t d,
                        const double* scale, const double* rescale, double* sums, double* products,
                        double* outside) {
  k.moment_sums_f64(x, rows, d, scale, rescale, sums, products, outside);
}
inline void grid_slices(const Kernels& k, const float* x, std::int64_t rows, std::int64_t d,
                        const double* scale, const double* rescale, double* out, double* outside) {
  k.grid_slices_f32(x, rows, d, scale, rescale, out, outside);
}
inline void grid_slices(const Kernels& k, const double* x, std::int64_t rows, std::int64_t d,
                        const double* scale, const double* rescale, double* out, double* outside) {
  k.grid_slices_f64(x, rows, d, scale, rescale, out, outside);
}
inline std::int64_t tile_width(const Kernels& k, float) { return k.tile_f32; }
inline std::int64_t tile_width(const Kernels& k, double) { return k.tile_f64; }
inline void nearest(const Kernels& k, const float* x, std::int64_t m, std::int64_t d,
                    const float* mu, const float* packed, const float* norms, std::int64_t k_padded,
                    std::int32_t* labels, float* best, float* second = nullptr) {
  k.nearest_f32(x, m, d, mu, packed, norms, k_padded, labels, best, second);
}
inline void nearest(const Kernels& k, const double* x, std::int64_t m, std::int64_t d,
                    const double* mu, const double* packed, const double* norms,
                    std::int64_t k_padded, std::int32_t* labels, double* best,
                    double* second = nullptr) {
  k.nearest_f64(x, m, d, mu, packed, norms, k_padded, labels, best, second);
}

}  // namespace oddseq::simd
