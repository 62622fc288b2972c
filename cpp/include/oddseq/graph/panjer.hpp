#pragma once
// The law of a compound Poisson sum in log space, for the null model of a block (the
// excess of the entities' acts over one each): Panjer's recursion and the log rates of
// its jumps, from per-entity Poisson laws. Both skip only terms that lie more than
// kLogCut below the largest of their sum (each under e^-64 of it, far below a double's
// rounding), and stop a sum when a bound shows every term left is such a term; the
// results match a full log-sum-exp to about 1e-13 relative.
#include <cstdint>
#include <vector>

namespace oddseq::graph {

// Terms further than this below a sum's largest are left out (e^-64 ~ 1.6e-28).
inline constexpr double kLogCut = 64.0;

// log sum_u exp(intercept[u] + x * slope[u]) for x = x0, x0 + 1, ..., x0 + n_points - 1
// (n_points values, x0 >= 0): the log of a sum of exponentials along lines, such as the
// rate of entities with x acts, sum_u w_u lam_u^x. The lines are visited by slope, the
// steepest first, so that a point's sum stops where no line left can reach its cut.
// Entries may be -inf (a line that adds nothing); NaN and +inf are refused
// (std::invalid_argument). No line: -inf everywhere.
std::vector<double> log_sum_exp_lines(const double* intercept, const double* slope,
                                      std::int64_t n_lines, double x0, std::int64_t n_points);

// log g[k], k = 0..n, for g the law of a compound Poisson sum whose jumps of size j
// (j = 1..n_jumps) arrive at rate exp(log_rate[j - 1]) and whose law at 0 is
// exp(log_g0): Panjer's recursion g[k] = (1 / k) sum_j j rate_j g[k - j], in logs.
// log_rate entries may be -inf; NaN and +inf are refused, as are n < 0 and a log_g0
// that is NaN or above 0.
std::vector<double> panjer_log_pmf(const double* log_rate, std::int64_t n_jumps, double log_g0,
                                   std::int64_t n);

// Chernoff's bound on log P(S >= excess) at its best theta of a grid: the least of
// K(theta_i) - theta_i * excess over thetas (ascending, finite, > 0), K the cumulant of
// S = sum_u (h_u - 1)^+ for h_u ~ Binomial(k, q[u]) (counts_q[u] entities each) and
// h_v ~ Poisson(lam[v]) (counts_lam[v] each). Each log E exp(theta (h - 1)^+) is the
// logaddexp of the same two logs as numpy's (_null._log_mgf_bounded, _log_mgf_excess),
// summed over entities with compensation. K - theta * excess is convex in theta, so its
// values along the grid fall, then rise: a ternary search over the grid's indices finds
// the least with about 30 evaluations of K instead of one per theta.
double excess_chernoff_grid_min(const double* thetas, std::int64_t n_thetas, const double* q,
                                const double* counts_q, std::int64_t n_q, std::int64_t k,
                                const double* lam, const double* counts_lam, std::int64_t n_lam,
                                double excess);

}  // namespace oddseq::graph
