#include "oddseq/encode/temporal.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "oddseq/core/check.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::encode {

namespace {

constexpr double kSecondsPerNano = 1e-9;
constexpr std::int64_t kNanosPerHour = 3'600'000'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;
// 1970-01-01 was a Thursday: day 0 is weekday 3 with Monday = 0.
constexpr std::int64_t kEpochWeekday = 3;

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Puts the k-th smallest of a[0..n) at a[k], smaller-or-equal values before it, larger-
// or-equal after (as std::nth_element). Quickselect with a branchless Lomuto partition:
// gaps are noisy, so a partition that branches on each comparison mispredicts about
// half the time; this one turns the comparison into an index increment, which measured
// about twice as fast as std::nth_element on this encoder's gaps.
void select_kth(std::int64_t* a, std::int64_t n, std::int64_t k) {
  std::int64_t lo = 0, hi = n - 1;
  while (hi > lo) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    // Median of three as the pivot, parked at hi.
    if (a[mid] < a[lo]) std::swap(a[mid], a[lo]);
    if (a[hi] < a[lo]) std::swap(a[hi], a[lo]);
    if (a[mid] < a[hi]) std::swap(a[mid], a[hi]);
    const std::int64_t pivot = a[hi];
    std::int64_t i = lo;
    for (std::int64_t j = lo; j < hi; ++j) {
      const std::int64_t value = a[j];
      a[j] = a[i];
      a[i] = value;
      i += value < pivot;
    }
    std::swap(a[i], a[hi]);
    if (k == i) return;
    if (k < i) {
      hi = i - 1;
    } else if (i > lo) {
      lo = i + 1;
    } else {
      // The pivot is the range's minimum: gather its copies at the front, or runs of
      // equal gaps (bots, equal timestamps) would cost one pass per copy.
      std::int64_t equal = lo + 1;
      for (std::int64_t j = lo + 1; j <= hi; ++j) {
        const std::int64_t value = a[j];
        a[j] = a[equal];
        a[equal] = value;
        equal += value == pivot;
      }
      if (k < equal) return;
      lo = equal;
    }
  }
}

}  // namespace

