// MinHash minima, written once and included by each instruction set's translation unit
// so that the compiler vectorises it with that unit's flags (the loop over x is a plain
// min-reduction of 32-bit multiply-add-shifts; four hash functions share each load).
// Include inside a namespace of the including file.

inline void minhash_min_impl(const std::uint32_t* __restrict x, std::int64_t n,
                             const std::uint32_t* mult, const std::uint32_t* add,
                             std::int64_t n_hashes, std::uint32_t* best) {
  constexpr std::uint32_t kEmpty = std::uint32_t{1} << 24;
  std::int64_t j = 0;
  for (; j + 4 <= n_hashes; j += 4) {
    const std::uint32_t m0 = mult[j], m1 = mult[j + 1], m2 = mult[j + 2], m3 = mult[j + 3];
    const std::uint32_t c0 = add[j], c1 = add[j + 1], c2 = add[j + 2], c3 = add[j + 3];
    std::uint32_t low0 = kEmpty, low1 = kEmpty, low2 = kEmpty, low3 = kEmpty;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::uint32_t v = x[i];
      const std::uint32_t h0 = (m0 * v + c0) >> 8, h1 = (m1 * v + c1) >> 8;
      const std::uint32_t h2 = (m2 * v + c2) >> 8, h3 = (m3 * v + c3) >> 8;
      low0 = h0 < low0 ? h0 : low0;
      low1 = h1 < low1 ? h1 : low1;
      low2 = h2 < low2 ? h2 : low2;
      low3 = h3 < low3 ? h3 : low3;
    }
    best[j] = low0;
    best[j + 1] = low1;
    best[j + 2] = low2;
    best[j + 3] = low3;
  }
  for (; j < n_hashes; ++j) {
    std::uint32_t low = kEmpty;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::uint32_t h = (mult[j] * x[i] + add[j]) >> 8;
      low = h < low ? h : low;
    }
    best[j] = low;
  }
}
