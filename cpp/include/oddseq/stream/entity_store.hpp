#pragma once
// Per-entity state of a live event stream: what the batch encoders CountTimingEncoder
// and DiversityEncoder compute from a whole sequence, kept as running sums so that each
// event costs O(1) and an entity's features can be read at any moment.
//
// Exact (equal to the batch encoders on the same events): counts per event type,
// length, duration_s, gap_mean_s, the funnel ratios, repeat_previous_item_share,
// share_value_missing, value_max, and the item columns while an entity has at most
// `max_exact_items` distinct items (value_sum / value_mean / value_bought_sum add in
// arrival order, which is the batch's time order unless late events were accepted).
// Approximate: gap_std_s (from exact integer sums of the gaps and their squares: free of
// the batch's two-pass round-off, so equal to it up to float round-off), value_std
// (Welford), and past `max_exact_items` distinct items n_items, distinct_item_ratio,
// item_entropy_bits, top_item_share (HyperLogLog, 2^10 registers, ~3% error) and
// likewise n_items_bought.
//
// With `recent_change`, also the RecentChangeEncoder's 8 columns (ChangeState: the
// recent window session by session, the earlier part as sums), equal to the batch
// encoder's on the same events in time order; an entity's items past max_exact_items
// that were first touched before its window go to a Bloom filter (see change_state.hpp).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "oddseq/encode/change.hpp"

namespace oddseq::stream {

// Event codes of the funnel steps in the count columns' code space, -1 where the funnel
// has no such role (the ratios over it are 0: encode::funnel_ratios).
struct Funnel {
  std::int32_t view = -1, cart = -1, fav = -1, buy = -1;
};

struct StoreParams {
  // Event codes 0..size-1 and the count column each adds to (several codes may share
  // one column, e.g. the pooled count[<other>]); n_columns count columns in all.
  std::vector<std::int32_t> column_of_code = {0};
  std::int64_t n_columns = 1;
  bool has_times = true;
  bool has_items = false;
  bool has_values = false;
  Funnel funnel;
  std::int64_t max_exact_items = 256;  // distinct items kept exactly, then a sketch
  std::int64_t lateness_ns = 0;        // how far behind its entity's newest event an event may be
  std::int64_t max_late_events = 8;    // newest events kept per entity to place late ones
                                       // (1 without lateness)
  std::int64_t ttl_ns = 0;             // idle time after which an entity is forgotten (0: never)
  std::int64_t max_entities = 0;       // cap on tracked entities (0: none)
  // RecentChangeEncoder's columns: kept when recent_change (needs times and no lateness:
  // events in time order), with the encoder's parameters and its local clock (hourly UTC
  // offsets in seconds from first_hour, as encode::LocalTime; one 0 for UTC).
  bool recent_change = false;
  encode::ChangeParams change;
  std::vector<std::int64_t> utc_offset_s = {0};
  std::int64_t first_hour = 0;
};

// One batch of events in arrival order. entity: 64-bit keys; code: in [0, column_of_code.size());
// time: ns (null without times); item: 64-bit keys with item_present (null without
// items); value: NaN for missing (null without values).
struct EventBatch {
  std::int64_t n = 0;
  const std::uint64_t* entity = nullptr;
  const std::int32_t* code = nullptr;
  const std::int64_t* time = nullptr;
  const std::uint64_t* item = nullptr;
  const std::uint8_t* item_present = nullptr;
  const double* value = nullptr;
};

// Per event: applied in order, applied late (placed among its entity's newest events),
// or dropped as too late.
enum EventStatus : std::uint8_t { kApplied = 0, kLateAccepted = 1, kLateDropped = 2 };

struct StoreCounters {
  std::int64_t events = 0, late_accepted = 0, late_dropped = 0;
  // Of late_dropped: within the lateness, but older than every one of the entity's
  // max_late_events newest events kept (a larger max_late_events would place them).
  std::int64_t late_beyond_kept = 0;
  std::int64_t evicted_ttl = 0, evicted_cap = 0;
};

struct EntityState;  // defined in the source
struct EntityTable;  // defined in the source
struct ChangeSetup;  // change_state.hpp
class StateWriter;   // state_bytes.hpp

// Columns of `features`, in order: the n_columns counts, length, duration_s,
// gap_mean_s, gap_std_s, then the DiversityEncoder's 10 item columns and its 6 value
// columns (zeros where the stream has no items / values), then the RecentChangeEncoder's
// 8 columns (zeros without recent_change), then the event code of the largest value where
// the entity's values lie on two codes or more (-1 elsewhere: the reasons' type, not a
// feature).
std::int64_t feature_width(std::int64_t n_columns);

class EntityStore {
 public:
  explicit EntityStore(const StoreParams& params);
  ~EntityStore();
  EntityStore(const EntityStore&) = delete;
  EntityStore& operator=(const EntityStore&) = delete;

