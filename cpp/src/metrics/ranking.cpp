#include "oddseq/metrics/ranking.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include "oddseq/core/check.hpp"

namespace oddseq::metrics {

namespace {

// Cumulative true/false positive weights at each distinct score, highest score first.
struct Curve {
  std::vector<double> tps;
  std::vector<double> fps;
};

Curve cumulative_curve(const std::uint8_t* y_true, const double* scores, const double* weights,
                       std::int64_t n) {
  ODDSEQ_CHECK(n > 0, "ranking metric on empty input");
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::int64_t a, std::int64_t b) { return scores[a] > scores[b]; });
  Curve curve;
  double tp = 0.0, fp = 0.0;
  for (std::int64_t r = 0; r < n; ++r) {
    const std::int64_t i = order[static_cast<std::size_t>(r)];
    const double w = weights != nullptr ? weights[i] : 1.0;
    if (y_true[i] != 0) {
      tp += w;
    } else {
      fp += w;
    }
    const bool last_of_tie =
        r + 1 == n || scores[order[static_cast<std::size_t>(r + 1)]] != scores[i];
    if (last_of_tie) {
      curve.tps.push_back(tp);
      curve.fps.push_back(fp);
    }
  }
  return curve;
}

}  // namespace

double roc_auc(const std::uint8_t* y_true, const double* scores, const double* weights,
               std::int64_t n) {
  const Curve curve = cumulative_curve(y_true, scores, weights, n);
  const double p = curve.tps.back();
  const double q = curve.fps.back();
  ODDSEQ_CHECK(p > 0.0 && q > 0.0, "ROC AUC needs both classes present");
  double area = 0.0, prev_tp = 0.0, prev_fp = 0.0;
  for (std::size_t i = 0; i < curve.tps.size(); ++i) {
    area += (curve.fps[i] - prev_fp) * (curve.tps[i] + prev_tp) * 0.5;
    prev_tp = curve.tps[i];
    prev_fp = curve.fps[i];
  }
  return area / (p * q);
}

double average_precision(const std::uint8_t* y_true, const double* scores, const double* weights,
                         std::int64_t n) {
  const Curve curve = cumulative_curve(y_true, scores, weights, n);
  const double p = curve.tps.back();
  ODDSEQ_CHECK(p > 0.0, "average precision needs at least one positive");
  double ap = 0.0, prev_tp = 0.0;
  for (std::size_t i = 0; i < curve.tps.size(); ++i) {
    const double predicted = curve.tps[i] + curve.fps[i];
    const double precision = predicted > 0.0 ? curve.tps[i] / predicted : 0.0;
    ap += (curve.tps[i] - prev_tp) / p * precision;
    prev_tp = curve.tps[i];
  }
  return ap;
}

}  // namespace oddseq::metrics
