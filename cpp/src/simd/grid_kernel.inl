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