void temporal_features(const std::int64_t* offsets, std::int64_t n_sequences,
                       const std::int64_t* times, const LocalTime& local,
                       std::int64_t session_gap_ns, int n_threads, float* out) {
  ODDSEQ_CHECK(session_gap_ns > 0, "session gap must be positive");
  ODDSEQ_CHECK(local.n_hours >= 1 && local.utc_offset_s != nullptr, "empty time zone table");
  core::parallel_for_dynamic(
      n_sequences, n_threads,
      [&](std::int64_t s) {
        float* row = out + s * kTemporalWidth;
        std::fill_n(row, kTemporalWidth, 0.0f);
        const std::int64_t begin = offsets[s], end = offsets[s + 1];
        const std::int64_t length = end - begin;
        row[0] = static_cast<float>(length);
        if (length == 0) return;
        const std::int64_t* t = times + begin;

        // Time of day and week, in local time.
        std::int64_t hours[24] = {0};
        std::int64_t weekdays[7] = {0};
        // Times ascend, so the local hour and weekday are recomputed only when an event
        // passes the next local-hour boundary (or the next entry of the offset table).
        std::int64_t boundary = std::numeric_limits<std::int64_t>::min();
        int hour = 0, weekday = 0;
        for (std::int64_t i = 0; i < length; ++i) {
          if (t[i] >= boundary) {
            const std::int64_t utc_hour = floor_div(t[i], kNanosPerHour);
            const std::int64_t slot =
                std::clamp<std::int64_t>(utc_hour - local.first_hour, 0, local.n_hours - 1);
            const std::int64_t offset = local.utc_offset_s[slot];
            const std::int64_t local_s = floor_div(t[i], 1'000'000'000) + offset;
            const std::int64_t day = floor_div(local_s, kSecondsPerDay);
            const std::int64_t second_of_day = local_s - day * kSecondsPerDay;
            hour = static_cast<int>(second_of_day / 3600);
            weekday = static_cast<int>(((day + kEpochWeekday) % 7 + 7) % 7);
            const std::int64_t next_local_hour_s = (floor_div(local_s, 3600) + 1) * 3600;
            boundary = std::min((next_local_hour_s - offset) * 1'000'000'000,
                                (utc_hour + 1) * kNanosPerHour);
          }
          ++hours[hour];
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
        // sessions, the busiest 1-minute and 1-hour windows, the fastest gap.
        static thread_local std::vector<std::int64_t> int_gaps;  // reused per thread
        int_gaps.resize(static_cast<std::size_t>(length - 1));
        constexpr std::int64_t kMinute = 60 * 1'000'000'000LL, kHour = 3600 * 1'000'000'000LL;
        constexpr std::int64_t kSecond = 1'000'000'000LL;
        std::int64_t n_sessions = 1, session_start = 0, longest = 0, session_ns = 0;
        std::int64_t best_minute = 1, best_hour = 1, lo_minute = 0, lo_hour = 0;
        std::int64_t min_gap = std::numeric_limits<std::int64_t>::max(), fast = 0;
        for (std::int64_t i = 1; i < length; ++i) {
          const std::int64_t gap = t[i] - t[i - 1];
          int_gaps[static_cast<std::size_t>(i - 1)] = gap;
          min_gap = std::min(min_gap, gap);
          fast += gap < kSecond;
          if (gap > session_gap_ns) {
            longest = std::max(longest, i - session_start);
            session_ns += t[i - 1] - t[session_start];
            ++n_sessions;
            session_start = i;
          }
          while (t[i] - t[lo_minute] >= kMinute) ++lo_minute;
          while (t[i] - t[lo_hour] >= kHour) ++lo_hour;
          best_minute = std::max(best_minute, i - lo_minute + 1);
          best_hour = std::max(best_hour, i - lo_hour + 1);
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
        // The gaps sum to the duration, so their mean needs no accumulation.
        const double m = static_cast<double>(length - 1);
        const double mean = duration / m;
        double var = 0.0, lag_cov = 0.0, previous = 0.0;
        for (std::int64_t i = 0; i < length - 1; ++i) {
          const double centred =
              static_cast<double>(int_gaps[static_cast<std::size_t>(i)]) * kSecondsPerNano - mean;
          var += centred * centred;
          if (i > 0) lag_cov += centred * previous;
          previous = centred;
        }
        const double std_dev = std::sqrt(var / m);
        row[3] = static_cast<float>(static_cast<double>(min_gap) * kSecondsPerNano);
        row[5] = static_cast<float>(mean);
        row[6] = static_cast<float>(std_dev);
        row[7] = static_cast<float>(mean > 0 ? std_dev / mean : 0.0);
        row[8] = static_cast<float>(std_dev + mean > 0 ? (std_dev - mean) / (std_dev + mean) : 0.0);
        row[9] = static_cast<float>(static_cast<double>(fast) / m);
        // Lag-1 autocorrelation of the gaps: near 1 for drifting rhythms, near -1 for
        // alternating ones, 0 without enough gaps or variation.
        row[10] = static_cast<float>(length - 1 >= 3 && var > 0 ? lag_cov / var : 0.0);
        // Median on the integer gaps (cheaper comparisons), in seconds at the end.
        const std::size_t half = int_gaps.size() / 2;
        select_kth(int_gaps.data(), static_cast<std::int64_t>(int_gaps.size()),
                   static_cast<std::int64_t>(half));
        double median = static_cast<double>(int_gaps[half]);
        if (int_gaps.size() % 2 == 0) {
          median = 0.5 * (median + static_cast<double>(*std::max_element(
                                       int_gaps.begin(),
                                       int_gaps.begin() + static_cast<std::ptrdiff_t>(half))));
        }
        row[4] = static_cast<float>(median * kSecondsPerNano);
      },
      64);
}

}  // namespace oddseq::encode
