#pragma once
// How crowded each sequence's items were when it acted on them, against each item's
// usual crowd. A ring, a card-testing run or a credential-stuffing campaign crowds objects
// that are otherwise private or quiet (one payee, one IP, one rare merchant) into one
// hour; a popular item's crowd is its usual one, and a person's own objects (a home IP, a
// friend paid each month) hold one entity an hour.
#include <cstdint>

namespace oddseq::encode {

// out[s], for each sequence s: the largest crowd ratio over the (item, window) pairs in
// which s acted on the item. A pair's crowd is the number of distinct sequences that acted
// on the item in that window; the item's usual crowd is the mean crowd of its other active
// windows (at least 1; 1 where it has none), and the ratio is crowd / usual. 0 for a
// sequence with no item event. Windows are [t0 + k * window_ns, t0 + (k + 1) * window_ns)
// for k in [0, n_windows); every time must lie in one. items: codes in [0, n_items) or
// negative (missing, skipped). The result does not depend on the thread count. Polls for
// Ctrl-C between passes.
//
// facts, where not null, says for each sequence where its ratio came from: the item and
// window of its largest ratio (the earliest window, then the lowest item code, among
// equal ratios), that crowd, the item's usual, and how many items had that ratio in that
// window (1: the item alone; more: which of them is named follows the item codes); item
// -1 for a sequence without an item.
struct CrowdFacts {
  std::int64_t* item = nullptr;
  std::int64_t* window = nullptr;
  std::int64_t* crowd = nullptr;
  double* usual = nullptr;
  std::int64_t* alike = nullptr;
};

template <class ItemT>
void crowd_ratio(const std::int64_t* offsets, std::int64_t n_sequences, const ItemT* items,
                 std::int64_t n_items, const std::int64_t* times, std::int64_t t0,
                 std::int64_t window_ns, std::int64_t n_windows, int n_threads, float* out,
                 const CrowdFacts* facts = nullptr);

}  // namespace oddseq::encode
