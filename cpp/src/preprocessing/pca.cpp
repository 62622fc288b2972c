#include "oddseq/preprocessing/pca.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "oddseq/core/check.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::preprocessing {

namespace {
constexpr std::int64_t kBlockRows = 4096;
using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
}  // namespace

template <class T>
PcaResult pca_fit(const T* x, std::int64_t n, std::int64_t d, std::int64_t n_components,
                  int n_threads) {
  ODDSEQ_CHECK(n >= 2 && d >= 1, "PCA needs at least 2 rows and 1 column");
  ODDSEQ_CHECK(n_components >= 1 && n_components <= d, "n_components outside [1, d]");
  const std::int64_t n_blocks = core::div_up(n, kBlockRows);
  // Pass 1: means. Pass 2: the centred scatter matrix, one block product per block.
  std::vector<double> block_sums(static_cast<std::size_t>(n_blocks * d), 0.0);
  core::parallel_for(n_blocks, n_threads, [&](std::int64_t b) {
    const std::int64_t end = std::min(n, (b + 1) * kBlockRows);
    double* sums = block_sums.data() + b * d;
    for (std::int64_t i = b * kBlockRows; i < end; ++i) {
      for (std::int64_t j = 0; j < d; ++j) sums[j] += static_cast<double>(x[i * d + j]);
    }
  });
  PcaResult result;
  result.mean.assign(static_cast<std::size_t>(d), 0.0);
  for (std::int64_t b = 0; b < n_blocks; ++b) {
    for (std::int64_t j = 0; j < d; ++j) result.mean[j] += block_sums[b * d + j];
  }
  for (double& m : result.mean) m /= static_cast<double>(n);
  std::vector<Matrix> partial(static_cast<std::size_t>(n_blocks));
  core::parallel_for(n_blocks, n_threads, [&](std::int64_t b) {
    const std::int64_t begin = b * kBlockRows, end = std::min(n, begin + kBlockRows);
    Matrix centred(end - begin, d);
    for (std::int64_t i = begin; i < end; ++i) {
      for (std::int64_t j = 0; j < d; ++j) {
        centred(i - begin, j) = static_cast<double>(x[i * d + j]) - result.mean[j];
      }
    }
    partial[static_cast<std::size_t>(b)] = centred.transpose() * centred;
  });
  Matrix scatter = Matrix::Zero(d, d);
  for (const Matrix& p : partial) scatter += p;
  const Matrix covariance = scatter / static_cast<double>(n - 1);
  Eigen::SelfAdjointEigenSolver<Matrix> solver(covariance);
  ODDSEQ_CHECK(solver.info() == Eigen::Success, "PCA: the eigen decomposition failed");
  const auto& values = solver.eigenvalues();    // ascending
  const auto& vectors = solver.eigenvectors();  // columns
  result.total_variance = covariance.trace();
  result.components.assign(static_cast<std::size_t>(n_components * d), 0.0);
  result.explained_variance.assign(static_cast<std::size_t>(n_components), 0.0);
  for (std::int64_t c = 0; c < n_components; ++c) {
    const std::int64_t source = d - 1 - c;
    result.explained_variance[c] = std::max(0.0, values(source));
    std::int64_t largest = 0;
    for (std::int64_t j = 1; j < d; ++j) {
      if (std::abs(vectors(j, source)) > std::abs(vectors(largest, source))) largest = j;
    }
    const double sign = vectors(largest, source) < 0 ? -1.0 : 1.0;
    for (std::int64_t j = 0; j < d; ++j) result.components[c * d + j] = sign * vectors(j, source);
  }
  return result;
}

template PcaResult pca_fit<float>(const float*, std::int64_t, std::int64_t, std::int64_t, int);
template PcaResult pca_fit<double>(const double*, std::int64_t, std::int64_t, std::int64_t, int);

}  // namespace oddseq::preprocessing
