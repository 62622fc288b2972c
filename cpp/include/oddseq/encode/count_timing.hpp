#pragma once
// The first encoder: what a sequence did (counts per event type) and at what rhythm.
#include <cstdint>

namespace oddseq::encode {

// Columns written per sequence (row-major float32 out[n_sequences x n_columns]):
//   counts of event codes 0..n_event_types-1, then length, and when times is not null
//   duration_s, gap_mean_s, gap_std_s (population std of the inter-event gaps; 0 for
//   sequences with fewer than two events).
std::int64_t count_timing_width(std::int64_t n_event_types, bool has_times);

void count_timing_features(const std::int64_t* offsets, std::int64_t n_sequences,
                           const std::int32_t* events, std::int64_t n_event_types,
                           const std::int64_t* times, int n_threads, float* out);

}  // namespace oddseq::encode
