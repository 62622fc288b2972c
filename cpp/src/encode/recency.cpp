#include "oddseq/encode/recency.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "oddseq/core/check.hpp"
#include "oddseq/core/hash.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::encode {

void decay_features(const std::int64_t* offsets, std::int64_t n_sequences,
                    const std::int32_t* events, std::int64_t n_event_types,
                    const std::int64_t* times, std::int64_t reference_ns, std::int64_t half_life_ns,
                    int n_threads, float* out) {
  ODDSEQ_CHECK(half_life_ns > 0, "half-life must be positive");
  const std::int64_t width = n_event_types + 1;
  const double rate = std::log(2.0) / static_cast<double>(half_life_ns);
  core::parallel_for_dynamic(
      n_sequences, n_threads,
      [&](std::int64_t s) {
        float* row = out + s * width;
        std::vector<double> sums(static_cast<std::size_t>(width), 0.0);
        for (std::int64_t i = offsets[s]; i < offsets[s + 1]; ++i) {
          const std::int32_t c = events[i];
          ODDSEQ_CHECK_RANGE(c >= 0 && c < n_event_types,
                             "event code " << c << " outside [0, " << n_event_types << ")");
          const double age =
              static_cast<double>(std::max<std::int64_t>(reference_ns - times[i], 0));
          const double weight = std::exp(-rate * age);
          sums[static_cast<std::size_t>(c)] += weight;
          sums[static_cast<std::size_t>(n_event_types)] += weight;
        }
        for (std::int64_t c = 0; c < width; ++c)
          row[c] = static_cast<float>(sums[static_cast<std::size_t>(c)]);
      },
      64);
}

namespace {

constexpr std::uint64_t kMersenne61 = (std::uint64_t{1} << 61) - 1;
constexpr std::uint64_t kHashRange = std::uint64_t{1} << 24;
using core::mix64;

// GCC's 128-bit integer; __extension__ marks the deliberate use under -Wpedantic.
__extension__ using Uint128 = unsigned __int128;

// (a * x + b) mod 2^61 - 1 with 128-bit products.
inline std::uint64_t affine_mod61(std::uint64_t a, std::uint64_t x, std::uint64_t b) {
  const Uint128 product = static_cast<Uint128>(a) * (x % kMersenne61) + b;
  std::uint64_t folded =
      static_cast<std::uint64_t>(product & kMersenne61) + static_cast<std::uint64_t>(product >> 61);
  folded = (folded & kMersenne61) + (folded >> 61);
  return folded >= kMersenne61 ? folded - kMersenne61 : folded;
}

}  // namespace

void minhash_features(const std::int64_t* offsets, std::int64_t n_sequences,
                      const std::int32_t* codes, const std::uint64_t* element_hash,
                      std::int64_t n_codes, int shingle, std::int64_t n_hashes, std::uint64_t seed,
                      int n_threads, float* out) {
  ODDSEQ_CHECK(shingle >= 1 && n_hashes >= 1, "shingle and n_hashes must be >= 1");
  std::vector<std::uint64_t> a(static_cast<std::size_t>(n_hashes)),
      b(static_cast<std::size_t>(n_hashes));
  std::uint64_t state = seed;
  for (std::int64_t j = 0; j < n_hashes; ++j) {
    state = mix64(state + 0x9E3779B97F4A7C15ULL);
    a[j] = 1 + state % (kMersenne61 - 1);
    state = mix64(state + 0x9E3779B97F4A7C15ULL);
    b[j] = state % kMersenne61;
  }
  core::parallel_for_dynamic(
      n_sequences, n_threads,
      [&](std::int64_t s) {
        float* row = out + s * n_hashes;
        const std::int64_t begin = offsets[s], end = offsets[s + 1];
        // The set of elements, deduplicated first: repeats cannot change a minimum.
        std::vector<std::uint64_t> elements;
        for (std::int64_t i = begin; i + shingle <= end; ++i) {
          std::uint64_t e = 0;
          for (int k = 0; k < shingle; ++k) {
            const std::int32_t c = codes[i + k];
            ODDSEQ_CHECK_RANGE(c >= 0 && c < n_codes,
                               "code " << c << " outside [0, " << n_codes << ")");
            e = mix64(e * 0x100000001B3ULL + element_hash[c]);
          }
          elements.push_back(e);
        }
        std::sort(elements.begin(), elements.end());
        elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
        for (std::int64_t j = 0; j < n_hashes; ++j) {
          std::uint64_t best = kHashRange;
          for (const std::uint64_t e : elements) {
            best = std::min(best, affine_mod61(a[j], e, b[j]) % kHashRange);
          }
          row[j] = static_cast<float>(best);
        }
      },
      64);
}

}  // namespace oddseq::encode
