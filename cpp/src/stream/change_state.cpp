#include "oddseq/stream/change_state.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "oddseq/core/check.hpp"
#include "oddseq/core/hash.hpp"
#include "oddseq/stream/state_bytes.hpp"

namespace oddseq::stream {

namespace {

// 16 bits and 11 hashes a key: a false positive rate of (1 - e^(-11/16))^11, 0.05%, per
// full filter.
constexpr std::int64_t kBloomBitsPerKey = 16;
constexpr int kBloomHashes = 11;

// The i-th of a key's Bloom positions (double hashing).
inline std::uint64_t bloom_bit(std::uint64_t h1, std::uint64_t h2, int i, std::uint64_t bits) {
  return (h1 + static_cast<std::uint64_t>(i) * h2) % bits;
}

}  // namespace

void ChangeState::add(const ChangeSetup& setup, std::int32_t code, std::int64_t t,
                      std::uint64_t item, bool item_present, double value) {
  const encode::ChangeParams& p = setup.params;
  if (recent_.empty() && next_session_ == 0) first_time_ = t;
  if (recent_.empty() || t - recent_.back().last > p.session_gap_ns) {
    Session s;
    s.index = next_session_++;
    s.start = s.last = t;
    if (!recent_.empty()) s.silence = encode::change_log_seconds(t - recent_.back().last);
    s.types.assign(static_cast<std::size_t>(setup.n_codes), 0);
    recent_.push_back(std::move(s));
  } else {
    Session& s = recent_.back();
    s.gaps += encode::change_log_seconds(t - s.last);
    s.n_gaps += 1.0;
    s.last = t;
  }
  Session& s = recent_.back();
  ODDSEQ_CHECK(code >= 0 && code < setup.n_codes, "event code " << code << " out of range");
  s.events += 1.0;
  ++s.types[static_cast<std::size_t>(code)];
  ++s.hours[encode::change_local_hour(t, setup.local)];
  if (setup.values && std::isfinite(value)) {
    s.values += encode::change_signed_log(value);
    s.n_values += 1.0;
  }
  // The window before this event's session may move on below; an item's first session
  // is compared with the window's first session as it stands now.
  if (setup.items && item_present) {
    s.keyed += 1.0;
    const std::int64_t window = recent_.front().index;
    const std::int64_t first = find(item);
    if (first == s.index) {
      s.own_new += 1.0;
    } else if (first >= window) {
      auto at = std::find_if(s.by_first.begin(), s.by_first.end(),
                             [first](const auto& e) { return e.first == first; });
      if (at == s.by_first.end()) {
        s.by_first.emplace_back(first, 1);
      } else {
        ++at->second;
      }
    } else if (first < 0 && !in_filters(item)) {  // never touched before
      s.own_new += 1.0;
      if (n_keys_ >= std::max(setup.max_exact_keys, evict_at_)) {
        evict_old_keys(setup);
        // Next time when the table has doubled: a window of many new items (all kept)
        // costs O(1) an item, not a pass over the table each.
        evict_at_ = 2 * n_keys_;
      }
      insert(item, s.index);
    }
  }
  // Sessions that started more than the window before this event leave it.
  while (recent_.size() > 1 && t - recent_.front().start > p.window_ns) fold_front();
}

void ChangeState::add_sums(const Session& s, encode::ChangeSide& side, std::vector<double>& types) {
  side.events += s.events;
  for (std::size_t c = 0; c < s.types.size(); ++c) types[c] += s.types[c];
  for (int h = 0; h < 24; ++h) side.hours[h] += s.hours[h];
  side.gaps += s.gaps;
  side.n_gaps += s.n_gaps;
  side.values += s.values;
  side.n_values += s.n_values;
  side.sizes += std::log(s.events);
  side.n_sessions += 1.0;
}

void ChangeState::fold_front() {
  const Session& s = recent_.front();
  encode::ChangeSide& e = earlier_;
  if (type_earlier_.size() < s.types.size()) type_earlier_.resize(s.types.size(), 0.0);
  add_sums(s, e, type_earlier_);
  earlier_last_ = s.last;
  if (s.index > 0) {  // everything is new in the first session: it is not compared
    silences_ += s.silence;
    n_silences_ += 1.0;
    e.new_keys += s.own_new;
    e.keyed += s.keyed;
  }
  recent_.erase(recent_.begin());
}

void ChangeState::write(const ChangeSetup& setup, float* out) const {
  float row[encode::kChangeWidth];
  if (full_row(setup, row)) {
    std::copy_n(row, kChangeColumns, out);
  } else {
    std::fill_n(out, kChangeColumns, 0.0f);
  }
}

void ChangeState::write_facts(const ChangeSetup& setup, float* out) const {
  float row[encode::kChangeWidth];
  if (full_row(setup, row)) {
    std::copy_n(row + kChangeColumns, kChangeFacts, out);
    return;
  }
  std::fill_n(out, kChangeFacts, 0.0f);
  out[10 - kChangeColumns] = -1.0f;  // no type rose
}

bool ChangeState::full_row(const ChangeSetup& setup, float* row) const {
  if (earlier_.events <= 0 || recent_.empty()) return false;
  encode::ChangeCompare c;
  c.earlier = earlier_;
  c.items = setup.items;
  c.values = setup.values;
  const std::int64_t window = recent_.front().index;
  thread_local std::vector<double> type_recent;
  thread_local std::vector<std::int32_t> types;
  type_recent.assign(type_earlier_.size(), 0.0);
  encode::ChangeSide& r = c.recent;
  for (const Session& s : recent_) {
    add_sums(s, r, type_recent);
    r.keyed += s.keyed;
    r.new_keys += s.own_new;
    for (const auto& [first, count] : s.by_first) {
      if (first >= window) r.new_keys += count;
    }
  }
  types.clear();
  for (std::size_t k = 0; k < type_earlier_.size(); ++k) {
    if (type_earlier_[k] > 0 || type_recent[k] > 0) types.push_back(static_cast<std::int32_t>(k));
  }
  c.types = types.data();
  c.n_types = static_cast<std::int64_t>(types.size());
  c.type_earlier = type_earlier_.data();
  c.type_recent = type_recent.data();
  c.silences = silences_;
  c.n_silences = n_silences_;
  c.silence = recent_.front().silence;
  c.last_session_hour = encode::change_local_hour(recent_.back().start, setup.local);
  c.earlier_days = encode::change_days(earlier_last_ - first_time_);
  encode::change_row(c, setup.params.prior, row);
  return true;
}

std::int64_t ChangeState::find(std::uint64_t key) const {
  if (keys_.empty()) return -1;
  const std::size_t mask = keys_.size() - 1;
  std::size_t slot = static_cast<std::size_t>(core::mix64(key)) & mask;
  while (first_[slot] >= 0) {
    if (keys_[slot] == key) return first_[slot];
    slot = (slot + 1) & mask;
  }
  return -1;
}

void ChangeState::place(std::uint64_t key, std::int32_t first) {
  const std::size_t mask = keys_.size() - 1;
  std::size_t slot = static_cast<std::size_t>(core::mix64(key)) & mask;
  while (first_[slot] >= 0) slot = (slot + 1) & mask;
  keys_[slot] = key;
  first_[slot] = first;
  ++n_keys_;
}

void ChangeState::rebuild(const std::vector<std::pair<std::uint64_t, std::int32_t>>& entries) {
  std::size_t capacity = 8;
  while (4 * (entries.size() + 1) > 3 * capacity) capacity <<= 1;
  keys_.assign(capacity, 0);
  first_.assign(capacity, -1);
  n_keys_ = 0;
  for (const auto& [key, first] : entries) place(key, first);
}

void ChangeState::insert(std::uint64_t key, std::int64_t first) {
  ODDSEQ_CHECK(first <= std::numeric_limits<std::int32_t>::max(), "more than 2^31 sessions");
  if (4 * static_cast<std::size_t>(n_keys_ + 1) > 3 * keys_.size()) {
    std::vector<std::pair<std::uint64_t, std::int32_t>> entries;
    entries.reserve(static_cast<std::size_t>(n_keys_ + 1));
    for (std::size_t k = 0; k < keys_.size(); ++k) {
      if (first_[k] >= 0) entries.emplace_back(keys_[k], first_[k]);
    }
    entries.emplace_back(key, static_cast<std::int32_t>(first));
    rebuild(entries);
    return;
  }
  place(key, static_cast<std::int32_t>(first));
}

void ChangeState::evict_old_keys(const ChangeSetup& setup) {
  // Items first touched before the window are old for good: into the filter.
  const std::int64_t window = recent_.front().index;
  std::vector<std::pair<std::uint64_t, std::int32_t>> kept;
  bool moved = false;
  for (std::size_t k = 0; k < keys_.size(); ++k) {
    if (first_[k] < 0) continue;
    if (first_[k] < window) {
      add_to_filters(keys_[k], setup.max_exact_keys);
      moved = true;
    } else {
      kept.emplace_back(keys_[k], first_[k]);
    }
  }
  if (moved) rebuild(kept);  // else all in the window: the table grows with it
}

bool ChangeState::in_filters(std::uint64_t key) const {
  if (filters_.empty()) return false;
  const std::uint64_t h1 = core::mix64(key ^ 0x9E3779B97F4A7C15ULL);
  const std::uint64_t h2 = core::mix64(h1) | 1;
  for (const Bloom& f : filters_) {
    const auto bits = static_cast<std::uint64_t>(f.words.size()) * 64;
    bool all = true;
    for (int i = 0; i < kBloomHashes && all; ++i) {
      const std::uint64_t b = bloom_bit(h1, h2, i, bits);
      all = ((f.words[b >> 6] >> (b & 63)) & 1) != 0;
    }
    if (all) return true;
  }
  return false;
}

void ChangeState::add_to_filters(std::uint64_t key, std::int64_t start_capacity) {
  if (filters_.empty() || filters_.back().count >= filters_.back().capacity) {
    Bloom f;
    f.capacity = filters_.empty() ? std::max<std::int64_t>(start_capacity, 256)
                                  : 2 * filters_.back().capacity;
    f.words.assign(static_cast<std::size_t>((f.capacity * kBloomBitsPerKey + 63) / 64), 0);
    filters_.push_back(std::move(f));
  }
  Bloom& f = filters_.back();
  const std::uint64_t h1 = core::mix64(key ^ 0x9E3779B97F4A7C15ULL);
  const std::uint64_t h2 = core::mix64(h1) | 1;
  const auto bits = static_cast<std::uint64_t>(f.words.size()) * 64;
  for (int i = 0; i < kBloomHashes; ++i) {
    const std::uint64_t b = bloom_bit(h1, h2, i, bits);
    f.words[b >> 6] |= std::uint64_t{1} << (b & 63);
  }
  ++f.count;
}

std::int64_t ChangeState::bytes() const {
  std::int64_t out = static_cast<std::int64_t>(sizeof(ChangeState));
  out += static_cast<std::int64_t>(recent_.capacity() * sizeof(Session));
  for (const Session& s : recent_) {
    out += static_cast<std::int64_t>(s.types.capacity() * sizeof(std::uint32_t) +
                                     s.by_first.capacity() * sizeof(s.by_first[0]));
  }
  out += static_cast<std::int64_t>(type_earlier_.capacity() * sizeof(double) +
                                   keys_.capacity() * sizeof(std::uint64_t) +
                                   first_.capacity() * sizeof(std::int32_t));
  for (const Bloom& f : filters_) {
    out += static_cast<std::int64_t>(sizeof(Bloom) + f.words.capacity() * sizeof(std::uint64_t));
  }
  return out;
}

void ChangeState::dump(StateWriter& out) const {
  out.put<std::uint64_t>(recent_.size());
  for (const Session& s : recent_) {
    out.put(s.index);
    out.put(s.start);
    out.put(s.last);
    for (const double v :
         {s.events, s.silence, s.gaps, s.n_gaps, s.values, s.n_values, s.keyed, s.own_new}) {
      out.put(v);
    }
    out.put_array(s.hours, 24);
    out.put_vector(s.types);
    out.put<std::uint64_t>(s.by_first.size());
    for (const auto& [first, count] : s.by_first) {
      out.put(first);
      out.put(count);
    }
  }
  const encode::ChangeSide& e = earlier_;
  for (const double v : {e.events, e.gaps, e.n_gaps, e.sizes, e.n_sessions, e.values, e.n_values,
                         e.new_keys, e.keyed}) {
    out.put(v);
  }
  out.put_array(e.hours, 24);
  out.put_vector(type_earlier_);
  out.put(silences_);
  out.put(n_silences_);
  out.put(first_time_);
  out.put(earlier_last_);
  out.put(next_session_);
  // The item table as it lies (its slots' order decides which filter an old item goes to).
  out.put_vector(keys_);
  out.put_vector(first_);
  out.put(n_keys_);
  out.put(evict_at_);
  out.put<std::uint64_t>(filters_.size());
  for (const Bloom& f : filters_) {
    out.put_vector(f.words);
    out.put(f.count);
    out.put(f.capacity);
  }
}

void ChangeState::load(StateReader& in, const ChangeSetup& setup) {
  const auto n_codes = static_cast<std::uint64_t>(setup.n_codes);
  const std::uint64_t n_sessions = in.get_count(3 * sizeof(std::int64_t));
  recent_.assign(static_cast<std::size_t>(n_sessions), Session());
  for (Session& s : recent_) {
    s.index = in.get<std::int64_t>();
    s.start = in.get<std::int64_t>();
    s.last = in.get<std::int64_t>();
    for (double* v : {&s.events, &s.silence, &s.gaps, &s.n_gaps, &s.values, &s.n_values, &s.keyed,
                      &s.own_new}) {
      *v = in.get<double>();
    }
    in.get_array(s.hours, 24);
    in.get_vector(s.types, n_codes);
    in.expect(s.types.size() == n_codes, "a session's event types are not the store's");
    const std::uint64_t n_first = in.get_count(sizeof(std::int64_t) + sizeof(std::uint32_t));
    s.by_first.resize(static_cast<std::size_t>(n_first));
    for (auto& [first, count] : s.by_first) {
      first = in.get<std::int64_t>();
      count = in.get<std::uint32_t>();
    }
  }
  encode::ChangeSide& e = earlier_;
  for (double* v : {&e.events, &e.gaps, &e.n_gaps, &e.sizes, &e.n_sessions, &e.values, &e.n_values,
                    &e.new_keys, &e.keyed}) {
    *v = in.get<double>();
  }
  in.get_array(e.hours, 24);
  in.get_vector(type_earlier_, n_codes);
  in.expect(type_earlier_.empty() ? e.events == 0.0 : type_earlier_.size() == n_codes,
            "the earlier sessions' event types are not the store's");
  silences_ = in.get<double>();
  n_silences_ = in.get<double>();
  first_time_ = in.get<std::int64_t>();
  earlier_last_ = in.get<std::int64_t>();
  next_session_ = in.get<std::int64_t>();
  in.get_vector(keys_, in.left() / sizeof(std::uint64_t));
  in.get_vector(first_, keys_.size());
  const std::size_t slots = keys_.size();
  in.expect(first_.size() == slots && (slots == 0 || (slots >= 8 && (slots & (slots - 1)) == 0)),
            "an item table of a size no table has");
  std::int64_t used = 0;
  for (const std::int32_t first : first_) {
    in.expect(first >= -1, "an item's first session is negative");
    used += first >= 0;
  }
  n_keys_ = in.get<std::int64_t>();
  in.expect(n_keys_ == used && (slots == 0 || used < static_cast<std::int64_t>(slots)),
            "an item table's count is not its items'");
  evict_at_ = in.get<std::int64_t>();
  const std::uint64_t n_filters = in.get_count(sizeof(std::uint64_t) + 2 * sizeof(std::int64_t));
  filters_.assign(static_cast<std::size_t>(n_filters), Bloom());
  for (Bloom& f : filters_) {
    in.get_vector(f.words, in.left() / sizeof(std::uint64_t));
    f.count = in.get<std::int64_t>();
    f.capacity = in.get<std::int64_t>();
    in.expect(
        f.capacity >= 1 && !f.words.empty() && f.count >= 0 &&
            f.capacity < std::numeric_limits<std::int64_t>::max() / (4 * kBloomBitsPerKey) &&
            f.words.size() == static_cast<std::size_t>((f.capacity * kBloomBitsPerKey + 63) / 64),
        "a Bloom filter's size is not its capacity's");
  }
}

}  // namespace oddseq::stream
