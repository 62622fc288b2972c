#pragma once
// Hash factorization of integer keys: the vocabulary step behind entity and item ids.
#include <cstdint>
#include <vector>

namespace oddseq::linalg {

struct Factorization {
  std::vector<std::int64_t> uniques;  // each distinct key once
};

// codes[i] = position of values[i] in the returned uniques. Keys spanning a range of less
// than 16 n values get codes in sorted key order from a bitmap of the keys present. Others are
// hashed into a fixed number of partitions (a function of n only) that are factorized independently
// with small cache-resident tables; their codes follow partition order, then first appearance
// within a partition, unless `sorted` asks for codes in sorted key order (uniques sorted)
// in both cases. Either way the result is the same for any thread count. CodeT is
// std::int32_t or std::int64_t; int32 codes need n < 2^31.
template <class CodeT>
Factorization factorize_int64(const std::int64_t* values, std::int64_t n, int n_threads,
                              CodeT* codes, bool sorted = false);

// first[c] = the smallest i with codes[i] == c, for codes in [0, n_codes) (-1 where a
// code does not occur): the example row of each vocabulary entry.
std::vector<std::int64_t> first_indices(const std::int64_t* codes, std::int64_t n,
                                        std::int64_t n_codes);

}  // namespace oddseq::linalg
