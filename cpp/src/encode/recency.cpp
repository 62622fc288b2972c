#include "oddseq/encode/recency.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "oddseq/core/check.hpp"
#include "oddseq/core/hash.hpp"
#include "oddseq/core/parallel.hpp"
#include "oddseq/simd/kernels.hpp"

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

void minhash_features(const std::int64_t* offsets, std::int64_t n_sequences,
                      const std::int32_t* codes, const std::uint64_t* element_hash,
                      std::int64_t n_codes, int shingle, std::int64_t n_hashes,
                      const std::uint32_t* multipliers, const std::uint32_t* increments,
                      int n_threads, float* out) {
  ODDSEQ_CHECK(shingle >= 1 && n_hashes >= 1, "shingle and n_hashes must be >= 1");
  const simd::Kernels& kernels = simd::active();
  // With single elements, each code's 32-bit element is computed once: the per-event
  // work is then one gather from a table half the size of element_hash.
  std::vector<std::uint32_t> element_of_code;
  if (shingle == 1) {
    element_of_code.resize(static_cast<std::size_t>(n_codes));
    constexpr std::int64_t kBlock = 1 << 14;
    core::parallel_for((n_codes + kBlock - 1) / kBlock, n_threads, [&](std::int64_t block) {
      const std::int64_t stop = std::min(n_codes, (block + 1) * kBlock);
      for (std::int64_t c = block * kBlock; c < stop; ++c) {
        element_of_code[static_cast<std::size_t>(c)] =
            static_cast<std::uint32_t>(core::mix64(element_hash[c]) >> 32);
      }
    });
  }
  core::parallel_for_dynamic(
      n_sequences, n_threads,
      [&](std::int64_t s) {
        const std::int64_t begin = offsets[s], end = offsets[s + 1];
        // Every occurrence is hashed, repeats included: a repeat cannot change a minimum,
        // and removing repeats (a sort per sequence) cost more than hashing them.
        static thread_local std::vector<std::uint32_t> elements;
        static thread_local std::vector<std::uint32_t> minima;
        elements.clear();
        if (shingle == 1) {
          constexpr std::int64_t kAhead = 16;  // item codes are random: fetch ahead
          for (std::int64_t i = begin; i < end; ++i) {
            if (i + kAhead < end) {
              const std::int32_t ahead = codes[i + kAhead];
              if (ahead >= 0 && ahead < n_codes) __builtin_prefetch(&element_of_code[ahead]);
            }
            const std::int32_t c = codes[i];
            ODDSEQ_CHECK_RANGE(c >= 0 && c < n_codes,
                               "code " << c << " outside [0, " << n_codes << ")");
            elements.push_back(element_of_code[static_cast<std::size_t>(c)]);
          }
        } else {
          for (std::int64_t i = begin; i + shingle <= end; ++i) {
            std::uint64_t e = 0;
            for (int k = 0; k < shingle; ++k) {
              const std::int32_t c = codes[i + k];
              ODDSEQ_CHECK_RANGE(c >= 0 && c < n_codes,
                                 "code " << c << " outside [0, " << n_codes << ")");
              e = core::mix64(e * 0x100000001B3ULL + element_hash[c]);
            }
            elements.push_back(static_cast<std::uint32_t>(e >> 32));
          }
        }
        minima.resize(static_cast<std::size_t>(n_hashes));
        kernels.minhash_min(elements.data(), static_cast<std::int64_t>(elements.size()),
                            multipliers, increments, n_hashes, minima.data());
        float* row = out + s * n_hashes;
        for (std::int64_t j = 0; j < n_hashes; ++j)
          row[j] = static_cast<float>(minima[static_cast<std::size_t>(j)]);
      },
      64);
}

}  // namespace oddseq::encode
