#pragma once
// Rhythm features of each sequence: gaps, bursts, time of day and week, sessions.
#include <cstdint>

namespace oddseq::encode {

// Local time of an event: utc_offset_s[(t_ns / 3.6e12) - first_hour] seconds are added to
// its UTC time (an hourly table built by the caller from a time zone; one entry of 0 for
// UTC). Hours outside the table take the nearest entry.
struct LocalTime {
  const std::int64_t* utc_offset_s = nullptr;
  std::int64_t first_hour = 0;
  std::int64_t n_hours = 0;
};

// Columns, in order (see temporal_feature_names in Python):
//   0 length, 1 duration_s, 2 events_per_min, 3 gap_min_s, 4 gap_median_s, 5 gap_mean_s,
//   6 gap_std_s, 7 gap_cv, 8 burstiness, 9 share_gaps_under_1s, 10 gap_lag1_autocorr,
//   11 max_events_1min, 12 max_events_1h, 13..36 share_hour_00..23, 37 hour_entropy_bits,
//   38 share_night (00-06 local), 39..45 share_mon..share_sun, 46 share_weekend,
//   47 n_sessions, 48 session_events_mean, 49 session_events_max, 50 session_duration_mean_s
constexpr std::int64_t kTemporalWidth = 51;

void temporal_features(const std::int64_t* offsets, std::int64_t n_sequences,
                       const std::int64_t* times, const LocalTime& local,
                       std::int64_t session_gap_ns, int n_threads, float* out);

}  // namespace oddseq::encode
