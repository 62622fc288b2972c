#include "oddseq/stream/entity_store.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <unordered_map>

#include "oddseq/core/check.hpp"
#include "oddseq/core/hash.hpp"
#include "oddseq/encode/diversity.hpp"
#include "oddseq/stream/change_state.hpp"
#include "oddseq/stream/state_bytes.hpp"

namespace oddseq::stream {

namespace {

__extension__ typedef unsigned __int128 U128;  // exact sums of squared gaps in ns^2

constexpr double kSecondsPerNano = 1e-9;  // as the batch encoders convert
constexpr int kSketchBits = 10;           // HyperLogLog with 2^10 one-byte registers
constexpr std::size_t kSketchSize = std::size_t{1} << kSketchBits;
constexpr std::size_t kLinearKeys = 8;  // up to this many keys, a scan beats a hash index

// Distinct 64-bit keys with their counts, in first-seen order (the batch tally adds its
// entropy terms in that order), exact up to a bound, then a HyperLogLog sketch for the
// keys beyond it (the tracked keys keep exact counts).
struct KeySet {
  std::vector<std::uint64_t> keys;
  std::vector<std::uint32_t> counts;       // per entity and item: 4 G events at most
  std::vector<std::uint32_t> index;        // open addressing: position + 1, 0 empty
  std::unique_ptr<std::uint8_t[]> sketch;  // registers, once past the bound
  std::int64_t total = 0, untracked = 0;   // occurrences; of keys not tracked

  std::int64_t find(std::uint64_t key) const {
    if (index.empty()) {
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (keys[i] == key) return static_cast<std::int64_t>(i);
      }
      return -1;
    }
    const std::size_t mask = index.size() - 1;
    std::size_t slot = static_cast<std::size_t>(core::mix64(key)) & mask;
    while (index[slot] != 0) {
      if (keys[index[slot] - 1] == key) return static_cast<std::int64_t>(index[slot] - 1);
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  void rebuild_index() {
    std::size_t capacity = 16;
    while (capacity < 2 * keys.size()) capacity <<= 1;
    index.assign(capacity, 0);
    const std::size_t mask = capacity - 1;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      std::size_t slot = static_cast<std::size_t>(core::mix64(keys[i])) & mask;
      while (index[slot] != 0) slot = (slot + 1) & mask;
      index[slot] = static_cast<std::uint32_t>(i + 1);
    }
  }

  void sketch_add(std::uint64_t key) {
    const std::uint64_t h = core::mix64(key ^ 0x5851F42D4C957F2DULL);
    const std::size_t reg = static_cast<std::size_t>(h >> (64 - kSketchBits));
    const std::uint64_t rest = (h << kSketchBits) | (std::uint64_t{1} << (kSketchBits - 1));
    const auto rank = static_cast<std::uint8_t>(__builtin_clzll(rest) + 1);
    sketch[reg] = std::max(sketch[reg], rank);
  }

  void add(std::uint64_t key, std::int64_t bound) {
    ++total;
    const std::int64_t at = find(key);
    if (at >= 0) {
      ++counts[static_cast<std::size_t>(at)];
      return;
    }
    if (static_cast<std::int64_t>(keys.size()) >= bound) {
      if (!sketch) {
        sketch.reset(new std::uint8_t[kSketchSize]());
        for (const std::uint64_t k : keys) sketch_add(k);
      }
      sketch_add(key);
      ++untracked;
      return;
    }
    keys.push_back(key);
    counts.push_back(1);
    if (keys.size() > kLinearKeys && 2 * keys.size() > index.size()) {
      rebuild_index();
    } else if (!index.empty()) {
      const std::size_t mask = index.size() - 1;
      std::size_t slot = static_cast<std::size_t>(core::mix64(key)) & mask;
      while (index[slot] != 0) slot = (slot + 1) & mask;
      index[slot] = static_cast<std::uint32_t>(keys.size());
    }
  }

  bool approximate() const { return static_cast<bool>(sketch); }

  std::int64_t distinct() const {
    const auto tracked = static_cast<std::int64_t>(keys.size());
    if (!sketch) return tracked;
    double inverse_sum = 0.0;
    std::size_t zeros = 0;
    for (std::size_t r = 0; r < kSketchSize; ++r) {
      inverse_sum += std::ldexp(1.0, -static_cast<int>(sketch[r]));
      zeros += sketch[r] == 0;
    }
    const double m = static_cast<double>(kSketchSize);
    double estimate = 0.7213 / (1.0 + 1.079 / m) * m * m / inverse_sum;
    if (estimate <= 2.5 * m && zeros > 0) estimate = m * std::log(m / static_cast<double>(zeros));
    // Every untracked occurrence may be a new key, and at least one is.
    const auto upper = tracked + untracked;
    const auto rounded = static_cast<std::int64_t>(std::llround(estimate));
    return std::min(upper, std::max(rounded, tracked + 1));
  }

  void bytes(std::int64_t& out) const {
    out += static_cast<std::int64_t>(keys.capacity() * sizeof(std::uint64_t) +
                                     counts.capacity() * sizeof(std::uint32_t) +
                                     index.capacity() * sizeof(std::uint32_t));
    if (sketch) out += static_cast<std::int64_t>(kSketchSize);
  }

