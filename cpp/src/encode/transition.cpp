#include "oddseq/encode/transition.hpp"

#include <algorithm>
#include <vector>

#include "oddseq/core/check.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::encode {

std::int64_t transition_width(std::int64_t n_event_types, int order) {
  const std::int64_t n = n_event_types;
  return n * n + (order >= 2 ? n * n * n : 0) + 2 * n;
}

namespace {

// Normalises one block of transition counts laid out as rows of `n` next-event columns.
void normalise(float* block, std::int64_t n_rows, std::int64_t n, TransitionNorm norm) {
  if (norm == TransitionNorm::counts) return;
  if (norm == TransitionNorm::share) {
    double total = 0.0;
    for (std::int64_t i = 0; i < n_rows * n; ++i) total += block[i];
    if (total > 0) {
      for (std::int64_t i = 0; i < n_rows * n; ++i) block[i] = static_cast<float>(block[i] / total);
    }
    return;
  }
  for (std::int64_t r = 0; r < n_rows; ++r) {
    float* row = block + r * n;
    double total = 0.0;
    for (std::int64_t c = 0; c < n; ++c) total += row[c];
    if (total > 0) {
      for (std::int64_t c = 0; c < n; ++c) row[c] = static_cast<float>(row[c] / total);
    }
  }
}

}  // namespace

void transition_features(const std::int64_t* offsets, std::int64_t n_sequences,
                         const std::int32_t* events, std::int64_t n_event_types, int order,
                         TransitionNorm norm, int n_threads, float* out) {
  ODDSEQ_CHECK(order == 1 || order == 2, "transition order must be 1 or 2, got " << order);
  const std::int64_t n = n_event_types;
  const std::int64_t width = transition_width(n, order);
  const std::int64_t second_base = n * n;
  const std::int64_t start_base = n * n + (order >= 2 ? n * n * n : 0);
  core::parallel_for_dynamic(
      n_sequences, n_threads,
      [&](std::int64_t s) {
        float* row = out + s * width;
        std::fill_n(row, width, 0.0f);
        const std::int64_t begin = offsets[s], end = offsets[s + 1];
        if (begin == end) return;
        for (std::int64_t i = begin; i < end; ++i) {
          ODDSEQ_CHECK_RANGE(events[i] >= 0 && events[i] < n,
                             "event code " << events[i] << " outside [0, " << n << ")");
        }
        for (std::int64_t i = begin + 1; i < end; ++i) row[events[i - 1] * n + events[i]] += 1.0f;
        if (order >= 2) {
          for (std::int64_t i = begin + 2; i < end; ++i) {
            row[second_base + (events[i - 2] * n + events[i - 1]) * n + events[i]] += 1.0f;
          }
        }
        normalise(row, n, n, norm);
        if (order >= 2) normalise(row + second_base, n * n, n, norm);
        row[start_base + events[begin]] = 1.0f;
        row[start_base + n + events[end - 1]] = 1.0f;
      },
      64);
}

}  // namespace oddseq::encode
