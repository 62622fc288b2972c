#pragma once
// How each sequence's latest session departs from the sequence's own earlier history:
// the mark of a hijacked account, whose owner's days of normal life outweigh a few odd
// recent sessions in every whole-history feature. Each column compares the recent window
// (the last session, sessions split where a gap exceeds session_gap_ns, and every earlier
// session that started within window_ns of the last event) with everything before it,
// both estimated with `prior` pseudo-observations of the sequence's own overall
// behaviour, so that a comparison resting on few events stays near 0, and a sequence
// without an earlier session (nothing to compare with) is 0 in every column.
#include <cstdint>

#include "oddseq/encode/temporal.hpp"  // LocalTime

namespace oddseq::encode {

struct ChangeParams {
  std::int64_t session_gap_ns = 1'800'000'000'000;  // 30 min; > 0
  std::int64_t window_ns = 86'400'000'000'000;      // a day; >= 0 (0: the last session)
  double prior = 5.0;                               // pseudo-observations; > 0
};

// Columns, in order (see RecentChangeEncoder in Python); "recent" is the window above,
// "earlier" everything before it:
//   0 change_event_mix_bits       Jensen-Shannon divergence (bits) of the event-type mix
//   1 change_top_type_lift_log2   log2 of the largest rise of one type's share
//   2 change_hour_rarity_bits     how much rarer than an even spread the recent events'
//                                 local hours (+-1 h) were among the earlier events
//   3 change_think_time_log2      log2 ratio of the geometric mean (1 s + gap) within
//                                 recent sessions against earlier sessions'
//   4 change_silence_log2         log2 ratio of the silence before the window (1 s + gap)
//                                 against the earlier silences' geometric mean
//   5 change_burst_size_log2      log2 ratio of the recent sessions' sizes (events)
//                                 against the earlier sessions' (geometric means)
//   6 change_item_novelty         share of the recent events on items (or their
//                                 categories) never touched before, less the earlier
//                                 sessions' own such share (0 without items)
//   7 change_value_log2           log2 ratio of the geometric mean (1 + |value|, signed)
//                                 of recent values against earlier ones (0 without values)
//   8 last_session_hour           local hour of the last session's first event (0-23),
//                                 for reasons (not a change)
//   9 earlier_events_near_hour    earlier events within +-1 h of that hour (for reasons)
//  10-12                          the event code whose share rose most (-1: none), its
//                                 recent and earlier counts (for reasons)
//  13-15                          recent and earlier events, days the earlier part spans
constexpr std::int64_t kChangeWidth = 16;

// What the encoder reads (CSR sequences; times required). ItemT: std::int32_t or
// std::int64_t item codes, -1 for missing; items, values and item_category may be null.
template <class ItemT>
struct ChangeInput {
  const std::int64_t* offsets = nullptr;  // n_sequences + 1
  std::int64_t n_sequences = 0;
  const std::int32_t* events = nullptr;
  std::int64_t n_event_types = 0;  // event codes lie in [0, n_event_types)
  const std::int64_t* times = nullptr;
  const ItemT* items = nullptr;
  const double* values = nullptr;
  const std::int32_t* item_category = nullptr;  // n_item_codes: category of an item code
  std::int64_t n_item_codes = 0;
};

// out: n_sequences x kChangeWidth floats, the columns above.
template <class ItemT>
void change_features(const ChangeInput<ItemT>& input, const LocalTime& local,
                     const ChangeParams& params, int n_threads, float* out);

// The pieces change_features is made of, for the live stream (oddseq::stream), which
// keeps them per entity and adds sessions up as the batch does: in time order, each
// session's sums taken within it first, so both give the same floats.

// Local hour (0-23) of a time in ns.
int change_local_hour(std::int64_t t_ns, const LocalTime& local);
// log(1 s + gap): the unit of think times and silences.
double change_log_seconds(std::int64_t gap_ns);
// copysign(log1p(|v|), v): the unit of values.
double change_signed_log(double v);
// A span in ns as days (the earlier part's span, a fact of reasons).
double change_days(std::int64_t span_ns);

// What one side of the comparison (the earlier part or the recent window) holds.
struct ChangeSide {
  double events = 0.0;
  double gaps = 0.0, n_gaps = 0.0;       // sum of log(1 s + gap) within its sessions
  double sizes = 0.0, n_sessions = 0.0;  // sum of log(events) of its sessions
  double values = 0.0, n_values = 0.0;   // sum of change_signed_log of its finite values
  double new_keys = 0.0, keyed = 0.0;    // events on keys new (as the side counts them), keyed
  double hours[24] = {};                 // events per local hour
};

// Both sides, the silences, the event types, the facts reasons read.
struct ChangeCompare {
  ChangeSide earlier, recent;
  double silences = 0.0, n_silences = 0.0;  // between earlier sessions: log(1 s + gap)
  double silence = 0.0;                     // log(1 s + gap) before the window
  const std::int32_t* types = nullptr;      // the codes either side has, ascending
  std::int64_t n_types = 0;
  const double* type_earlier = nullptr;  // events per code (indexed by code)
  const double* type_recent = nullptr;
  int last_session_hour = 0;  // local hour of the last session's first event
  double earlier_days = 0.0;  // days the earlier part spans
  bool items = false, values = false;
};

// The kChangeWidth columns of one sequence with an earlier part (row[8] and row[15]
// from the compare's facts).
void change_row(const ChangeCompare& compare, double prior, float* row);

}  // namespace oddseq::encode
