#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>

#include "common.hpp"
#include "oddseq/core/hash.hpp"
#include "oddseq/stream/change_state.hpp"
#include "oddseq/stream/entity_store.hpp"
#include "oddseq/stream/lines.hpp"
#include "oddseq/stream/model.hpp"

namespace oddseq::bindings {

namespace {

using stream::EntityStore;
using stream::Model;

template <class T>
std::vector<T> vec(const CArray<T>& array) {
  return std::vector<T>(array.data(), array.data() + array.size());
}

// The model's members and settings (stream::Member, stream::ModelParams), keyword-
// constructible; the model checks every size against its feature count when it is made.
template <class T>
std::vector<T> vec_or_empty(const std::optional<CArray<T>>& array) {
  return array ? vec(*array) : std::vector<T>();
}

stream::Member kmeans_member(const CArray<float>& centers, const CArray<std::uint8_t>& large,
                             const std::optional<CArray<double>>& spread) {
  stream::Member m;
  m.kind = stream::MemberKind::kKMeans;
  m.centers = vec(centers);
  m.large = vec(large);
  m.spread = vec_or_empty(spread);
  return m;
}

stream::Member pca_member(const CArray<double>& mean, const CArray<double>& components,
                          const CArray<double>& variance, bool t2,
                          const std::optional<CArray<double>>& spread) {
  stream::Member m;
  m.kind = stream::MemberKind::kPCA;
  m.mean = vec(mean);
  m.components = vec(components);
  m.variance = vec(variance);
  m.t2 = t2;
  m.spread = vec_or_empty(spread);
  return m;
}

stream::Member robust_z_member(const CArray<double>& median, const CArray<double>& scale,
                               const CArray<double>& q1, const CArray<double>& q3,
                               const CArray<double>& iqr, double z, double fence) {
  stream::Member m;
  m.kind = stream::MemberKind::kRobustZ;
  m.median = vec(median);
  m.scale = vec(scale);
  m.q1 = vec(q1);
  m.q3 = vec(q3);
  m.iqr = vec(iqr);
  m.z = z;
  m.fence = fence;
  return m;
}

const char* member_kind(const stream::Member& m) {
  switch (m.kind) {
    case stream::MemberKind::kKMeans:
      return "kmeans";
    case stream::MemberKind::kPCA:
      return "pca";
    case stream::MemberKind::kRobustZ:
      return "robust_z";
  }
  return "";
}

constexpr const char* kCombineNames[] = {"single", "mean", "max"};

stream::ModelParams make_model_params(
    const CArray<std::int64_t>& columns, const CArray<std::int8_t>& evidence,
    const CArray<double>& shrink_to, double prior, bool log_signed, const CArray<double>& z_mean,
    const CArray<double>& z_scale, std::vector<stream::Member> members, double threshold,
    const std::string& combine, const std::optional<CArray<double>>& centre,
    const std::optional<CArray<double>>& spread,
    const std::optional<CArray<std::uint8_t>>& explain_with, std::int64_t min_events,
    const std::optional<CArray<double>>& support_low,
    const std::optional<CArray<double>>& support_high, double support_floor, std::int64_t valued,
    std::int64_t items) {
  stream::ModelParams params;
  params.columns = vec(columns);
  params.evidence = vec(evidence);
  params.valued = valued;
  params.items = items;
  params.shrink_to = vec(shrink_to);
  params.prior = prior;
  params.log_signed = log_signed;
  params.z_mean = vec(z_mean);
  params.z_scale = vec(z_scale);
  params.members = std::move(members);
  const auto* name = std::find(std::begin(kCombineNames), std::end(kCombineNames), combine);
  if (name == std::end(kCombineNames)) {
    throw std::invalid_argument("combine must be 'single', 'mean' or 'max', got '" + combine + "'");
  }
  params.combine = static_cast<stream::Combine>(name - std::begin(kCombineNames));
  params.centre = vec_or_empty(centre);
  params.spread = vec_or_empty(spread);
  params.explain_with = vec_or_empty(explain_with);
  params.threshold = threshold;
  params.min_events = min_events;
  params.support_low = vec_or_empty(support_low);
  params.support_high = vec_or_empty(support_high);
  params.support_floor = support_floor;
  return params;
}

// An id as pandas' hash_array keys it in a column: Python ints within int64 by value,
// text (and larger ints, by their decimal text) as UTF-8; a key already hashed passes
// through. Anything else is the Python layer's to hash.
std::uint64_t id_key(py::handle id, bool is_key) {
  PyObject* object = id.ptr();
  if (is_key) return id.cast<std::uint64_t>();
  if (PyLong_Check(object)) {
    int overflow = 0;
    const long long value = PyLong_AsLongLongAndOverflow(object, &overflow);
    if (overflow == 0) {
      if (value == -1 && PyErr_Occurred()) throw py::error_already_set();
      return core::pandas_hash_int64(value);
    }
    const py::str text(id);
    return id_key(text, false);
  }
  if (PyUnicode_Check(object)) {
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(object, &size);
    if (data == nullptr) throw py::error_already_set();
    return core::pandas_hash_text(data, static_cast<std::size_t>(size));
  }
  throw py::type_error("ids given one at a time must be int or str (got " +
                       std::string(py::str(py::type::handle_of(id).attr("__name__"))) + ")");
}

// The store's settings (stream::StoreParams), keyword-constructible; the store checks
// them when it is made.
stream::StoreParams make_store_params(
    const CArray<std::int32_t>& column_of_code, std::int64_t n_columns, bool has_times,
    bool has_items, bool has_values, std::int32_t view, std::int32_t cart, std::int32_t fav,
    std::int32_t buy, std::int64_t max_exact_items, std::int64_t lateness_ns,
    std::int64_t max_late_events, std::int64_t ttl_ns, std::int64_t max_entities,
    const std::optional<encode::ChangeParams>& recent_change,
    const std::optional<CArray<std::int64_t>>& utc_offset_s, std::int64_t first_hour) {
  if (column_of_code.ndim() != 1) throw std::invalid_argument("column_of_code must be 1-D");
  stream::StoreParams params;
  params.column_of_code = vec(column_of_code);
  params.n_columns = n_columns;
  params.has_times = has_times;
  params.has_items = has_items;
  params.has_values = has_values;
  params.funnel = stream::Funnel{view, cart, fav, buy};
  params.max_exact_items = max_exact_items;
  params.lateness_ns = lateness_ns;
  params.max_late_events = max_late_events;
  params.ttl_ns = ttl_ns;
  params.max_entities = max_entities;
  params.recent_change = recent_change.has_value();
  if (recent_change) params.change = *recent_change;
  if (utc_offset_s) {
    if (utc_offset_s->ndim() != 1 || utc_offset_s->size() < 1) {
      throw std::invalid_argument("utc_offset_s must be 1-D with at least one entry");
    }
    params.utc_offset_s = vec(*utc_offset_s);
  }
  params.first_hour = first_hour;
  return params;
}

// What the store's bindings return to Python: read-only records read by name, not
// tuples read by position. Arrays are NumPy arrays the record owns.
struct StreamApplied {
  py::array status;      // per event: what became of it (uint8, EntityStore::update)
  py::array touched;     // the entities it updated, in first-touch order (uint64 keys)
  py::array first_rows;  // the batch row that first touched each (int64)
};

struct StreamScores {
  py::array score;   // per entity (float64; NaN when unscored)
  py::array length;  // its events so far (int64)
  py::array flags;   // stream::ScoreFlags bits (uint8)
};

// update_scored: what was applied, then the touched entities' scores.
struct StreamScored {
  StreamApplied applied;
  StreamScores scores;
};

struct StreamFeatures {
  py::array rows;         // n x feature_width float32
  py::array length;       // int64
  py::array found;        // uint8: 1 when tracked (else the row is zeros)
  py::array approximate;  // uint8: 1 when the item columns come from the sketch
};

struct StreamExplanation {
  py::array columns;    // n x top int64: the features that stand out most
  py::array typical;    // n x top float64: their typical values
  py::array share;      // n x top float64: of the row's total contribution
  py::array deviation;  // n x top float64: from typical, in the detector's spread
  py::array value;      // n x top float64: the scaled values
  py::array cluster;    // n x top int64: the K-means reference cluster, -1 for none
  py::array member;     // n x top int64: the member that explains (its index), -1 for none
  py::array found;      // uint8: 1 when tracked
};

StreamApplied update(EntityStore& store, const CArray<std::uint64_t>& entity,
                     const CArray<std::int32_t>& code,
                     const std::optional<CArray<std::int64_t>>& time,
                     const std::optional<CArray<std::uint64_t>>& item,
                     const std::optional<CArray<std::uint8_t>>& item_present,
                     const std::optional<CArray<double>>& value) {
  const std::int64_t n = entity.size();
  auto same = [n](std::int64_t size, const char* what) {
    if (size != n) {
      throw std::invalid_argument(std::string(what) + " has a different length than entity");
    }
  };
  same(code.size(), "code");
  if (time) same(time->size(), "time");
  if (item) same(item->size(), "item");
  if (item.has_value() != item_present.has_value()) {
    throw std::invalid_argument("item and item_present go together");
  }
  if (item_present) same(item_present->size(), "item_present");
  if (value) same(value->size(), "value");
  stream::EventBatch batch{n,
                           entity.data(),
                           code.data(),
                           data_or_null(time),
                           data_or_null(item),
                           data_or_null(item_present),
                           data_or_null(value)};
  std::vector<std::uint8_t> status(static_cast<std::size_t>(n));
  std::vector<std::uint64_t> touched;
  std::vector<std::int64_t> first_rows;
  {
    py::gil_scoped_release release;  // sequential state updates; no Python objects touched
    store.update(batch, status.data(), touched, &first_rows);
  }
  return {to_numpy(std::move(status)), to_numpy(std::move(touched)),
          to_numpy(std::move(first_rows))};
}

StreamFeatures features(const EntityStore& store, const CArray<std::uint64_t>& keys,
                        std::int64_t n_columns) {
  const std::int64_t n = keys.size();
  const std::int64_t width = stream::feature_width(n_columns);
  std::vector<float> out(static_cast<std::size_t>(n * width));
  std::vector<std::int64_t> length(static_cast<std::size_t>(n));
  std::vector<std::uint8_t> found(static_cast<std::size_t>(n)), approx(static_cast<std::size_t>(n));
  {
    py::gil_scoped_release release;  // reads the state only
    store.features(keys.data(), n, out.data(), length.data(), found.data(), approx.data());
  }
  return {to_numpy_2d(std::move(out), n, width), to_numpy(std::move(length)),
          to_numpy(std::move(found)), to_numpy(std::move(approx))};
}

py::array change_facts(const EntityStore& store, const CArray<std::uint64_t>& keys) {
  const std::int64_t n = keys.size();
  std::vector<float> out(static_cast<std::size_t>(n * stream::kChangeFacts));
  {
    py::gil_scoped_release release;  // reads the state only
    store.change_facts(keys.data(), n, out.data());
  }
  return to_numpy_2d(std::move(out), n, stream::kChangeFacts);
}

void set_alerted(EntityStore& store, const CArray<std::uint64_t>& keys, bool value) {
  py::gil_scoped_release release;  // plain state writes
  store.set_alerted(keys.data(), keys.size(), value ? 1 : 0);
}

py::array_t<std::uint8_t> alerted(const EntityStore& store, const CArray<std::uint64_t>& keys) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(keys.size()));
  {
    py::gil_scoped_release release;  // reads the state only
    store.alerted(keys.data(), keys.size(), out.data());
  }
  return to_numpy(std::move(out));
}