  // The keys, their counts and the sketch as bytes (the index is rebuilt on load: it
  // only finds keys, and a rebuilt one finds the same).
  void dump(StateWriter& out) const {
    out.put_vector(keys);
    out.put_vector(counts);
    out.put_bool(static_cast<bool>(sketch));
    if (sketch) out.put_array(sketch.get(), kSketchSize);
    out.put(total);
    out.put(untracked);
  }

  void load(StateReader& in, std::int64_t bound) {
    in.get_vector(keys, static_cast<std::uint64_t>(bound));
    in.get_vector(counts, keys.size());
    in.expect(counts.size() == keys.size(), "an item set's counts are not its keys'");
    if (in.get_bool()) {
      sketch.reset(new std::uint8_t[kSketchSize]());
      in.get_array(sketch.get(), kSketchSize);
      for (std::size_t r = 0; r < kSketchSize; ++r) {
        in.expect(sketch[r] <= 65 - kSketchBits, "a sketch register is out of its range");
      }
    }
    total = in.get<std::int64_t>();
    untracked = in.get<std::int64_t>();
    index.clear();
    if (keys.size() > kLinearKeys) rebuild_index();
  }
};

// The batch's entropy of the key counts (bits), its largest count and distinct keys;
// past the bound, the untracked occurrences are taken as evenly spread over the keys
// the sketch adds.
struct Tally {
  std::int64_t distinct = 0, top = 0;
  double entropy = 0.0;
};

Tally tally(const KeySet& set) {
  Tally t;
  t.distinct = set.distinct();
  double weighted = 0.0;
  for (const std::uint32_t count : set.counts) {
    const auto c = static_cast<std::int64_t>(count);
    t.top = std::max(t.top, c);
    if (c > 1) weighted += static_cast<double>(c) * std::log2(static_cast<double>(c));
  }
  if (set.untracked > 0) {
    const double extra = static_cast<double>(
        std::max<std::int64_t>(t.distinct - static_cast<std::int64_t>(set.keys.size()), 1));
    const double per = static_cast<double>(set.untracked) / extra;
    if (per > 1.0) weighted += static_cast<double>(set.untracked) * std::log2(per);
    t.top = std::max(t.top, static_cast<std::int64_t>(std::ceil(per)));
  }
  if (set.total > 0) {
    const double n = static_cast<double>(set.total);
    t.entropy = std::max(0.0, std::log2(n) - weighted / n);
  }
  return t;
}

// One of an entity's newest events with an item, kept to place late ones among them:
// repeats are counted between the events with an item (encode::repeat_share), so an
// event without one takes no place here.
struct RecentItem {
  std::int64_t time;
  std::uint64_t item;
};

// Where an event of time t goes among times in order: after those equal to it (stable).
template <class T, class TimeOf>
std::size_t place(const std::vector<T>& recent, std::int64_t t, TimeOf time_of) {
  return static_cast<std::size_t>(
      std::upper_bound(recent.begin(), recent.end(), t,
                       [&](std::int64_t v, const T& r) { return v < time_of(r); }) -
      recent.begin());
}

}  // namespace

struct EntityState {
  std::vector<std::int64_t> counts;  // per event code
  std::int64_t length = 0, first_time = 0, last_time = 0;
  U128 gap_sq = 0;                       // sum of squared gaps, ns^2
  std::vector<std::int64_t> recent;      // newest events' times, oldest first
  std::vector<RecentItem> recent_items;  // newest events with an item, oldest first
  KeySet items, bought;
  std::int64_t repeats = 0;
  std::int64_t steps[4] = {0, 0, 0, 0};
  double value_sum = 0.0, value_max = 0.0, value_bought = 0.0, value_mean = 0.0, value_m2 = 0.0;
  std::int64_t value_present = 0;
  // The event codes of the first value and of the largest (the first to reach it, in
  // arrival order), and whether the values lie on two codes or more: the reasons name
  // the largest value's type only then (as the batch's largest_value_events).
  std::int32_t value_first_code = -1, value_max_code = -1;
  bool value_codes_mixed = false;
  std::uint64_t stamp = 0;  // the last batch that touched it
  bool alerted = false;
  std::unique_ptr<ChangeState> change;  // with recent_change
};

// Entities by key, their state in the map's nodes (one indirection less than a pointer
// per entity: the lookups are the stream's cache misses).
struct EntityTable {
  std::unordered_map<std::uint64_t, EntityState> map;
};

std::int64_t feature_width(std::int64_t n_columns) {
  return n_columns + 4 + 16 + kChangeColumns + 1;
}

EntityStore::EntityStore(const StoreParams& params)
    : params_(params),
      table_(std::make_unique<EntityTable>()),
      watermark_(std::numeric_limits<std::int64_t>::min()),
      last_sweep_(std::numeric_limits<std::int64_t>::min()) {
  ODDSEQ_CHECK(!params_.column_of_code.empty(), "no event codes");
  for (const std::int32_t c : params_.column_of_code) {
    ODDSEQ_CHECK(c >= 0 && c < params_.n_columns,
                 "count column " << c << " outside [0, " << params_.n_columns << ")");
  }
  ODDSEQ_CHECK(params_.max_exact_items >= 1, "max_exact_items must be at least 1");
  ODDSEQ_CHECK(params_.lateness_ns >= 0 && params_.ttl_ns >= 0 && params_.max_entities >= 0,
               "negative lateness, ttl or max_entities");
  // Without lateness only the newest event is needed (the gap and repeat it starts).
  params_.max_late_events =
      params_.lateness_ns > 0 ? std::max<std::int64_t>(params_.max_late_events, 1) : 1;
  if (params_.recent_change) {
    ODDSEQ_CHECK(params_.has_times && params_.lateness_ns == 0,
                 "recent_change needs times and events in time order (lateness 0)");
    const encode::ChangeParams& c = params_.change;
    ODDSEQ_CHECK(c.session_gap_ns > 0 && c.window_ns >= 0 && c.prior > 0 && std::isfinite(c.prior),
                 "recent_change needs session_gap_ns > 0, window_ns >= 0 and prior > 0");
    ODDSEQ_CHECK(!params_.utc_offset_s.empty(), "utc_offset_s needs at least one entry");
    change_ = std::make_unique<ChangeSetup>();
    change_->params = c;
    change_->local = encode::LocalTime{params_.utc_offset_s.data(), params_.first_hour,
                                       static_cast<std::int64_t>(params_.utc_offset_s.size())};
    change_->n_codes = static_cast<std::int64_t>(params_.column_of_code.size());
    change_->items = params_.has_items;
    change_->values = params_.has_values;
    change_->max_exact_keys = params_.max_exact_items;
  }
}

EntityStore::~EntityStore() = default;

std::int64_t EntityStore::size() const { return static_cast<std::int64_t>(table_->map.size()); }

EntityState& EntityStore::entity(std::uint64_t key, std::int64_t time, bool& fresh) {
  auto found = table_->map.find(key);
  if (found != table_->map.end()) {
    EntityState& state = found->second;
    // Idle past the TTL: forgotten, whether or not a sweep has come by yet, so the
    // features never depend on when sweeps ran.
    if (params_.ttl_ns > 0 && params_.has_times && time - state.last_time > params_.ttl_ns) {
      ++counters_.evicted_ttl;
      const std::uint64_t stamp = state.stamp;  // still touched once in this batch
      found->second = EntityState();
      found->second.stamp = stamp;
      fresh = true;
      return found->second;
    }
    fresh = false;
    return state;
  }
  if (params_.max_entities > 0 && size() >= params_.max_entities) evict_for_cap();
  fresh = true;
  return table_->map[key];
}

void EntityStore::evict_for_cap() {
  // A tenth of the cap at once, those whose newest event is oldest (ties: any), so the
  // selection costs O(n) per n/10 new entities.
  const std::int64_t n_evict = std::max<std::int64_t>(1, params_.max_entities / 10);
  std::vector<std::pair<std::int64_t, std::uint64_t>> ages;
  ages.reserve(table_->map.size());
  for (const auto& [key, state] : table_->map) ages.emplace_back(state.last_time, key);
  const auto cut = ages.begin() + std::min<std::int64_t>(n_evict, size());
  std::nth_element(ages.begin(), cut - 1, ages.end());
  for (auto it = ages.begin(); it != cut; ++it) table_->map.erase(it->second);
  counters_.evicted_cap += cut - ages.begin();
}

std::int64_t EntityStore::evict_idle(std::int64_t now_ns) {
  if (params_.ttl_ns <= 0) return 0;
  std::int64_t evicted = 0;
  for (auto it = table_->map.begin(); it != table_->map.end();) {
    if (now_ns - it->second.last_time > params_.ttl_ns) {
      it = table_->map.erase(it);
      ++evicted;
    } else {
      ++it;
    }
  }
  counters_.evicted_ttl += evicted;
  last_sweep_ = now_ns;
  return evicted;
}

void EntityStore::update(const EventBatch& batch, std::uint8_t* status,
                         std::vector<std::uint64_t>& touched,
                         std::vector<std::int64_t>* first_rows) {
  apply(batch, status, touched, first_rows);
  if (params_.has_times && batch.time != nullptr && sweep_due()) sweep();
}

bool EntityStore::sweep_due() const {
  // Sweep the idle when the stream's clock has moved on by a sixteenth of the TTL.
  return params_.ttl_ns > 0 && params_.has_times &&
         watermark_ != std::numeric_limits<std::int64_t>::min() &&
         (last_sweep_ == std::numeric_limits<std::int64_t>::min() ||
          watermark_ - last_sweep_ >= std::max<std::int64_t>(params_.ttl_ns / 16, 1));
}

void EntityStore::apply(const EventBatch& batch, std::uint8_t* status,
                        std::vector<std::uint64_t>& touched,
                        std::vector<std::int64_t>* first_rows) {
  touched.clear();
  if (first_rows != nullptr) first_rows->clear();
  ++batch_;
  const std::int64_t evicted_before = counters_.evicted_cap;
  const auto n_codes = static_cast<std::int64_t>(params_.column_of_code.size());
  const auto recent_cap = static_cast<std::size_t>(params_.max_late_events);
  const bool items = params_.has_items && batch.item != nullptr;
  const bool values = params_.has_values && batch.value != nullptr;
  const bool times = params_.has_times && batch.time != nullptr;
  const Funnel& f = params_.funnel;
  for (std::int64_t i = 0; i < batch.n; ++i) {
    const std::int32_t code = batch.code[i];
    ODDSEQ_CHECK_RANGE(code >= 0 && code < n_codes,
                       "event code " << code << " outside [0, " << n_codes << ")");
    const std::int64_t t = times ? batch.time[i] : 0;
    const bool item_present = items && batch.item_present[i] != 0;
    const RecentItem event{t, item_present ? batch.item[i] : 0};
    bool fresh = false;
    EntityState& s = entity(batch.entity[i], t, fresh);
    // Where the event goes among the entity's newest events (stable: after equal times).
    std::size_t at = s.recent.size();
    const bool late = !fresh && times && t < s.last_time;
    if (late) {
      at = place(s.recent, t, [](std::int64_t r) { return r; });
      const bool whole_history = static_cast<std::int64_t>(s.recent.size()) == s.length;
      const bool too_late = s.last_time - t > params_.lateness_ns;
      if (too_late || (at == 0 && !whole_history)) {
        status[i] = kLateDropped;
        ++counters_.late_dropped;
        if (!too_late) ++counters_.late_beyond_kept;
        continue;
      }
      status[i] = kLateAccepted;
      ++counters_.late_accepted;
    } else {
      status[i] = kApplied;
    }
    ++counters_.events;
    if (fresh || s.counts.empty()) s.counts.assign(static_cast<std::size_t>(n_codes), 0);
    ++s.counts[static_cast<std::size_t>(code)];
    // Gaps: the event splits the gap between its neighbours.
    const std::int64_t* before = at > 0 ? &s.recent[at - 1] : nullptr;
    const std::int64_t* after = at < s.recent.size() ? &s.recent[at] : nullptr;
    if (before != nullptr && after != nullptr) {
      const auto old_gap = static_cast<U128>(*after - *before);
      s.gap_sq -= old_gap * old_gap;
    }
    if (before != nullptr) {
      const auto gap = static_cast<U128>(t - *before);
      s.gap_sq += gap * gap;
    }
    if (after != nullptr) {
      const auto gap = static_cast<U128>(*after - t);
      s.gap_sq += gap * gap;
    }
    // Repeats likewise between the neighbours with an item. An event placed above
    // (after an older kept event, or with the whole history kept) has its item
    // neighbours kept too: the newest events with an item reach at least as far back
    // as the newest events.
    if (item_present) {
      const std::size_t at_item =
          late ? place(s.recent_items, t, [](const RecentItem& r) { return r.time; })
               : s.recent_items.size();
      const RecentItem* item_before = at_item > 0 ? &s.recent_items[at_item - 1] : nullptr;
      const RecentItem* item_after =
          at_item < s.recent_items.size() ? &s.recent_items[at_item] : nullptr;
      if (item_before != nullptr && item_after != nullptr) {
        s.repeats -= item_before->item == item_after->item;
      }
      if (item_before != nullptr) s.repeats += item_before->item == event.item;
      if (item_after != nullptr) s.repeats += event.item == item_after->item;
      s.recent_items.insert(s.recent_items.begin() + static_cast<std::ptrdiff_t>(at_item), event);
      if (s.recent_items.size() > recent_cap) s.recent_items.erase(s.recent_items.begin());
    }
    if (s.length == 0) {
      s.first_time = s.last_time = t;
    } else {
      s.first_time = std::min(s.first_time, t);
      s.last_time = std::max(s.last_time, t);
    }
    ++s.length;
    s.recent.insert(s.recent.begin() + static_cast<std::ptrdiff_t>(at), t);
    if (s.recent.size() > recent_cap) s.recent.erase(s.recent.begin());
    s.steps[0] += code == f.view;
    s.steps[1] += code == f.cart;
    s.steps[2] += code == f.fav;
    s.steps[3] += code == f.buy;
    if (item_present) {
      s.items.add(event.item, params_.max_exact_items);
      if (code == f.buy) s.bought.add(event.item, params_.max_exact_items);
    }
    if (values) {
      const double v = batch.value[i];
      if (!std::isnan(v)) {
        s.value_sum += v;
        if (s.value_present == 0) {
          s.value_first_code = s.value_max_code = code;
          s.value_max = v;
        } else {
          s.value_codes_mixed = s.value_codes_mixed || code != s.value_first_code;
          if (v > s.value_max) {
            s.value_max = v;
            s.value_max_code = code;
          }
        }
        ++s.value_present;
        if (code == f.buy) s.value_bought += v;
        const double delta = v - s.value_mean;  // Welford
        s.value_mean += delta / static_cast<double>(s.value_present);
        s.value_m2 += delta * (v - s.value_mean);
      }
    }
    if (change_ && times) {
      if (!s.change) s.change = std::make_unique<ChangeState>();
      s.change->add(*change_, code, t, event.item, item_present,
                    values ? batch.value[i] : std::numeric_limits<double>::quiet_NaN());
    }
    if (times) watermark_ = std::max(watermark_, t);
    if (s.stamp != batch_) {  // the entity's first event of this batch
      s.stamp = batch_;
      touched.push_back(batch.entity[i]);
      if (first_rows != nullptr) first_rows->push_back(i);
    }
  }
  // An entity evicted at the cap and back within the batch was touched twice: first
  // touches only.
  if (counters_.evicted_cap != evicted_before && touched.size() > 1) {
    std::unordered_map<std::uint64_t, bool> seen;
    seen.reserve(touched.size());
    std::size_t kept = 0;
    for (std::size_t j = 0; j < touched.size(); ++j) {
      if (!seen.emplace(touched[j], true).second) continue;
      if (first_rows != nullptr) (*first_rows)[kept] = (*first_rows)[j];
      touched[kept++] = touched[j];
    }
    touched.resize(kept);
    if (first_rows != nullptr) first_rows->resize(kept);
  }
}

std::uint8_t EntityStore::apply_one(std::uint64_t entity, std::int32_t code, std::int64_t time,
                                    std::uint64_t item, bool item_present, double value) {
  const std::uint8_t present = item_present ? 1 : 0;
  const EventBatch batch{1, &entity, &code, &time, &item, &present, &value};
  std::uint8_t status = kApplied;
  apply(batch, &status, one_touched_, nullptr);
  return status;
}

std::uint8_t EntityStore::update_one(std::uint64_t entity, std::int32_t code, std::int64_t time,
                                     std::uint64_t item, bool item_present, double value) {
  const std::uint8_t status = apply_one(entity, code, time, item, item_present, value);
  if (sweep_due()) sweep();
  return status;
}

bool EntityStore::row(std::uint64_t key, float* out, std::int64_t* length,
                      bool* approximate) const {
  const auto it = table_->map.find(key);
  if (it == table_->map.end()) return false;
  *length = it->second.length;
  write_row(it->second, out, approximate);
  return true;
}

bool EntityStore::exchange_alerted(std::uint64_t key, bool now) {
  const auto it = table_->map.find(key);
  if (it == table_->map.end()) return false;
  const bool before = it->second.alerted;
  it->second.alerted = now;
  return before;
}

void EntityStore::features(const std::uint64_t* keys, std::int64_t n, float* out,
                           std::int64_t* length, std::uint8_t* found,
                           std::uint8_t* approximate) const {
  const std::int64_t width = feature_width(params_.n_columns);
  for (std::int64_t r = 0; r < n; ++r) {
    float* row = out + r * width;
    const auto it = table_->map.find(keys[r]);
    found[r] = it != table_->map.end();
    approximate[r] = 0;
    length[r] = 0;
    if (it == table_->map.end()) {
      std::fill_n(row, width, 0.0f);
      continue;
    }
    length[r] = it->second.length;
    bool approx = false;
    write_row(it->second, row, &approx);
    approximate[r] = approx ? 1 : 0;
  }
}

void EntityStore::change_facts(const std::uint64_t* keys, std::int64_t n, float* out) const {
  ODDSEQ_CHECK(change_ != nullptr, "change_facts needs a store made with recent_change");
  for (std::int64_t r = 0; r < n; ++r) {
    float* facts = out + r * kChangeFacts;
    const auto it = table_->map.find(keys[r]);
    if (it != table_->map.end() && it->second.change != nullptr) {
      it->second.change->write_facts(*change_, facts);
    } else {
      ChangeState().write_facts(*change_, facts);  // nothing earlier
    }
  }
}

void EntityStore::write_row(const EntityState& s, float* row, bool* approximate) const {
  const std::int64_t n_columns = params_.n_columns;
  std::fill_n(row, feature_width(n_columns), 0.0f);
  *approximate = false;
  const std::int64_t len = s.length;
  // Counts add up per column in int64 (several codes may share one), then one rounding.
  std::int64_t pooled[64];
  std::vector<std::int64_t> many;
  std::int64_t* columns = pooled;
  if (n_columns > 64) {
    many.assign(static_cast<std::size_t>(n_columns), 0);
    columns = many.data();
  } else {
    std::fill_n(pooled, n_columns, 0);
  }
  for (std::size_t c = 0; c < s.counts.size(); ++c) {
    columns[params_.column_of_code[c]] += s.counts[c];
  }
  for (std::int64_t c = 0; c < n_columns; ++c) row[c] = static_cast<float>(columns[c]);
  row[n_columns] = static_cast<float>(len);
  if (params_.has_times && len >= 2) {
    const std::int64_t span = s.last_time - s.first_time;
    const double duration = static_cast<double>(span) * kSecondsPerNano;
    const auto gaps = static_cast<std::uint64_t>(len - 1);
    // Population variance of the gaps, exactly: (m * sum g^2 - (sum g)^2) / m^2, the
    // gaps summing to the span.
    const U128 sum = static_cast<U128>(span);
    U128 scaled;
    double variance_ns2;
    if (!__builtin_mul_overflow(s.gap_sq, static_cast<U128>(gaps), &scaled) &&
        scaled >= sum * sum) {
      variance_ns2 = static_cast<double>(scaled - sum * sum) /
                     (static_cast<double>(gaps) * static_cast<double>(gaps));
    } else {
      const long double m = static_cast<long double>(gaps);
      const long double mean = static_cast<long double>(span) / m;
      variance_ns2 =
          static_cast<double>(std::max(0.0L, static_cast<long double>(s.gap_sq) / m - mean * mean));
    }
    row[n_columns + 1] = static_cast<float>(duration);
    row[n_columns + 2] = static_cast<float>(duration / static_cast<double>(gaps));
    row[n_columns + 3] = static_cast<float>(std::sqrt(variance_ns2) * kSecondsPerNano);
  }
  float* div = row + n_columns + 4;
  if (params_.has_items) {
    const Tally all = tally(s.items);
    div[0] = static_cast<float>(all.distinct);
    div[1] = static_cast<float>(static_cast<double>(all.distinct) / static_cast<double>(len));
    div[2] = static_cast<float>(all.entropy);
    div[3] = static_cast<float>(s.items.total > 0 ? static_cast<double>(all.top) /
                                                        static_cast<double>(s.items.total)
                                                  : 0.0);
    div[4] = static_cast<float>(encode::repeat_share(s.repeats, s.items.total));
    div[5] = static_cast<float>(s.bought.distinct());
    *approximate = s.items.approximate() || s.bought.approximate();
  }
  encode::funnel_ratios(s.steps, params_.funnel.view >= 0, params_.funnel.cart >= 0, div + 6);
  if (params_.has_values) {
    const double present = static_cast<double>(s.value_present);
    div[10] = static_cast<float>(s.value_sum);
    div[11] = static_cast<float>(s.value_present > 0 ? s.value_sum / present : 0.0);
    div[12] = static_cast<float>(s.value_max);
    div[13] = static_cast<float>(s.value_present > 0 ? std::sqrt(s.value_m2 / present) : 0.0);
    div[14] =
        static_cast<float>(static_cast<double>(len - s.value_present) / static_cast<double>(len));
    div[15] = static_cast<float>(s.value_bought);
  }
  if (s.change) {
    s.change->write(*change_, div + 16);
    *approximate = *approximate || s.change->approximate();
  }
  // The largest value's event code where the values lie on two codes or more, else -1.
  div[16 + kChangeColumns] = s.value_codes_mixed ? static_cast<float>(s.value_max_code) : -1.0f;
}

void EntityStore::set_alerted(const std::uint64_t* keys, std::int64_t n, std::uint8_t value) {
  for (std::int64_t r = 0; r < n; ++r) {
    const auto it = table_->map.find(keys[r]);
    if (it != table_->map.end()) it->second.alerted = value != 0;
  }
}

void EntityStore::alerted(const std::uint64_t* keys, std::int64_t n, std::uint8_t* out) const {
  for (std::int64_t r = 0; r < n; ++r) {
    const auto it = table_->map.find(keys[r]);
    out[r] = it != table_->map.end() && it->second.alerted;
  }
}

std::int64_t EntityStore::memory_bytes() const {
  // The local clock's table (hourly UTC offsets: 6.3 MB for a stream in a time zone,
  // 1990-2079, held once per store); then per entity: the state, its heap parts, and the
  // hash map's node and bucket.
  constexpr std::int64_t kNode = sizeof(std::uint64_t) + sizeof(void*) + sizeof(std::size_t);
  std::int64_t bytes =
      static_cast<std::int64_t>(params_.utc_offset_s.capacity() * sizeof(std::int64_t));
  bytes += static_cast<std::int64_t>(table_->map.bucket_count() * sizeof(void*));
  for (const auto& [key, state] : table_->map) {
    bytes += kNode + static_cast<std::int64_t>(sizeof(EntityState));
    bytes += static_cast<std::int64_t>(state.counts.capacity() * sizeof(std::int64_t) +
                                       state.recent.capacity() * sizeof(std::int64_t) +
                                       state.recent_items.capacity() * sizeof(RecentItem));
    state.items.bytes(bytes);
    state.bought.bytes(bytes);
    if (state.change) bytes += state.change->bytes();
  }
  return bytes;
}

namespace {

// The state's bytes: a mark, the format version and the machine's byte order, the
// payload's size, the payload, then a checksum of the payload.
constexpr char kStateMark[8] = {'o', 'd', 'd', 's', 'e', 'q', 'S', 'S'};
// 2: repeats between the events with an item (the newest of those kept apart).
// 3: the event codes of the first and the largest value.
constexpr std::uint32_t kStateVersion = 3;
constexpr std::uint32_t kByteOrder = 0x01020304;
constexpr std::size_t kStateHeader = sizeof(kStateMark) + 2 * sizeof(std::uint32_t) + 8;

// Every 64-bit word of the payload through a bijective mix in turn: a change of any one
// word always changes the result, several at once with probability 2^-64 of not.
std::uint64_t checksum(const char* data, std::size_t size) {
  std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ static_cast<std::uint64_t>(size);
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, data + i, 8);
    h = core::mix64(h ^ word);
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, data + i, size - i);
  return core::mix64(h ^ tail ^ 0xA5A5A5A5A5A5A5A5ULL);
}

