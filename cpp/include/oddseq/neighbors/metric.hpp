#pragma once
// Distances used by the neighbour searches, in "reduced" form: what the search compares
// (the squared distance for euclidean, the distance itself otherwise), so the inner loop
// never takes a square root. Cosine is not here: the Python layer normalises rows and
// searches them with euclidean, where ||a - b||^2 = 2 (1 - cos(a, b)).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "oddseq/simd/kernels.hpp"

namespace oddseq::neighbors {

enum class Metric { euclidean, manhattan, chebyshev };

inline Metric parse_metric(const std::string& name) {
  if (name == "euclidean") return Metric::euclidean;
  if (name == "manhattan") return Metric::manhattan;
  if (name == "chebyshev") return Metric::chebyshev;
  throw std::invalid_argument("unknown metric '" + name +
                              "'; expected 'euclidean', 'manhattan' or 'chebyshev'");
}

// Each metric folds per-coordinate gaps |a_k - b_k| into an accumulator; bounds on
// boxes use the same fold over per-coordinate bounds on the gaps, so a bound and a
// point distance round the same way and a box bound never contradicts its points.
struct Euclidean {
  static constexpr Metric kind = Metric::euclidean;
  static double fold(double acc, double gap) { return acc + gap * gap; }
  static double reduce(double distance) { return distance * distance; }
  static double expand(double reduced) { return std::sqrt(reduced); }
  static double between(const double* a, const double* b, std::int64_t d) {
    // Long rows go to the vectorised kernel; short ones stay inline (a call costs more).
    if (d >= 16) return simd::sqdist(simd::active(), a, b, static_cast<std::size_t>(d));
    double acc = 0.0;
    for (std::int64_t k = 0; k < d; ++k) {
      const double g = a[k] - b[k];
      acc += g * g;
    }
    return acc;
  }
};

struct Manhattan {
  static constexpr Metric kind = Metric::manhattan;
  static double fold(double acc, double gap) { return acc + gap; }
  static double reduce(double distance) { return distance; }
  static double expand(double reduced) { return reduced; }
  static double between(const double* a, const double* b, std::int64_t d) {
    double acc = 0.0;
    for (std::int64_t k = 0; k < d; ++k) acc += std::fabs(a[k] - b[k]);
    return acc;
  }
};

struct Chebyshev {
  static constexpr Metric kind = Metric::chebyshev;
  static double fold(double acc, double gap) { return std::max(acc, gap); }
  static double reduce(double distance) { return distance; }
  static double expand(double reduced) { return reduced; }
  static double between(const double* a, const double* b, std::int64_t d) {
    double acc = 0.0;
    for (std::int64_t k = 0; k < d; ++k) acc = std::max(acc, std::fabs(a[k] - b[k]));
    return acc;
  }
};

// Calls body(MetricType{}) for the runtime metric, so algorithms are written once as
// templates and instantiated for the three metrics.
template <class Body>
decltype(auto) with_metric(Metric metric, Body&& body) {
  switch (metric) {
    case Metric::manhattan:
      return body(Manhattan{});
    case Metric::chebyshev:
      return body(Chebyshev{});
    case Metric::euclidean:
      break;
  }
  return body(Euclidean{});
}

}  // namespace oddseq::neighbors
