#pragma once
// Bags of event (or item) n-grams: the keys for learning a vocabulary, and per-sequence
// counts against a vocabulary or hashed to a fixed width.
#include <cstdint>
#include <vector>

namespace oddseq::encode {

// An n-gram's key mixes n and the 64-bit hashes of its elements (element_hash[code]),
// so keys do not depend on how a particular Sequences numbered its labels.
struct NgramKeys {
  std::vector<std::int64_t> keys;       // one per distinct n-gram per sequence
  std::vector<std::int64_t> positions;  // where that n-gram first starts (event index)
  std::vector<std::int32_t> lengths;    // its n
};

// Every n-gram with n in [n_min, n_max], once per sequence it occurs in (for document
// frequencies), in sequence order.
NgramKeys ngram_keys(const std::int64_t* offsets, std::int64_t n_sequences,
                     const std::int32_t* codes, const std::uint64_t* element_hash,
                     std::int64_t n_codes, int n_min, int n_max, int n_threads);

struct SparseCounts {
  std::vector<std::int64_t> indptr;  // n_sequences + 1
  std::vector<std::int32_t> indices;
  std::vector<float> data;
};

// Counts per sequence as CSR rows with sorted column indices. With hash_width > 0 (a
// power of two) columns are hashed and counts signed by another hash bit (signed feature
// hashing); otherwise columns are positions in sorted_vocabulary, and n-grams outside it
// go to column vocabulary_size when count_unseen, or are dropped.
SparseCounts ngram_counts(const std::int64_t* offsets, std::int64_t n_sequences,
                          const std::int32_t* codes, const std::uint64_t* element_hash,
                          std::int64_t n_codes, int n_min, int n_max,
                          const std::int64_t* sorted_vocabulary, std::int64_t vocabulary_size,
                          bool count_unseen, std::int64_t hash_width, int n_threads);

}  // namespace oddseq::encode
