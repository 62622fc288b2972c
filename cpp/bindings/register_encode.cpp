#include <cmath>

#include "common.hpp"
#include "oddseq/encode/automation.hpp"
#include "oddseq/encode/change.hpp"
#include "oddseq/encode/count_timing.hpp"
#include "oddseq/encode/crowd.hpp"
#include "oddseq/encode/diversity.hpp"
#include "oddseq/encode/ngrams.hpp"
#include "oddseq/encode/recency.hpp"
#include "oddseq/encode/temporal.hpp"
#include "oddseq/encode/transition.hpp"
#include "sequences_view.hpp"

namespace oddseq::bindings {

namespace {

py::array_t<float> count_timing(const CArray<std::int64_t>& offsets,
                                const CArray<std::int32_t>& events, std::int64_t n_event_types,
                                const std::optional<CArray<std::int64_t>>& times, int n_threads) {
  const std::int64_t n_seq = offsets.size() - 1;
  const std::int64_t width = encode::count_timing_width(n_event_types, times.has_value());
  py::array_t<float> out({static_cast<py::ssize_t>(n_seq), static_cast<py::ssize_t>(width)});
  const std::int64_t* off = offsets.data();
  const std::int32_t* ev = events.data();
  const std::int64_t* tm = data_or_null(times);
  float* dst = out.mutable_data();
  {
    py::gil_scoped_release release;  // per-sequence work on OpenMP threads
    encode::count_timing_features(off, n_seq, ev, n_event_types, tm, n_threads, dst);
  }
  return out;
}

// An hourly table of UTC offsets (encode::LocalTime), held by reference and checked once.
struct LocalTimeView {
  CArray<std::int64_t> utc_offset_s;
  encode::LocalTime local;
};

LocalTimeView make_local_time(CArray<std::int64_t> utc_offset_s, std::int64_t first_hour) {
  if (utc_offset_s.ndim() != 1 || utc_offset_s.size() < 1) {
    throw std::invalid_argument("utc_offset_s must be a 1-D table with at least one hour");
  }
  LocalTimeView view{std::move(utc_offset_s), {}};
  view.local = {view.utc_offset_s.data(), first_hour, view.utc_offset_s.size()};
  return view;
}

const std::int64_t* require_times(const SequencesView& seqs, const char* who) {
  if (!seqs.times) throw std::invalid_argument(std::string(who) + " needs sequences with times");
  return seqs.times->data();
}

py::array_t<float> temporal(const SequencesView& seqs, const LocalTimeView& local_time,
                            std::int64_t session_gap_ns, int n_threads) {
  const std::int64_t* tm = require_times(seqs, "temporal_features");
  const std::int64_t n_seq = seqs.n_sequences();
  py::array_t<float> out(
      {static_cast<py::ssize_t>(n_seq), static_cast<py::ssize_t>(encode::kTemporalWidth)});
  const std::int64_t* off = seqs.offsets.data();
  float* dst = out.mutable_data();
  {
    py::gil_scoped_release release;  // per-sequence work on OpenMP threads
    encode::temporal_features(off, n_seq, tm, local_time.local, session_gap_ns, n_threads, dst);
  }
  return out;
}

encode::AutomationParams make_automation_params(std::int64_t repeat_tolerance_ns,
                                                double period_tolerance, std::int64_t max_lag,
                                                std::int64_t think_time_ns) {
  if (repeat_tolerance_ns < 0) throw std::invalid_argument("repeat_tolerance_ns must be >= 0");
  if (!(period_tolerance > 0) || !std::isfinite(period_tolerance)) {
    throw std::invalid_argument("period_tolerance must be positive and finite");
  }
  if (max_lag < 2) throw std::invalid_argument("max_lag must be >= 2");
  if (think_time_ns < 0) throw std::invalid_argument("think_time_ns must be >= 0");
  return {repeat_tolerance_ns, period_tolerance, max_lag, think_time_ns};
}

py::array_t<float> automation(const SequencesView& seqs, const LocalTimeView& local_time,
                              const encode::AutomationParams& params, int n_threads) {
  const std::int64_t* tm = require_times(seqs, "automation_features");
  const std::int64_t n_seq = seqs.n_sequences();
  py::array_t<float> out(
      {static_cast<py::ssize_t>(n_seq), static_cast<py::ssize_t>(encode::kAutomationWidth)});
  const std::int64_t* off = seqs.offsets.data();
  float* dst = out.mutable_data();
  {
    py::gil_scoped_release release;  // per-sequence work on OpenMP threads
    encode::automation_features(off, n_seq, tm, local_time.local, params, n_threads, dst);
  }
  return out;
}

py::array_t<float> transition(const CArray<std::int64_t>& offsets,
                              const CArray<std::int32_t>& events, std::int64_t n_event_types,
                              int order, const std::string& norm, int n_threads) {
  encode::TransitionNorm mode;
  if (norm == "counts") {
    mode = encode::TransitionNorm::counts;
  } else if (norm == "share") {
    mode = encode::TransitionNorm::share;
  } else if (norm == "conditional") {
    mode = encode::TransitionNorm::conditional;
  } else {
    throw std::invalid_argument("unknown transition normalisation '" + norm + "'");
  }
  const std::int64_t n_seq = offsets.size() - 1;
  const std::int64_t width = encode::transition_width(n_event_types, order);
  py::array_t<float> out({static_cast<py::ssize_t>(n_seq), static_cast<py::ssize_t>(width)});
  const std::int64_t* off = offsets.data();
  const std::int32_t* ev = events.data();
  float* dst = out.mutable_data();
  {
    py::gil_scoped_release release;  // per-sequence work on OpenMP threads
    encode::transition_features(off, n_seq, ev, n_event_types, order, mode, n_threads, dst);
  }
  return out;
}

// Item categories as the item kernels read them: through the items, so none without.
struct ItemCategories {
  const std::int32_t* codes = nullptr;
  std::int64_t n_item_codes = 0;
};

ItemCategories item_categories(const SequencesView& seqs,
                               const std::optional<CArray<std::int32_t>>& item_category) {
  if (!seqs.items || !item_category) return {};
  return {item_category->data(), item_category->size()};
}

// The view's columns and the item categories into a kernel input with items (the
// diversity and change inputs name them alike).
template <class ItemT, class Input>
void fill_item_input(const SequencesView& seqs, ItemCategories categories, Input& input) {
  input.offsets = seqs.offsets.data();
  input.n_sequences = seqs.n_sequences();
  input.events = seqs.events.data();
  input.items = seqs.item_data<ItemT>();
  input.values = data_or_null(seqs.values);
  input.item_category = categories.codes;
  input.n_item_codes = categories.n_item_codes;
}

py::array_t<float> diversity(const SequencesView& seqs,
                             const std::optional<CArray<std::int32_t>>& item_category,
                             const encode::DiversityParams& params, int n_threads) {
  const ItemCategories categories = item_categories(seqs, item_category);
  const std::int64_t n_seq = seqs.n_sequences();
  const std::int64_t width =
      encode::diversity_width(seqs.values.has_value(), categories.codes != nullptr);
  py::array_t<float> out({static_cast<py::ssize_t>(n_seq), static_cast<py::ssize_t>(width)});
  float* dst = out.mutable_data();
  auto run = [&](auto item_type) {
    encode::DiversityInput<decltype(item_type)> input;
    fill_item_input<decltype(item_type)>(seqs, categories, input);
    input.times = data_or_null(seqs.times);
    py::gil_scoped_release release;  // per-sequence work on OpenMP threads
    encode::diversity_features(input, params, n_threads, dst);
  };
  if (seqs.items_are_int64()) {
    run(std::int64_t{});
  } else {
    run(std::int32_t{});
  }
  return out;
}

// crowd_ratio's ratios, and with `facts` where each came from (encode::CrowdFacts).
// windows: each event's window in [0, n_windows); entity_of: each sequence's entity, or
// None (each its own).
py::object crowd(const SequencesView& seqs, std::int64_t n_items,
                 const CArray<std::int64_t>& windows, std::int64_t n_windows,
                 const std::optional<CArray<std::int64_t>>& entity_of, int n_threads, bool facts) {
  if (!seqs.items) throw std::invalid_argument("crowd_ratio needs sequences with items");
  if (n_items < 0) throw std::invalid_argument("n_items must be >= 0");
  const std::int64_t n_seq = seqs.n_sequences();
  if (windows.ndim() != 1 || windows.size() != seqs.offsets.data()[n_seq]) {
    throw std::invalid_argument("windows must hold one window per event");
  }
  if (entity_of && (entity_of->ndim() != 1 || entity_of->size() != n_seq)) {
    throw std::invalid_argument("entity_of must hold one entity per sequence");
  }
  const auto n = static_cast<py::ssize_t>(n_seq);
  py::array_t<float> out(n);
  const py::ssize_t m = facts ? n : 0;
  py::array_t<std::int64_t> item(m), window(m), crowd(m), alike(m);
  py::array_t<double> usual(m);
  encode::CrowdFacts where{item.mutable_data(), window.mutable_data(), crowd.mutable_data(),
                           usual.mutable_data(), alike.mutable_data()};
  float* dst = out.mutable_data();
  auto run = [&](auto item_type) {
    encode::CrowdInput<decltype(item_type)> input;
    input.offsets = seqs.offsets.data();
    input.n_sequences = n_seq;
    input.items = seqs.item_data<decltype(item_type)>();
    input.n_items = n_items;
    input.windows = windows.data();
    input.n_windows = n_windows;
    input.entity_of = data_or_null(entity_of);
    py::gil_scoped_release release;  // OpenMP passes over the events and the items
    encode::crowd_ratio(input, n_threads, dst, facts ? &where : nullptr);
  };
  if (seqs.items_are_int64()) {
    run(std::int64_t{});
  } else {
    run(std::int32_t{});
  }
  if (!facts) return std::move(out);
  return py::make_tuple(out, item, window, crowd, usual, alike);
}

encode::DiversityParams make_diversity_params(std::int64_t session_gap_ns, std::int32_t view,
                                              std::int32_t cart, std::int32_t fav,
                                              std::int32_t buy) {
  if (session_gap_ns <= 0) throw std::invalid_argument("session_gap_ns must be positive");
  return {session_gap_ns, {view, cart, fav, buy}};
}

py::array_t<float> change(const SequencesView& seqs, std::int64_t n_event_types,
                          const LocalTimeView& local_time,
                          const std::optional<CArray<std::int32_t>>& item_category,
                          const encode::ChangeParams& params, int n_threads) {
  const std::int64_t* times = require_times(seqs, "change_features");
  const ItemCategories categories = item_categories(seqs, item_category);
  const std::int64_t n_seq = seqs.n_sequences();
  py::array_t<float> out(
      {static_cast<py::ssize_t>(n_seq), static_cast<py::ssize_t>(encode::kChangeWidth)});
  float* dst = out.mutable_data();
  auto run = [&](auto item_type) {
    encode::ChangeInput<decltype(item_type)> input;
    fill_item_input<decltype(item_type)>(seqs, categories, input);
    input.n_event_types = n_event_types;
    input.times = times;
    py::gil_scoped_release release;  // per-sequence work on OpenMP threads
    encode::change_features(input, local_time.local, params, n_threads, dst);
  };
  if (seqs.items_are_int64()) {
    run(std::int64_t{});
  } else {
    run(std::int32_t{});
  }
  return out;
}

encode::ChangeParams make_change_params(std::int64_t session_gap_ns, std::int64_t window_ns,
                                        double prior) {
  if (session_gap_ns <= 0) throw std::invalid_argument("session_gap_ns must be positive");
  if (window_ns < 0) throw std::invalid_argument("window_ns must be >= 0");
  if (!(prior > 0) || !std::isfinite(prior)) throw std::invalid_argument("prior must be > 0");
  return {session_gap_ns, window_ns, prior};
}

py::array_t<float> decay(const CArray<std::int64_t>& offsets, const CArray<std::int32_t>& events,
                         std::int64_t n_event_types, const CArray<std::int64_t>& times,
                         std::int64_t reference_ns, std::int64_t half_life_ns, int n_threads) {
  const std::int64_t n_seq = offsets.size() - 1;
  py::array_t<float> out(
      {static_cast<py::ssize_t>(n_seq), static_cast<py::ssize_t>(n_event_types + 1)});
  const std::int64_t* off = offsets.data();
  const std::int32_t* ev = events.data();
  const std::int64_t* tm = times.data();
  float* dst = out.mutable_data();
  {
    py::gil_scoped_release release;  // per-sequence work on OpenMP threads
    encode::decay_features(off, n_seq, ev, n_event_types, tm, reference_ns, half_life_ns, n_threads,
                           dst);
  }
  return out;
}

py::array_t<float> minhash(const CArray<std::int64_t>& offsets, const CArray<std::int32_t>& codes,
                           const CArray<std::uint64_t>& element_hash, int shingle,
                           const CArray<std::uint32_t>& multipliers,
                           const CArray<std::uint32_t>& increments, int n_threads) {
  if (multipliers.size() != increments.size() || multipliers.size() < 1)
    throw std::invalid_argument("multipliers and increments need the same, non-zero length");
  const std::int64_t n_seq = offsets.size() - 1;
  const std::int64_t n_hashes = multipliers.size();
  py::array_t<float> out({static_cast<py::ssize_t>(n_seq), static_cast<py::ssize_t>(n_hashes)});
  const std::int64_t* off = offsets.data();
  const std::int32_t* cd = codes.data();
  const std::uint64_t* hs = element_hash.data();
  const std::int64_t n_codes = element_hash.size();
  const std::uint32_t* mult = multipliers.data();
  const std::uint32_t* add = increments.data();
  float* dst = out.mutable_data();
  {
    py::gil_scoped_release release;  // per-sequence hashing on OpenMP threads
    encode::minhash_features(off, n_seq, cd, hs, n_codes, shingle, n_hashes, mult, add, n_threads,
                             dst);
  }
  return out;
}

// What the n-gram calls return to Python: read-only records read by name.
struct NgramKeysRecord {
  py::array keys;       // one hash per n-gram
  py::array positions;  // each n-gram's sequence
  py::array lengths;    // each n-gram's n
};

struct SparseCountsRecord {  // CSR rows of counts
  py::array indptr, indices, data;
};

// What n-grams to read and how to hash their elements (ngram_keys, ngram_counts), and the
// columns ngram_counts counts them into: the arrays held by reference and checked once.
struct NgramParams {
  CArray<std::uint64_t> element_hash;  // per element code: the hash of its label
  int n_min = 1, n_max = 1;
  std::optional<CArray<std::int64_t>> vocabulary;  // sorted n-gram keys: the columns
  bool count_unseen = false;    // n-grams outside the vocabulary in one more column
  std::int64_t hash_width = 0;  // > 0 (a power of two): hashed columns, no vocabulary
};

NgramParams make_ngram_params(CArray<std::uint64_t> element_hash, int n_min, int n_max,
                              std::optional<CArray<std::int64_t>> vocabulary, bool count_unseen,
                              std::int64_t hash_width) {
  if (element_hash.ndim() != 1) throw std::invalid_argument("element_hash must be 1-D");
  if (n_min < 1 || n_max < n_min) throw std::invalid_argument("need 1 <= n_min <= n_max");
  if (hash_width < 0 || (hash_width & (hash_width - 1)) != 0) {
    throw std::invalid_argument("hash_width must be 0 or a power of two");
  }
  if (vocabulary) {
    if (vocabulary->ndim() != 1) throw std::invalid_argument("vocabulary must be 1-D");
    const std::int64_t* v = vocabulary->data();
    for (std::int64_t i = 1; i < vocabulary->size(); ++i) {
      if (v[i] <= v[i - 1]) throw std::invalid_argument("vocabulary must be sorted and distinct");
    }
  }
  return {std::move(element_hash), n_min, n_max, std::move(vocabulary), count_unseen, hash_width};
}

NgramKeysRecord ngram_keys(const SequencesView& seqs, const NgramParams& params, int n_threads) {
  encode::NgramKeys keys;
  {
    py::gil_scoped_release release;  // per-sequence hashing and sorting on OpenMP threads
    keys = encode::ngram_keys(seqs.offsets.data(), seqs.n_sequences(), seqs.events.data(),
                              params.element_hash.data(), params.element_hash.size(), params.n_min,
                              params.n_max, n_threads);
  }
  return {to_numpy(std::move(keys.keys)), to_numpy(std::move(keys.positions)),
          to_numpy(std::move(keys.lengths))};
}

SparseCountsRecord ngram_counts(const SequencesView& seqs, const NgramParams& params,
                                int n_threads) {
  const std::int64_t* vocabulary = data_or_null(params.vocabulary);
  const std::int64_t vocabulary_size = params.vocabulary ? params.vocabulary->size() : 0;
  encode::SparseCounts counts;
  {
    py::gil_scoped_release release;  // per-sequence counting on OpenMP threads
    counts = encode::ngram_counts(seqs.offsets.data(), seqs.n_sequences(), seqs.events.data(),
                                  params.element_hash.data(), params.element_hash.size(),
                                  params.n_min, params.n_max, vocabulary, vocabulary_size,
                                  params.count_unseen, params.hash_width, n_threads);
  }
  return {to_numpy(std::move(counts.indptr)), to_numpy(std::move(counts.indices)),
          to_numpy(std::move(counts.data))};
}

}  // namespace

void register_encode(py::module_& m) {
  py::class_<NgramKeysRecord>(m, "NgramKeys",
                              "The n-grams of each sequence as hashes (ngram_keys).")
      .def_readonly("keys", &NgramKeysRecord::keys)
      .def_readonly("positions", &NgramKeysRecord::positions)
      .def_readonly("lengths", &NgramKeysRecord::lengths);
  py::class_<SparseCountsRecord>(m, "SparseCounts", "CSR counts of n-grams (ngram_counts).")
      .def_readonly("indptr", &SparseCountsRecord::indptr)
      .def_readonly("indices", &SparseCountsRecord::indices)
      .def_readonly("data", &SparseCountsRecord::data);
  py::class_<NgramParams>(m, "NgramParams",
                          "The n-grams to read (n_min..n_max elements, hashed by "
                          "element_hash) and the columns to count them into: the sorted "
                          "vocabulary (plus one for unseen n-grams with count_unseen) or, "
                          "with hash_width > 0, that many hashed columns.")
      .def(py::init(&make_ngram_params), py::kw_only(), py::arg("element_hash").noconvert(),
           py::arg("n_min"), py::arg("n_max"), py::arg("vocabulary").noconvert() = py::none(),
           py::arg("count_unseen") = false, py::arg("hash_width") = 0)
      .def_property_readonly("n_min", [](const NgramParams& p) { return p.n_min; })
      .def_property_readonly("n_max", [](const NgramParams& p) { return p.n_max; })
      .def_property_readonly("count_unseen", [](const NgramParams& p) { return p.count_unseen; })
      .def_property_readonly("hash_width", [](const NgramParams& p) { return p.hash_width; });
  m.def("ngram_keys", &ngram_keys, py::arg("sequences"), py::arg("params"), py::arg("n_threads"));
  m.def("ngram_counts", &ngram_counts, py::arg("sequences"), py::arg("params"),
        py::arg("n_threads"));
  m.def("decay_features", &decay, py::arg("offsets").noconvert(), py::arg("events").noconvert(),
        py::arg("n_event_types"), py::arg("times").noconvert(), py::arg("reference_ns"),
        py::arg("half_life_ns"), py::arg("n_threads"));
  m.def("minhash_features", &minhash, py::arg("offsets").noconvert(), py::arg("codes").noconvert(),
        py::arg("element_hash").noconvert(), py::arg("shingle"), py::arg("multipliers").noconvert(),
        py::arg("increments").noconvert(), py::arg("n_threads"));
  m.def("temporal_feature_names", &encode::temporal_feature_names);
  py::class_<LocalTimeView>(m, "LocalTime",
                            "An hourly table of UTC offsets in seconds from first_hour "
                            "(hours since the epoch); hours outside it take the nearest entry.")
      .def(py::init(&make_local_time), py::kw_only(), py::arg("utc_offset_s").noconvert(),
           py::arg("first_hour"))
      .def_property_readonly("first_hour",
                             [](const LocalTimeView& v) { return v.local.first_hour; })
      .def_property_readonly("n_hours", [](const LocalTimeView& v) { return v.local.n_hours; });
  m.def("temporal_features", &temporal, py::arg("sequences"), py::arg("local_time"),
        py::arg("session_gap_ns"), py::arg("n_threads"));
  py::class_<encode::AutomationParams>(m, "AutomationParams",
                                       "AutomationEncoder's settings: the repeat and period "
                                       "tolerances, the autocorrelation's largest lag and "
                                       "the human think time.")
      .def(py::init(&make_automation_params), py::kw_only(), py::arg("repeat_tolerance_ns"),
           py::arg("period_tolerance"), py::arg("max_lag"), py::arg("think_time_ns"))
      .def_readonly("repeat_tolerance_ns", &encode::AutomationParams::repeat_tolerance_ns)
      .def_readonly("period_tolerance", &encode::AutomationParams::period_tolerance)
      .def_readonly("max_lag", &encode::AutomationParams::max_lag)
      .def_readonly("think_time_ns", &encode::AutomationParams::think_time_ns);
  m.def("automation_features", &automation, py::arg("sequences"), py::arg("local_time"),
        py::arg("params"), py::arg("n_threads"));
  m.def("transition_features", &transition, py::arg("offsets").noconvert(),
        py::arg("events").noconvert(), py::arg("n_event_types"), py::arg("order"), py::arg("norm"),
        py::arg("n_threads"));
  py::class_<encode::DiversityParams>(m, "DiversityParams",
                                      "DiversityEncoder's settings: the session gap and the "
                                      "funnel's event codes (-1 where the funnel has no such "
                                      "role: the ratios over it are 0).")
      .def(py::init(&make_diversity_params), py::kw_only(), py::arg("session_gap_ns"),
           py::arg("view") = -1, py::arg("cart") = -1, py::arg("fav") = -1, py::arg("buy") = -1)
      .def_property_readonly("session_gap_ns",
                             [](const encode::DiversityParams& p) { return p.session_gap_ns; })
      .def_property_readonly("view", [](const encode::DiversityParams& p) { return p.funnel.view; })
      .def_property_readonly("cart", [](const encode::DiversityParams& p) { return p.funnel.cart; })
      .def_property_readonly("fav", [](const encode::DiversityParams& p) { return p.funnel.fav; })
      .def_property_readonly("buy", [](const encode::DiversityParams& p) { return p.funnel.buy; });
  m.def("crowd_ratio", &crowd, py::arg("sequences"), py::arg("n_items"),
        py::arg("windows").noconvert(), py::arg("n_windows"),
        py::arg("entity_of").noconvert() = py::none(), py::arg("n_threads") = 0,
        py::arg("facts") = false);
  m.def("diversity_features", &diversity, py::arg("sequences"),
        py::arg("item_category").noconvert(), py::arg("params"), py::arg("n_threads"));

  py::class_<encode::ChangeParams>(m, "ChangeParams",
                                   "RecentChangeEncoder's settings: the session gap, the recent "
                                   "window and the pseudo-observations each side is smoothed "
                                   "with.")
      .def(py::init(&make_change_params), py::kw_only(), py::arg("session_gap_ns"),
           py::arg("window_ns"), py::arg("prior"))
      .def_readonly("session_gap_ns", &encode::ChangeParams::session_gap_ns)
      .def_readonly("window_ns", &encode::ChangeParams::window_ns)
      .def_readonly("prior", &encode::ChangeParams::prior);
  m.def("change_features", &change, py::arg("sequences"), py::arg("n_event_types"),
        py::arg("local_time"), py::arg("item_category").noconvert(), py::arg("params"),
        py::arg("n_threads"));

  m.def("count_timing_features", &count_timing, py::arg("offsets").noconvert(),
        py::arg("events").noconvert(), py::arg("n_event_types"), py::arg("times").noconvert(),
        py::arg("n_threads"));
}

}  // namespace oddseq::bindings
