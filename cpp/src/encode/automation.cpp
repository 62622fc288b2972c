#include "oddseq/encode/automation.hpp"

#include <algorithm>
#include <bitset>
#include <cmath>
#include <vector>

#include "oddseq/core/check.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::encode {

namespace {

constexpr double kSecondsPerNano = 1e-9;
constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kNanosPerMilli = 1'000'000;
constexpr std::int64_t kNanosPerHour = 3600 * kNanosPerSecond;
constexpr std::int64_t kNanosPerDay = 24 * kNanosPerHour;
constexpr double kTwoPi = 6.283185307179586476925286766559;

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Octave of a gap on a millisecond scale: 0 below 1 ms, then the bit length of the
// whole milliseconds (1 ms -> 1, 2-3 ms -> 2, ..., 4.1-8.2 s -> 13, ...).
inline int gap_octave(std::int64_t gap_ns) {
  const auto ms = static_cast<std::uint64_t>(gap_ns / kNanosPerMilli);
#if defined(__GNUC__) || defined(__clang__)
  return ms == 0 ? 0 : 64 - __builtin_clzll(ms);
#else
  int bits = 0;
  for (std::uint64_t v = ms; v != 0; v >>= 1) ++bits;
  return bits;
#endif
}

}  // namespace

void automation_features(const std::int64_t* offsets, std::int64_t n_sequences,
                         const std::int64_t* times, const LocalTime& local,
                         const AutomationParams& params, int n_threads, float* out) {
  ODDSEQ_CHECK(local.n_hours >= 1 && local.utc_offset_s != nullptr, "empty time zone table");
  ODDSEQ_CHECK(params.repeat_tolerance_ns >= 0, "repeat tolerance must be >= 0");
  ODDSEQ_CHECK(params.period_tolerance > 0, "period tolerance must be > 0");
  ODDSEQ_CHECK(params.max_lag >= 2, "max_lag must be >= 2");
  ODDSEQ_CHECK(params.think_time_ns > 0, "think time must be positive");
  const double period_factor = 1.0 + params.period_tolerance;
  core::parallel_for_dynamic(
      n_sequences, n_threads,
      [&](std::int64_t s) {
        float* row = out + s * kAutomationWidth;
        std::fill_n(row, kAutomationWidth, 0.0f);
        const std::int64_t begin = offsets[s], end = offsets[s + 1];
        const std::int64_t length = end - begin;
        if (length == 0) return;
        const std::int64_t* t = times + begin;

        // The clock: local hour of day of every event, its angle on the 24 h circle, and
        // the distinct hours of each local calendar day.
        std::bitset<24> hours_ever;
        std::bitset<24> hours_today;
        std::int64_t today = 0;
        std::size_t best_day = 0;
        double sum_cos = 0.0, sum_sin = 0.0;
        for (std::int64_t i = 0; i < length; ++i) {
          const std::int64_t slot = std::clamp<std::int64_t>(
              floor_div(t[i], kNanosPerHour) - local.first_hour, 0, local.n_hours - 1);
          const std::int64_t local_ns = t[i] + local.utc_offset_s[slot] * kNanosPerSecond;
          const std::int64_t day = floor_div(local_ns, kNanosPerDay);
          const std::int64_t into_day = local_ns - day * kNanosPerDay;
          const auto hour = static_cast<std::size_t>(into_day / kNanosPerHour);
          if (i == 0 || day != today) {
            best_day = std::max(best_day, hours_today.count());
            hours_today.reset();
            today = day;
          }
          hours_today.set(hour);
          hours_ever.set(hour);
          const double angle = kTwoPi * static_cast<double>(into_day) / kNanosPerDay;
          sum_cos += std::cos(angle);
          sum_sin += std::sin(angle);
        }
        best_day = std::max(best_day, hours_today.count());
        const double n = static_cast<double>(length);
        row[8] = static_cast<float>(static_cast<double>(hours_ever.count()) / 24.0);
        const double resultant = std::sqrt(sum_cos * sum_cos + sum_sin * sum_sin) / n;
        row[9] = static_cast<float>(std::clamp(1.0 - resultant, 0.0, 1.0));
        row[10] = static_cast<float>(best_day);
        if (length < 2) return;

        // One pass over the gaps: octaves, repeats, zero runs, fast actions.
        const std::int64_t n_gaps = length - 1;
        const double m = static_cast<double>(n_gaps);
        static thread_local std::vector<std::int64_t> positive;
        positive.clear();
        std::int64_t octaves[65] = {0};
        std::int64_t repeats = 0, zeros = 0, run = 0, longest_run = 0, fast = 0;
        for (std::int64_t i = 0; i < n_gaps; ++i) {
          const std::int64_t gap = t[i + 1] - t[i];
          ++octaves[gap_octave(gap)];
          if (i > 0) {
            const std::int64_t previous = t[i] - t[i - 1];
            repeats += gap > 0 && std::llabs(gap - previous) <= params.repeat_tolerance_ns;
          }
          run = gap == 0 ? run + 1 : 0;
          longest_run = std::max(longest_run, run);
          zeros += gap == 0;
          fast += gap > 0 && gap < params.think_time_ns;
          if (gap > 0) positive.push_back(gap);
        }
        double sum_c_log_c = 0.0;
        for (const std::int64_t c : octaves)
          if (c > 0) sum_c_log_c += static_cast<double>(c) * std::log2(static_cast<double>(c));
        row[0] = static_cast<float>(std::max(0.0, std::log2(m) - sum_c_log_c / m));
        row[1] = static_cast<float>(n_gaps >= 2 ? static_cast<double>(repeats) / (m - 1) : 0.0);
        row[5] = static_cast<float>(static_cast<double>(zeros) / m);
        row[6] = static_cast<float>(longest_run);
        row[7] = static_cast<float>(static_cast<double>(fast) / m);

        // The densest window [g, g * (1 + tolerance)] over the sorted positive gaps: its
        // share of all gaps and its lower end (the smallest such g on ties).
        if (!positive.empty()) {
          std::sort(positive.begin(), positive.end());
          const std::size_t k = positive.size();
          std::size_t best = 0, best_start = 0, j = 0;
          for (std::size_t i = 0; i < k; ++i) {
            const double limit = static_cast<double>(positive[i]) * period_factor;
            j = std::max(j, i);
            while (j < k && static_cast<double>(positive[j]) <= limit) ++j;
            if (j - i > best) {
              best = j - i;
              best_start = i;
            }
          }
          row[2] = static_cast<float>(static_cast<double>(best) / m);
          row[3] = static_cast<float>(static_cast<double>(positive[best_start]) * kSecondsPerNano);
        }

        // Strongest autocorrelation of the gap series at lags 2..max_lag (at most half the
        // gaps): repeating cycles of actions (view, view, buy, wait) peak at their length.
        // Centred in nanoseconds, where equal gaps centre to exactly 0.
        const std::int64_t top_lag = std::min(params.max_lag, n_gaps / 2);
        if (top_lag >= 2) {
          const double mean_ns = static_cast<double>(t[length - 1] - t[0]) / m;
          static thread_local std::vector<double> centred;
          centred.resize(static_cast<std::size_t>(n_gaps));
          double* c = centred.data();
          double var = 0.0;
          for (std::int64_t i = 0; i < n_gaps; ++i) {
            c[i] = static_cast<double>(t[i + 1] - t[i]) - mean_ns;
            var += c[i] * c[i];
          }
          double peak = 0.0;
          if (var > 0) {
            for (std::int64_t lag = 2; lag <= top_lag; ++lag) {
              double cov = 0.0;
              for (std::int64_t i = lag; i < n_gaps; ++i) cov += c[i] * c[i - lag];
              peak = std::max(peak, cov / var);
            }
          }
          row[4] = static_cast<float>(peak);
        }
      },
      64);
}

}  // namespace oddseq::encode
