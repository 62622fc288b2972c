#pragma once
// The fitted model of an AnomalyPipeline applied to one entity's feature row, for the
// live stream: the pipeline's evidence shrinkage, signed log and standard scaling, then
// its detector when that is one of the default kinds (K-means distance to the nearest
// large centre, PCA's SPE or Hotelling's T^2, robust z / Tukey fences) or their
// z-normalised mean / max ensemble. Every step repeats the Python stage's arithmetic in
// the same precision and order (float32 features and scaling, the log by LogScaler's own
// function, float64 detectors), so the scaled row is the batch's bit for bit and a score
// equals AnomalyPipeline.score's on the same features up to the order of a few float64
// sums (numpy's matrix products against the loops here: about 1e-15 relative).
#include <cstdint>
#include <limits>
#include <vector>

#include "oddseq/stream/entity_store.hpp"

namespace oddseq::stream {

enum class MemberKind : std::int32_t { kKMeans = 0, kPCA = 1, kRobustZ = 2 };

struct Member {
  MemberKind kind = MemberKind::kKMeans;
  // K-means: k x d centres (float32, as fitted) and which clusters are large.
  std::vector<float> centers;
  std::vector<std::uint8_t> large;
  // PCA: mean (d), components (k x d), their variances (k); t2 or SPE.
  std::vector<double> mean, components, variance;
  bool t2 = false;
  // Robust z: per-feature median, scale, quartiles and IQR; the z and fence rules.
  std::vector<double> median, scale, q1, q3, iqr;
  // PCA: per feature (d); K-means: per cluster and feature (k x d): the spread an
  // explanation's deviations are measured in (the detector's Explanation.scale; robust
  // z's is its scale). Empty: the deviations are NaN.
  std::vector<double> spread;
  double z = 3.0, fence = 1.5;
};

enum class Combine : std::int32_t { kSingle = 0, kMean = 1, kMax = 2 };

struct ModelParams {
  std::vector<std::int64_t> columns;  // the pipeline's features among the store's row
  // per feature: 0 (left alone), 1 (n events), 2 (n - 1: gaps, a spread of events),
  // 3 (n - 2: a spread of gaps), 4 (v: the events that carry a value), 5 (v - 1),
  // 6 (n where the entity has an item, 0 where it has none)
  std::vector<std::int8_t> evidence;
  // the feature (of columns) that holds the share of events without a value, which
  // kinds 4 and 5 read (v = n (1 - share), rounded); -1 where no kind reads it
  std::int64_t valued = -1;
  // the feature (of columns) that holds the distinct items, which kind 6 reads (> 0:
  // the entity has an item); -1 where no kind reads it
  std::int64_t items = -1;
  std::vector<double> shrink_to;  // per feature: the population median
  double prior = 2.0;             // evidence prior (0: no shrinkage)
  bool log_signed = true;
  std::vector<double> z_mean, z_scale;
  std::vector<Member> members;
  Combine combine = Combine::kSingle;
  std::vector<double> centre, spread;      // per member, the ensemble's z-normalisation
  std::vector<std::uint8_t> explain_with;  // per member: may it explain a row (empty: all)
  double threshold = 0.0;
  std::int64_t min_events = 1;
  // Normal-only fitting's support rule (AnomalyPipeline.support_rule_): per feature, the
  // range the normal entities' scaled rows took; a row outside it on some feature alerts
  // where its score is above support_floor (AnomalyPipeline.support_floor_; -inf: whatever
  // its score). Both empty: no such rule.
  std::vector<double> support_low, support_high;
  double support_floor = -std::numeric_limits<double>::infinity();
};

// Where Model::explain writes one entity's `top` features (each array `top` long).
struct Explained {
  std::int64_t* columns;
  double* typical;
  double* share;
  double* deviation;
  double* value;
  // The reference cluster of the row (the centre K-means scores it against: the
  // nearest, else the nearest large one) at each position when the member that explains
  // is K-means, else -1 (as the detector's explanation's `cluster`, NaN on the rows
  // another member explains). The reasons read the cluster's own medians by it
  // (_reasons._like_overall). Found as KMeansDetector._scores_and_reference finds it: on
  // the float32 row and centres, by the same squared-distance kernel, the lower centre
  // on a tie (assign_nearest settles near-ties by those exact distances).
  std::int64_t* cluster;
  // The member that explains the row (its index in ModelParams::members; 0 for a single
  // detector) at each position: whose words the reasons say its typical values in, as
  // the detector's explanation's `detector` (_reasons.typical_words_of).
  std::int64_t* member;
  // The same arrays `top * r` further on: entity r of a row-major n x top block.
  Explained at(std::int64_t top, std::int64_t r) const {
    const std::int64_t k = top * r;
    return {columns + k, typical + k, share + k, deviation + k, value + k, cluster + k, member + k};
  }
};

class Model {
 public:
  explicit Model(ModelParams params);  // checks every size against the feature count

