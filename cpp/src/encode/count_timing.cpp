#include "oddseq/encode/count_timing.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "oddseq/core/blocks.hpp"
#include "oddseq/core/check.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::encode {

namespace {
constexpr double kSecondsPerNano = 1e-9;
}

std::int64_t count_timing_width(std::int64_t n_event_types, bool has_times) {
  return n_event_types + 1 + (has_times ? 3 : 0);
}

void count_timing_features(const std::int64_t* offsets, std::int64_t n_sequences,
                           const std::int32_t* events, std::int64_t n_event_types,
                           const std::int64_t* times, int n_threads, float* out) {
  ODDSEQ_CHECK(n_event_types >= 0, "negative number of event types");
  const std::int64_t width = count_timing_width(n_event_types, times != nullptr);
  auto count = [&](std::int64_t from, std::int64_t to, std::int64_t* counts) {
    for (std::int64_t i = from; i < to; ++i) {
      const std::int32_t code = events[i];
      ODDSEQ_CHECK_RANGE(code >= 0 && code < n_event_types,
                         "event code " << code << " outside [0, " << n_event_types << ")");
      ++counts[static_cast<std::size_t>(code)];
    }
  };
  // Mean gap of a sequence in nanoseconds: the gaps sum to the duration, so no pass is
  // needed.
  auto mean_gap_ns = [&](std::int64_t begin, std::int64_t end) {
    return static_cast<double>(times[end - 1] - times[begin]) /
           static_cast<double>(end - begin - 1);
  };
  // Squared deviations (ns^2) from `mean_ns` of the gaps ending at events [from, to).
  // Centred in nanoseconds, where equal integer gaps centre to exactly 0 (in seconds the
  // rounding of gap * 1e-9 against duration / m left a spread of 7e-15 s for a script
  // firing every 60 s, which the reasons printed); as temporal.cpp's gaps.
  auto squared_deviations = [&](std::int64_t from, std::int64_t to, double mean_ns) {
    double sum_sq = 0.0;
    for (std::int64_t i = from; i < to; ++i) {
      const double centred = static_cast<double>(times[i] - times[i - 1]) - mean_ns;
      sum_sq += centred * centred;
    }
    return sum_sq;
  };
  auto write_row = [&](std::int64_t s, const std::int64_t* counts, double sum_sq) {
    float* row = out + s * width;
    for (std::int64_t c = 0; c < n_event_types; ++c) {
      row[c] = static_cast<float>(counts[static_cast<std::size_t>(c)]);
    }
    const std::int64_t begin = offsets[s], end = offsets[s + 1], length = end - begin;
    row[n_event_types] = static_cast<float>(length);
    if (times == nullptr) return;
    double duration = 0.0, mean = 0.0, std_dev = 0.0;
    if (length >= 2) {
      duration = static_cast<double>(times[end - 1] - times[begin]) * kSecondsPerNano;
      mean = mean_gap_ns(begin, end) * kSecondsPerNano;
      std_dev = std::sqrt(sum_sq / static_cast<double>(length - 1)) * kSecondsPerNano;
    }
    row[n_event_types + 1] = static_cast<float>(duration);
    row[n_event_types + 2] = static_cast<float>(mean);
    row[n_event_types + 3] = static_cast<float>(std_dev);
  };

  // Long sequences one at a time, each shared by every thread (core/blocks.hpp): counts
  // per thread (integers, exact in any order), squared deviations per block, added in
  // block order.
  const int threads = core::resolve_threads(n_threads);
  const auto types = static_cast<std::size_t>(n_event_types);
  std::vector<std::int64_t> thread_counts;
  std::vector<double> block_sq;
  for (const std::int64_t s : core::long_sequences(offsets, n_sequences)) {
    const std::int64_t begin = offsets[s], end = offsets[s + 1];
    const double mean_ns = times != nullptr ? mean_gap_ns(begin, end) : 0.0;
    thread_counts.assign(static_cast<std::size_t>(threads) * types, 0);
    block_sq.assign(static_cast<std::size_t>(core::div_up(end - begin, core::kBlockEvents)), 0.0);
    core::for_each_block(
        begin, end, threads, [&](std::int64_t b, std::int64_t from, std::int64_t to) {
          count(from, to,
                thread_counts.data() + static_cast<std::size_t>(omp_get_thread_num()) * types);
          if (times != nullptr) {
            block_sq[static_cast<std::size_t>(b)] =
                squared_deviations(std::max(from, begin + 1), to, mean_ns);
          }
        });
    for (int t = 1; t < threads; ++t) {
      for (std::size_t c = 0; c < types; ++c) {
        thread_counts[c] += thread_counts[static_cast<std::size_t>(t) * types + c];
      }
    }
    double sum_sq = 0.0;
    for (const double partial : block_sq) sum_sq += partial;
    write_row(s, thread_counts.data(), sum_sq);
  }

  core::parallel_for_dynamic(
      n_sequences, n_threads,
      [&](std::int64_t s) {
        const std::int64_t begin = offsets[s], end = offsets[s + 1];
        if (core::is_long_sequence(end - begin)) return;       // done above
        static thread_local std::vector<std::int64_t> counts;  // reused per thread
        counts.assign(types, 0);
        count(begin, end, counts.data());
        const double sum_sq = times != nullptr && end - begin >= 2
                                  ? squared_deviations(begin + 1, end, mean_gap_ns(begin, end))
                                  : 0.0;
        write_row(s, counts.data(), sum_sq);
      },
      256);
}

}  // namespace oddseq::encode