py::dict counters(const EntityStore& store) {
  const stream::StoreCounters& c = store.counters();
  py::dict out;
  out["n_events"] = c.events;
  out["n_late_accepted"] = c.late_accepted;
  out["n_late_dropped"] = c.late_dropped;
  out["n_late_beyond_kept"] = c.late_beyond_kept;
  out["n_evicted_ttl"] = c.evicted_ttl;
  out["n_evicted_cap"] = c.evicted_cap;
  out["n_entities"] = store.size();
  return out;
}

StreamScores score(EntityStore& store, const Model& model, const CArray<std::uint64_t>& keys) {
  const std::int64_t n = keys.size();
  std::vector<double> out(static_cast<std::size_t>(n));
  std::vector<std::int64_t> length(static_cast<std::size_t>(n));
  std::vector<std::uint8_t> flags(static_cast<std::size_t>(n));
  {
    py::gil_scoped_release release;  // reads the state, writes the alert marks
    stream::score_entities(store, model, keys.data(), n, out.data(), length.data(), flags.data());
  }
  return {to_numpy(std::move(out)), to_numpy(std::move(length)), to_numpy(std::move(flags))};
}

StreamScored update_scored(EntityStore& store, const Model& model,
                           const CArray<std::uint64_t>& entity, const CArray<std::int32_t>& code,
                           const std::optional<CArray<std::int64_t>>& time,
                           const std::optional<CArray<std::uint64_t>>& item,
                           const std::optional<CArray<std::uint8_t>>& item_present,
                           const std::optional<CArray<double>>& value) {
  StreamApplied applied = update(store, entity, code, time, item, item_present, value);
  StreamScores scores = score(store, model, applied.touched.cast<CArray<std::uint64_t>>());
  return {std::move(applied), std::move(scores)};
}

