#include "oddseq/stream/model.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <utility>

#include "oddseq/core/check.hpp"
#include "oddseq/linalg/select.hpp"
#include "oddseq/preprocessing/log.hpp"
#include "oddseq/simd/kernels.hpp"

namespace oddseq::stream {

namespace {

// The nearest of the given centres (lowest index on ties) and its squared distance, by
// the SIMD kernel KMeansDetector's assignment reports distances with.
std::pair<std::int64_t, float> nearest(const simd::Kernels& kernels, const float* x,
                                       const Member& m, std::int64_t d, bool large_only) {
  const auto k = static_cast<std::int64_t>(m.large.size());
  std::int64_t best = -1;
  float best_sq = std::numeric_limits<float>::infinity();
  for (std::int64_t c = 0; c < k; ++c) {
    if (large_only && m.large[static_cast<std::size_t>(c)] == 0) continue;
    const float sq =
        simd::sqdist(kernels, x, m.centers.data() + c * d, static_cast<std::size_t>(d));
    if (best < 0 || sq < best_sq) {
      best = c;
      best_sq = sq;
    }
  }
  return {best, best_sq};
}

// RobustZDetector._feature_scores of one feature: the robust z in units of ``z``, or
// the distance beyond the IQR fences in fence widths where that is smaller.
double robust_rule(const Member& m, std::size_t j, float value) {
  const auto v = static_cast<double>(value);
  const double z_rule = std::abs(v - m.median[j]) / m.scale[j] / m.z;
  const double width = m.fence * m.iqr[j];
  const double beyond = std::max(std::max(m.q1[j] - v, v - m.q3[j]), 0.0);
  double fence_rule = width > 0 ? beyond / width : std::numeric_limits<double>::infinity();
  if (width == 0 && beyond == 0) fence_rule = 0.0;
  return std::min(z_rule, fence_rule);
}

// The centre a K-means member scores a row against (KMeansDetector._scores_and_reference):
// its nearest, or the nearest large one when the nearest cluster is small; and the
// squared distance to it.
std::pair<std::int64_t, float> reference(const simd::Kernels& kernels, const float* x,
                                         const Member& m, std::int64_t d) {
  auto found = nearest(kernels, x, m, d, false);
  if (m.large[static_cast<std::size_t>(found.first)] == 0) found = nearest(kernels, x, m, d, true);
  return found;
}

}  // namespace

Model::Model(ModelParams params) : params_(std::move(params)) {
  const auto d = static_cast<std::size_t>(params_.columns.size());
  ODDSEQ_CHECK(d > 0, "a model needs at least one feature");
  ODDSEQ_CHECK(params_.evidence.size() == d && params_.shrink_to.size() == d &&
                   params_.z_mean.size() == d && params_.z_scale.size() == d,
               "evidence, shrink_to, z_mean and z_scale need " << d << " values each");
  ODDSEQ_CHECK(params_.prior >= 0.0, "the evidence prior must be >= 0");
  bool reads_values = false, reads_items = false;
  for (const std::int8_t kind : params_.evidence) {
    ODDSEQ_CHECK(kind >= 0 && kind <= 6, "an evidence kind is 0 to 6, got " << int{kind});
    reads_values = reads_values || kind == 4 || kind == 5;
    reads_items = reads_items || kind == 6;
  }
  ODDSEQ_CHECK(params_.valued >= -1 && params_.valued < static_cast<std::int64_t>(d),
               "valued is a feature's index or -1, got " << params_.valued);
  ODDSEQ_CHECK(!reads_values || params_.valued >= 0,
               "evidence kinds 4 and 5 read the valued events: valued must name their feature");
  ODDSEQ_CHECK(params_.items >= -1 && params_.items < static_cast<std::int64_t>(d),
               "items is a feature's index or -1, got " << params_.items);
  ODDSEQ_CHECK(!reads_items || params_.items >= 0,
               "evidence kind 6 reads whether there is an item: items must name its feature");
  ODDSEQ_CHECK(!params_.members.empty(), "a model needs a detector");
  ODDSEQ_CHECK(params_.combine != Combine::kSingle || params_.members.size() == 1,
               "a single detector has one member");
  if (params_.combine != Combine::kSingle) {
    ODDSEQ_CHECK(params_.centre.size() == params_.members.size() &&
                     params_.spread.size() == params_.members.size(),
                 "the ensemble needs a centre and a spread per member");
  }
  ODDSEQ_CHECK(params_.min_events >= 1, "min_events must be >= 1");
  ODDSEQ_CHECK(params_.support_low.size() == params_.support_high.size() &&
                   (params_.support_low.empty() || params_.support_low.size() == d),
               "the support range needs " << d << " lows and highs, or none");
  ODDSEQ_CHECK(
      params_.explain_with.empty() || params_.explain_with.size() == params_.members.size(),
      "explain_with needs one flag per member");
  if (params_.explain_with.empty()) params_.explain_with.assign(params_.members.size(), 1);
  ODDSEQ_CHECK(std::any_of(params_.explain_with.begin(), params_.explain_with.end(),
                           [](auto v) { return v != 0; }),
               "explain_with allows no member");
  for (const Member& m : params_.members) {
    switch (m.kind) {
      case MemberKind::kKMeans: {
        const std::size_t k = m.large.size();
        ODDSEQ_CHECK(k >= 1 && m.centers.size() == k * d, "K-means needs k x " << d << " centres");
        ODDSEQ_CHECK(m.spread.empty() || m.spread.size() == k * d,
                     "K-means needs k x " << d << " spreads, or none");
        ODDSEQ_CHECK(std::any_of(m.large.begin(), m.large.end(), [](auto v) { return v != 0; }),
                     "K-means needs a large cluster");
        break;
      }
      case MemberKind::kPCA: {
        const std::size_t k = m.variance.size();
        ODDSEQ_CHECK(m.mean.size() == d && m.components.size() == k * d,
                     "PCA needs a mean of " << d << " and k x " << d << " components");
        ODDSEQ_CHECK(m.spread.empty() || m.spread.size() == d,
                     "PCA needs " << d << " spreads, or none");
        break;
      }
      case MemberKind::kRobustZ:
        ODDSEQ_CHECK(m.median.size() == d && m.scale.size() == d && m.q1.size() == d &&
                         m.q3.size() == d && m.iqr.size() == d,
                     "robust z needs " << d << " medians, scales, quartiles and IQRs");
        break;
    }
  }
}

double Model::member_score(const Member& m, const float* x) const {
  const auto d = static_cast<std::int64_t>(params_.columns.size());
  switch (m.kind) {
    case MemberKind::kKMeans: {
      // The distance to the nearest centre, or to the nearest large one when the nearest
      // cluster is small (KMeansDetector._scores_and_reference).
      return std::sqrt(static_cast<double>(reference(simd::active(), x, m, d).second));
    }
    case MemberKind::kPCA: {
      // PCADetector._statistics on the row in float64.
      const auto k = static_cast<std::int64_t>(m.variance.size());
      double centred_sq = 0.0, t2 = 0.0, spe = 0.0;
      double centred[256];
      std::vector<double> wide;
      double* c = centred;
      if (d > 256) {
        wide.resize(static_cast<std::size_t>(d));
        c = wide.data();
      }
      for (std::int64_t i = 0; i < d; ++i) {
        c[i] = static_cast<double>(x[i]) - m.mean[static_cast<std::size_t>(i)];
        centred_sq += c[i] * c[i];
      }
      std::vector<double> projected(static_cast<std::size_t>(m.t2 ? 0 : k));
      for (std::int64_t j = 0; j < k; ++j) {
        const double* comp = m.components.data() + j * d;
        double p = 0.0;
        for (std::int64_t i = 0; i < d; ++i) p += c[i] * comp[i];
        const double variance = m.variance[static_cast<std::size_t>(j)];
        if (m.t2) {
          if (variance > 0) t2 += p * p / variance;
        } else {
          projected[static_cast<std::size_t>(j)] = p;
        }
      }
      if (m.t2) return t2;
      for (std::int64_t i = 0; i < d; ++i) {
        double predicted = 0.0;
        for (std::int64_t j = 0; j < k; ++j) {
          predicted += projected[static_cast<std::size_t>(j)] * m.components[j * d + i];
        }
        const double r = c[i] - predicted;
        spe += r * r;
      }
      // A residual at round-off level of the row itself is 0 (as the detector says).
      const double floor = 64 * std::numeric_limits<double>::epsilon() * centred_sq;
      return spe <= floor ? 0.0 : spe;
    }
    case MemberKind::kRobustZ: {
      // RobustZDetector._feature_scores, then the most extreme feature.
      double best = -std::numeric_limits<double>::infinity();
      for (std::int64_t i = 0; i < d; ++i) {
        best = std::max(best, robust_rule(m, static_cast<std::size_t>(i), x[i]));
      }
      return best;
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

void Model::scale(const float* store_row, std::int64_t length, float* x) const {
  const auto d = static_cast<std::int64_t>(params_.columns.size());
  // EvidenceShrinker.transform: w x + (1 - w) median in float64, back to float32.
  const auto n = static_cast<double>(length);
  // The observations per evidence kind (preprocessing/_evidence.py's
  // EVIDENCE_OBSERVATIONS_LOST): none, the n events, n - 1, n - 2; then the events that
  // carry a value, v = n (1 - share without one) rounded, and v - 1 (its VALUED_KINDS);
  // then n where the entity has an item, 0 where it has none (ITEM_KINDS).
  double valued = 0.0, with_items = n;
  if (params_.valued >= 0) {
    const auto column = params_.columns[static_cast<std::size_t>(params_.valued)];
    const double missing = std::clamp(static_cast<double>(store_row[column]), 0.0, 1.0);
    valued = std::nearbyint(n * (1.0 - missing));
  }
  if (params_.items >= 0) {
    const auto column = params_.columns[static_cast<std::size_t>(params_.items)];
    with_items = static_cast<double>(store_row[column]) > 0.0 ? n : 0.0;
  }
  const double observed[7] = {0.0,
                              n,
                              std::max(n - 1.0, 0.0),
                              std::max(n - 2.0, 0.0),
                              valued,
                              std::max(valued - 1.0, 0.0),
                              with_items};
  for (std::int64_t i = 0; i < d; ++i) {
    const auto j = static_cast<std::size_t>(i);
    const double raw = static_cast<double>(store_row[params_.columns[j]]);
    const std::int8_t kind = params_.evidence[j];
    double w = 1.0;
    if (params_.prior != 0.0 && kind != 0) w = observed[kind] / (observed[kind] + params_.prior);
    float v = static_cast<float>(w * raw + (1.0 - w) * params_.shrink_to[j]);
    // LogScaler: sign(x) log1p(|x|) (log1p(|x|) unsigned), its own function.
    v = params_.log_signed ? preprocessing::log1p_value(v, true)
                           : preprocessing::log1p_value(std::fabs(v), false);
    // StandardScaler: (x - mean) / scale with both cast to float32.
    x[i] = (v - static_cast<float>(params_.z_mean[j])) / static_cast<float>(params_.z_scale[j]);
  }
}

double Model::score(const float* store_row, std::int64_t length, float* x) const {
  scale(store_row, length, x);
  if (params_.combine == Combine::kSingle) return member_score(params_.members.front(), x);
  // EnsembleDetector: each member's score z-normalised, then their mean (in member
  // order) or maximum.
  double total = 0.0, best = -std::numeric_limits<double>::infinity();
  for (std::size_t m = 0; m < params_.members.size(); ++m) {
    const double z = (member_score(params_.members[m], x) - params_.centre[m]) / params_.spread[m];
    total += z;
    best = std::max(best, z);
  }
  return params_.combine == Combine::kMean ? total / static_cast<double>(params_.members.size())
                                           : best;
}

bool Model::outside_support(const float* scaled) const {
  const std::size_t d = params_.support_low.size();
  for (std::size_t i = 0; i < d; ++i) {
    const auto v = static_cast<double>(scaled[i]);
    // AnomalyPipeline._outside_support: (X < low) | (X > high); NaN is outside neither.
    if (v < params_.support_low[i] || v > params_.support_high[i]) return true;
  }
  return false;
}

std::int64_t Model::member_explain(const Member& m, const float* x, double* contribution,
                                   double* typical, double* spread) const {
  const auto d = static_cast<std::int64_t>(params_.columns.size());
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  switch (m.kind) {
    case MemberKind::kKMeans: {
      // Squared deviation from the reference centre (the one the score measures to).
      const std::int64_t label = reference(simd::active(), x, m, d).first;
      const float* centre = m.centers.data() + label * d;
      for (std::int64_t i = 0; i < d; ++i) {
        const double c = static_cast<double>(centre[i]);
        const double deviation = static_cast<double>(x[i]) - c;
        contribution[i] = deviation * deviation;
        typical[i] = c;
        spread[i] = m.spread.empty() ? kNaN : m.spread[static_cast<std::size_t>(label * d + i)];
      }
      return label;
    }
    case MemberKind::kPCA: {
      const auto k = static_cast<std::int64_t>(m.variance.size());
      std::vector<double> centred(static_cast<std::size_t>(d));
      std::vector<double> projected(static_cast<std::size_t>(k));
      for (std::int64_t i = 0; i < d; ++i) {
        centred[static_cast<std::size_t>(i)] =
            static_cast<double>(x[i]) - m.mean[static_cast<std::size_t>(i)];
      }
      for (std::int64_t j = 0; j < k; ++j) {
        double p = 0.0;
        for (std::int64_t i = 0; i < d; ++i) {
          p += centred[static_cast<std::size_t>(i)] * m.components[j * d + i];
        }
        projected[static_cast<std::size_t>(j)] = p;
      }
      for (std::int64_t i = 0; i < d; ++i) {
        const auto at = static_cast<std::size_t>(i);
        double along = 0.0;
        for (std::int64_t j = 0; j < k; ++j) {
          const double p = projected[static_cast<std::size_t>(j)];
          if (m.t2) {
            // T^2: each feature's signed term of T^2, centred x weights (PCADetector).
            const double variance = m.variance[static_cast<std::size_t>(j)];
            along += (variance > 0 ? p / variance : 0.0) * m.components[j * d + i];
          } else {
            along += p * m.components[j * d + i];
          }
        }
        spread[i] = m.spread.empty() ? kNaN : m.spread[at];
        if (m.t2) {
          contribution[i] = centred[at] * along;
          typical[i] = m.mean[at];
        } else {
          // SPE: the squared residual against the value the normal space predicts.
          const double predicted = m.mean[at] + along;
          const double residual = static_cast<double>(x[i]) - predicted;
          contribution[i] = residual * residual;
          typical[i] = predicted;
        }
      }
      return -1;
    }
    case MemberKind::kRobustZ: {
      for (std::int64_t i = 0; i < d; ++i) {
        const auto j = static_cast<std::size_t>(i);
        contribution[i] = robust_rule(m, j, x[i]);
        typical[i] = m.median[j];
        spread[i] = m.scale[j];
      }
      return -1;
    }
  }
  return -1;
}

void Model::explain(const float* store_row, std::int64_t length, std::int64_t top, float* x,
                    Explained out) const {
  const auto d = static_cast<std::int64_t>(params_.columns.size());
  ODDSEQ_CHECK(top >= 1 && top <= d, "explain: top must be in [1, " << d << "]");
  scale(store_row, length, x);
  // The member that explains: the highest normalised score among those allowed.
  std::size_t lead = 0;
  if (params_.combine != Combine::kSingle) {
    double best = -std::numeric_limits<double>::infinity();
    bool any = false;
    for (std::size_t m = 0; m < params_.members.size(); ++m) {
      if (params_.explain_with[m] == 0) continue;
      const double z =
          (member_score(params_.members[m], x) - params_.centre[m]) / params_.spread[m];
      if (!any || z > best) {
        lead = m;
        best = z;
        any = true;
      }
    }
  }
  const auto size = static_cast<std::size_t>(d);
  std::vector<double> contribution(size), expected(size), spread(size);
  // The reference cluster only where K-means explains (its own search, done once).
  const std::int64_t cluster =
      member_explain(params_.members[lead], x, contribution.data(), expected.data(), spread.data());
  // The top columns as every detector's explanation picks them (larger first, ties to
  // the lower column), with explanation_frame's share, deviation and value of each.
  linalg::top_columns(contribution.data(), 1, d, top, 1, out.columns);
  double total = 0.0;
  for (const double c : contribution) total += c;
  std::fill_n(out.cluster, top, cluster);
  std::fill_n(out.member, top, static_cast<std::int64_t>(lead));
  for (std::int64_t r = 0; r < top; ++r) {
    const auto j = static_cast<std::size_t>(out.columns[r]);
    const auto value = static_cast<double>(x[j]);
    out.typical[r] = expected[j];
    out.share[r] = total > 0 ? contribution[j] / total : 0.0;
    out.deviation[r] = (value - expected[j]) / spread[j];
    out.value[r] = value;
  }
}

void explain_entities(const EntityStore& store, const Model& model, const std::uint64_t* keys,
                      std::int64_t n, std::int64_t top, Explained out, std::uint8_t* found) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::vector<float> row(static_cast<std::size_t>(feature_width(store.n_columns())));
  std::vector<float> x(static_cast<std::size_t>(model.n_features()));
  for (std::int64_t r = 0; r < n; ++r) {
    std::int64_t length = 0;
    bool approximate = false;
    found[r] = store.row(keys[r], row.data(), &length, &approximate) ? 1 : 0;
    const Explained at = out.at(top, r);
    if (found[r] == 0) {
      std::fill_n(at.columns, top, -1);
      std::fill_n(at.cluster, top, -1);
      std::fill_n(at.member, top, -1);
      for (double* part : {at.typical, at.share, at.deviation, at.value})
        std::fill_n(part, top, kNaN);
      continue;
    }
    model.explain(row.data(), length, top, x.data(), at);
  }
}

void score_entities(EntityStore& store, const Model& model, const std::uint64_t* keys,
                    std::int64_t n, double* score, std::int64_t* length, std::uint8_t* flags) {
  const std::int64_t width = feature_width(store.n_columns());
  std::vector<float> row(static_cast<std::size_t>(width));
  std::vector<float> x(static_cast<std::size_t>(model.n_features()));
  for (std::int64_t r = 0; r < n; ++r) {
    bool approximate = false;
    length[r] = 0;
    flags[r] = 0;
    score[r] = std::numeric_limits<double>::quiet_NaN();
    if (!store.row(keys[r], row.data(), &length[r], &approximate)) continue;
    if (approximate) flags[r] |= kApproximate;
    if (length[r] < model.min_events()) continue;
    score[r] = model.score(row.data(), length[r], x.data());
    const bool above = score[r] > model.threshold() ||
                       (score[r] > model.support_floor() && model.outside_support(x.data()));
    const bool before = store.exchange_alerted(keys[r], above);
    flags[r] |= kScored | (above ? kAbove : 0) | (above && !before ? kNewAlert : 0);
  }
}

}  // namespace oddseq::stream