  std::int64_t n_features() const { return static_cast<std::int64_t>(params_.columns.size()); }
  double threshold() const { return params_.threshold; }
  double support_floor() const { return params_.support_floor; }
  std::int64_t min_events() const { return params_.min_events; }

  // The score of one entity from its store row (feature_width columns) and length.
  // scratch holds n_features() floats.
  double score(const float* store_row, std::int64_t length, float* scratch) const;

  // Whether a scaled row (as score leaves it in scratch) lies outside the support range
  // on some feature; false without a support rule.
  bool outside_support(const float* scaled) const;

  // The `top` features that drive one entity's score, as the detector's explain names
  // them (an ensemble: the member with the highest normalised score among those
  // explain_with allows, the first on ties): their columns, by contribution (ties to the
  // lower column), and of each, as the explanation's table has them (explanation_frame),
  // the detector's typical value in its scaled units, its share of the row's total
  // contribution (0 where that total is not > 0), its deviation from typical in the
  // detector's spread (Member's) and its scaled value: the Python reasons rank them
  // (_reasons.ranked, one rule for the batch table and the stream); the K-means
  // reference cluster and the member that explains (Explained). scratch holds
  // n_features() floats; top is at most n_features().
  void explain(const float* store_row, std::int64_t length, std::int64_t top, float* scratch,
               Explained out) const;

 private:
  void scale(const float* store_row, std::int64_t length, float* x) const;
  double member_score(const Member& m, const float* x) const;
  // Per feature, the member's contribution to the row's score, its typical value
  // (KMeansDetector / PCADetector / RobustZDetector.explain) and the spread its
  // deviation is measured in; returns K-means' reference cluster of the row (-1 for the
  // other members).
  std::int64_t member_explain(const Member& m, const float* x, double* contribution,
                              double* typical, double* spread) const;
  ModelParams params_;
};

// Bits of the per-entity flags score_entities writes.
enum ScoreFlags : std::uint8_t {
  kScored = 1,       // tracked and at least min_events long (else the score is NaN)
  kAbove = 2,        // score > threshold, or outside the support range (a support rule)
  kNewAlert = 4,     // above, and was not at its previous scoring
  kApproximate = 8,  // its item columns come from the sketch
};

// Scores these entities as they stand in the store and records whether each alerts
// (above the threshold, or outside the model's support range), so the next crossing can
// be told from a standing alert.
void score_entities(EntityStore& store, const Model& model, const std::uint64_t* keys,
                    std::int64_t n, double* score, std::int64_t* length, std::uint8_t* flags);

// Model::explain of these entities as they stand in the store, into `out`'s n x top
// blocks (row-major); found[i] = 0 (columns -1, the rest NaN) for unknown keys.
void explain_entities(const EntityStore& store, const Model& model, const std::uint64_t* keys,
                      std::int64_t n, std::int64_t top, Explained out, std::uint8_t* found);

}  // namespace oddseq::stream
