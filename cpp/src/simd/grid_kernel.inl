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
// moment_rows adds R rows' slices (rows at row, row + d, ...): its loop runs across the
// columns, the R rows summed in registers before each output is updated, every output its
// own restrict pointer, so it vectorises with the unit's flags (a loop over a block of rows
// with the outputs at offsets of d did not, and one row per pass spent its time on the
// fifteen outputs' loads and stores).
template <int R, class T>
inline void moment_rows(const T* __restrict row, std::int64_t stride, std::int64_t d,
                        const double* __restrict scale, const double* __restrict rescale,
                        double* __restrict s0, double* __restrict s1, double* __restrict s2,
                        double* __restrict s3, double* __restrict p00, double* __restrict p01,
                        double* __restrict p02, double* __restrict p03, double* __restrict p11,
                        double* __restrict p12, double* __restrict p13, double* __restrict p22,
                        double* __restrict p23, double* __restrict p33,
                        double* __restrict outside) {
  constexpr double kSlice = 65536.0;
  for (std::int64_t j = 0; j < d; ++j) {
    double o = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0, q00 = 0, q01 = 0, q02 = 0, q03 = 0, q11 = 0,
           q12 = 0, q13 = 0, q22 = 0, q23 = 0, q33 = 0;
    for (int k = 0; k < R; ++k) {
      const double y = static_cast<double>(row[k * stride + j]) * scale[j] * rescale[j];
      const double m = std::fabs(y);
      o += m < kSlice ? 0.0 : 1.0;
      const double a0 = slice_floor(m);
      const double r1 = (m - a0) * kSlice;
      const double a1 = slice_floor(r1);
      const double r2 = (r1 - a1) * kSlice;
      const double a2 = slice_floor(r2);
      const double a3 = slice_floor((r2 - a2) * kSlice);
      const double sign = y < 0.0 ? -1.0 : 1.0;
      t0 += sign * a0;
      t1 += sign * a1;
      t2 += sign * a2;
      t3 += sign * a3;
      q00 += a0 * a0;
      q01 += a0 * a1;
      q02 += a0 * a2;
      q03 += a0 * a3;
      q11 += a1 * a1;
      q12 += a1 * a2;
      q13 += a1 * a3;
      q22 += a2 * a2;
      q23 += a2 * a3;
      q33 += a3 * a3;
    }
    outside[j] += o;
    s0[j] += t0;
    s1[j] += t1;
    s2[j] += t2;
    s3[j] += t3;
    p00[j] += q00;
    p01[j] += q01;
    p02[j] += q02;
    p03[j] += q03;
    p11[j] += q11;
    p12[j] += q12;
    p13[j] += q13;
    p22[j] += q22;
    p23[j] += q23;
    p33[j] += q33;
  }
}

// R rows of `width` columns from column j0 on (row stride `stride`, outputs of d columns).
template <int R, class T>
inline void moment_rows_at(const T* row, std::int64_t stride, std::int64_t width, std::int64_t d,
                           std::int64_t j0, const double* scale, const double* rescale,
                           double* sums, double* products, double* outside) {
  double* s = sums + j0;
  double* p = products + j0;
  moment_rows<R>(row, stride, width, scale + j0, rescale + j0, s, s + d, s + 2 * d, s + 3 * d, p,
                 p + d, p + 2 * d, p + 3 * d, p + 4 * d, p + 5 * d, p + 6 * d, p + 7 * d, p + 8 * d,
                 p + 9 * d, outside + j0);
}

// Rows four at a time; float32 rows are first widened into a small block of doubles, a
// chunk of columns at a time (read directly, the loop over mixed widths took 1.7x longer).
template <class T>
void moment_sums_impl(const T* x, std::int64_t rows, std::int64_t d, const double* scale,
                      const double* rescale, double* sums, double* products, double* outside) {
  constexpr int kRows = 4;
  constexpr std::int64_t kColumns = 64;
  double wide[kRows * kColumns];
  std::int64_t r = 0;
  for (; r + kRows <= rows; r += kRows) {
    const T* block = x + r * d;
    if (sizeof(T) == sizeof(double)) {
      moment_rows_at<kRows>(block, d, d, d, 0, scale, rescale, sums, products, outside);
      continue;
    }
    for (std::int64_t j0 = 0; j0 < d; j0 += kColumns) {
      const std::int64_t width = d - j0 < kColumns ? d - j0 : kColumns;
      for (int k = 0; k < kRows; ++k) {
        for (std::int64_t j = 0; j < width; ++j) {
          wide[k * kColumns + j] = static_cast<double>(block[k * d + j0 + j]);
        }
      }
      moment_rows_at<kRows>(wide, kColumns, width, d, j0, scale, rescale, sums, products, outside);
    }
  }
  for (; r < rows; ++r) {
    moment_rows_at<1>(x + r * d, d, d, d, 0, scale, rescale, sums, products, outside);
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
