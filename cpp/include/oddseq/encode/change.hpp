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

}  // namespace oddseq::encode
