#pragma once
// The entity-object graph and dense blocks in it.
//
// Rows are entities (users, sessions), columns are objects (items, devices, cards, or
// (object, time bin) pairs for lockstep detection). An edge joins a row to every column
// it acted on, carrying the number of events and their first and last times.
//
// Dense blocks are found by FRAUDAR's greedy peeling (Hooi et al., KDD 2016): every node
// starts with its weighted degree; the node of least weighted degree is removed, one at a
// time, until none is left, and the prefix of removals that leaves the largest density
// f(S) / |S| (f: the sum of the edge weights inside S, |S|: rows + columns of S) gives
// the block. The edge weight is its column's weight, 1 / log(column degree + c) in
// FRAUDAR, which makes popular columns cheap so camouflage on them cannot hide a block.
// The greedy is a 2-approximation of the densest block for any such column weights.
#include <cstdint>
#include <vector>

namespace oddseq::graph {

struct Bipartite {
  std::int64_t n_rows = 0;
  std::int64_t n_cols = 0;
  std::vector<std::int64_t> offsets;     // n_rows + 1: the edges of row r
  std::vector<std::int64_t> cols;        // the column of each edge, ascending within a row
  std::vector<std::int64_t> counts;      // events on each edge
  std::vector<std::int64_t> first_time;  // first and last time of each edge's events;
  std::vector<std::int64_t> last_time;   // empty when built without times
};

// Builds the graph from events grouped by row (CSR: row r holds events
// event_offsets[r]..event_offsets[r + 1]). keys[i] is the column of event i, in
// [0, n_cols), or negative for a missing object (skipped). times may be null. Rows are
// processed in parallel in chunks of events, so memory beyond the result is about a
// chunk's worth; the result does not depend on the thread count. KeyT: int32 or int64.
template <class KeyT>
Bipartite build_bipartite(const std::int64_t* event_offsets, std::int64_t n_rows, const KeyT* keys,
                          const std::int64_t* times, std::int64_t n_cols, int n_threads);

// The same edges seen from the columns: col_offsets[n_cols + 1] and, per column, its rows
// ascending (row_of). Rows are cut into chunks counted in parallel; the result does not
// depend on the thread count. IndexT (int32 or int64) is the type of cols and row_of.
template <class IndexT>
struct Transpose {
  std::vector<std::int64_t> col_offsets;
  std::vector<IndexT> row_of;
};
template <class IndexT>
Transpose<IndexT> transpose(const std::int64_t* offsets, std::int64_t n_rows, const IndexT* cols,
                            std::int64_t n_cols, int n_threads);

struct Block {
  std::vector<std::int64_t> rows;       // ascending
  std::vector<std::int64_t> cols;       // ascending
  std::vector<std::int64_t> row_edges;  // edges of each block row into the block's columns
  std::vector<std::int64_t> col_edges;  // edges of each block column from the block's rows
  double weight = 0;                    // f(S): the summed weights of the block's edges
  double density = 0;                   // f(S) / (rows + cols), recomputed exactly
  std::int64_t n_edges = 0;
  std::int64_t n_nodes = 0;  // nodes of the graph the peeling started from
};

// One pass of greedy peeling over the rows with row_alive[r] != 0 and the columns with
// col_weight[c] > 0 (a column of weight 0 is left out, e.g. one that a single entity
// touched). Nodes without an edge in that graph are not part of it. Ties are broken by
// the smaller node id (rows first, then columns), so the result is exactly that of the
// sequential greedy, whatever the thread count. Returns an empty block for an empty
// graph. Polls for Ctrl-C (from the calling thread).
// col_offsets and row_of: the graph's Transpose. IndexT: int32 or int64.
template <class IndexT>
Block peel_densest(const std::int64_t* offsets, std::int64_t n_rows, const IndexT* cols,
                   const std::int64_t* col_offsets, const IndexT* row_of, std::int64_t n_cols,
                   const double* col_weight, const std::uint8_t* row_alive, int n_threads);

}  // namespace oddseq::graph
