#include "oddseq/linalg/select.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "oddseq/core/big_buffer.hpp"
#include "oddseq/core/check.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::linalg {

void top_columns(const double* x, std::int64_t n, std::int64_t d, std::int64_t top, int n_threads,
                 std::int64_t* out) {
  ODDSEQ_CHECK(n >= 0 && top >= 1 && top <= d, "top_columns: top must be in [1, d]");
  // Whether column a of a row ranks before column b: larger value, or equal (or both
  // NaN) and smaller column. NaN ranks below every number.
  const auto before = [](double va, std::int64_t a, double vb, std::int64_t b) {
    const bool na = std::isnan(va), nb = std::isnan(vb);
    if (na != nb) return nb;
    if (!na && va != vb) return va > vb;
    return a < b;
  };
  core::parallel_for_interruptible(
      n, n_threads,
      [&](std::int64_t i) {
        const double* row = x + i * d;
        std::int64_t* best = out + i * top;
        // Insertion into a sorted list of `top`: rows are short (features) and top is small.
        std::int64_t size = 0;
        for (std::int64_t j = 0; j < d; ++j) {
          if (size == top && !before(row[j], j, row[best[top - 1]], best[top - 1])) continue;
          std::int64_t at = size < top ? size++ : top - 1;
          while (at > 0 && before(row[j], j, row[best[at - 1]], best[at - 1])) {
            best[at] = best[at - 1];
            --at;
          }
          best[at] = j;
        }
      },
      1024);
}

namespace {

// The median of values[0, n) (n >= 1), reordering them: the middle entry, or the mean of
// the two middle ones as numpy takes it, (a + b) / 2.
double median_of(double* values, std::int64_t n) {
  const std::int64_t upper = n / 2;
  std::nth_element(values, values + upper, values + n);
  const double high = values[upper];
  if (n % 2 == 1) return high;
  const double low = *std::max_element(values, values + upper);  // the lower middle
  return (low + high) / 2;
}

}  // namespace

void column_median_mad(const double* x, std::int64_t n, std::int64_t d, int n_threads,
                       double* median, double* mad) {
  ODDSEQ_CHECK(n >= 0 && d >= 0, "column_median_mad: negative size");
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  core::parallel_for_interruptible(
      d, n_threads,
      [&](std::int64_t j) {
        core::BigBuffer<double> column(static_cast<std::size_t>(n));
        bool missing = n == 0;
        for (std::int64_t i = 0; i < n; ++i) {
          const double v = x[i * d + j];
          missing |= std::isnan(v);
          column[static_cast<std::size_t>(i)] = v;
        }
        median[j] = mad[j] = kNaN;  // numpy's median of a column holding a NaN
        if (missing) return;
        median[j] = median_of(column.data(), n);
        for (double& v : column) {
          v = std::fabs(v - median[j]);
          missing |= std::isnan(v);  // inf - inf
        }
        if (!missing) mad[j] = median_of(column.data(), n);
      },
      1);
}

}  // namespace oddseq::linalg
