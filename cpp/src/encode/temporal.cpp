#include "oddseq/encode/temporal.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "oddseq/core/check.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::encode {

namespace {

constexpr double kSecondsPerNano = 1e-9;
constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kNanosPerHour = 3600 * kNanosPerSecond;
constexpr std::int64_t kNanosPerDay = 24 * kNanosPerHour;
// 1970-01-01 was a Thursday: day 0 is weekday 3 with Monday = 0.
constexpr std::int64_t kEpochWeekday = 3;

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// The values at sorted positions k - 1 and k of a[0..n), 0 < k < n (a and scratch, both
// of n elements, are clobbered). Quickselect whose partition copies out of place: each
// value is written to both ends of the other buffer and only the matching end's cursor
// moves, so the loop neither branches on the (noisy) comparison nor reads what it has
// just written; the in-place partition it replaced stalled on store-to-load forwarding.
// Values equal to the pivot drop out of both sides, so runs of equal gaps (bots, equal
// timestamps) cost one pass, not one pass per copy.
struct OrderPair {
  std::int64_t below, at;
};

OrderPair select_pair(std::int64_t* a, std::int64_t* scratch, std::int64_t n, std::int64_t k) {
  std::int64_t below = std::numeric_limits<std::int64_t>::min();  // largest value left of a
  while (n > 16) {
    const std::int64_t x = a[0], y = a[n / 2], z = a[n - 1];
    const std::int64_t pivot = std::max(std::min(x, y), std::min(std::max(x, y), z));
    std::int64_t n_less = 0, n_greater = 0;
    std::int64_t max_less = std::numeric_limits<std::int64_t>::min();
    for (std::int64_t j = 0; j < n; ++j) {
      const std::int64_t value = a[j];
      scratch[n_less] = value;
      scratch[n - 1 - n_greater] = value;
      n_less += value < pivot;
      n_greater += value > pivot;
      max_less = value < pivot ? std::max(max_less, value) : max_less;
    }
    const std::int64_t first_equal = n_less, first_greater = n - n_greater;
    if (k >= first_equal && k < first_greater) {
      return {k > first_equal ? pivot : (n_less > 0 ? max_less : below), pivot};
    }
    std::int64_t* const free_buffer = a;
    if (k < first_equal) {
      a = scratch;
      n = n_less;
    } else {
      a = scratch + first_greater;
      n = n_greater;
      k -= first_greater;
      below = pivot;
    }
    scratch = free_buffer;
  }
  std::sort(a, a + n);
  return {k > 0 ? a[k - 1] : below, a[k]};
}

}  // namespace