void dump_params(StateWriter& out, const StoreParams& p) {
  out.put_vector(p.column_of_code);
  out.put(p.n_columns);
  out.put_bool(p.has_times);
  out.put_bool(p.has_items);
  out.put_bool(p.has_values);
  for (const std::int32_t code : {p.funnel.view, p.funnel.cart, p.funnel.fav, p.funnel.buy}) {
    out.put(code);
  }
  for (const std::int64_t v :
       {p.max_exact_items, p.lateness_ns, p.max_late_events, p.ttl_ns, p.max_entities}) {
    out.put(v);
  }
  out.put_bool(p.recent_change);
  out.put(p.change.session_gap_ns);
  out.put(p.change.window_ns);
  out.put(p.change.prior);
  out.put_vector(p.utc_offset_s);
  out.put(p.first_hour);
}

StoreParams load_params(StateReader& in) {
  StoreParams p;
  in.get_vector(p.column_of_code, std::uint64_t{1} << 31);
  p.n_columns = in.get<std::int64_t>();
  p.has_times = in.get_bool();
  p.has_items = in.get_bool();
  p.has_values = in.get_bool();
  for (std::int32_t* code : {&p.funnel.view, &p.funnel.cart, &p.funnel.fav, &p.funnel.buy}) {
    *code = in.get<std::int32_t>();
  }
  for (std::int64_t* v :
       {&p.max_exact_items, &p.lateness_ns, &p.max_late_events, &p.ttl_ns, &p.max_entities}) {
    *v = in.get<std::int64_t>();
  }
  p.recent_change = in.get_bool();
  p.change.session_gap_ns = in.get<std::int64_t>();
  p.change.window_ns = in.get<std::int64_t>();
  p.change.prior = in.get<double>();
  in.get_vector(p.utc_offset_s, in.left() / sizeof(std::int64_t));
  p.first_hour = in.get<std::int64_t>();
  in.expect(
      p.max_exact_items < (std::int64_t{1} << 31) && p.max_late_events < (std::int64_t{1} << 31),
      "a setting is out of its range");
  return p;
}

}  // namespace

