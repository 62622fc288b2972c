#pragma once
// Principal components from the covariance matrix (Eigen's self-adjoint eigensolver).
#include <cstdint>
#include <vector>

namespace oddseq::preprocessing {

struct PcaResult {
  std::vector<double> mean;                // d
  std::vector<double> components;          // n_components x d, rows by decreasing variance
  std::vector<double> explained_variance;  // n_components (divides by n - 1)
  double total_variance = 0.0;
};

// Column means and the covariance are accumulated in double over fixed row blocks merged
// in order, so the result does not depend on the thread count. Component signs are fixed
// so that each component's largest-magnitude entry is positive.
template <class T>
PcaResult pca_fit(const T* x, std::int64_t n, std::int64_t d, std::int64_t n_components,
                  int n_threads);

}  // namespace oddseq::preprocessing
