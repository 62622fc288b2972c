// The fused nearest-centre kernel, written once over GCC vector types and included by
// each ISA's translation unit inside its own namespace, so every instantiation is
// compiled with that unit's flags and none can be merged with another ISA's copy.
//
// Register tile: MR rows x (2 * W) centres of accumulators; per feature j the kernel
// loads two vectors of packed centres and broadcasts one coordinate per row.
// The including unit provides <cstdint>, <cstring>, <limits>, <type_traits> and <vector>,
// and multiply_add(a, b, c) = a * b + c (a scalar, broadcast) for its vector types: a fused
// instruction where
// the unit has one (the project builds with -ffp-contract=off, so fusing is asked for,
// never left to the compiler).

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

// Lane-wise minimum of (value, index) pairs, ties to the smaller index, then a tree of
// lane rotations leaves the overall minimum in lane 0.
template <class V, class IT, int W>
inline void reduce_min_lanes(V& value, IT& index) {
  for (int step = W / 2; step >= 1; step /= 2) {
    IT rotate;
    for (int l = 0; l < W; ++l) rotate[l] = (l + step) % W;
    const V other_value = __builtin_shuffle(value, rotate);
    const IT other_index = __builtin_shuffle(index, rotate);
    const auto take = (other_value < value) | ((other_value == value) & (other_index < index));
    value = take ? other_value : value;
    index = take ? other_index : index;
  }
}

template <class V, class IT, int W>
inline V min_lanes(V value) {
  for (int step = W / 2; step >= 1; step /= 2) {
    IT rotate;
    for (int l = 0; l < W; ++l) rotate[l] = (l + step) % W;
    const V other = __builtin_shuffle(value, rotate);
    value = other < value ? other : value;
  }
  return value;
}

// kSecond: also the second smallest value over all centres (Hamerly's lower bound).
template <class T, int W, int MR, bool kSecond>
void nearest_kernel(const T* x, std::int64_t m, std::int64_t d, const T* mu, const T* packed,
                    const T* packed_norms, std::int64_t k_padded, std::int32_t* labels, T* best,
                    T* second) {
  using V = typename VecOf<T, W>::type;
  // Index lanes as wide as the value lanes, so comparison masks select both alike.
  using IndexT = typename std::conditional<sizeof(T) == 4, std::int32_t, std::int64_t>::type;
  using IT = typename VecOf<IndexT, W>::type;
  constexpr int NC = 2 * W;
  const T inf = std::numeric_limits<T>::infinity();
  const std::int64_t n_tiles = k_padded / NC;
  IT lane_index[2];
  for (int h = 0; h < 2; ++h) {
    for (int l = 0; l < W; ++l) lane_index[h][l] = static_cast<IndexT>(h * W + l);
  }
  // With mu, each group of rows is shifted once into a small buffer, reused by every tile.
  std::vector<T> shifted(mu != nullptr ? static_cast<std::size_t>(MR * d) : 0);
  for (std::int64_t i0 = 0; i0 < m; i0 += MR) {
    const T* rows[MR];
    for (int r = 0; r < MR; ++r) {
      const std::int64_t i = (i0 + r < m) ? i0 + r : m - 1;  // tail rows repeat the last
      rows[r] = x + i * d;
      if (mu != nullptr) {
        T* dst = shifted.data() + r * d;
        for (std::int64_t j = 0; j < d; ++j) dst[j] = rows[r][j] - mu[j];
        rows[r] = dst;
      }
    }
    // Per row and lane: the smallest value seen and its centre (ties: smaller index),
    // and with kSecond the second smallest value of the lane.
    V best_val[MR];
    IT best_idx[MR];
    V second_val[kSecond ? MR : 1];
    for (int r = 0; r < MR; ++r) {
      best_val[r] = V{} + inf;
      best_idx[r] = IT{};
      if constexpr (kSecond) second_val[r] = V{} + inf;
    }
    for (std::int64_t t = 0; t < n_tiles; ++t) {
      const T* tile = packed + t * d * NC;
      // Accumulators start at ||c||^2 and the packed centres hold -2c, so after the
      // loop they hold ||c||^2 - 2 x.c with no extra pass.
      const V norm0 = load_vec<V>(packed_norms + t * NC);
      const V norm1 = load_vec<V>(packed_norms + t * NC + W);
      V acc[MR][2];
      for (int r = 0; r < MR; ++r) {
        acc[r][0] = norm0;
        acc[r][1] = norm1;
      }
      for (std::int64_t j = 0; j < d; ++j) {
        const V c0 = load_vec<V>(tile + j * NC);
        const V c1 = load_vec<V>(tile + j * NC + W);
        for (int r = 0; r < MR; ++r) {
          const T a = rows[r][j];
          acc[r][0] = multiply_add(a, c0, acc[r][0]);
          acc[r][1] = multiply_add(a, c1, acc[r][1]);
        }
      }
      const IT base = IT{} + static_cast<IndexT>(t * NC);
      for (int r = 0; r < MR; ++r) {
        if constexpr (kSecond) {
          // Both halves in index order; strict < keeps the smaller index on ties.
          for (int h = 0; h < 2; ++h) {
            const V v = acc[r][h];
            const V upper = v < best_val[r] ? best_val[r] : v;  // max(best, v)
            second_val[r] = upper < second_val[r] ? upper : second_val[r];
            const auto better = v < best_val[r];
            best_val[r] = better ? v : best_val[r];
            best_idx[r] = better ? base + lane_index[h] : best_idx[r];
          }
        } else {
          // Within a tile the second half has the larger indices: it wins strict ties only.
          const auto second_half = acc[r][1] < acc[r][0];
          const V tile_min = second_half ? acc[r][1] : acc[r][0];
          const IT tile_idx = base + (second_half ? lane_index[1] : lane_index[0]);
          // Earlier tiles have smaller indices: strict < keeps them on ties.
          const auto better = tile_min < best_val[r];
          best_val[r] = better ? tile_min : best_val[r];
          best_idx[r] = better ? tile_idx : best_idx[r];
        }
      }
    }
    for (int r = 0; r < MR && i0 + r < m; ++r) {
      V value = best_val[r];
      IT index = best_idx[r];
      reduce_min_lanes<V, IT, W>(value, index);
      labels[i0 + r] = static_cast<std::int32_t>(index[0]);
      best[i0 + r] = value[0];
      if constexpr (kSecond) {
        // The runner-up is another lane's best or any lane's second.
        const IT winner = IT{} + index[0];
        const V others = best_idx[r] == winner ? V{} + inf : best_val[r];
        const V candidates = others < second_val[r] ? others : second_val[r];
        second[i0 + r] = min_lanes<V, IT, W>(candidates)[0];
      }
    }
  }
}