void EntityStore::write_state(StateWriter& put, std::uint64_t payload) const {
  put.put_array(kStateMark, sizeof(kStateMark));
  put.put(kStateVersion);
  put.put(kByteOrder);
  put.put(payload);
  dump_params(put, params_);
  for (const std::int64_t c :
       {counters_.events, counters_.late_accepted, counters_.late_dropped,
        counters_.late_beyond_kept, counters_.evicted_ttl, counters_.evicted_cap}) {
    put.put(c);
  }
  put.put(watermark_);
  put.put(last_sweep_);
  put.put(batch_);
  put.put<std::uint64_t>(table_->map.size());
  for (const auto& [key, s] : table_->map) {
    put.put(key);
    put.put_vector(s.counts);
    put.put(s.length);
    put.put(s.first_time);
    put.put(s.last_time);
    put.put(static_cast<std::uint64_t>(s.gap_sq));
    put.put(static_cast<std::uint64_t>(s.gap_sq >> 64));
    put.put_vector(s.recent);
    put.put<std::uint64_t>(s.recent_items.size());
    for (const RecentItem& r : s.recent_items) {
      put.put(r.time);
      put.put(r.item);
    }
    s.items.dump(put);
    s.bought.dump(put);
    put.put(s.repeats);
    put.put_array(s.steps, 4);
    for (const double v : {s.value_sum, s.value_max, s.value_bought, s.value_mean, s.value_m2}) {
      put.put(v);
    }
    put.put(s.value_present);
    put.put(s.value_first_code);
    put.put(s.value_max_code);
    put.put_bool(s.value_codes_mixed);
    put.put(s.stamp);
    put.put_bool(s.alerted);
    put.put_bool(s.change != nullptr);
    if (s.change) s.change->dump(put);
  }
}