StreamExplanation explain(const EntityStore& store, const Model& model,
                          const CArray<std::uint64_t>& keys, std::int64_t top) {
  const std::int64_t n = keys.size();
  if (top < 1 || top > model.n_features()) {
    throw std::invalid_argument("top must be in [1, " + std::to_string(model.n_features()) + "]");
  }
  const auto size = static_cast<std::size_t>(n * top);
  std::vector<std::int64_t> columns(size), cluster(size), member(size);
  std::vector<double> typical(size), share(size), deviation(size), value(size);
  std::vector<std::uint8_t> found(static_cast<std::size_t>(n));
  {
    py::gil_scoped_release release;  // reads the state only
    stream::explain_entities(store, model, keys.data(), n, top,
                             {columns.data(), typical.data(), share.data(), deviation.data(),
                              value.data(), cluster.data(), member.data()},
                             found.data());
  }
  return {to_numpy_2d(std::move(columns), n, top), to_numpy_2d(std::move(typical), n, top),
          to_numpy_2d(std::move(share), n, top),   to_numpy_2d(std::move(deviation), n, top),
          to_numpy_2d(std::move(value), n, top),   to_numpy_2d(std::move(cluster), n, top),
          to_numpy_2d(std::move(member), n, top),  to_numpy(std::move(found))};
}

// One event into the store, as EntityStore::update_one. The event itself is kept under
// the GIL: it takes about a microsecond, and releasing the GIL once per event would hand
// it to any other busy Python thread (a background refit) for up to its switch interval
// each time. The idle sweep that falls due now and then walks the whole state: the GIL
// is released for it.
void apply_one(EntityStore& store, std::uint64_t key, std::int32_t code, std::int64_t time,
               std::uint64_t item, bool item_present, double value) {
  store.apply_one(key, code, time, item, item_present, value);
  if (store.sweep_due()) {
    py::gil_scoped_release release;  // a walk over the state; no Python objects touched
    store.sweep();
  }
}

// One event, scored when a model is given: (score, is_anomaly, new, None, length), the
// fields of the Python StreamEvent (its reason left to Python); without a model, a NaN
// score.
py::tuple update_one(EntityStore& store, py::handle entity, bool entity_is_key, std::int32_t code,
                     std::int64_t time, py::handle item, bool item_is_key, double value,
                     const Model* model) {
  const std::uint64_t key = id_key(entity, entity_is_key);
  const bool has_item = !item.is_none();
  const std::uint64_t item_key = has_item ? id_key(item, item_is_key) : 0;
  if (code < 0) throw std::out_of_range("event code must be >= 0");
  apply_one(store, key, code, time, item_key, has_item, value);
  double score = std::numeric_limits<double>::quiet_NaN();
  std::int64_t length = 0;
  std::uint8_t flags = 0;
  if (model != nullptr) {
    stream::score_entities(store, *model, &key, 1, &score, &length, &flags);
  }
  return py::make_tuple(score, (flags & stream::kAbove) != 0, (flags & stream::kNewAlert) != 0,
                        py::none(), length);
}

