#pragma once
// What a sequence acts on: how many different items, how concentrated, how they are
// bought, and the values (prices) involved.
#include <cstdint>

namespace oddseq::encode {

// Event codes of the funnel steps, -1 where the log has no such event.
struct FunnelCodes {
  std::int32_t view = -1, cart = -1, fav = -1, buy = -1;
};

// Columns, in order: 0 n_items (distinct), 1 distinct_item_ratio, 2 item_entropy_bits,
// 3 top_item_share, 4 repeat_previous_item_share, 5 n_items_bought (distinct),
// 6 cart_per_view, 7 fav_per_view, 8 buy_per_view, 9 buy_per_cart, then when values
// exist: 10 value_sum, 11 value_mean, 12 value_max, 13 value_std, 14 share_value_missing,
// 15 value_bought_sum, then when item categories are given (item_category[item code] =
// category code, -1 unknown): n_categories, distinct_category_ratio,
// category_entropy_bits, new_category_share_last_session (of the last session's events
// with a known category, the share on categories the sequence never touched before that
// session; sessions split where consecutive times are more than session_gap_ns apart;
// 0 without times or without an earlier session). Ratios divide by max(denominator, 1).
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
