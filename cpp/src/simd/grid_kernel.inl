// Values on a column's binary fixed-point grid (cluster/exact_sums.hpp), written once as
// plain loops and included by each ISA's translation unit inside its own namespace, so
// the compiler vectorises it with that unit's flags. Every step is exact, so all levels
// give the same integers.
// The including unit provides <cmath>, <cstdint> and <cstring>.

// trunc(v) for 0 <= v, in round-to-nearest arithmetic: below 2^52, adding and taking away
// 2^52 rounds v to an integer, one too many when it rounded up; from 2^52 on, v is one.
inline double whole_part(double v) {
  constexpr double kTwo52 = 0x1p52;
  const double rounded = (v + kTwo52) - kTwo52;
  const double down = rounded > v ? rounded - 1.0 : rounded;
  return v >= kTwo52 ? v : down;
}

// limbs[j] + limbs[d + j] * 2^42 + limbs[2d + j] * 2^84 = trunc(w * x[j] * scale[j]), the
// three limbs of the value's sign and below 2^42 in magnitude. scale[j] is the column's
// 2^shift as a normal double and |w * x[j] * scale[j]| < 2^125 (the grid's promise), so
// the product is exact (a power of two), and splitting an integer-valued double at 2^84
// and 2^42 is exact (each part is a run of the value's own bits). A part below 2^52 is
// read off as an integer by adding 2^52 and taking the bits.
template <class T>
void grid_limbs_impl(const T* x, std::int64_t d, double w, const double* scale,
                     std::int64_t* limbs) {
  constexpr double kTwo52 = 0x1p52;
  constexpr std::int64_t kChunk = 16;
  std::int64_t two52_bits = 0;
  std::memcpy(&two52_bits, &kTwo52, sizeof two52_bits);
  for (std::int64_t j0 = 0; j0 < d; j0 += kChunk) {
    const std::int64_t width = d - j0 < kChunk ? d - j0 : kChunk;
    double part[3][kChunk];
    std::int64_t negative[kChunk];
    for (std::int64_t j = 0; j < width; ++j) {
      const double v = w * static_cast<double>(x[j0 + j]) * scale[j0 + j];
      const double q = whole_part(std::fabs(v));
      const double high = whole_part(q * 0x1p-84);
      const double rest = q - high * 0x1p84;
      const double middle = whole_part(rest * 0x1p-42);
      part[0][j] = (rest - middle * 0x1p42) + kTwo52;
      part[1][j] = middle + kTwo52;
      part[2][j] = high + kTwo52;
      negative[j] = v < 0.0 ? -1 : 0;
    }
    std::int64_t bits[3][kChunk];
    std::memcpy(bits, part, sizeof bits);
    for (int l = 0; l < 3; ++l) {
      std::int64_t* out = limbs + l * d + j0;
      for (std::int64_t j = 0; j < width; ++j) {
        const std::int64_t magnitude = bits[l][j] - two52_bits;
        out[j] = (magnitude ^ negative[j]) - negative[j];  // negated where v < 0
      }
    }
  }
}

// floor(v) for 0 <= v < 2^52, in round-to-nearest arithmetic (whole_part without its
// branch for v >= 2^52: a slice's value is below 2^16, and larger ones or NaN are counted
// as outside the grid and never used). Plain arithmetic, so the loops below vectorise.
inline double slice_floor(double v) {
  constexpr double kTwo52 = 0x1p52;
  const double rounded = (v + kTwo52) - kTwo52;
  return rounded > v ? rounded - 1.0 : rounded;
}

