// The fused nearest-centre kernel, written once over GCC vector types and included by
// each ISA's translation unit inside its own namespace, so every instantiation is
// compiled with that unit's flags and none can be merged with another ISA's copy.
//
// Register tile: MR rows x (2 * W) centres of accumulators; per feature j the kernel
// loads two vectors of packed centres and broadcasts one coordinate per row.
// The including unit provides <cstdint>, <cstring>, <limits> and <type_traits>.

template <class T, int W>
struct VecOf {
  typedef T type __attribute__((vector_size(W * sizeof(T))));
};

template <class V, class T>
inline V load_vec(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}

template <class T, int W, int MR>
void nearest_kernel(const T* x, std::int64_t m, std::int64_t d, const T* packed,
                    const T* packed_norms, std::int64_t k_padded, std::int32_t* labels,
                    T* best) {
  using V = typename VecOf<T, W>::type;
  // Index lanes as wide as the value lanes, so comparison masks select both alike.
  using IndexT = typename std::conditional<sizeof(T) == 4, std::int32_t, std::int64_t>::type;
  using IT = typename VecOf<IndexT, W>::type;
  constexpr int NC = 2 * W;
  const T inf = std::numeric_limits<T>::infinity();
  const std::int64_t n_tiles = k_padded / NC;
  for (std::int64_t i0 = 0; i0 < m; i0 += MR) {
    const T* rows[MR];
    for (int r = 0; r < MR; ++r) {
      const std::int64_t i = (i0 + r < m) ? i0 + r : m - 1;  // tail rows repeat the last
      rows[r] = x + i * d;
    }
    V best_val[MR][2];
    IT best_idx[MR][2];
    for (int r = 0; r < MR; ++r) {
      for (int h = 0; h < 2; ++h) {
        best_val[r][h] = V{} + inf;
        best_idx[r][h] = IT{};
      }
    }
    IT lane_index[2];
    for (int h = 0; h < 2; ++h) {
      for (int l = 0; l < W; ++l) lane_index[h][l] = h * W + l;
    }
    for (std::int64_t t = 0; t < n_tiles; ++t) {
      const T* tile = packed + t * d * NC;
      V acc[MR][2];
      for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = V{};
      for (std::int64_t j = 0; j < d; ++j) {
        const V c0 = load_vec<V>(tile + j * NC);
        const V c1 = load_vec<V>(tile + j * NC + W);
        for (int r = 0; r < MR; ++r) {
          const T a = rows[r][j];
          acc[r][0] += a * c0;
          acc[r][1] += a * c1;
        }
      }
      const V norm0 = load_vec<V>(packed_norms + t * NC);
      const V norm1 = load_vec<V>(packed_norms + t * NC + W);
      const IT base = IT{} + static_cast<IndexT>(t * NC);
      for (int r = 0; r < MR; ++r) {
        const V v0 = norm0 - (acc[r][0] + acc[r][0]);
        const V v1 = norm1 - (acc[r][1] + acc[r][1]);
        const auto lt0 = v0 < best_val[r][0];
        const auto lt1 = v1 < best_val[r][1];
        best_val[r][0] = lt0 ? v0 : best_val[r][0];
        best_val[r][1] = lt1 ? v1 : best_val[r][1];
        best_idx[r][0] = lt0 ? base + lane_index[0] : best_idx[r][0];
        best_idx[r][1] = lt1 ? base + lane_index[1] : best_idx[r][1];
      }
    }
    for (int r = 0; r < MR && i0 + r < m; ++r) {
      T value = inf;
      std::int64_t index = 0;
      bool found = false;
      for (int h = 0; h < 2; ++h) {
        for (int l = 0; l < W; ++l) {
          const T v = best_val[r][h][l];
          const std::int64_t idx = static_cast<std::int64_t>(best_idx[r][h][l]);
          if (!found || v < value || (v == value && idx < index)) {
            value = v;
            index = idx;
            found = true;
          }
        }
      }
      labels[i0 + r] = static_cast<std::int32_t>(index);
      best[i0 + r] = value;
    }
  }
}