// How fields become an event (stream::LineEvents), shared by update_one's path and the
// line reader: labels classified as the scorer keeps them (str or int; anything else
// leaves every event with an event field to the Python path).
stream::LineEvents make_event_params(const py::list& labels, std::int32_t other_code,
                                     bool has_event, bool has_times, bool has_items,
                                     bool has_values, std::int64_t time_factor,
                                     bool unseen_to_caller) {
  if (other_code < 0) throw std::invalid_argument("other_code must be >= 0");
  if (time_factor < 1) throw std::invalid_argument("time_factor must be >= 1");
  stream::LineEvents events;
  for (const py::handle label : labels) {
    const bool is_text = PyUnicode_Check(label.ptr());
    const bool is_int = !is_text && PyLong_Check(label.ptr());
    events.text_labels.push_back(is_text ? label.cast<std::string>() : std::string());
    events.int_labels.push_back(is_int ? label.cast<std::int64_t>() : 0);
    events.label_is_int.push_back(is_int ? 1 : 0);
    events.other_labels = events.other_labels || (!is_text && !is_int);
  }
  events.other_code = other_code;
  events.has_event = has_event;
  events.has_times = has_times;
  events.has_items = has_items;
  events.has_values = has_values;
  events.time_factor = time_factor;
  events.unseen_to_caller = unseen_to_caller;
  return events;
}

// StreamScorer.update_one's conversions for the plain values it is mostly given (ids and
// event types as int or str, times as int or float, values as float or int, None where
// absent), then the store's update and the model's score: the whole event in one call.
// Anything else (a missing value, a timestamp, a float id) returns None: the Python
// layer's general path takes it.
class OneEvent {
 public:
  OneEvent(EntityStore& store, const Model& model, const stream::LineEvents& events)
      : store_(store),
        model_(model),
        codes_(events),
        other_code_(events.other_code),
        numeric_labels_(codes_.any_int() || events.other_labels),
        general_labels_(events.other_labels),  // float labels: looked up by the Python path
        has_event_(events.has_event),
        has_times_(events.has_times),
        has_items_(events.has_items),
        has_values_(events.has_values),
        factor_(events.time_factor) {}

  py::object operator()(py::handle entity, py::handle event, py::handle time, py::handle item,
                        py::handle value) {
    std::uint64_t key = 0, item_key = 0;
    if (!id(entity, key)) return py::none();
    std::int32_t code = 0;
    if (has_event_) {
      if (general_labels_) return py::none();
      if (PyUnicode_Check(event.ptr())) {
        Py_ssize_t size = 0;
        const char* data = PyUnicode_AsUTF8AndSize(event.ptr(), &size);
        if (data == nullptr) return fail();
        code = codes_.of_text(std::string_view(data, static_cast<std::size_t>(size)));
        if (code < 0) {
          if (numeric_labels_) return py::none();  // a number as text: the Python path's
          code = other_code_;
        }
      } else if (PyLong_CheckExact(event.ptr())) {
        int overflow = 0;
        const long long v = PyLong_AsLongLongAndOverflow(event.ptr(), &overflow);
        if (overflow != 0) return py::none();
        code = codes_.of_int(v);
        if (code < 0) code = other_code_;
      } else {
        return py::none();
      }
    } else if (!event.is_none()) {
      return py::none();
    }
    std::int64_t ns = 0;
    if (has_times_) {
      if (PyLong_CheckExact(time.ptr())) {
        int overflow = 0;
        const long long t = PyLong_AsLongLongAndOverflow(time.ptr(), &overflow);
        const long long limit = std::numeric_limits<std::int64_t>::max() / factor_;
        if (overflow != 0 || t > limit || t < -limit) return py::none();
        ns = t * factor_;
      } else if (PyFloat_CheckExact(time.ptr())) {
        const double t = PyFloat_AS_DOUBLE(time.ptr()) * static_cast<double>(factor_);
        // Below 2^63 in magnitude, half to even as np.rint (NaN fails the test).
        if (!(std::abs(t) < 9.2e18)) return py::none();
        ns = static_cast<std::int64_t>(std::nearbyint(t));
      } else {
        return py::none();
      }
    } else if (!time.is_none()) {
      return py::none();
    }
    const bool present = !item.is_none();
    if (present && (!has_items_ || !id(item, item_key))) return py::none();
    double number = std::numeric_limits<double>::quiet_NaN();
    if (!value.is_none()) {
      if (!has_values_) return py::none();
      if (PyFloat_CheckExact(value.ptr())) {
        number = PyFloat_AS_DOUBLE(value.ptr());
      } else if (PyLong_CheckExact(value.ptr())) {
        number = PyLong_AsDouble(value.ptr());
        if (number == -1.0 && PyErr_Occurred()) return fail();
      } else {
        return py::none();
      }
    }
    apply_one(store_, key, code, ns, item_key, present, number);
    double score = 0.0;
    std::int64_t length = 0;
    std::uint8_t flags = 0;
    stream::score_entities(store_, model_, &key, 1, &score, &length, &flags);
    return py::make_tuple(score, (flags & stream::kAbove) != 0, (flags & stream::kNewAlert) != 0,
                          py::none(), length);
  }

