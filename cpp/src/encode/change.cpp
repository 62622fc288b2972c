#include "oddseq/encode/change.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "oddseq/core/check.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::encode {

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kNanosPerHour = 3600 * kNanosPerSecond;
constexpr std::int64_t kNanosPerDay = 24 * kNanosPerHour;
constexpr double kLn2 = 0.69314718055994530942;
// An hour and its two neighbours: the even share of a +-1 h window of the day.
constexpr double kWindowShare = 3.0 / 24.0;

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

inline int local_hour(std::int64_t t, const LocalTime& local) {
  const std::int64_t slot = std::clamp<std::int64_t>(floor_div(t, kNanosPerHour) - local.first_hour,
                                                     0, local.n_hours - 1);
  const std::int64_t local_ns = t + local.utc_offset_s[slot] * kNanosPerSecond;
  return static_cast<int>((local_ns - floor_div(local_ns, kNanosPerDay) * kNanosPerDay) /
                          kNanosPerHour);
}

inline double log_seconds(std::int64_t gap_ns) {
  return std::log1p(static_cast<double>(gap_ns) / static_cast<double>(kNanosPerSecond));
}

inline double signed_log(double v) { return std::copysign(std::log1p(std::fabs(v)), v); }

// Two means of the same quantity, each pulled toward their pooled mean by `prior`
// pseudo-observations: (recent - earlier) / ln 2, the log2 ratio when the quantity is a
// natural log. 0 when either side has no observation.
double smoothed_log2_ratio(double sum_recent, double n_recent, double sum_earlier, double n_earlier,
                           double prior) {
  if (n_recent <= 0 || n_earlier <= 0) return 0.0;
  const double pooled = (sum_recent + sum_earlier) / (n_recent + n_earlier);
  const double recent = (sum_recent + prior * pooled) / (n_recent + prior);
  const double earlier = (sum_earlier + prior * pooled) / (n_earlier + prior);
  return (recent - earlier) / kLn2;
}

// Per-thread scratch: event-type counts of the earlier part and the recent window, the
// types touched, the (key, session) pairs of the items.
struct Scratch {
  std::vector<double> earlier, recent;
  std::vector<std::int32_t> touched;
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;  // (key, session)
};

