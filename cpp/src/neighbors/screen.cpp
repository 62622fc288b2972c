#include "oddseq/neighbors/screen.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "oddseq/simd/kernels.hpp"

namespace oddseq::neighbors {

namespace {

// Rows framed further out than this (in units of the points' spread) are not screened:
// their squares would approach float32's range.
constexpr double kFarthestFramed = 0x1p40;

}  // namespace

Screen::Screen(const double* points, std::int64_t n, std::int64_t d)
    : n_(n), d_(d), centre_(static_cast<std::size_t>(d), 0.0) {
  const simd::Kernels& kernels = simd::active();
  tile_ = kernels.tile_f32;
  padded_ = simd::padded_count(n, tile_);
  if (n <= 0 || d <= 0) return;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t k = 0; k < d; ++k) centre_[k] += points[i * d + k];
  }
  for (double& c : centre_) c /= static_cast<double>(n);
  double spread = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t k = 0; k < d; ++k) {
      spread = std::max(spread, std::fabs(points[i * d + k] - centre_[k]));
    }
  }
  if (spread == 0.0) spread = 1.0;  // one point repeated: any scale will do
  if (!(spread >= 0x1p-400 && spread <= 0x1p400)) return;
  int exponent = 0;
  std::frexp(spread, &exponent);  // spread < 2^exponent
  scale_ = std::ldexp(1.0, -exponent);
  const double dim = static_cast<double>(d);
  relative_ = (dim + 16) * 0x1p-21;
  absolute_ = (dim + 16) * 0x1p-120;
  std::vector<float> framed(static_cast<std::size_t>(n * d));
  std::vector<double> norms(static_cast<std::size_t>(n));
  const std::unique_ptr<bool[]> screenable(new bool[static_cast<std::size_t>(n)]);
  frame(points, n, framed.data(), norms.data(), screenable.get());  // all are: |framed| < 1
  packed_.resize(static_cast<std::size_t>(padded_ * d));
  packed_norms_.resize(static_cast<std::size_t>(padded_));
  simd::pack_centers(framed.data(), n, d, tile_, packed_.data(), packed_norms_.data());
  // The norms term carries the points' share of the allowance (see the header).
  for (std::int64_t i = 0; i < n; ++i) {
    packed_norms_[i] = static_cast<float>(norms[i] * (1 - relative_));
  }
  usable_ = true;
}

void Screen::frame(const double* q, std::int64_t m, float* rows, double* norms,
                   bool* screenable) const {
  for (std::int64_t i = 0; i < m; ++i) {
    double norm = 0.0;
    bool near = true;
    for (std::int64_t k = 0; k < d_; ++k) {
      const double framed = (q[i * d_ + k] - centre_[k]) * scale_;
      near = near && std::fabs(framed) <= kFarthestFramed;
      const float rounded = near ? static_cast<float>(framed) : 0.0f;
      rows[i * d_ + k] = rounded;
      norm += static_cast<double>(rounded) * rounded;
    }
    norms[i] = norm;
    screenable[i] = near;
  }
}

float Screen::limit(double tau, double norm) const {
  const double scaled = tau * scale_ * scale_;
  if (!std::isfinite(scaled)) return std::numeric_limits<float>::infinity();
  // The double arithmetic here rounds by far less than the last term allows for.
  const double bound =
      scaled - norm * (1 - relative_) + absolute_ + 0x1p-50 * (std::fabs(scaled) + norm);
  float rounded = static_cast<float>(bound);
  if (static_cast<double>(rounded) < bound) {
    rounded = std::nextafter(rounded, std::numeric_limits<float>::infinity());
  }
  return rounded;
}

void Screen::screen(const float* rows, std::int64_t m, const float* limits, std::int64_t first_tile,
                    std::int64_t tiles, std::uint32_t* masks) const {
  const float* packed = packed_.data() + first_tile * tile_ * d_;
  const float* norms = packed_norms_.data() + first_tile * tile_;
  simd::active().screen_f32(rows, m, d_, packed, norms, tiles * tile_, limits, masks);
}

}  // namespace oddseq::neighbors
