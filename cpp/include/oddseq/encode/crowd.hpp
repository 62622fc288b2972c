#pragma once
// How crowded each sequence's items were when it acted on them, against each item's
// usual crowd. A ring, a card-testing run or a credential-stuffing campaign crowds objects
// that are otherwise private or quiet (one payee, one IP, one rare merchant) into one
// hour; a popular item's crowd is its usual one, and a person's own objects (a home IP, a
// friend paid each month) hold one entity an hour.
#include <cstdint>

namespace oddseq::encode {

// The sequences and their events for crowd_ratio.
//   offsets: CSR of events by sequence (n_sequences + 1).
//   items: each event's item code in [0, n_items), or negative (missing, skipped).
//   windows: each event's window, in [0, n_windows) (the caller bins the times: an index
//     computed without the subtraction of two far-apart times, which overflows past 292
//     years of nanoseconds).
//   entity_of: each sequence's entity in [0, 2^31), or null (each sequence its own): a
//     crowd counts entities, so an entity's sessions or windows of one hour on its own
//     objects are one entity, not a crowd.
template <class ItemT>
struct CrowdInput {
  const std::int64_t* offsets = nullptr;
  std::int64_t n_sequences = 0;
  const ItemT* items = nullptr;
  std::int64_t n_items = 0;
  const std::int64_t* windows = nullptr;
  std::int64_t n_windows = 1;
  const std::int64_t* entity_of = nullptr;
};

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

// out[s], for each sequence s: the largest crowd ratio over the (item, window) pairs in
// which s acted on the item. A pair's crowd is the number of distinct entities that acted
// on the item in that window; the item's usual crowd is a busy window of its other
// active windows (the 90th percentile of their crowds; at least 1, and 1 where it has
// none), and the ratio is crowd / usual. 0 for a
// sequence with no item event. The result does not depend on the thread count. Polls for
// Ctrl-C between passes.
template <class ItemT>
void crowd_ratio(const CrowdInput<ItemT>& input, int n_threads, float* out,
                 const CrowdFacts* facts = nullptr);

}  // namespace oddseq::encode