template <class ItemT>
void one_sequence(const ChangeInput<ItemT>& in, const LocalTime& local, const ChangeParams& p,
                  std::int64_t s, Scratch& scratch, float* row) {
  std::fill_n(row, kChangeWidth, 0.0f);
  row[10] = -1.0f;  // no type rose
  const std::int64_t begin = in.offsets[s], end = in.offsets[s + 1];
  if (end - begin < 2) return;
  const std::int64_t* t = in.times;
  const std::int64_t gap = p.session_gap_ns;
  // The last session: back from the end while the gaps stay within the session gap.
  std::int64_t last = end - 1;
  while (last > begin && t[last] - t[last - 1] <= gap) --last;
  const int hour0 = local_hour(t[last], local);
  row[8] = static_cast<float>(hour0);
  // The recent window: the last session and every earlier one that started within
  // window_ns of the last event.
  std::int64_t r0 = last;
  while (r0 > begin) {
    std::int64_t start = r0 - 1;
    while (start > begin && t[start] - t[start - 1] <= gap) --start;
    if (t[end - 1] - t[start] > p.window_ns) break;
    r0 = start;
  }
  if (r0 == begin) return;  // nothing earlier to compare with

  ChangeCompare c;
  c.last_session_hour = hour0;
  c.earlier_days = change_days(t[r0 - 1] - t[begin]);
  c.items = in.items != nullptr;
  c.values = in.values != nullptr;
  c.earlier.events = static_cast<double>(r0 - begin);
  c.recent.events = static_cast<double>(end - r0);

  // The event-type mix.
  auto& earlier = scratch.earlier;
  auto& recent = scratch.recent;
  auto& touched = scratch.touched;
  touched.clear();
  for (std::int64_t i = begin; i < end; ++i) {  // checked before the scratch is touched
    const std::int32_t e = in.events[i];
    ODDSEQ_CHECK(e >= 0 && e < in.n_event_types, "event code " << e << " out of range");
  }
  for (std::int64_t i = begin; i < end; ++i) {
    const std::int32_t e = in.events[i];
    if (earlier[static_cast<std::size_t>(e)] == 0 && recent[static_cast<std::size_t>(e)] == 0)
      touched.push_back(e);
    (i < r0 ? earlier : recent)[static_cast<std::size_t>(e)] += 1.0;
  }
  std::sort(touched.begin(), touched.end());  // sums in a fixed order
  c.types = touched.data();
  c.n_types = static_cast<std::int64_t>(touched.size());
  c.type_earlier = earlier.data();
  c.type_recent = recent.data();

  // Session by session, in time order: hours, think time, values and sizes summed within
  // each session, then added to its side; the silences between earlier sessions.
  std::int64_t session_begin = begin;
  for (std::int64_t i = begin + 1; i <= end; ++i) {
    if (i < end && t[i] - t[i - 1] <= gap) continue;
    // A session [session_begin, i).
    ChangeSide& side = session_begin >= r0 ? c.recent : c.earlier;
    double gaps = 0.0, n_gaps = 0.0, values = 0.0, n_values = 0.0;
    for (std::int64_t j = session_begin; j < i; ++j) {
      side.hours[local_hour(t[j], local)] += 1.0;
      if (j > session_begin) {
        gaps += log_seconds(t[j] - t[j - 1]);
        n_gaps += 1.0;
      }
      if (in.values != nullptr && std::isfinite(in.values[j])) {
        values += signed_log(in.values[j]);
        n_values += 1.0;
      }
    }
    side.gaps += gaps;
    side.n_gaps += n_gaps;
    side.values += values;
    side.n_values += n_values;
    side.sizes += std::log(static_cast<double>(i - session_begin));
    side.n_sessions += 1.0;
    if (session_begin > begin) {
      const double silence = log_seconds(t[session_begin] - t[session_begin - 1]);
      if (session_begin < r0) {
        c.silences += silence;
        c.n_silences += 1.0;
      } else if (session_begin == r0) {
        c.silence = silence;
      }
    }
    session_begin = i;
  }

  // Items (or categories) never touched before the window, against the earlier
  // sessions' own rate.
  if (in.items != nullptr) {
    // (key, session) of every event with a key, sorted: a key's first session is where
    // it was new. An event of an earlier session (not the first) is new when that is its
    // own session; a recent one, when the key first came in the window. (A sort, not a
    // hash set: 3x faster on short sequences, no allocation per key.)
    auto& pairs = scratch.pairs;
    pairs.clear();
    std::int64_t session = 0, window_session = 0;
    for (std::int64_t i = begin; i < end; ++i) {
      if (i > begin && t[i] - t[i - 1] > gap) ++session;
      if (i == r0) window_session = session;
      const auto item = static_cast<std::int64_t>(in.items[i]);
      if (item < 0) continue;
      std::int64_t key = item;
      if (in.item_category != nullptr) {
        if (item >= in.n_item_codes) continue;
        key = in.item_category[item];
        if (key < 0) continue;
      }
      pairs.emplace_back(key, session);
    }
    std::sort(pairs.begin(), pairs.end());
    std::int64_t first = 0;
    for (std::size_t j = 0; j < pairs.size(); ++j) {
      if (j == 0 || pairs[j].first != pairs[j - 1].first) first = pairs[j].second;
      const std::int64_t k = pairs[j].second;
      if (k == 0) continue;  // everything is new in the first session
      if (k >= window_session) {
        c.recent.new_keys += first >= window_session ? 1.0 : 0.0;
        c.recent.keyed += 1.0;
      } else {
        c.earlier.new_keys += first == k ? 1.0 : 0.0;
        c.earlier.keyed += 1.0;
      }
    }
  }
  change_row(c, p.prior, row);
  for (const std::int32_t e : touched) {
    earlier[static_cast<std::size_t>(e)] = recent[static_cast<std::size_t>(e)] = 0.0;
  }
}

}  // namespace

int change_local_hour(std::int64_t t_ns, const LocalTime& local) { return local_hour(t_ns, local); }

double change_log_seconds(std::int64_t gap_ns) { return log_seconds(gap_ns); }

double change_signed_log(double v) { return signed_log(v); }

double change_days(std::int64_t span_ns) {
  return static_cast<double>(span_ns) / static_cast<double>(kNanosPerDay);
}