std::size_t EntityStore::dump_size() const {
  StateWriter count;
  write_state(count, 0);
  return count.size() + sizeof(std::uint64_t);  // and the checksum
}

void EntityStore::dump_into(char* data, std::size_t size) const {
  const auto changed = [] {
    throw std::runtime_error(
        "a stream store's state changed size while it was written (was the store updated "
        "from another thread meanwhile?): write it again when no update runs");
  };
  if (size < kStateHeader + sizeof(std::uint64_t)) changed();
  const std::size_t payload = size - kStateHeader - sizeof(std::uint64_t);
  StateWriter put(data, size);
  write_state(put, payload);
  if (put.size() != kStateHeader + payload) changed();
  put.put(checksum(data + kStateHeader, payload));
}

void EntityStore::dump(std::string& out) const {
  const std::size_t start = out.size();
  const std::size_t size = dump_size();
  out.resize(start + size);
  dump_into(out.data() + start, size);
}

std::unique_ptr<EntityStore> EntityStore::load(const char* data, std::size_t size) {
  const auto refuse = [](const std::string& why) {
    throw std::invalid_argument("not a stream store's state: " + why);
  };
  if (size < sizeof(kStateMark) || std::memcmp(data, kStateMark, sizeof(kStateMark)) != 0) {
    refuse("its first bytes are not the mark a stream state starts with (foreign bytes)");
  }
  if (size < kStateHeader + 8) {
    refuse("truncated: " + std::to_string(size) + " bytes, too few for its header");
  }
  std::uint32_t version = 0, order = 0;
  std::uint64_t payload = 0;
  std::memcpy(&version, data + sizeof(kStateMark), sizeof(version));
  std::memcpy(&order, data + sizeof(kStateMark) + sizeof(version), sizeof(order));
  std::memcpy(&payload, data + sizeof(kStateMark) + 2 * sizeof(version), sizeof(payload));
  if (order != kByteOrder) refuse("it was written on a machine of the other byte order");
  if (version != kStateVersion) {
    throw std::invalid_argument("a stream store's state of format version " +
                                std::to_string(version) + "; this oddseq reads version " +
                                std::to_string(kStateVersion) +
                                " only (resume it with the oddseq that wrote it)");
  }
  const std::size_t whole = size - kStateHeader - 8;
  if (payload != whole) {
    refuse(payload > whole ? "truncated: " + std::to_string(size) + " of its " +
                                 std::to_string(payload + kStateHeader + 8) + " bytes"
                           : std::to_string(whole - payload) + " bytes more than it holds");
  }
  std::uint64_t sum = 0;
  std::memcpy(&sum, data + kStateHeader + payload, sizeof(sum));
  if (sum != checksum(data + kStateHeader, payload)) {
    refuse("altered or damaged: its checksum does not match its bytes");
  }
  StateReader in(data + kStateHeader, payload);
  auto store = std::make_unique<EntityStore>(load_params(in));  // checks the settings
  const StoreParams& p = store->params_;
  const auto n_codes = static_cast<std::uint64_t>(p.column_of_code.size());
  StoreCounters& c = store->counters_;
  for (std::int64_t* v : {&c.events, &c.late_accepted, &c.late_dropped, &c.late_beyond_kept,
                          &c.evicted_ttl, &c.evicted_cap}) {
    *v = in.get<std::int64_t>();
  }
  store->watermark_ = in.get<std::int64_t>();
  store->last_sweep_ = in.get<std::int64_t>();
  store->batch_ = in.get<std::uint64_t>();
  // An entity takes 100 bytes or more.
  const std::uint64_t n = in.get_count(100);
  auto& map = store->table_->map;
  map.reserve(static_cast<std::size_t>(n));
  for (std::uint64_t e = 0; e < n; ++e) {
    const auto key = in.get<std::uint64_t>();
    const auto [it, fresh] = map.try_emplace(key);
    in.expect(fresh, "an entity is there twice");
    EntityState& s = it->second;
    in.get_vector(s.counts, n_codes);
    in.expect(s.counts.empty() || s.counts.size() == n_codes,
              "an entity's event types are not the store's");
    s.length = in.get<std::int64_t>();
    s.first_time = in.get<std::int64_t>();
    s.last_time = in.get<std::int64_t>();
    const auto low = in.get<std::uint64_t>();
    const auto high = in.get<std::uint64_t>();
    s.gap_sq = (static_cast<U128>(high) << 64) | low;
    const auto kept = static_cast<std::uint64_t>(p.max_late_events);
    in.get_vector(s.recent, kept);  // (no more than the store keeps)
    const std::uint64_t n_recent_items = in.get_count(2 * sizeof(std::int64_t));
    in.expect(n_recent_items <= kept,
              "an entity keeps more newest events with an item than the store does");
    s.recent_items.resize(static_cast<std::size_t>(n_recent_items));
    for (RecentItem& r : s.recent_items) {
      r.time = in.get<std::int64_t>();
      r.item = in.get<std::uint64_t>();
    }
    s.items.load(in, p.max_exact_items);
    s.bought.load(in, p.max_exact_items);
    s.repeats = in.get<std::int64_t>();
    in.get_array(s.steps, 4);
    for (double* v : {&s.value_sum, &s.value_max, &s.value_bought, &s.value_mean, &s.value_m2}) {
      *v = in.get<double>();
    }
    s.value_present = in.get<std::int64_t>();
    s.value_first_code = in.get<std::int32_t>();
    s.value_max_code = in.get<std::int32_t>();
    s.value_codes_mixed = in.get_bool();
    s.stamp = in.get<std::uint64_t>();
    s.alerted = in.get_bool();
    if (in.get_bool()) {
      in.expect(store->change_ != nullptr, "an entity has a recent window the store does not keep");
      s.change = std::make_unique<ChangeState>();
      s.change->load(in, *store->change_);
    }
  }
  in.expect(in.left() == 0, "bytes after its last entity");
  return store;
}

}  // namespace oddseq::stream
