#pragma once
// Marks of scripted behaviour in each sequence's timing: how few distinct gap sizes it
// uses, how often a gap repeats the previous one, how periodic it is, bursts of events at
// the same instant, actions faster than a person can think, and how far its activity
// spreads over the clock. Complements temporal.hpp (gap moments, lag-1 autocorrelation,
// hourly shares), which it does not repeat.
#include <cstdint>

#include "oddseq/encode/temporal.hpp"  // LocalTime

namespace oddseq::encode {

struct AutomationParams {
  // |gap - previous gap| <= repeat_tolerance_ns makes a positive gap a repeat.
  std::int64_t repeat_tolerance_ns = 100'000'000;
  // Gaps within [g, g * (1 + period_tolerance)] count as one period g.
  double period_tolerance = 0.1;
  // Autocorrelation of the gap series is searched at lags 2..max_lag.
  std::int64_t max_lag = 16;
  // Positive gaps shorter than this are actions without human think time.
  std::int64_t think_time_ns = 2'000'000'000;
};

// Columns, in order (see AutomationEncoder in Python):
//   0 gap_entropy_bits, 1 share_repeated_gaps, 2 dominant_gap_share, 3 dominant_gap_s,
//   4 gap_autocorr_peak, 5 share_zero_gaps, 6 longest_zero_gap_run,
//   7 share_no_think_time, 8 share_active_hours, 9 hour_circular_spread,
//   10 max_active_hours_per_day
constexpr std::int64_t kAutomationWidth = 11;

void automation_features(const std::int64_t* offsets, std::int64_t n_sequences,
                         const std::int64_t* times, const LocalTime& local,
                         const AutomationParams& params, int n_threads, float* out);

}  // namespace oddseq::encode
