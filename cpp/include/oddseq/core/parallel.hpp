#pragma once
// Explicit, exception-safe OpenMP loops. Work is split by index, never by thread, so
// every result that is combined across iterations is combined in a fixed order.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <mutex>
#include <utility>

#include "oddseq/core/interrupt.hpp"

namespace oddseq::core {

// n_threads <= 0 means "every core OpenMP would use" (honours OMP_NUM_THREADS and
// threadpoolctl).
inline int resolve_threads(int n_threads) {
  return n_threads > 0 ? n_threads : omp_get_max_threads();
}

// Captures the first exception thrown inside a parallel region so it can be rethrown
// after the region: an exception may never escape an OpenMP structured block.
class ErrorCollector {
 public:
  void capture() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = std::current_exception();
    failed_.store(true, std::memory_order_relaxed);
  }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  void rethrow_if_any() {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr error_;
  std::atomic<bool> failed_{false};
};

// How a loop's iterations are dealt to threads: in equal static blocks (uniform work)
// or dynamically in chunks (uneven work: groups of varied size).
enum class Schedule { kStatic, kDynamic };

// body(i) for i in [0, n). The schedule changes only which thread runs an iteration,
// never a result.
template <class Body>
void parallel_for(std::int64_t n, int n_threads, Body&& body, Schedule schedule = Schedule::kStatic,
                  int chunk = 1) {
  ErrorCollector errors;
  const auto step = [&](std::int64_t i) {
    if (errors.failed()) return;
    try {
      body(i);
    } catch (...) {
      errors.capture();
    }
  };
  const int threads = resolve_threads(n_threads);
  if (schedule == Schedule::kStatic) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t i = 0; i < n; ++i) step(i);
  } else {
#pragma omp parallel for num_threads(threads) schedule(dynamic, chunk)
    for (std::int64_t i = 0; i < n; ++i) step(i);
  }
  errors.rethrow_if_any();
}

// parallel_for with the dynamic schedule.
template <class Body>
void parallel_for_dynamic(std::int64_t n, int n_threads, Body&& body, int chunk = 1) {
  parallel_for(n, n_threads, std::forward<Body>(body), Schedule::kDynamic, chunk);
}

// body(c, begin, end) for each chunk c in [0, n_chunks) of the rows [0, n): chunk c is
// [c * size, (c + 1) * size) with size = ceil(n / n_chunks), so a caller's later pass
// over the same chunks (a counting sort's count, then its scatter) meets the same rows.
// By chunk, never by thread id: OpenMP may give a team fewer threads than asked for
// (OMP_DYNAMIC, OMP_THREAD_LIMIT, a nested region), and a chunk per thread id would then
// be skipped (rows left unwritten: wrong results, silently). A full team runs one chunk
// per thread.
template <class Body>
void for_each_chunk(std::int64_t n, int n_chunks, Body&& body) {
  const std::int64_t size = (std::max<std::int64_t>(n, 1) + n_chunks - 1) / n_chunks;
  parallel_for(n_chunks, n_chunks, [&](std::int64_t c) {
    const std::int64_t begin = std::min(n, c * size);
    body(static_cast<int>(c), begin, std::min(n, begin + size));
  });
}

// body(i) for i in [0, n), dynamically scheduled, for long loops of uneven work
// (searches). The calling thread (OpenMP's thread 0, which released the GIL) polls for
// Ctrl-C about every 50 ms; once one is seen every thread skips its remaining
// iterations and Interrupted is thrown after the region, never from inside it.
template <class Body>
void parallel_for_interruptible(std::int64_t n, int n_threads, Body&& body, int chunk = 16) {
  ErrorCollector errors;
  std::atomic<bool> interrupted{false};
  auto last_poll = std::chrono::steady_clock::now();
  std::int64_t since_poll = 0;
#pragma omp parallel for num_threads(resolve_threads(n_threads)) schedule(dynamic, chunk)
  for (std::int64_t i = 0; i < n; ++i) {
    if (errors.failed() || interrupted.load(std::memory_order_relaxed)) continue;
    if (omp_get_thread_num() == 0 && ++since_poll >= 16) {
      since_poll = 0;
      const auto now = std::chrono::steady_clock::now();
      if (now - last_poll > std::chrono::milliseconds(50)) {
        last_poll = now;
        if (interrupt_pending()) interrupted.store(true, std::memory_order_relaxed);
      }
    }
    try {
      body(i);
    } catch (...) {
      errors.capture();
    }
  }
  errors.rethrow_if_any();
  if (interrupted.load()) throw Interrupted();
}

// Ceil division for block counts.
inline std::int64_t div_up(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace oddseq::core
