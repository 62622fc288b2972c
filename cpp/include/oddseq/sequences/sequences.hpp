#pragma once
// Event logs as compressed sparse rows: sequence s holds events offsets[s]..offsets[s+1].
// Times are int64 nanoseconds since the Unix epoch (UTC) throughout the core.
#include <cstdint>
#include <vector>

namespace oddseq::sequences {

// A column of the rows that group_rows writes in the grouped order, out[position] =
// in[row]: the rows' other columns (event codes, items, values) move with them while
// each group's rows are in cache, instead of being gathered afterwards by the order (a
// read from a random place per row). width: the element's bytes, 1, 2, 4 or 8.
struct CarriedColumn {
  const void* in;
  void* out;
  int width;
};

// Orders rows by entity, then by time within an entity (both stable: equal keys keep
// row order). The entity of row i is code_map[codes[i]] when code_map is not null (a
// relabelling, e.g. to sorted ids), else codes[i]; entities are in [0, n_entities).
// times may be null (row order kept). Writes order[n] (the row at each position; order
// may be null where the carried columns are all a caller needs), offsets[n_entities + 1],
// sorted_times[n] when times is not null, and each carried column's out[n].
void group_rows(const std::int64_t* codes, std::int64_t n, const std::int64_t* code_map,
                std::int64_t n_codes, std::int64_t n_entities, const std::int64_t* times,
                int n_threads, std::int64_t* order, std::int64_t* offsets,
                std::int64_t* sorted_times, const std::vector<CarriedColumn>& carried = {});

// dst[i] = src[index[i]] for i in [0, n), in parallel; index values must be in [0, n_src).
template <class T>
void gather(const T* src, std::int64_t n_src, const std::int64_t* index, std::int64_t n, T* dst,
            int n_threads);

struct SessionSplit {
  std::vector<std::int64_t> offsets;         // n_sessions + 1
  std::vector<std::int64_t> parent;          // sequence each session came from
  std::vector<std::int64_t> session_number;  // 0, 1, ... within its parent
};

// Splits every sequence where the time to the previous event exceeds max_gap (ns, > 0).
// Times must be ordered within each sequence.
SessionSplit split_by_gap(const std::int64_t* offsets, std::int64_t n_sequences,
                          const std::int64_t* times, std::int64_t max_gap, int n_threads);

struct Ranges {
  std::vector<std::int64_t> starts;  // first event (absolute position)
  std::vector<std::int64_t> stops;   // one past the last event
  std::vector<std::int64_t> parent;  // sequence the range lies in
  std::vector<std::int64_t> origin;  // event position in the parent, or window start time
};

// Windows of `length` events every `stride` events. Full windows only, except that a
// sequence shorter than `length` keeps one window holding all its events, so no
// sequence disappears.
Ranges count_windows(const std::int64_t* offsets, std::int64_t n_sequences, std::int64_t length,
                     std::int64_t stride);

// Windows [t0 + j * step, t0 + j * step + width) from each sequence's first time t0,
// while the start is not past the last event; empty windows are skipped.
Ranges time_windows(const std::int64_t* offsets, std::int64_t n_sequences,
                    const std::int64_t* times, std::int64_t width, std::int64_t step,
                    int n_threads);

// Concatenates the ranges: offsets_out[n_ranges + 1] and index_out[total length].
void ranges_to_index(const std::int64_t* starts, const std::int64_t* stops, std::int64_t n_ranges,
                     int n_threads, std::int64_t* offsets_out, std::int64_t* index_out);

}  // namespace oddseq::sequences