 private:
  // int (within int64) and str ids hashed as pandas hashes a column of them.
  static bool id(py::handle value, std::uint64_t& key) {
    PyObject* object = value.ptr();
    if (PyLong_Check(object)) {
      int overflow = 0;
      const long long v = PyLong_AsLongLongAndOverflow(object, &overflow);
      if (overflow != 0) return false;
      key = core::pandas_hash_int64(v);
      return true;
    }
    if (PyUnicode_Check(object)) {
      Py_ssize_t size = 0;
      const char* data = PyUnicode_AsUTF8AndSize(object, &size);
      if (data == nullptr) {
        PyErr_Clear();
        return false;  // not encodable: the Python path raises pandas' error
      }
      key = core::pandas_hash_text(data, static_cast<std::size_t>(size));
      return true;
    }
    return false;
  }

  static py::object fail() {
    PyErr_Clear();
    return py::none();
  }

  EntityStore& store_;
  const Model& model_;
  const stream::EventCodes codes_;
  std::int32_t other_code_;
  bool numeric_labels_, general_labels_;
  bool has_event_, has_times_, has_items_, has_values_;
  std::int64_t factor_;
};

// Where the roles are in a line (stream::LineFormat); the reader checks it when made.
stream::LineFormat make_line_format(const std::string& sep, std::int64_t n_fields,
                                    std::int64_t entity, std::int64_t event, std::int64_t time,
                                    std::int64_t item, std::int64_t value, bool json,
                                    const std::vector<std::string>& keys) {
  if (sep.size() != 1) throw std::invalid_argument("sep must be one character");
  return {sep[0], n_fields, entity, event, time, item, value, json, keys};
}

// What LineFeed::feed returns to Python: a read-only record read by name.
struct LineFeedRun {
  std::int32_t stop = 0;    // 0 every line read, 1 stopped after alerts, 2 a line left
  std::int64_t offset = 0;  // where the next read starts
  std::int64_t lines = 0;   // lines read
  py::array key, score;     // per new alert (uint64, float64)
  py::array length, line;   // its entity's length, the lines read up to its own (int64)
  py::array entity_begin;   // its id's field in the data, as written (int64)
  py::array entity_end;
  py::list entities;                  // its id as text (bytes, UTF-8: quotes and escapes undone)
  py::array rows;                     // n x feature_width float32: the entity right after it
  py::array columns;                  // n x top int64: the explanation's columns
  py::array typical;                  // n x top float64: and typical values
  py::array share, deviation, value;  // n x top float64: as StreamExplanation's
  py::array cluster, member;          // n x top int64: as StreamExplanation's
  py::array facts;                    // n x kChangeFacts float32 with recent_change, n x 0 without
};

// LineFeed::feed over a bytes object's complete lines from offset.
LineFeedRun feed_lines(const stream::LineFeed& feed, EntityStore& store, const Model& model,
                       const py::bytes& data, std::int64_t offset, std::int64_t top,
                       std::int64_t gather_ns) {
  char* buffer = nullptr;
  Py_ssize_t size = 0;
  if (PyBytes_AsStringAndSize(data.ptr(), &buffer, &size) != 0) throw py::error_already_set();
  stream::LineFeedResult out;
  {
    // A loop over many lines; the bytes stay alive (the caller holds them), no other
    // Python object is touched.
    py::gil_scoped_release release;
    out = feed.feed(store, model, buffer, static_cast<std::int64_t>(size), offset, top, gather_ns);
  }
  stream::LineAlerts& a = out.alerts;
  const auto n = static_cast<std::int64_t>(a.key.size());
  const std::int64_t width = stream::feature_width(store.n_columns());
  py::list entities(static_cast<std::size_t>(n));
  std::int64_t from = 0;
  for (std::int64_t k = 0; k < n; ++k) {
    const std::int64_t to = a.entity_ends[static_cast<std::size_t>(k)];
    entities[static_cast<std::size_t>(k)] =
        py::bytes(a.entities.data() + from, static_cast<std::size_t>(to - from));
    from = to;
  }
  return {static_cast<std::int32_t>(out.stop),
          out.offset,
          out.lines,
          to_numpy(std::move(a.key)),
          to_numpy(std::move(a.score)),
          to_numpy(std::move(a.length)),
          to_numpy(std::move(a.line)),
          to_numpy(std::move(a.entity_begin)),
          to_numpy(std::move(a.entity_end)),
          std::move(entities),
          to_numpy_2d(std::move(a.rows), n, width),
          to_numpy_2d(std::move(a.columns), n, top),
          to_numpy_2d(std::move(a.typical), n, top),
          to_numpy_2d(std::move(a.share), n, top),
          to_numpy_2d(std::move(a.deviation), n, top),
          to_numpy_2d(std::move(a.value), n, top),
          to_numpy_2d(std::move(a.cluster), n, top),
          to_numpy_2d(std::move(a.member), n, top),
          to_numpy_2d(std::move(a.facts), n, store.has_change() ? stream::kChangeFacts : 0)};
}

std::int64_t memory_bytes(const EntityStore& store) {
  py::gil_scoped_release release;  // a walk over the state
  return store.memory_bytes();
}

std::int64_t evict_idle(EntityStore& store, std::int64_t now_ns) {
  py::gil_scoped_release release;  // a walk over the state
  return store.evict_idle(now_ns);
}

// The store's whole state as bytes (EntityStore::dump_into): what pickle and copy keep
// of it, so a stream can be checkpointed and resumed. Written straight into the bytes
// object, sized first: the state is held once, not built aside and copied.
py::bytes store_state(const EntityStore& store) {
  std::size_t size = 0;
  {
    py::gil_scoped_release release;  // a walk over the state that only counts
    size = store.dump_size();
  }
  PyObject* raw = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(size));
  if (raw == nullptr) throw py::error_already_set();
  auto out = py::reinterpret_steal<py::bytes>(raw);
  char* data = PyBytes_AS_STRING(raw);
  {
    py::gil_scoped_release release;  // fills the new bytes, which only this call holds
    store.dump_into(data, size);
  }
  return out;
}

