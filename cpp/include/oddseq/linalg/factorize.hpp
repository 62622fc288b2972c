#pragma once
// Hash factorization of integer keys: the vocabulary step behind entity and item ids.
#include <cstdint>
#include <vector>

namespace oddseq::linalg {

struct Factorization {
  std::vector<std::int64_t> uniques;  // each distinct key once
};

// codes[i] = position of values[i] in the returned uniques. Keys are hashed into a fixed
// number of partitions (a function of n only) that are factorized independently with
// small cache-resident tables, so the result is the same for any thread count. Codes
// follow partition order, then first appearance within a partition: deterministic,
// but neither sorted nor in order of first appearance overall.
// CodeT is std::int32_t or std::int64_t; int32 codes need n < 2^31.
template <class CodeT>
Factorization factorize_int64(const std::int64_t* values, std::int64_t n, int n_threads,
                              CodeT* codes);

// first[c] = the smallest i with codes[i] == c, for codes in [0, n_codes) (-1 where a
// code does not occur): the example row of each vocabulary entry.
std::vector<std::int64_t> first_indices(const std::int64_t* codes, std::int64_t n,
                                        std::int64_t n_codes);

}  // namespace oddseq::linalg
