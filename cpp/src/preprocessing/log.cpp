#include "oddseq/preprocessing/log.hpp"

#include <algorithm>

#include "oddseq/core/parallel.hpp"

namespace oddseq::preprocessing {

template <class T>
void log1p_transform(const T* x, T* out, std::int64_t n, bool signed_log, int n_threads) {
  // Below this many values a second thread costs more than it saves.
  constexpr std::int64_t kPerThread = 1 << 15;
  const int threads = static_cast<int>(std::max<std::int64_t>(
      1, std::min<std::int64_t>(core::resolve_threads(n_threads), n / kPerThread)));
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t i = 0; i < n; ++i) out[i] = log1p_value(x[i], signed_log);
}

template void log1p_transform<float>(const float*, float*, std::int64_t, bool, int);
template void log1p_transform<double>(const double*, double*, std::int64_t, bool, int);

}  // namespace oddseq::preprocessing
