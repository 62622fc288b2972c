#include "oddseq/linalg/select.hpp"

#include <cmath>

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

}  // namespace oddseq::linalg
