#pragma once
// The order of events: per-sequence transition statistics between event types.
#include <cstdint>

namespace oddseq::encode {

enum class TransitionNorm {
  counts,      // raw numbers of transitions
  share,       // each transition's share of the sequence's transitions
  conditional  // p(next | previous): each previous event's row sums to 1 (or 0 if unseen)
};

// Columns: first-order transitions a -> b at a * n + b (n^2 values), then when order >= 2
// second-order transitions (a, b) -> c at n^2 + (a * n + b) * n + c (n^3 values), then the
// start event (n one-hot values) and the end event (n one-hot values).
std::int64_t transition_width(std::int64_t n_event_types, int order);

void transition_features(const std::int64_t* offsets, std::int64_t n_sequences,
                         const std::int32_t* events, std::int64_t n_event_types, int order,
                         TransitionNorm norm, int n_threads, float* out);

}  // namespace oddseq::encode