template <class T, int W, int MR>
void nearest_dispatch(const T* x, std::int64_t m, std::int64_t d, const T* mu, const T* packed,
                      const T* packed_norms, std::int64_t k_padded, std::int32_t* labels, T* best,
                      T* second) {
  if (second != nullptr) {
    nearest_kernel<T, W, MR, true>(x, m, d, mu, packed, packed_norms, k_padded, labels, best,
                                   second);
  } else {
    nearest_kernel<T, W, MR, false>(x, m, d, mu, packed, packed_norms, k_padded, labels, best,
                                    nullptr);
  }
}

// The same expansion as a screen for exact neighbour searches: for each of the m rows of
// x[m x d] and each packed point c, bit l of masks[i * tiles + t] (tiles = n_padded / NC,
// c = t * NC + l) is set when packed_norms[c] - 2 x_i.c <= limits[i]. The including unit
// provides lane_bits(mask) (one bit per lane of a comparison result).
template <class T, int W, int MR>
void screen_kernel(const T* x, std::int64_t m, std::int64_t d, const T* packed,
                   const T* packed_norms, std::int64_t n_padded, const T* limits,
                   std::uint32_t* masks) {
  using V = typename VecOf<T, W>::type;
  constexpr int NC = 2 * W;
  static_assert(NC <= 32, "a tile's bits must fit one mask word");
  const std::int64_t n_tiles = n_padded / NC;
  for (std::int64_t i0 = 0; i0 < m; i0 += MR) {
    const T* rows[MR];
    V limit[MR];
    for (int r = 0; r < MR; ++r) {
      const std::int64_t i = (i0 + r < m) ? i0 + r : m - 1;  // tail rows repeat the last
      rows[r] = x + i * d;
      limit[r] = V{} + limits[i];
    }
    for (std::int64_t t = 0; t < n_tiles; ++t) {
      const T* tile = packed + t * d * NC;
      const V norm0 = load_vec<V>(packed_norms + t * NC);
      const V norm1 = load_vec<V>(packed_norms + t * NC + W);
      V acc[MR][2];
      for (int r = 0; r < MR; ++r) {
        acc[r][0] = norm0;
        acc[r][1] = norm1;
      }
      for (std::int64_t j = 0; j < d; ++j) {
        const V c0 = load_vec<V>(tile + j * NC);
        const V c1 = load_vec<V>(tile + j * NC + W);
        for (int r = 0; r < MR; ++r) {
          const T a = rows[r][j];
          acc[r][0] = multiply_add(a, c0, acc[r][0]);
          acc[r][1] = multiply_add(a, c1, acc[r][1]);
        }
      }
      for (int r = 0; r < MR && i0 + r < m; ++r) {
        masks[(i0 + r) * n_tiles + t] =
            lane_bits(acc[r][0] <= limit[r]) | (lane_bits(acc[r][1] <= limit[r]) << W);
      }
    }
  }
}
