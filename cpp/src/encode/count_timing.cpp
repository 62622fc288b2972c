#include "oddseq/encode/count_timing.hpp"

#include <cmath>
#include <vector>

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
  core::parallel_for_dynamic(
      n_sequences, n_threads,
      [&](std::int64_t s) {
        float* row = out + s * width;
        static thread_local std::vector<std::int64_t> counts;  // reused per thread
        counts.assign(static_cast<std::size_t>(n_event_types), 0);
        const std::int64_t begin = offsets[s];
        const std::int64_t end = offsets[s + 1];
        for (std::int64_t i = begin; i < end; ++i) {
          const std::int32_t code = events[i];
          ODDSEQ_CHECK_RANGE(code >= 0 && code < n_event_types,
                             "event code " << code << " outside [0, " << n_event_types << ")");
          ++counts[static_cast<std::size_t>(code)];
        }
        for (std::int64_t c = 0; c < n_event_types; ++c) {
          row[c] = static_cast<float>(counts[static_cast<std::size_t>(c)]);
        }
        const std::int64_t length = end - begin;
        row[n_event_types] = static_cast<float>(length);
        if (times == nullptr) return;
        double duration = 0.0, mean = 0.0, std_dev = 0.0;
        if (length >= 2) {
          duration = static_cast<double>(times[end - 1] - times[begin]) * kSecondsPerNano;
          const double n_gaps = static_cast<double>(length - 1);
          mean = duration / n_gaps;
          double sum_sq = 0.0;
          for (std::int64_t i = begin + 1; i < end; ++i) {
            const double gap =
                static_cast<double>(times[i] - times[i - 1]) * kSecondsPerNano - mean;
            sum_sq += gap * gap;
          }
          std_dev = std::sqrt(sum_sq / n_gaps);
        }
        row[n_event_types + 1] = static_cast<float>(duration);
        row[n_event_types + 2] = static_cast<float>(mean);
        row[n_event_types + 3] = static_cast<float>(std_dev);
      },
      256);
}

}  // namespace oddseq::encode
