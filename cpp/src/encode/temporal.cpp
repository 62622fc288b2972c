#include "oddseq/encode/temporal.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
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

// Largest numbers of events inside any window [t, t + short_width) and [t, t + long_width):
// one pass over the sorted times with a trailing pointer per width.
std::pair<std::int64_t, std::int64_t> max_in_windows(const std::int64_t* t, std::int64_t n,
                                                     std::int64_t short_width,
                                                     std::int64_t long_width) {
  std::int64_t best_short = 0, best_long = 0, lo_short = 0, lo_long = 0;
  for (std::int64_t hi = 0; hi < n; ++hi) {
    while (t[hi] - t[lo_short] >= short_width) ++lo_short;
    while (t[hi] - t[lo_long] >= long_width) ++lo_long;
    best_short = std::max(best_short, hi - lo_short + 1);
    best_long = std::max(best_long, hi - lo_long + 1);
  }
  return {best_short, best_long};
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

        // Sessions: split where the gap exceeds session_gap.
        std::int64_t n_sessions = 1, session_start = 0, longest = 0;
        double duration_sum = 0.0;
        for (std::int64_t i = 1; i <= length; ++i) {
          if (i == length || t[i] - t[i - 1] > session_gap_ns) {
            longest = std::max(longest, i - session_start);
            duration_sum += static_cast<double>(t[i - 1] - t[session_start]) * kSecondsPerNano;
            if (i < length) {
              ++n_sessions;
              session_start = i;
            }
          }
        }
        row[47] = static_cast<float>(n_sessions);
        row[48] = static_cast<float>(n / static_cast<double>(n_sessions));
        row[49] = static_cast<float>(longest);
        row[50] = static_cast<float>(duration_sum / static_cast<double>(n_sessions));
        const auto busiest =
            max_in_windows(t, length, 60 * 1'000'000'000LL, 3600 * 1'000'000'000LL);
        row[11] = static_cast<float>(busiest.first);
        row[12] = static_cast<float>(busiest.second);
        if (length < 2) return;

        // Gaps between consecutive events.
        const double duration = static_cast<double>(t[length - 1] - t[0]) * kSecondsPerNano;
        row[1] = static_cast<float>(duration);
        row[2] = static_cast<float>(duration > 0 ? (n - 1) / duration * 60.0 : 0.0);
        static thread_local std::vector<double> gaps;  // reused: no allocation per sequence
        gaps.resize(static_cast<std::size_t>(length - 1));
        double sum = 0.0, min_gap = 0.0;
        std::int64_t fast = 0;
        for (std::int64_t i = 1; i < length; ++i) {
          const double gap = static_cast<double>(t[i] - t[i - 1]) * kSecondsPerNano;
          gaps[static_cast<std::size_t>(i - 1)] = gap;
          sum += gap;
          min_gap = i == 1 ? gap : std::min(min_gap, gap);
          if (gap < 1.0) ++fast;
        }
        const double m = static_cast<double>(gaps.size());
        const double mean = sum / m;
        double var = 0.0;
        for (double g : gaps) var += (g - mean) * (g - mean);
        const double std_dev = std::sqrt(var / m);
        double lag_cov = 0.0;
        for (std::size_t i = 1; i < gaps.size(); ++i)
          lag_cov += (gaps[i] - mean) * (gaps[i - 1] - mean);
        row[3] = static_cast<float>(min_gap);
        row[5] = static_cast<float>(mean);
        row[6] = static_cast<float>(std_dev);
        row[7] = static_cast<float>(mean > 0 ? std_dev / mean : 0.0);
        row[8] = static_cast<float>(std_dev + mean > 0 ? (std_dev - mean) / (std_dev + mean) : 0.0);
        row[9] = static_cast<float>(static_cast<double>(fast) / m);
        // Lag-1 autocorrelation of the gaps: near 1 for drifting rhythms, near -1 for
        // alternating ones, 0 without enough gaps or variation.
        row[10] = static_cast<float>(gaps.size() >= 3 && var > 0 ? lag_cov / var : 0.0);
        // Median on the integer gaps (cheaper comparisons), in seconds at the end.
        static thread_local std::vector<std::int64_t> int_gaps;
        int_gaps.resize(gaps.size());
        for (std::int64_t i = 1; i < length; ++i) {
          int_gaps[static_cast<std::size_t>(i - 1)] = t[i] - t[i - 1];
        }
        const std::size_t half = int_gaps.size() / 2;
        std::nth_element(int_gaps.begin(), int_gaps.begin() + static_cast<std::ptrdiff_t>(half),
                         int_gaps.end());
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
