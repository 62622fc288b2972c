#pragma once
// Ranking metrics for binary labels and real-valued scores (higher = more positive).
#include <cstdint>

namespace oddseq::metrics {

struct RankingCounts {
  double positives = 0.0;
  double negatives = 0.0;
};

// Area under the ROC curve, ties in score handled by the trapezoidal rule (the same
// definition as scikit-learn). y_true holds 0/1; weights may be null.
double roc_auc(const std::uint8_t* y_true, const double* scores, const double* weights,
               std::int64_t n);

// Average precision: sum over distinct thresholds of (R_i - R_{i-1}) * P_i, the
// step-wise definition scikit-learn uses (no interpolation).
double average_precision(const std::uint8_t* y_true, const double* scores, const double* weights,
                         std::int64_t n);

}  // namespace oddseq::metrics
