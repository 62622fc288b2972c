#pragma once
// What a sequence acts on: how many different items, how concentrated, how they are
// bought, and the values (prices) involved.
#include <cstdint>

namespace oddseq::encode {

// Event codes of the funnel steps: -1 where the funnel has no such role (the ratios over
// it are 0), and a code no event has for a role these sequences never do (counted 0).
struct FunnelCodes {
  std::int32_t view = -1, cart = -1, fav = -1, buy = -1;
};

// The funnel ratios of one sequence's step counts (view, cart, fav, buy): cart_per_view,
// fav_per_view, buy_per_view, buy_per_cart into out[0..3], each divided by
// max(denominator, 1), and 0 over a role the funnel does not have (has_view, has_cart
// false): there the ratio would repeat its numerator's count under a name that says
// otherwise ("purchases per cart 8 'purchase' with no event read as cart" on an ad
// network's log of clicks and purchases, trial s52). The batch encoder and the stream
// both call it.
inline void funnel_ratios(const std::int64_t* steps, bool has_view, bool has_cart, float* out) {
  auto ratio = [](std::int64_t a, std::int64_t b) {
    return static_cast<float>(static_cast<double>(a) /
                              static_cast<double>(b > 1 ? b : std::int64_t{1}));
  };
  out[0] = has_view ? ratio(steps[1], steps[0]) : 0.0f;
  out[1] = has_view ? ratio(steps[2], steps[0]) : 0.0f;
  out[2] = has_view ? ratio(steps[3], steps[0]) : 0.0f;
  out[3] = has_cart ? ratio(steps[3], steps[1]) : 0.0f;
}

// repeat_previous_item_share: of the events with an item after the first, the share
// whose item is the one before it, events without an item skipped (they neither make nor
// break a run: a card tester's item-less add_card events between its payments on one
// restaurant read as hopping between items, trial s59); 0 below two events with an item.
// The batch encoder and the stream both call it.
inline double repeat_share(std::int64_t repeats, std::int64_t with_item) {
  return with_item > 1 ? static_cast<double>(repeats) / static_cast<double>(with_item - 1) : 0.0;
}

// Columns, in order: 0 n_items (distinct), 1 distinct_item_ratio, 2 item_entropy_bits,
// 3 top_item_share, 4 repeat_previous_item_share (above), 5 n_items_bought (distinct),
// 6 cart_per_view, 7 fav_per_view, 8 buy_per_view, 9 buy_per_cart, then when values
// exist: 10 value_sum, 11 value_mean, 12 value_max, 13 value_std, 14 share_value_missing,
// 15 value_bought_sum, then when item categories are given (item_category[item code] =
// category code, -1 unknown): n_categories, distinct_category_ratio,
// category_entropy_bits, new_category_share_last_session (of the last session's events
// with a known category, the share on categories the sequence never touched before that
// session; sessions split where consecutive times are more than session_gap_ns apart;
// 0 without times or without an earlier session). Ratios: funnel_ratios below.
// Items coded -1 (missing) count as no item. The item columns need items; without them
// they are 0.
std::int64_t diversity_width(bool has_values, bool has_categories);

// What the encoder reads: the sequences (CSR: offsets, then one entry per event) and the
// item categories. ItemT: std::int32_t or std::int64_t item codes. items, values, times
// and item_category may be null.
template <class ItemT>
struct DiversityInput {
  const std::int64_t* offsets = nullptr;  // n_sequences + 1
  std::int64_t n_sequences = 0;
  const std::int32_t* events = nullptr;
  const ItemT* items = nullptr;
  const double* values = nullptr;
  const std::int64_t* times = nullptr;
  const std::int32_t* item_category = nullptr;  // n_item_codes: category of an item code
  std::int64_t n_item_codes = 0;
};

struct DiversityParams {
  std::int64_t session_gap_ns = 0;  // > 0
  FunnelCodes funnel;
};

// out: n_sequences x diversity_width(...) floats, the columns above.
template <class ItemT>
void diversity_features(const DiversityInput<ItemT>& input, const DiversityParams& params,
                        int n_threads, float* out);

}  // namespace oddseq::encode
