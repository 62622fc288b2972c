#pragma once
// Rhythm features of each sequence: gaps, bursts, time of day and week, sessions.
#include <cstdint>
#include <string>
#include <vector>

namespace oddseq::encode {

// Local time of an event: utc_offset_s[(t_ns / 3.6e12) - first_hour] seconds are added to
// its UTC time (an hourly table built by the caller from a time zone; one entry of 0 for
// UTC). Hours outside the table take the nearest entry.
struct LocalTime {
  const std::int64_t* utc_offset_s = nullptr;
  std::int64_t first_hour = 0;
  std::int64_t n_hours = 0;
};

// Columns, in order: temporal_feature_names() is the one list of their names (the
// Python encoder reads it through the binding). share_night is 00-06 local time.
constexpr std::int64_t kTemporalWidth = 51;

// The kTemporalWidth column names of temporal_features, in order.
std::vector<std::string> temporal_feature_names();

void temporal_features(const std::int64_t* offsets, std::int64_t n_sequences,
                       const std::int64_t* times, const LocalTime& local,
                       std::int64_t session_gap_ns, int n_threads, float* out);

}  // namespace oddseq::encode