  // Applies the events in order; status[i] says what became of event i; `touched` gets
  // the distinct entities of the batch that were updated, in first-touch order, and
  // `first_rows` (when given) the batch row that first touched each.
  void update(const EventBatch& batch, std::uint8_t* status, std::vector<std::uint64_t>& touched,
              std::vector<std::int64_t>* first_rows = nullptr);

  // One event (the batch of one, without its vectors): returns its EventStatus.
  std::uint8_t update_one(std::uint64_t entity, std::int32_t code, std::int64_t time,
                          std::uint64_t item, bool item_present, double value);

  // update_one in two steps, for a caller that runs the sweep apart (the bindings
  // release the GIL for it): the event without the idle sweep, then, when
  // sweep_due(), sweep(). Together they do exactly what update_one does.
  std::uint8_t apply_one(std::uint64_t entity, std::int32_t code, std::int64_t time,
                         std::uint64_t item, bool item_present, double value);
  // The stream's clock has moved on by a sixteenth of the TTL since the last sweep.
  bool sweep_due() const;
  std::int64_t sweep() { return evict_idle(watermark_); }

  // One entity's row of feature_width(n_columns) floats, its length and whether its item
  // columns come from the sketch; false (and nothing written) for unknown keys.
  bool row(std::uint64_t key, float* out, std::int64_t* length, bool* approximate) const;

  // Records whether the entity is above the threshold now; returns what was recorded
  // before (false for unknown keys, which are left unknown).
  bool exchange_alerted(std::uint64_t key, bool now);

  // One row of feature_width(n_columns) floats per key; found[i] = 0 for unknown keys (row
  // of zeros); approximate[i] = 1 when the entity's item columns come from the sketch.
  void features(const std::uint64_t* keys, std::int64_t n, float* out, std::int64_t* length,
                std::uint8_t* found, std::uint8_t* approximate) const;

  // With recent_change: per key the ChangeState's kChangeFacts facts (change_state.hpp),
  // what a reason says of the recent window against the entity's past; unknown keys and
  // entities without events in time get the facts of "nothing earlier".
  void change_facts(const std::uint64_t* keys, std::int64_t n, float* out) const;
  bool has_change() const { return change_ != nullptr; }

  // Remembers (1) or forgets (0) that these entities were alerted on; read back by
  // `alerted` (0 for unknown keys).
  void set_alerted(const std::uint64_t* keys, std::int64_t n, std::uint8_t value);
  void alerted(const std::uint64_t* keys, std::int64_t n, std::uint8_t* out) const;

  // Forgets every entity idle (by event time) longer than the TTL at time `now_ns`.
  std::int64_t evict_idle(std::int64_t now_ns);

  std::int64_t size() const;
  std::int64_t memory_bytes() const;  // heap use, estimated from its containers (clock table too)
  const StoreCounters& counters() const { return counters_; }
  std::int64_t watermark() const { return watermark_; }
  std::int64_t n_columns() const { return params_.n_columns; }
  const StoreParams& params() const { return params_; }

  // The whole state as bytes: the settings, every entity, the counters and the clocks,
  // so that load() makes a store that goes on exactly as this one would (a stream
  // checkpointed and resumed). Versioned and checksummed: load refuses bytes that are
  // not a whole state of this format (std::invalid_argument saying why: foreign, another
  // format version, truncated, altered). dump_size() is their number (a walk that only
  // counts); dump_into writes them into a buffer of that size, the caller's (the Python
  // bytes object itself: the state is never held twice), and refuses
  // (std::runtime_error) a state that changed size between the two; dump appends them
  // to `out`.
  std::size_t dump_size() const;
  void dump_into(char* data, std::size_t size) const;
  void dump(std::string& out) const;
  static std::unique_ptr<EntityStore> load(const char* data, std::size_t size);

 private:
  // The state's bytes but the checksum, the payload's size written as `payload` (the
  // sizing walk gives 0).
  void write_state(StateWriter& put, std::uint64_t payload) const;
  // update without the sweep.
  void apply(const EventBatch& batch, std::uint8_t* status, std::vector<std::uint64_t>& touched,
             std::vector<std::int64_t>* first_rows);
  EntityState& entity(std::uint64_t key, std::int64_t time, bool& fresh);
  void evict_for_cap();
  void write_row(const EntityState& s, float* row, bool* approximate) const;

  StoreParams params_;
  std::unique_ptr<EntityTable> table_;
  std::unique_ptr<ChangeSetup> change_;  // with recent_change
  StoreCounters counters_;
  std::int64_t watermark_;
  std::int64_t last_sweep_;
  std::uint64_t batch_ = 0;                 // batches applied: marks an entity's first touch in one
  std::vector<std::uint64_t> one_touched_;  // update_one's scratch
};

}  // namespace oddseq::stream
