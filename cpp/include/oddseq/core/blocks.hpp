#pragma once
// Long sequences shared by every thread. Work split per sequence leaves one thread alone
// with a giant sequence (a crawler holding a quarter of the log) while the others wait;
// a sequence longer than kBlockEvents is instead cut into blocks of kBlockEvents events,
// counted from its first event whatever the thread count, that all threads share, and
// the blocks' partial results are combined in block order. Results therefore do not
// depend on the thread count, and a sequence of at most kBlockEvents events (one block)
// gets exactly the result of the plain sequential loop.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "oddseq/core/parallel.hpp"

namespace oddseq::core {

constexpr std::int64_t kBlockEvents = std::int64_t{1} << 16;

// Whether a sequence of this many events is split into blocks.
inline bool is_long_sequence(std::int64_t length) { return length > kBlockEvents; }

// The sequences (of CSR offsets) longer than one block, in order.
inline std::vector<std::int64_t> long_sequences(const std::int64_t* offsets,
                                                std::int64_t n_sequences) {
  std::vector<std::int64_t> out;
  for (std::int64_t s = 0; s < n_sequences; ++s) {
    if (is_long_sequence(offsets[s + 1] - offsets[s])) out.push_back(s);
  }
  return out;
}

// body(block, from, to) for the blocks [from, to) of [begin, end), dynamically scheduled
// over n_threads threads (body may ask omp_get_thread_num() for a per-thread slot).
template <class Body>
void for_each_block(std::int64_t begin, std::int64_t end, int n_threads, Body&& body) {
  const std::int64_t n_blocks = div_up(end - begin, kBlockEvents);
  parallel_for_dynamic(
      n_blocks, n_threads,
      [&](std::int64_t b) {
        const std::int64_t from = begin + b * kBlockEvents;
        body(b, from, std::min(end, from + kBlockEvents));
      },
      1);
}

}  // namespace oddseq::core