void temporal_features(const std::int64_t* offsets, std::int64_t n_sequences,
                       const std::int64_t* times, const LocalTime& local,
                       std::int64_t session_gap_ns, int n_threads, float* out) {
  ODDSEQ_CHECK(session_gap_ns > 0, "session gap must be positive");
  ODDSEQ_CHECK(local.n_hours >= 1 && local.utc_offset_s != nullptr, "empty time zone table");
  // next_change[slot]: the first later slot of the offset table with another UTC offset
  // (n_hours: none), so that the local clock is re-derived only at local midnight or at
  // a change of offset, and every other event costs one subtraction and one division.
  const std::int64_t n_hours = local.n_hours;
  std::vector<std::int64_t> next_change(static_cast<std::size_t>(n_hours));
  next_change[static_cast<std::size_t>(n_hours - 1)] = n_hours;
  for (std::int64_t slot = n_hours - 2; slot >= 0; --slot) {
    const auto s = static_cast<std::size_t>(slot);
    next_change[s] =
        local.utc_offset_s[s] != local.utc_offset_s[s + 1] ? slot + 1 : next_change[s + 1];
  }
  const std::int64_t session_gap = session_gap_ns;
  core::parallel_for_dynamic(
      n_sequences, n_threads,
      [&](std::int64_t s) {
        float* row = out + s * kTemporalWidth;
        std::fill_n(row, kTemporalWidth, 0.0f);
        const std::int64_t begin = offsets[s], end = offsets[s + 1];
        const std::int64_t length = end - begin;
        row[0] = static_cast<float>(length);
        if (length == 0) return;
        const std::int64_t* __restrict t = times + begin;

        // Time of day and week, in local time. Within one local day of one UTC offset
        // the hour is (t - local midnight) / 1 h.
        std::int64_t hours[24] = {0};
        std::int64_t weekdays[7] = {0};
        std::int64_t boundary = std::numeric_limits<std::int64_t>::min();
        std::int64_t midnight = 0;
        int weekday = 0;
        for (std::int64_t i = 0; i < length; ++i) {
          if (t[i] >= boundary) {
            const std::int64_t utc_hour = floor_div(t[i], kNanosPerHour);
            const std::int64_t slot =
                std::clamp<std::int64_t>(utc_hour - local.first_hour, 0, n_hours - 1);
            const std::int64_t offset_ns = local.utc_offset_s[slot] * kNanosPerSecond;
            const std::int64_t day = floor_div(t[i] + offset_ns, kNanosPerDay);
            midnight = day * kNanosPerDay - offset_ns;
            weekday = static_cast<int>(((day + kEpochWeekday) % 7 + 7) % 7);
            const std::int64_t change = next_change[static_cast<std::size_t>(slot)];
            boundary = midnight <= std::numeric_limits<std::int64_t>::max() - kNanosPerDay
                           ? midnight + kNanosPerDay
                           : std::numeric_limits<std::int64_t>::max();
            if (change < n_hours)
              boundary = std::min(boundary, (local.first_hour + change) * kNanosPerHour);
          }
          ++hours[static_cast<std::uint64_t>(t[i] - midnight) / kNanosPerHour];
          ++weekdays[weekday];
        }
        const double n = static_cast<double>(length);
        double entropy = 0.0;
        for (int h = 0; h < 24; ++h) {
          const double p = static_cast<double>(hours[h]) / n;
          row[13 + h] = static_cast<float>(p);
          if (p > 0) entropy -= p * std::log2(p);
        }
        row[37] = static_cast<float>(entropy);
        row[38] = static_cast<float>(
            static_cast<double>(hours[0] + hours[1] + hours[2] + hours[3] + hours[4] + hours[5]) /
            n);
        for (int w = 0; w < 7; ++w)
          row[39 + w] = static_cast<float>(static_cast<double>(weekdays[w]) / n);
        row[46] = static_cast<float>(static_cast<double>(weekdays[5] + weekdays[6]) / n);

        // One pass over consecutive events: gaps (kept as integers for the median),
        // sessions, the busiest 1-minute and 1-hour windows, the fastest gap. Written
        // without branches on the data: gaps are noisy, so branches on them mispredict.
        static thread_local std::vector<std::int64_t> buffers;  // gaps, then scratch
        buffers.resize(2 * static_cast<std::size_t>(length - 1));
        std::int64_t* __restrict gaps = buffers.data();
        constexpr std::int64_t kMinute = 60 * kNanosPerSecond, kHour = 3600 * kNanosPerSecond;
        std::int64_t n_sessions = 1, session_start = 0, longest = 0, session_ns = 0;
        // The busiest window ending at event i holds at most one event more than the
        // busiest so far, so it is enough to test whether that many fit.
        std::int64_t best_minute = 1, best_hour = 1;
        std::int64_t min_gap = std::numeric_limits<std::int64_t>::max(), fast = 0;
        for (std::int64_t i = 1; i < length; ++i) {
          const std::int64_t gap = t[i] - t[i - 1];
          gaps[i - 1] = gap;
          min_gap = std::min(min_gap, gap);
          fast += gap < kNanosPerSecond;
          const bool split = gap > session_gap;
          longest = std::max(longest, split ? i - session_start : 0);
          session_ns += split ? t[i - 1] - t[session_start] : 0;
          n_sessions += split;
          session_start = split ? i : session_start;
          best_minute += t[i] - t[i - best_minute] < kMinute;
          best_hour += t[i] - t[i - best_hour] < kHour;
        }
        longest = std::max(longest, length - session_start);
        session_ns += t[length - 1] - t[session_start];
        row[47] = static_cast<float>(n_sessions);
        row[48] = static_cast<float>(n / static_cast<double>(n_sessions));
        row[49] = static_cast<float>(longest);
        row[50] = static_cast<float>(static_cast<double>(session_ns) * kSecondsPerNano /
                                     static_cast<double>(n_sessions));
        row[11] = static_cast<float>(best_minute);
        row[12] = static_cast<float>(best_hour);
        if (length < 2) return;

        const double duration = static_cast<double>(t[length - 1] - t[0]) * kSecondsPerNano;
        row[1] = static_cast<float>(duration);
        row[2] = static_cast<float>(duration > 0 ? (n - 1) / duration * 60.0 : 0.0);
        // The gaps sum to the duration, so their mean needs no accumulation. Centred in
        // nanoseconds, where equal integer gaps centre to exactly 0 (in seconds the
        // rounding of gap * 1e-9 against duration / m left a tiny variance, and a
        // perfectly regular bot then showed an autocorrelation near 1).
        const std::int64_t n_gaps = length - 1;
        const double m = static_cast<double>(n_gaps);
        const double mean_ns = static_cast<double>(t[length - 1] - t[0]) / m;
        const double mean = mean_ns * kSecondsPerNano;
        double var = 0.0, lag_cov = 0.0, previous = 0.0;
        for (std::int64_t i = 0; i < n_gaps; ++i) {
          const double centred = static_cast<double>(gaps[i]) - mean_ns;
          var += centred * centred;
          lag_cov += centred * previous;  // previous is 0 for the first gap
          previous = centred;
        }
        const double std_dev = std::sqrt(var / m) * kSecondsPerNano;
        row[3] = static_cast<float>(static_cast<double>(min_gap) * kSecondsPerNano);
        row[5] = static_cast<float>(mean);
        row[6] = static_cast<float>(std_dev);
        row[7] = static_cast<float>(mean > 0 ? std_dev / mean : 0.0);
        row[8] = static_cast<float>(std_dev + mean > 0 ? (std_dev - mean) / (std_dev + mean) : 0.0);
        row[9] = static_cast<float>(static_cast<double>(fast) / m);
        // Lag-1 autocorrelation of the gaps: near 1 for drifting rhythms, near -1 for
        // alternating ones, 0 without enough gaps or variation.
        row[10] = static_cast<float>(n_gaps >= 3 && var > 0 ? lag_cov / var : 0.0);
        // Median on the integer gaps (cheaper comparisons), in seconds at the end.
        double median;
        if (n_gaps == 1) {
          median = static_cast<double>(gaps[0]);
        } else {
          const OrderPair middle = select_pair(gaps, gaps + n_gaps, n_gaps, n_gaps / 2);
          median = n_gaps % 2 == 1
                       ? static_cast<double>(middle.at)
                       : 0.5 * (static_cast<double>(middle.below) + static_cast<double>(middle.at));
        }
        row[4] = static_cast<float>(median * kSecondsPerNano);
      },
      64);
}

std::vector<std::string> temporal_feature_names() {
  std::vector<std::string> names = {"length",        "duration_s",          "events_per_min",
                                    "gap_min_s",     "gap_median_s",        "gap_mean_s",
                                    "gap_std_s",     "gap_cv",              "burstiness",
                                    "share_gaps_under_1s", "gap_lag1_autocorr",
                                    "max_events_1min",     "max_events_1h"};
  for (int hour = 0; hour < 24; ++hour) {
    char name[32];
    std::snprintf(name, sizeof name, "share_hour_%02d", hour);
    names.emplace_back(name);
  }
  names.emplace_back("hour_entropy_bits");
  names.emplace_back("share_night");
  for (const char* day : {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}) {
    names.emplace_back(std::string("share_") + day);
  }
  for (const char* name : {"share_weekend", "n_sessions", "session_events_mean",
                           "session_events_max", "session_duration_mean_s"}) {
    names.emplace_back(name);
  }
  ODDSEQ_CHECK(static_cast<std::int64_t>(names.size()) == kTemporalWidth,
               "temporal_feature_names: one name per column");
  return names;
}

}  // namespace oddseq::encode
