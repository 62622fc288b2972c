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

namespace {

// numpy's logaddexp: log(e^a + e^b) without overflow.
double log_add_exp(double a, double b) {
  if (a == b) return a + std::log(2.0);
  const double d = a - b;
  if (d > 0) return a + std::log1p(std::exp(-d));
  if (d <= 0) return b + std::log1p(std::exp(d));
  return d;  // NaN
}

// Neumaier's compensated sum, one term at a time.
struct CompensatedSum {
  double sum = 0.0;
  double carry = 0.0;
  void add(double v) {
    const double t = sum + v;
    carry += std::fabs(sum) >= std::fabs(v) ? (sum - t) + v : (v - t) + sum;
    sum = t;
  }
  double value() const { return sum + carry; }
};

}  // namespace

double excess_chernoff_grid_min(const double* thetas, std::int64_t n_thetas, const double* q,
                                const double* counts_q, std::int64_t n_q, std::int64_t k,
                                const double* lam, const double* counts_lam, std::int64_t n_lam,
                                double excess) {
  ODDSEQ_CHECK(n_thetas >= 1 && n_q >= 0 && n_lam >= 0, "need one theta or more");
  ODDSEQ_CHECK(k >= 1, "k must be >= 1");
  ODDSEQ_CHECK(std::isfinite(excess), "excess must be finite");
  for (std::int64_t i = 0; i < n_thetas; ++i) {
    ODDSEQ_CHECK(
        std::isfinite(thetas[i]) && thetas[i] > 0.0 && (i == 0 || thetas[i] > thetas[i - 1]),
        "thetas must be finite, > 0 and ascending (entry " << i << ")");
  }
  for (std::int64_t u = 0; u < n_q; ++u) {
    ODDSEQ_CHECK(q[u] >= 0.0 && q[u] <= 1.0, "q must be in [0, 1] (entry " << u << ")");
    ODDSEQ_CHECK(std::isfinite(counts_q[u]) && counts_q[u] >= 0.0,
                 "counts_q must be finite and >= 0 (entry " << u << ")");
  }
  for (std::int64_t v = 0; v < n_lam; ++v) {
    ODDSEQ_CHECK(std::isfinite(lam[v]) && lam[v] >= 0.0,
                 "lam must be finite and >= 0 (entry " << v << ")");
    ODDSEQ_CHECK(std::isfinite(counts_lam[v]) && counts_lam[v] >= 0.0,
                 "counts_lam must be finite and >= 0 (entry " << v << ")");
  }
  const double kd = static_cast<double>(k);
  std::vector<double> log_p0(static_cast<std::size_t>(n_q));
  for (std::int64_t u = 0; u < n_q; ++u) {
    log_p0[static_cast<std::size_t>(u)] = kd * std::log1p(-q[u]);  // -inf at q = 1
  }
  std::vector<double> memo(static_cast<std::size_t>(n_thetas));
  std::vector<char> known(static_cast<std::size_t>(n_thetas), 0);
  auto bound = [&](std::int64_t i) {
    const auto at = static_cast<std::size_t>(i);
    if (known[at]) return memo[at];
    const double theta = thetas[i];
    const double log_lift = std::log(-std::expm1(-theta));  // log(1 - e^-theta)
    const double grow = std::expm1(theta);
    CompensatedSum binomial;
    for (std::int64_t u = 0; u < n_q; ++u) {
      const double a = log_p0[static_cast<std::size_t>(u)] + log_lift;
      const double b = -theta + kd * std::log1p(q[u] * grow);
      binomial.add(counts_q[u] * log_add_exp(a, b));
    }
    CompensatedSum poisson;
    for (std::int64_t v = 0; v < n_lam; ++v) {
      const double a = -lam[v] + log_lift;
      const double b = -theta + lam[v] * grow;
      poisson.add(counts_lam[v] * log_add_exp(a, b));
    }
    // As numpy adds the two cumulants, then takes theta * excess off.
    const double cumulant = n_lam > 0 ? binomial.value() + poisson.value() : binomial.value();
    memo[at] = cumulant - theta * excess;
    known[at] = 1;
    return memo[at];
  };
  // Unimodal along the grid (convex in theta): ternary search over the indices.
  std::int64_t lo = 0;
  std::int64_t hi = n_thetas - 1;
  while (hi - lo > 2) {
    const std::int64_t m1 = lo + (hi - lo) / 3;
    const std::int64_t m2 = hi - (hi - lo) / 3;
    const double f1 = bound(m1);
    const double f2 = bound(m2);
    if (f1 < f2) {
      hi = m2 - 1;
    } else if (f1 > f2) {
      lo = m1 + 1;
    } else {
      lo = m1;
      hi = m2;
    }
  }
  double best = bound(lo);
  for (std::int64_t i = lo + 1; i <= hi; ++i) best = std::min(best, bound(i));
  return best;
}

}  // namespace oddseq::graph