// The exact moments' grid (linalg/exact_moments.hpp): y = x * scale[j] * rescale[j] (the
// column's 2^(16 - e), split in two where one factor would not be a normal double) is
// below 2^16 in magnitude on a column's grid, and its bits down to 2^-48 are cut into
// four 16-bit slices a_0..a_3 (|y| = a_0 + a_1 2^-16 + a_2 2^-32 + a_3 2^-48 + what is
// cut), each carrying y's sign. Exact: powers of two scale exactly and each slice is a
// run of |y|'s own bits. |y| >= 2^16 (or NaN) is counted in outside[j] instead.
//
// moment_sums adds, over `rows` rows (stride d), sums[s * d + j] += a_s, products[q * d +
// j] += |a_s a_t| for the ten pairs s <= t in the order (0,0) (0,1) (0,2) (0,3) (1,1)
// (1,2) (1,3) (2,2) (2,3) (3,3), and outside[j]. Every term is an integer, a slice below
// 2^16 and a product below 2^32, so the double sums stay exact for up to 2^21 rows.
//
// moment_row adds one row's slices: its loop runs across the row's columns, each output
// its own restrict pointer, so it vectorises with the unit's flags (a loop over a block
// of rows with the outputs at offsets of d did not).
template <class T>
inline void moment_row(const T* __restrict row, std::int64_t d, const double* __restrict scale,
                       const double* __restrict rescale, double* __restrict s0,
                       double* __restrict s1, double* __restrict s2, double* __restrict s3,
                       double* __restrict p00, double* __restrict p01, double* __restrict p02,
                       double* __restrict p03, double* __restrict p11, double* __restrict p12,
                       double* __restrict p13, double* __restrict p22, double* __restrict p23,
                       double* __restrict p33, double* __restrict outside) {
  constexpr double kSlice = 65536.0;
  for (std::int64_t j = 0; j < d; ++j) {
    const double y = static_cast<double>(row[j]) * scale[j] * rescale[j];
    const double m = std::fabs(y);
    outside[j] += m < kSlice ? 0.0 : 1.0;
    const double a0 = slice_floor(m);
    const double r1 = (m - a0) * kSlice;
    const double a1 = slice_floor(r1);
    const double r2 = (r1 - a1) * kSlice;
    const double a2 = slice_floor(r2);
    const double a3 = slice_floor((r2 - a2) * kSlice);
    const double sign = y < 0.0 ? -1.0 : 1.0;
    s0[j] += sign * a0;
    s1[j] += sign * a1;
    s2[j] += sign * a2;
    s3[j] += sign * a3;
    p00[j] += a0 * a0;
    p01[j] += a0 * a1;
    p02[j] += a0 * a2;
    p03[j] += a0 * a3;
    p11[j] += a1 * a1;
    p12[j] += a1 * a2;
    p13[j] += a1 * a3;
    p22[j] += a2 * a2;
    p23[j] += a2 * a3;
    p33[j] += a3 * a3;
  }
}

template <class T>
void moment_sums_impl(const T* x, std::int64_t rows, std::int64_t d, const double* scale,
                      const double* rescale, double* __restrict sums, double* __restrict products,
                      double* __restrict outside) {
  for (std::int64_t r = 0; r < rows; ++r) {
    moment_row(x + r * d, d, scale, rescale, sums, sums + d, sums + 2 * d, sums + 3 * d, products,
               products + d, products + 2 * d, products + 3 * d, products + 4 * d, products + 5 * d,
               products + 6 * d, products + 7 * d, products + 8 * d, products + 9 * d, outside);
  }
}

// The signed slices of `rows` rows: out[r * 4d + s * d + j] = a_s of x[r, j] (a row's four
// slice blocks side by side), outside as above.
template <class T>
inline void slice_row(const T* __restrict row, std::int64_t d, const double* __restrict scale,
                      const double* __restrict rescale, double* __restrict a0_out,
                      double* __restrict a1_out, double* __restrict a2_out,
                      double* __restrict a3_out, double* __restrict outside) {
  constexpr double kSlice = 65536.0;
  for (std::int64_t j = 0; j < d; ++j) {
    const double y = static_cast<double>(row[j]) * scale[j] * rescale[j];
    const double m = std::fabs(y);
    outside[j] += m < kSlice ? 0.0 : 1.0;
    const double a0 = slice_floor(m);
    const double r1 = (m - a0) * kSlice;
    const double a1 = slice_floor(r1);
    const double r2 = (r1 - a1) * kSlice;
    const double a2 = slice_floor(r2);
    const double a3 = slice_floor((r2 - a2) * kSlice);
    const double sign = y < 0.0 ? -1.0 : 1.0;
    a0_out[j] = sign * a0;
    a1_out[j] = sign * a1;
    a2_out[j] = sign * a2;
    a3_out[j] = sign * a3;
  }
}

template <class T>
void grid_slices_impl(const T* x, std::int64_t rows, std::int64_t d, const double* scale,
                      const double* rescale, double* out, double* outside) {
  for (std::int64_t r = 0; r < rows; ++r) {
    double* dst = out + r * 4 * d;
    slice_row(x + r * d, d, scale, rescale, dst, dst + d, dst + 2 * d, dst + 3 * d, outside);
  }
}
