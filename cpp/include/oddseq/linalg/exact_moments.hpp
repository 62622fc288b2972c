#pragma once
// Order-free moments (oddseq.utils._exact): a column's values on a binary grid, as
// integers whose sums do not depend on the order or split of the rows.
//
// With every |x| in column j below 2^e_j, y = x * 2^(16 - e_j) is below 2^16 and is cut
// toward zero into four signed 16-bit slices: y = a_0 + a_1 2^-16 + a_2 2^-32 + a_3 2^-48
// (the value on the grid 2^(e_j - 64)). The slices' sums and their products' sums are
// integers; exact moments and scatter matrices are formed from them (in Python, as
// fractions) and rounded once. One kernel cuts the values at every SIMD level
// (simd::moment_sums, simd::grid_slices, next to K-means' simd::grid_limbs).
#include <cstdint>
#include <vector>

namespace oddseq::linalg {

constexpr int kMomentSlices = 4;
constexpr int kMomentSliceBits = 16;
constexpr int kMomentPairs = 10;  // slice pairs s <= t
// Grid exponents outside this range cannot come from a finite double's frexp.
constexpr int kMinGridExponent = -1074;
constexpr int kMaxGridExponent = 1024;

// out[j] = max |x[i, j]| over the n rows (row-major, n x d), NaN for a column holding a
// NaN, 0 for no rows: the grids' scale, in one pass without a temporary.
template <class T>
void column_max_abs(const T* x, std::int64_t n, std::int64_t d, double* out);

// Per column, 2^(16 - e) as scale * rescale, each a normal double.
struct GridScale {
  std::vector<double> scale, rescale;
};
// Throws std::invalid_argument for an exponent outside [kMinGridExponent, kMaxGridExponent].
GridScale grid_scale(const std::int64_t* exps, std::int64_t d);

// The integer sums of n rows (row-major, n x d): sums[s * d + j] = sum of a_s of column j,
// products[(s * 4 + t) * d + j] = sum of a_s a_t of column j (all 16 pairs, symmetric).
// Exact in int64 for n <= kMaxMomentRows. Rows in blocks on n_threads threads, each block's
// integers added up: the same sums for any thread count. Polls for Ctrl-C. Throws
// std::invalid_argument for a value beyond its column's grid or not finite.
constexpr std::int64_t kMaxMomentRows = std::int64_t{1} << 30;
struct MomentSums {
  std::int64_t n = 0;
  std::vector<std::int64_t> sums;      // 4 x d
  std::vector<std::int64_t> products;  // 4 x 4 x d
};
template <class T>
MomentSums exact_moment_sums(const T* x, std::int64_t n, std::int64_t d, const std::int64_t* exps,
                             int n_threads);

// The signed slices of n rows: out[r * 4d + s * d + j] = a_s of x[r, j] (n x 4d doubles,
// integers below 2^16 in magnitude). Same refusals as exact_moment_sums.
template <class T>
void exact_grid_slices(const T* x, std::int64_t n, std::int64_t d, const std::int64_t* exps,
                       double* out);

}  // namespace oddseq::linalg