// A store from its state's bytes (EntityStore::load): a ValueError saying why for bytes
// that are not a whole state of this format.
std::unique_ptr<EntityStore> store_from_state(const py::bytes& state) {
  char* data = nullptr;
  Py_ssize_t size = 0;
  if (PyBytes_AsStringAndSize(state.ptr(), &data, &size) != 0) throw py::error_already_set();
  py::gil_scoped_release release;  // reads the bytes only (the caller holds them)
  return EntityStore::load(data, static_cast<std::size_t>(size));
}

}  // namespace

std::uint64_t hash_id(py::handle id) { return id_key(id, false); }

// Keys of an object array of str, as pandas hashes them (the ids of a text column); a
// TypeError names the first element that is not str (the caller then takes pandas'
// path, which hashes anything by its text).
py::array_t<std::uint64_t> hash_texts(const py::array& values) {
  if (values.dtype().kind() != 'O' || values.ndim() != 1) {
    throw py::type_error("hash_texts takes a 1-d object array");
  }
  const auto n = static_cast<std::size_t>(values.shape(0));
  const auto stride = values.strides(0) / static_cast<py::ssize_t>(sizeof(PyObject*));
  const auto* items = static_cast<PyObject* const*>(values.data());
  std::vector<std::uint64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) {
    PyObject* object = items[static_cast<py::ssize_t>(i) * stride];
    if (!PyUnicode_Check(object)) {
      throw py::type_error("element " + std::to_string(i) + " is not str");
    }
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(object, &size);
    if (data == nullptr) throw py::error_already_set();
    keys[i] = core::pandas_hash_text(data, static_cast<std::size_t>(size));
  }
  return to_numpy(std::move(keys));
}