void change_row(const ChangeCompare& c, double prior, float* row) {
  std::fill_n(row, kChangeWidth, 0.0f);
  row[10] = -1.0f;  // no type rose
  row[8] = static_cast<float>(c.last_session_hour);
  const double a = prior;
  const double n_recent = c.recent.events, n_earlier = c.earlier.events;
  if (n_earlier <= 0 || n_recent <= 0) return;

  // 0-1: the event-type mix, each side smoothed toward the sequence's whole mix.
  const double n_all = n_recent + n_earlier;
  double divergence = 0.0, lift = 0.0;
  for (std::int64_t j = 0; j < c.n_types; ++j) {
    const std::int32_t e = c.types[j];
    const auto k = static_cast<std::size_t>(e);
    const double whole = (c.type_earlier[k] + c.type_recent[k]) / n_all;
    const double pe = (c.type_earlier[k] + a * whole) / (n_earlier + a);
    const double pr = (c.type_recent[k] + a * whole) / (n_recent + a);
    const double mid = 0.5 * (pe + pr);
    divergence += 0.5 * (pe * std::log2(pe / mid) + pr * std::log2(pr / mid));
    const double rise = std::log2(pr / pe);
    if (rise > lift) {  // the type that rose most (the lowest code on ties), for reasons
      lift = rise;
      row[10] = static_cast<float>(e);
      row[11] = static_cast<float>(c.type_recent[k]);
      row[12] = static_cast<float>(c.type_earlier[k]);
    }
  }
  row[0] = static_cast<float>(std::max(divergence, 0.0));
  row[1] = static_cast<float>(lift);
  row[13] = static_cast<float>(n_recent);
  row[14] = static_cast<float>(n_earlier);
  row[15] = static_cast<float>(c.earlier_days);

  // 2: the hours: each recent event's +-1 h window among the earlier events, by hour.
  const double* by_hour = c.earlier.hours;
  auto near = [&](int h) { return by_hour[(h + 23) % 24] + by_hour[h] + by_hour[(h + 1) % 24]; };
  double rarity = 0.0;
  for (int h = 0; h < 24; ++h) {
    if (c.recent.hours[h] == 0) continue;
    const double share = (near(h) + a * kWindowShare) / (n_earlier + a);
    rarity += c.recent.hours[h] * std::log2(kWindowShare / share);
  }
  row[2] = static_cast<float>(rarity / n_recent);
  row[9] = static_cast<float>(near(c.last_session_hour));

  // 3-5: think time within sessions, the silence before the window, the sessions' sizes.
  row[3] = static_cast<float>(
      smoothed_log2_ratio(c.recent.gaps, c.recent.n_gaps, c.earlier.gaps, c.earlier.n_gaps, a));
  // One pseudo-observation each: a silence or a size is one observation per session.
  row[4] = static_cast<float>(smoothed_log2_ratio(c.silence, 1.0, c.silences, c.n_silences, 1.0));
  row[5] = static_cast<float>(smoothed_log2_ratio(c.recent.sizes, c.recent.n_sessions,
                                                  c.earlier.sizes, c.earlier.n_sessions, 1.0));

  // 6: keys never touched before the window against the earlier sessions' own rate.
  if (c.items && c.recent.keyed > 0) {
    const double pooled =
        (c.recent.new_keys + c.earlier.new_keys) / (c.recent.keyed + c.earlier.keyed);
    const double recent_rate = (c.recent.new_keys + a * pooled) / (c.recent.keyed + a);
    const double earlier_rate = (c.earlier.new_keys + a * pooled) / (c.earlier.keyed + a);
    row[6] = static_cast<float>(recent_rate - earlier_rate);
  }

  // 7: values (prices) in the window against earlier ones.
  if (c.values) {
    row[7] = static_cast<float>(smoothed_log2_ratio(c.recent.values, c.recent.n_values,
                                                    c.earlier.values, c.earlier.n_values, a));
  }
}

template <class ItemT>
void change_features(const ChangeInput<ItemT>& input, const LocalTime& local,
                     const ChangeParams& params, int n_threads, float* out) {
  ODDSEQ_CHECK(input.times != nullptr, "change features need times");
  ODDSEQ_CHECK(local.n_hours >= 1 && local.utc_offset_s != nullptr, "empty time zone table");
  ODDSEQ_CHECK(params.session_gap_ns > 0, "session gap must be positive");
  ODDSEQ_CHECK(params.prior > 0 && std::isfinite(params.prior), "prior must be positive");
  ODDSEQ_CHECK(input.n_event_types >= 0, "n_event_types must be >= 0");
  const auto width = static_cast<std::size_t>(input.n_event_types);
  core::parallel_for_dynamic(
      input.n_sequences, n_threads,
      [&](std::int64_t s) {
        static thread_local Scratch scratch;
        if (scratch.earlier.size() < width) {
          scratch.earlier.assign(width, 0.0);
          scratch.recent.assign(width, 0.0);
        }
        one_sequence(input, local, params, s, scratch, out + s * kChangeWidth);
      },
      /*chunk=*/64);
}

template void change_features<std::int32_t>(const ChangeInput<std::int32_t>&, const LocalTime&,
                                            const ChangeParams&, int, float*);
template void change_features<std::int64_t>(const ChangeInput<std::int64_t>&, const LocalTime&,
                                            const ChangeParams&, int, float*);

}  // namespace oddseq::encode
