#pragma once
// Recency and near-duplicate encoders: exponentially decayed counts, MinHash signatures.
#include <cstdint>

namespace oddseq::encode {

// out[s, c] = sum over events of type c of 0.5^((reference - t) / half_life), for c in
// [0, n_event_types), then the decayed total. Events after the reference weigh 1.
// Width n_event_types + 1.
void decay_features(const std::int64_t* offsets, std::int64_t n_sequences,
                    const std::int32_t* events, std::int64_t n_event_types,
                    const std::int64_t* times, std::int64_t reference_ns, std::int64_t half_life_ns,
                    int n_threads, float* out);

// MinHash signature of each sequence's set of elements. Element i is the top 32 bits of
// mix64(element_hash[codes[i]]) when shingle == 1; with shingle > 1 the hashes of
// `shingle` consecutive codes are chained through mix64 into one element. Column j is
// min over the set of h_j(x) = ((multipliers[j] * x + increments[j]) mod 2^32) >> 8, a
// 24-bit value exactly representable in float32; empty sequences get 2^24.
void minhash_features(const std::int64_t* offsets, std::int64_t n_sequences,
                      const std::int32_t* codes, const std::uint64_t* element_hash,
                      std::int64_t n_codes, int shingle, std::int64_t n_hashes,
                      const std::uint32_t* multipliers, const std::uint32_t* increments,
                      int n_threads, float* out);

}  // namespace oddseq::encode