void register_stream(py::module_& m) {
  using stream::Member;
  using stream::ModelParams;
  py::class_<Member>(m, "StreamMember",
                     "One detector of a StreamModel, as fitted: K-means (centers k x d "
                     "float32, flattened, and which clusters are large), PCA (mean, "
                     "components k x d flattened, their variances; Hotelling's T^2 or SPE) or "
                     "robust z (per-feature median, scale, quartiles, IQR; the z and fence "
                     "rules), told apart by the keywords given. K-means' and PCA's spread "
                     "(k x d flattened, d): the detector's explanation scale its deviations "
                     "are measured in (none: NaN deviations).")
      .def(py::init(&kmeans_member), py::kw_only(), py::arg("centers").noconvert(),
           py::arg("large").noconvert(), py::arg("spread").noconvert() = py::none())
      .def(py::init(&pca_member), py::kw_only(), py::arg("mean").noconvert(),
           py::arg("components").noconvert(), py::arg("variance").noconvert(), py::arg("t2"),
           py::arg("spread").noconvert() = py::none())
      .def(py::init(&robust_z_member), py::kw_only(), py::arg("median").noconvert(),
           py::arg("scale").noconvert(), py::arg("q1").noconvert(), py::arg("q3").noconvert(),
           py::arg("iqr").noconvert(), py::arg("z"), py::arg("fence"))
      .def_property_readonly("kind", &member_kind);
  py::class_<ModelParams>(m, "StreamModelParams",
                          "A fitted AnomalyPipeline's scoring of one store row: which columns "
                          "are its features, the evidence shrinkage, the signed log and "
                          "standard scaling, the detector's members and how they combine "
                          "(single, or the ensemble's z-normalised mean / max with a centre "
                          "and spread per member), the threshold, min_events and the support "
                          "range (none when empty) with the score a row outside it must exceed "
                          "to alert (support_floor; -inf: any).")
      .def(py::init(&make_model_params), py::kw_only(), py::arg("columns").noconvert(),
           py::arg("evidence").noconvert(), py::arg("shrink_to").noconvert(), py::arg("prior"),
           py::arg("log_signed"), py::arg("z_mean").noconvert(), py::arg("z_scale").noconvert(),
           py::arg("members"), py::arg("threshold"), py::arg("combine") = "single",
           py::arg("centre").noconvert() = py::none(), py::arg("spread").noconvert() = py::none(),
           py::arg("explain_with").noconvert() = py::none(), py::arg("min_events") = 1,
           py::arg("support_low").noconvert() = py::none(),
           py::arg("support_high").noconvert() = py::none(),
           py::arg("support_floor") = -std::numeric_limits<double>::infinity(),
           py::arg("valued") = -1, py::arg("items") = -1)
      .def_property_readonly(
          "columns",
          [](const ModelParams& p) { return to_numpy(std::vector<std::int64_t>(p.columns)); })
      .def_readonly("prior", &ModelParams::prior)
      .def_readonly("log_signed", &ModelParams::log_signed)
      .def_readonly("members", &ModelParams::members)
      .def_property_readonly(
          "combine",
          [](const ModelParams& p) { return kCombineNames[static_cast<int>(p.combine)]; })
      .def_readonly("threshold", &ModelParams::threshold)
      .def_readonly("min_events", &ModelParams::min_events)
      .def_readonly("support_floor", &ModelParams::support_floor)
      .def_readonly("valued", &ModelParams::valued)
      .def_readonly("items", &ModelParams::items);
  py::class_<Model>(m, "StreamModel",
                    "A fitted AnomalyPipeline's scaling and default detectors, per entity row "
                    "(oddseq.stream).")
      .def(py::init<ModelParams>(), py::arg("params"))
      .def_property_readonly("n_features", &Model::n_features);
  using stream::LineEvents;
  py::class_<LineEvents>(m, "StreamEventParams",
                         "How an event's fields become an event in the stream (update_one's "
                         "path and the line reader): the event labels (code = position; str "
                         "or int, any other kind leaves every event to the Python path), "
                         "the code of labels not among them (or, the line reader's "
                         "unseen_to_caller, their lines left to the caller), which roles the "
                         "events have, and the time unit in ns.")
      .def(py::init(&make_event_params), py::kw_only(), py::arg("labels"), py::arg("other_code"),
           py::arg("has_event"), py::arg("has_times"), py::arg("has_items"), py::arg("has_values"),
           py::arg("time_factor") = 1, py::arg("unseen_to_caller") = false)
      .def_property_readonly("n_labels", [](const LineEvents& e) { return e.label_is_int.size(); })
      .def_readonly("other_code", &LineEvents::other_code)
      .def_readonly("has_event", &LineEvents::has_event)
      .def_readonly("has_times", &LineEvents::has_times)
      .def_readonly("has_items", &LineEvents::has_items)
      .def_readonly("has_values", &LineEvents::has_values)
      .def_readonly("time_factor", &LineEvents::time_factor)
      .def_readonly("unseen_to_caller", &LineEvents::unseen_to_caller);
  py::class_<OneEvent>(m, "StreamOneEvent",
                       "update_one's path for plain values (oddseq.stream); None: not taken.")
      .def(py::init<EntityStore&, const Model&, const LineEvents&>(), py::arg("store"),
           py::arg("model"), py::arg("events"), py::keep_alive<1, 2>(), py::keep_alive<1, 3>())
      .def("__call__", &OneEvent::operator(), py::arg("entity"), py::arg("event"), py::arg("time"),
           py::arg("item"), py::arg("value"));
  using stream::LineFormat;
  py::class_<LineFormat>(m, "StreamLineFormat",
                         "Where the roles are in a line: CSV fields split on sep (n_fields "
                         "per line, the field of each role, -1 where the stream has none) or, "
                         "with json, the keys of a JSON object's roles (entity, event, time, "
                         "item, value; the field numbers then only say which roles it has: "
                         ">= 0).")
      .def(py::init(&make_line_format), py::kw_only(), py::arg("sep"), py::arg("n_fields"),
           py::arg("entity"), py::arg("event") = -1, py::arg("time") = -1, py::arg("item") = -1,
           py::arg("value") = -1, py::arg("json") = false,
           py::arg("keys") = std::vector<std::string>(5))
      .def_property_readonly("sep", [](const LineFormat& f) { return std::string(1, f.sep); })
      .def_readonly("n_fields", &LineFormat::n_fields)
      .def_readonly("entity", &LineFormat::entity)
      .def_readonly("event", &LineFormat::event)
      .def_readonly("time", &LineFormat::time)
      .def_readonly("item", &LineFormat::item)
      .def_readonly("value", &LineFormat::value)
      .def_readonly("json", &LineFormat::json)
      .def_readonly("keys", &LineFormat::keys);
  py::class_<stream::LineFeed>(
      m, "StreamLineFeed", "The stream CLI's reader of plain CSV or JSON lines (oddseq.stream).")
      .def(py::init<LineFormat, LineEvents>(), py::arg("format"), py::arg("events"))
      .def("feed", &feed_lines, py::arg("store"), py::arg("model"), py::arg("data"),
           py::arg("offset"), py::arg("top"), py::arg("gather_ns"));
  py::class_<LineFeedRun>(m, "StreamLineFeedRun",
                          "What StreamLineFeed.feed read, and its new alerts (oddseq.stream).")
      .def_readonly("stop", &LineFeedRun::stop)
      .def_readonly("offset", &LineFeedRun::offset)
      .def_readonly("lines", &LineFeedRun::lines)
      .def_readonly("key", &LineFeedRun::key)
      .def_readonly("score", &LineFeedRun::score)
      .def_readonly("length", &LineFeedRun::length)
      .def_readonly("line", &LineFeedRun::line)
      .def_readonly("entity_begin", &LineFeedRun::entity_begin)
      .def_readonly("entity_end", &LineFeedRun::entity_end)
      .def_readonly("entities", &LineFeedRun::entities)
      .def_readonly("rows", &LineFeedRun::rows)
      .def_readonly("columns", &LineFeedRun::columns)
      .def_readonly("typical", &LineFeedRun::typical)
      .def_readonly("share", &LineFeedRun::share)
      .def_readonly("deviation", &LineFeedRun::deviation)
      .def_readonly("value", &LineFeedRun::value)
      .def_readonly("cluster", &LineFeedRun::cluster)
      .def_readonly("member", &LineFeedRun::member)
      .def_readonly("facts", &LineFeedRun::facts);
  m.def("stream_hash_texts", &hash_texts, py::arg("values"),
        "pandas.util.hash_array's keys of an object array of str (TypeError if one is not "
        "str).");
  m.def("stream_hash_id", &hash_id, py::arg("id"),
        "pandas.util.hash_array's key of one int or str id, as the stream keys ids.");
  py::class_<StreamApplied>(m, "StreamApplied", "What StreamEntityStore.update applied.")
      .def_readonly("status", &StreamApplied::status)
      .def_readonly("touched", &StreamApplied::touched)
      .def_readonly("first_rows", &StreamApplied::first_rows);
  py::class_<StreamScores>(m, "StreamScores", "Entities' scores as they stand in the store.")
      .def_readonly("score", &StreamScores::score)
      .def_readonly("length", &StreamScores::length)
      .def_readonly("flags", &StreamScores::flags);
  py::class_<StreamScored>(m, "StreamScored",
                           "What StreamEntityStore.update_scored applied, and the touched "
                           "entities' scores.")
      .def_readonly("applied", &StreamScored::applied)
      .def_readonly("scores", &StreamScored::scores);
  py::class_<StreamFeatures>(m, "StreamFeatures", "Entities' feature rows in the store.")
      .def_readonly("rows", &StreamFeatures::rows)
      .def_readonly("length", &StreamFeatures::length)
      .def_readonly("found", &StreamFeatures::found)
      .def_readonly("approximate", &StreamFeatures::approximate);
  py::class_<StreamExplanation>(m, "StreamExplanation",
                                "The features that stand out most in entities' rows.")
      .def_readonly("columns", &StreamExplanation::columns)
      .def_readonly("typical", &StreamExplanation::typical)
      .def_readonly("share", &StreamExplanation::share)
      .def_readonly("deviation", &StreamExplanation::deviation)
      .def_readonly("value", &StreamExplanation::value)
      .def_readonly("cluster", &StreamExplanation::cluster)
      .def_readonly("member", &StreamExplanation::member)
      .def_readonly("found", &StreamExplanation::found);
  using stream::StoreParams;
  py::class_<StoreParams>(m, "StreamStoreParams",
                          "How a StreamEntityStore keeps its state: the count column of each "
                          "event code, which roles the events have, the funnel's codes (-1: "
                          "none), the exact item limit, lateness, ttl and the entity cap "
                          "(0: none).")
      .def(py::init(&make_store_params), py::kw_only(), py::arg("column_of_code").noconvert(),
           py::arg("n_columns"), py::arg("has_times"), py::arg("has_items"), py::arg("has_values"),
           py::arg("view") = -1, py::arg("cart") = -1, py::arg("fav") = -1, py::arg("buy") = -1,
           py::arg("max_exact_items") = 256, py::arg("lateness_ns") = 0,
           py::arg("max_late_events") = 8, py::arg("ttl_ns") = 0, py::arg("max_entities") = 0,
           py::arg("recent_change") = py::none(), py::arg("utc_offset_s") = py::none(),
           py::arg("first_hour") = 0)
      .def_property_readonly("column_of_code",
                             [](const StoreParams& p) {
                               return to_numpy(std::vector<std::int32_t>(p.column_of_code));
                             })
      .def_readonly("n_columns", &StoreParams::n_columns)
      .def_readonly("has_times", &StoreParams::has_times)
      .def_readonly("has_items", &StoreParams::has_items)
      .def_readonly("has_values", &StoreParams::has_values)
      .def_property_readonly("view", [](const StoreParams& p) { return p.funnel.view; })
      .def_property_readonly("cart", [](const StoreParams& p) { return p.funnel.cart; })
      .def_property_readonly("fav", [](const StoreParams& p) { return p.funnel.fav; })
      .def_property_readonly("buy", [](const StoreParams& p) { return p.funnel.buy; })
      .def_readonly("max_exact_items", &StoreParams::max_exact_items)
      .def_readonly("lateness_ns", &StoreParams::lateness_ns)
      .def_readonly("max_late_events", &StoreParams::max_late_events)
      .def_readonly("ttl_ns", &StoreParams::ttl_ns)
      .def_readonly("max_entities", &StoreParams::max_entities)
      .def_property_readonly("recent_change",
                             [](const StoreParams& p) -> std::optional<encode::ChangeParams> {
                               if (!p.recent_change) return std::nullopt;
                               return p.change;
                             });
  py::class_<EntityStore>(m, "StreamEntityStore",
                          "Per-entity running state of a live stream (oddseq.stream); "
                          "pickled (and copied) as bytes of its whole state, versioned and "
                          "checked when read back.")
      .def(py::init<const StoreParams&>(), py::arg("params"))
      .def("update", &update, py::arg("entity"), py::arg("code"), py::arg("time"), py::arg("item"),
           py::arg("item_present"), py::arg("value"))
      .def("update_scored", &update_scored, py::arg("model"), py::arg("entity"), py::arg("code"),
           py::arg("time"), py::arg("item"), py::arg("item_present"), py::arg("value"))
      .def("score", &score, py::arg("model"), py::arg("keys"))
      .def("explain", &explain, py::arg("model"), py::arg("keys"), py::arg("top"))
      .def("update_one", &update_one, py::arg("entity"), py::arg("entity_is_key"), py::arg("code"),
           py::arg("time"), py::arg("item"), py::arg("item_is_key"), py::arg("value"),
           py::arg("model").none(true))
      .def("features", &features, py::arg("keys"), py::arg("n_columns"))
      .def("change_facts", &change_facts, py::arg("keys"))
      .def("set_alerted", &set_alerted, py::arg("keys"), py::arg("value"))
      .def("alerted", &alerted, py::arg("keys"))
      .def("counters", &counters)
      .def("memory_bytes", &memory_bytes)
      .def("evict_idle", &evict_idle, py::arg("now_ns"))
      .def_property_readonly("watermark", &EntityStore::watermark)
      .def(py::pickle(&store_state, &store_from_state));
}

}  // namespace oddseq::bindings
