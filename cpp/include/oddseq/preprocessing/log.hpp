#pragma once
// The log of LogScaler: log1p(x), or sign(x) log1p(|x|), computed in double and rounded
// once to the element type. LogScaler.transform and the live stream's scaling both use
// this one function, so the stream's scaled features (and its scores) are the batch's bit
// for bit; numpy's float32 log1p and a double log1p rounded to float differ by one unit
// in the last place on some values.
#include <cmath>
#include <cstdint>

namespace oddseq::preprocessing {

template <class T>
inline T log1p_value(T x, bool signed_log) {
  const T magnitude = signed_log ? std::fabs(x) : x;
  const T log = static_cast<T>(std::log1p(static_cast<double>(magnitude)));
  if (!signed_log) return log;
  // numpy's sign: 1, -1, 0 for either zero, NaN for NaN.
  const T sign = x > 0 ? T(1) : (x < 0 ? T(-1) : (x == 0 ? T(0) : x));
  return sign * log;
}

// out[i] = log1p_value(x[i], signed_log) for i < n, on up to n_threads OpenMP threads
// (<= 0: every core; each value alone, so the result does not depend on the count).
template <class T>
void log1p_transform(const T* x, T* out, std::int64_t n, bool signed_log, int n_threads);

}  // namespace oddseq::preprocessing
