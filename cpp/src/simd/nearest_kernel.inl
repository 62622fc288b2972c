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

// The lane rotations of a reduction tree: rotations[s] moves lane l + W / 2^(s+1) to
// lane l. Built once per kernel call (built inside the row loop, the compiler assembled
// them lane by lane for every row).
template <class IT, int W>
struct LaneRotations {
  static constexpr int kSteps = W == 16 ? 4 : W == 8 ? 3 : W == 4 ? 2 : W == 2 ? 1 : 0;
  static_assert(W == (1 << kSteps), "lane counts are powers of two");
  LaneRotations() {
    for (int s = 0; s < kSteps; ++s) {
      const int step = W >> (s + 1);
      for (int l = 0; l < W; ++l) rotate[s][l] = (l + step) % W;
    }
  }
  IT rotate[kSteps > 0 ? kSteps : 1];
};

// Lane-wise minimum of (value, index) pairs, ties to the smaller index, then a tree of
// lane rotations leaves the overall minimum in lane 0.
template <class V, class IT, int W>
inline void reduce_min_lanes(V& value, IT& index, const LaneRotations<IT, W>& rotations) {
  for (int s = 0; s < LaneRotations<IT, W>::kSteps; ++s) {
    const IT rotate = rotations.rotate[s];
    const V other_value = __builtin_shuffle(value, rotate);
    const IT other_index = __builtin_shuffle(index, rotate);
    const auto take = (other_value < value) | ((other_value == value) & (other_index < index));
    value = take ? other_value : value;
    index = take ? other_index : index;
  }
}

template <class V, class IT, int W>
inline V min_lanes(V value, const LaneRotations<IT, W>& rotations) {
  for (int s = 0; s < LaneRotations<IT, W>::kSteps; ++s) {
    const V other = __builtin_shuffle(value, rotations.rotate[s]);
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
  const LaneRotations<IT, W> rotations;
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
        // Within a tile the second half has the larger indices: it wins strict ties only.
        const auto second_half = acc[r][1] < acc[r][0];
        const V tile_min = second_half ? acc[r][1] : acc[r][0];
        if constexpr (kSecond) {
          // The lane's second smallest of {best, second, tile_min, tile_max} (best <= second,
          // tile_min <= tile_max): min(second, tile_max, max(best, tile_min)). Independent
          // of the best's update below, so the two chains overlap.
          const V tile_max = second_half ? acc[r][0] : acc[r][1];
          const V upper = tile_min < best_val[r] ? best_val[r] : tile_min;  // max(best, lo)
          const V low_second = tile_max < second_val[r] ? tile_max : second_val[r];
          second_val[r] = upper < low_second ? upper : low_second;
        }
        const IT tile_idx = base + (second_half ? lane_index[1] : lane_index[0]);
        // Earlier tiles have smaller indices: strict < keeps them on ties.
        const auto better = tile_min < best_val[r];
        best_val[r] = better ? tile_min : best_val[r];
        best_idx[r] = better ? tile_idx : best_idx[r];
      }
    }
    for (int r = 0; r < MR && i0 + r < m; ++r) {
      V value = best_val[r];
      IT index = best_idx[r];
      reduce_min_lanes<V, IT, W>(value, index, rotations);
      labels[i0 + r] = static_cast<std::int32_t>(index[0]);
      best[i0 + r] = value[0];
      if constexpr (kSecond) {
        // The runner-up is another lane's best or any lane's second.
        const IT winner = IT{} + index[0];
        const V others = best_idx[r] == winner ? V{} + inf : best_val[r];
        const V candidates = others < second_val[r] ? others : second_val[r];
        second[i0 + r] = min_lanes<V, IT, W>(candidates, rotations)[0];
      }
    }
  }
}

template <class T, int W, int MR>
void nearest_dispatch(const T* x, std::int64_t m, std::int64_t d, const T* mu, const T* packed,
                      const T* packed_norms, std::int64_t k_padded, std::int32_t* labels, T* best,
                      T* second) {
  if (second != nullptr) {
    // The runner-up takes MR more registers: fewer rows per group keep the state in them.
    constexpr int kSecondRows = MR > 8 ? 8 : MR;
    nearest_kernel<T, W, kSecondRows, true>(x, m, d, mu, packed, packed_norms, k_padded, labels,
                                            best, second);
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
