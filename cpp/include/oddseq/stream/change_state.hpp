#pragma once
// One entity's state for the RecentChangeEncoder's columns in a live stream: what
// encode::change_features reads from a whole sequence, kept so that each event (in time
// order) costs O(1) amortised and the columns can be read at any moment, equal to the
// batch encoder's on the same events.
//
// The recent window (the last session and every one that started within window_ns of
// the newest event) is kept session by session: each session's event-type counts, its
// events per local hour, its sums of think time and values, its items. A session that
// leaves the window (the clock moved on past it) is added to the earlier part's sums,
// in time order, as the batch adds it. Bounded: the window holds at most
// window_ns / session_gap_ns + 1 sessions (each starts more than a session gap after
// the one before), the earlier part is a fixed set of sums.
//
// Items never touched before the window need every item the entity ever touched: an
// exact table (item -> its first session) up to `max_exact_keys` items; past it, the
// items first touched before the window (they are old for good: the window only moves
// on) go to a Bloom filter (16 bits an item, 11 hashes: a false positive rate of about
// 0.05% per full filter; the first holds max(max_exact_keys, 256) items, and one twice
// as large is added whenever the last is full, so k filters hold 256 (2^k - 1) items or
// more and answer wrongly for at most about k x 0.05% of new items). A false positive
// takes an item never touched before as touched, in whichever part it falls: the recent
// or the earlier share of new items is then lower by one event, and
// change_item_novelty (their difference) moves by that. Items first touched within the
// window stay in the table (at most the window's events).
#include <cstdint>
#include <vector>

#include "oddseq/encode/change.hpp"

namespace oddseq::stream {

class StateWriter;  // state_bytes.hpp
class StateReader;

// What every entity's change state shares: the encoder's parameters, the local clock,
// the event codes, which roles the events have.
struct ChangeSetup {
  encode::ChangeParams params;
  encode::LocalTime local;
  std::int64_t n_codes = 0;
  bool items = false, values = false;
  std::int64_t max_exact_keys = 256;
};

// The columns this state writes: change_features' first 8 (kChangeColumns floats), and
// by write_facts the other 8 (kChangeFacts).
constexpr std::int64_t kChangeColumns = 8;
constexpr std::int64_t kChangeFacts = encode::kChangeWidth - kChangeColumns;

class ChangeState {
 public:
  // One event, no older than the entity's previous one (ties in arrival order).
  void add(const ChangeSetup& setup, std::int32_t code, std::int64_t t, std::uint64_t item,
           bool item_present, double value);
  // The kChangeColumns columns as they stand (zeros without an earlier part).
  void write(const ChangeSetup& setup, float* out) const;
  // The facts behind them, as change_features' last kChangeFacts columns (the last
  // session's local hour, earlier events within an hour of it, the type whose share rose
  // most and its counts, both sides' events, the days the earlier part spans): what a
  // reason says of a takeover. Without an earlier part: -1 for the type and zeros, where
  // the batch keeps the last session's hour (a reason then says "nothing before" alike).
  void write_facts(const ChangeSetup& setup, float* out) const;
  // Heap bytes (containers' capacities) and whether an item came from the Bloom filter.
  std::int64_t bytes() const;
  bool approximate() const { return !filters_.empty(); }
  // The state as bytes (EntityStore::dump) and back (load, into a fresh state: every
  // size checked against the setup, so a state read back is one add() can go on with).
  void dump(StateWriter& out) const;
  void load(StateReader& in, const ChangeSetup& setup);

 private:
  struct Session {
    std::int64_t index = 0;            // sessions before it
    std::int64_t start = 0, last = 0;  // its first and newest event times
    double events = 0.0;
    double silence = 0.0;  // log(1 s + gap) before it (index > 0)
    double gaps = 0.0, n_gaps = 0.0, values = 0.0, n_values = 0.0;
    std::uint32_t hours[24] = {};
    std::vector<std::uint32_t> types;   // events per code
    double keyed = 0.0, own_new = 0.0;  // events with an item; on items first touched here
    // (first session, events) of its events on items first touched in an earlier
    // session of the window at the time (new to the window while that one is in it).
    std::vector<std::pair<std::int64_t, std::uint32_t>> by_first;
  };
  struct Bloom {
    std::vector<std::uint64_t> words;
    std::int64_t count = 0, capacity = 0;
  };

  // A session's event, type, hour, gap, value and size sums onto one side of the
  // comparison (types: that side's per-code counts, at least the session's codes long);
  // the item counts differ between the sides and are added by the callers.
  static void add_sums(const Session& s, encode::ChangeSide& side, std::vector<double>& types);
  void fold_front();
  // change_features' whole row as the state stands; false (row untouched) without an
  // earlier part.
  bool full_row(const ChangeSetup& setup, float* row) const;
  std::int64_t find(std::uint64_t key) const;  // first session, -1 if not in the table
  void insert(std::uint64_t key, std::int64_t first);
  void place(std::uint64_t key, std::int32_t first);  // into a free slot (no growth)
  void rebuild(const std::vector<std::pair<std::uint64_t, std::int32_t>>& entries);
  void evict_old_keys(const ChangeSetup& setup);
  bool in_filters(std::uint64_t key) const;
  void add_to_filters(std::uint64_t key, std::int64_t start_capacity);

  std::vector<Session> recent_;  // the window's sessions, oldest first
  encode::ChangeSide earlier_;
  std::vector<double> type_earlier_;  // per code
  double silences_ = 0.0, n_silences_ = 0.0;
  // The entity's first event and the newest event of the earlier part: the days the
  // earlier part spans (a fact of reasons, not a column).
  std::int64_t first_time_ = 0, earlier_last_ = 0;
  std::int64_t next_session_ = 0;
  // Items and their first sessions: open addressing over two arrays (12 bytes a slot),
  // at most three quarters full; first -1 marks an empty slot.
  std::vector<std::uint64_t> keys_;
  std::vector<std::int32_t> first_;
  std::int64_t n_keys_ = 0;
  std::int64_t evict_at_ = 0;  // table size at which old items next go to the filters
  std::vector<Bloom> filters_;
};

}  // namespace oddseq::stream
