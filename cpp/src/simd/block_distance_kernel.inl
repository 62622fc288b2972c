// Distances from one query to a block of points stored feature-major, written once over
// GCC vector types and included by each ISA's translation unit inside its own namespace
// (compiled with that unit's flags). Each lane is one point and folds its features as
// the neighbour metrics define a distance (neighbors/metric.hpp): feature k into
// partial k mod 4, one multiply and one add at a time, then (p0 . p1) . (p2 . p3). So a
// distance does not depend on the CPU, and a search, a radius count and DBSCAN agree at
// exact ties on every machine. (The project builds with -ffp-contract=off, so the
// compiler cannot fuse a multiply and an add behind our back.) A pass holds NV vectors
// of W points, four partials each: 4 NV independent chains hide the adds' latency.
// The including unit provides <cstdint> and <cstring>.

template <int W>
struct BlockVec {
  typedef double type __attribute__((vector_size(W * sizeof(double))));
};

template <Reduction R, class V>
inline V fold_lane(V acc, V g) {
  if constexpr (R == Reduction::squares) {
    return acc + g * g;
  } else {
    const V magnitude = g < 0.0 ? -g : g;
    if constexpr (R == Reduction::absolutes) {
      return acc + magnitude;
    } else {
      return magnitude > acc ? magnitude : acc;
    }
  }
}

template <Reduction R, class V>
inline V combine_lanes(V a, V b) {
  if constexpr (R == Reduction::max_absolute) {
    return b > a ? b : a;
  } else {
    return a + b;
  }
}

template <Reduction R, int W, int NV>
inline void block_pass(const double* q, const double* points, std::int64_t d, std::int64_t stride,
                       double* out) {
  using V = typename BlockVec<W>::type;
  V partial[4][NV];
  for (int l = 0; l < 4; ++l) {
    for (int v = 0; v < NV; ++v) partial[l][v] = V{};
  }
  const auto fold_feature = [&](int l, std::int64_t k) {
    const V qk = q[k] - V{};  // a broadcast (x - 0 is x for every x, so it folds away)
    const double* column = points + k * stride;
    for (int v = 0; v < NV; ++v) {
      V x;
      std::memcpy(&x, column + v * W, sizeof(V));
      partial[l][v] = fold_lane<R>(partial[l][v], x - qk);
    }
  };
  std::int64_t k = 0;
  for (; k + 4 <= d; k += 4) {
    for (int l = 0; l < 4; ++l) fold_feature(l, k + l);
  }
  for (int l = 0; k + l < d; ++l) fold_feature(l, k + l);
  for (int v = 0; v < NV; ++v) {
    const V result = combine_lanes<R>(combine_lanes<R>(partial[0][v], partial[1][v]),
                                      combine_lanes<R>(partial[2][v], partial[3][v]));
    std::memcpy(out + v * W, &result, sizeof(V));
  }
}

// count is a multiple of W; whole passes of NV vectors first, then single vectors.
template <Reduction R, int W, int NV>
inline void block_distances(const double* q, const double* points, std::int64_t d,
                            std::int64_t stride, std::int64_t count, double* out) {
  std::int64_t j = 0;
  for (; j + NV * W <= count; j += NV * W) block_pass<R, W, NV>(q, points + j, d, stride, out + j);
  for (; j < count; j += W) block_pass<R, W, 1>(q, points + j, d, stride, out + j);
}

template <int W, int NV>
void block_distances_any(Reduction reduction, const double* q, const double* points, std::int64_t d,
                         std::int64_t stride, std::int64_t count, double* out) {
  switch (reduction) {
    case Reduction::squares:
      return block_distances<Reduction::squares, W, NV>(q, points, d, stride, count, out);
    case Reduction::absolutes:
      return block_distances<Reduction::absolutes, W, NV>(q, points, d, stride, count, out);
    case Reduction::max_absolute:
      return block_distances<Reduction::max_absolute, W, NV>(q, points, d, stride, count, out);
  }
}
