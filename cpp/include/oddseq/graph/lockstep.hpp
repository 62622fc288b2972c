#pragma once
// Events seen from their objects, and the lockstep columns of the entity x (object, time
// bin) graph, without building that graph.
//
// The lockstep graph joins an entity to every (object, time bin) in which it acted on the
// object, over two grids of bins (the second shifted by half a window). Most of its
// columns hold one entity and carry no weight, so it is never materialised: one pass over
// the events arranged by object counts the degrees the null model needs (each entity's
// columns, all edges) and keeps only the columns that could be lockstep (at least two
// entities, and at least `min_lift` times the entities expected in their bin), with their
// entities. Memory is linear in the events and the kept columns.
#include <cstdint>
#include <vector>

namespace oddseq::graph {

// Events arranged by object (a stable counting sort): object o holds the key slots
// offsets[o]..offsets[o + 1], rows ascending (a row's slots keep their order). With times,
// codes[s] = 2 * bin + half: the slot's bin in the first grid (bins of `window` from t0)
// and whether it lies in the bin's last `half` (then its bin in the second grid, bins
// shifted by `half`, is bin + 1, else bin). bin_counts[g * n_bins + b]: the events (not
// key slots) in bin b of grid g.
struct ByObject {
  std::vector<std::int64_t> offsets;
  std::vector<std::int32_t> rows;
  std::vector<std::uint32_t> codes;      // empty without times
  std::vector<std::int64_t> bin_counts;  // empty without times
};

// The events' times cut into bins for the temporal graph: one time per event, each in
// [t0, t0 + (n_bins - 1) * window); bins of `window`, offset by `half` for the second
// of the two staggered binnings; 2 * n_bins must fit in 32 bits.
struct TimeBins {
  const std::int64_t* times = nullptr;
  std::int64_t t0 = 0;
  std::int64_t window = 1;
  std::int64_t half = 1;
  std::int64_t n_bins = 1;
  // Whether bin_counts is wanted: its counters cost 2 * n_bins per thread, which a caller
  // of fine bins over a long span (and no use for them) leaves out.
  bool count_bins = true;
};

// event_offsets: CSR of events by row (n_rows + 1); event i has the n_keys key slots
// keys[i * n_keys .. (i + 1) * n_keys), each an object code in [0, n_objects) or negative
// (missing, skipped). bins: the events' time bins (bin_counts left empty where
// count_bins is false), or null for the static graph alone
// (codes and bin_counts then empty). The result does not depend on the thread count.
// Polls for Ctrl-C between passes.
template <class KeyT>
ByObject events_by_object(const std::int64_t* event_offsets, std::int64_t n_rows, const KeyT* keys,
                          std::int64_t n_keys, std::int64_t n_objects, const TimeBins* bins,
                          int n_threads);

// The distinct rows of each object, ascending: the entity-object graph seen from its
// columns (col_offsets, row_of), from a ByObject's offsets and rows.
struct ObjectRows {
  std::vector<std::int64_t> offsets;
  std::vector<std::int32_t> rows;
};
ObjectRows distinct_rows(const std::int64_t* offsets, std::int64_t n_objects,
                         const std::int32_t* rows, int n_threads);

// The lockstep columns. A column is (object, slot) with slot = 2 * bin + grid, ordered
// by object then slot (so by the key (object * n_bins + bin) * 2 + grid). Candidates:
// columns with at least two rows and degree >= min_lift * expected, where expected =
// object_degree * bin_share[grid * n_bins + bin].
struct Lockstep {
  std::vector<std::int64_t> object_degree;  // distinct rows per object
  std::vector<std::int64_t> row_degree;     // columns of each row (all of them)
  std::int64_t n_edges = 0;                 // edges of the whole lockstep graph
  std::int64_t n_columns = 0;               // its columns
  std::vector<std::int64_t> col_object;     // the candidates
  std::vector<std::int64_t> col_slot;
  std::vector<std::int64_t> col_degree;
  std::vector<double> col_expected;
  std::vector<std::int64_t> member_offsets;  // CSR: the rows of each candidate, ascending
  std::vector<std::int32_t> members;
};
Lockstep lockstep_columns(const std::int64_t* offsets, std::int64_t n_objects,
                          const std::int32_t* rows, const std::uint32_t* codes, std::int64_t n_rows,
                          const double* bin_share, std::int64_t n_bins, double min_lift,
                          int n_threads);

}  // namespace oddseq::graph
