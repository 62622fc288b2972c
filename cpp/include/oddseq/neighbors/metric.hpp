#pragma once
// Distances used by the neighbour searches, in "reduced" form: what the search compares
// (the squared distance for euclidean, the distance itself otherwise), so the inner loop
// never takes a square root. Cosine is not here: the Python layer normalises rows and
// searches them with euclidean, where ||a - b||^2 = 2 (1 - cos(a, b)).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
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

// Each metric folds per-coordinate gaps |a_k - b_k| (k = 0..d-1) into a reduced
// distance, always in one order: four interleaved partial folds (feature k into partial
// k mod 4, one multiply and one add at a time) combined as (p0 . p1) . (p2 . p3). That
// order is the distance's definition: simd's block_distances computes the same
// arithmetic lane by lane, so a pair's distance is one number whichever path computed it
// and on whichever CPU, and four independent chains do not wait on one another's adds.
// Box bounds fold per-coordinate bounds on the gaps the same way, so a bound rounds like
// the distances it bounds and never contradicts its points.
// Two lanes, two partials (an SSE2 register on any x86-64).
typedef double Lanes2 __attribute__((vector_size(2 * sizeof(double))));

// Coordinates k and k+1 of p, zeros past d (folding a zero gap leaves a partial as it is).
inline Lanes2 load_lanes(const double* p, std::int64_t k, std::int64_t d) {
  Lanes2 v = Lanes2{};
  if (k + 2 <= d) {
    std::memcpy(&v, p + k, sizeof(v));
  } else if (k < d) {
    v[0] = p[k];
  }
  return v;
}

// gaps(k) returns the gaps of coordinates k and k+1 (zeros past d): they go into
// partials 0 and 1 when k is a multiple of 4, into 2 and 3 otherwise.
template <class M, class Gaps>
double fold_gaps(std::int64_t d, Gaps&& gaps) {
  Lanes2 low = Lanes2{}, high = Lanes2{};
  for (std::int64_t k = 0; k < d; k += 4) {
    low = M::fold(low, gaps(k));
    high = M::fold(high, gaps(k + 2));
  }
  return M::combine(M::combine(low[0], low[1]), M::combine(high[0], high[1]));
}

template <class M>
double distance_between(const double* a, const double* b, std::int64_t d) {
  return fold_gaps<M>(d, [&](std::int64_t k) {
    const Lanes2 g = load_lanes(b, k, d) - load_lanes(a, k, d);
    return g < 0.0 ? -g : g;
  });
}

struct Euclidean {
  static constexpr Metric kind = Metric::euclidean;
  static constexpr simd::Reduction reduction = simd::Reduction::squares;
  template <class T>
  static T fold(T acc, T gap) {
    return acc + gap * gap;
  }
  static double combine(double a, double b) { return a + b; }
  static double reduce(double distance) { return distance * distance; }
  static double expand(double reduced) { return std::sqrt(reduced); }
  // The largest reduced value whose distance (its correctly rounded square root) is at
  // most `distance`: comparing reduced values with it is comparing distances exactly,
  // so a point reported at distance r is always within radius r (distance^2 alone can
  // round either way).
  static double threshold(double distance) {
    double t = distance * distance;
    if (!std::isfinite(t)) return t;
    const double up = std::numeric_limits<double>::infinity();
    while (t > 0.0 && std::sqrt(t) > distance) t = std::nextafter(t, 0.0);
    while (std::sqrt(std::nextafter(t, up)) <= distance) t = std::nextafter(t, up);
    return t;
  }
  static double between(const double* a, const double* b, std::int64_t d) {
    return distance_between<Euclidean>(a, b, d);
  }
};

struct Manhattan {
  static constexpr Metric kind = Metric::manhattan;
  static constexpr simd::Reduction reduction = simd::Reduction::absolutes;
  template <class T>
  static T fold(T acc, T gap) {
    return acc + gap;
  }
  static double combine(double a, double b) { return a + b; }
  static double reduce(double distance) { return distance; }
  static double expand(double reduced) { return reduced; }
  static double threshold(double distance) { return distance; }
  static double between(const double* a, const double* b, std::int64_t d) {
    return distance_between<Manhattan>(a, b, d);
  }
};

struct Chebyshev {
  static constexpr Metric kind = Metric::chebyshev;
  static constexpr simd::Reduction reduction = simd::Reduction::max_absolute;
  template <class T>
  static T fold(T acc, T gap) {
    return gap > acc ? gap : acc;
  }
  static double combine(double a, double b) { return std::max(a, b); }
  static double reduce(double distance) { return distance; }
  static double expand(double reduced) { return reduced; }
  static double threshold(double distance) { return distance; }
  static double between(const double* a, const double* b, std::int64_t d) {
    return distance_between<Chebyshev>(a, b, d);
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
