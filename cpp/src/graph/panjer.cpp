#include "oddseq/graph/panjer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "oddseq/core/check.hpp"

namespace oddseq::graph {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

bool nan_or_plus_inf(double v) {
  return std::isnan(v) || v == std::numeric_limits<double>::infinity();
}

}  // namespace

std::vector<double> log_sum_exp_lines(const double* intercept, const double* slope,
                                      std::int64_t n_lines, double x0, std::int64_t n_points) {
  ODDSEQ_CHECK(n_lines >= 0 && n_points >= 0, "n_lines and n_points must be >= 0");
  ODDSEQ_CHECK(std::isfinite(x0) && x0 >= 0.0, "x0 must be a finite number >= 0");
  for (std::int64_t u = 0; u < n_lines; ++u) {
    ODDSEQ_CHECK(!nan_or_plus_inf(intercept[u]) && !nan_or_plus_inf(slope[u]),
                 "intercept and slope must be numbers below +inf (line " << u << ")");
  }
  std::vector<double> out(static_cast<std::size_t>(n_points), kNegInf);
  // The lines that add something, steepest first (ties by intercept, then index).
  std::vector<std::int64_t> order;
  order.reserve(static_cast<std::size_t>(n_lines));
  double top_intercept = kNegInf;
  for (std::int64_t u = 0; u < n_lines; ++u) {
    if (intercept[u] == kNegInf) continue;
    order.push_back(u);
    top_intercept = std::max(top_intercept, intercept[u]);
  }
  std::sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    if (slope[a] != slope[b]) return slope[a] > slope[b];
    if (intercept[a] != intercept[b]) return intercept[a] > intercept[b];
    return a < b;
  });
  std::vector<double> term(order.size());
  for (std::int64_t p = 0; p < n_points; ++p) {
    const double x = x0 + static_cast<double>(p);
    double top = kNegInf;
    std::size_t seen = 0;
    for (; seen < order.size(); ++seen) {
      const std::int64_t u = order[seen];
      if (x == 0.0) {  // every line's value is its intercept (no 0 * inf)
        term[seen] = intercept[u];
      } else {
        // The lines left are no steeper and start no higher: none reaches the cut.
        if (top_intercept + x * slope[u] < top - kLogCut) break;
        term[seen] = intercept[u] + x * slope[u];
      }
      top = std::max(top, term[seen]);
    }
    if (top == kNegInf) continue;
    const double floor = top - kLogCut;
    double sum = 0.0;
    for (std::size_t i = 0; i < seen; ++i) {
      if (term[i] >= floor) sum += std::exp(term[i] - top);
    }
    out[static_cast<std::size_t>(p)] = top + std::log(sum);
  }
  return out;
}

std::vector<double> panjer_log_pmf(const double* log_rate, std::int64_t n_jumps, double log_g0,
                                   std::int64_t n) {
  ODDSEQ_CHECK(n >= 0 && n_jumps >= 0, "n and n_jumps must be >= 0");
  ODDSEQ_CHECK(!std::isnan(log_g0) && log_g0 <= 0.0, "log_g0 must be a log probability (<= 0)");
  for (std::int64_t j = 0; j < n_jumps; ++j) {
    ODDSEQ_CHECK(!nan_or_plus_inf(log_rate[j]),
                 "log_rate must hold numbers below +inf (entry " << j << ")");
  }
  const std::size_t size = static_cast<std::size_t>(n) + 1;
  std::vector<double> log_g(size, kNegInf);
  log_g[0] = log_g0;
  const std::int64_t jumps = std::min(n_jumps, n);
  // a[j] = log(j rate_j), j = 1..jumps; a_suffix[j]: the largest a[j'] for j' >= j.
  std::vector<double> a(static_cast<std::size_t>(jumps) + 2, kNegInf);
  for (std::int64_t j = 1; j <= jumps; ++j) {
    a[static_cast<std::size_t>(j)] = std::log(static_cast<double>(j)) + log_rate[j - 1];
  }
  std::vector<double> a_suffix(a.size(), kNegInf);
  for (std::int64_t j = jumps; j >= 1; --j) {
    const auto i = static_cast<std::size_t>(j);
    a_suffix[i] = std::max(a[i], a_suffix[i + 1]);
  }
  // g_prefix[i]: the largest log g[i'] for i' <= i.
  std::vector<double> g_prefix(size, kNegInf);
  g_prefix[0] = log_g0;
  std::vector<double> term(static_cast<std::size_t>(jumps) + 1);
  for (std::int64_t k = 1; k <= n; ++k) {
    const std::int64_t top_j = std::min(k, jumps);
    double top = kNegInf;
    std::int64_t last = 0;
    for (std::int64_t j = 1; j <= top_j; ++j) {
      // Every term from j on is at most a_suffix[j] + g_prefix[k - j]: once that is
      // kLogCut below the largest term so far, none of them counts.
      if (a_suffix[static_cast<std::size_t>(j)] + g_prefix[static_cast<std::size_t>(k - j)] <
          top - kLogCut) {
        break;
      }
      const double t = a[static_cast<std::size_t>(j)] + log_g[static_cast<std::size_t>(k - j)];
      term[static_cast<std::size_t>(j)] = t;
      top = std::max(top, t);
      last = j;
    }
    const auto kk = static_cast<std::size_t>(k);
    if (top != kNegInf) {
      const double floor = top - kLogCut;
      double sum = 0.0;
      for (std::int64_t j = 1; j <= last; ++j) {
        const double t = term[static_cast<std::size_t>(j)];
        if (t >= floor) sum += std::exp(t - top);
      }
      log_g[kk] = top + std::log(sum) - std::log(static_cast<double>(k));
    }
    g_prefix[kk] = std::max(g_prefix[kk - 1], log_g[kk]);
  }
  return log_g;
}

}  // namespace oddseq::graph
