#include <cmath>

#include "common.hpp"
#include "oddseq/encode/automation.hpp"
#include "oddseq/encode/change.hpp"
#include "oddseq/encode/count_timing.hpp"
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

py::array_t<float> temporal(const CArray<std::int64_t>& offsets, const CArray<std::int64_t>& times,
                            const CArray<std::int64_t>& utc_offset_s, std::int64_t first_hour,
                            std::int64_t session_gap_ns, int n_threads) {
  const std::int64_t n_seq = offsets.size() - 1;
  if (utc_offset_s.size() < 1) throw std::invalid_argument("empty time zone table");
  py::array_t<float> out(
      {static_cast<py::ssize_t>(n_seq), static_cast<py::ssize_t>(encode::kTemporalWidth)});
  encode::LocalTime local{utc_offset_s.data(), first_hour, utc_offset_s.size()};
  const std::int64_t* off = offsets.data();
  const std::int64_t* tm = times.data();
  float* dst = out.mutable_data();
  {
    py::gil_scoped_release release;  // per-sequence work on OpenMP threads
    encode::temporal_features(off, n_seq, tm, local, session_gap_ns, n_threads, dst);
  }
  return out;
}

py::array_t<float> automation(const CArray<std::int64_t>& offsets,
                              const CArray<std::int64_t>& times,
                              const CArray<std::int64_t>& utc_offset_s, std::int64_t first_hour,
                              std::int64_t repeat_tolerance_ns, double period_tolerance,
                              std::int64_t max_lag, std::int64_t think_time_ns, int n_threads) {
  const std::int64_t n_seq = offsets.size() - 1;
  if (utc_offset_s.size() < 1) throw std::invalid_argument("empty time zone table");
  py::array_t<float> out(
      {static_cast<py::ssize_t>(n_seq), static_cast<py::ssize_t>(encode::kAutomationWidth)});
  encode::LocalTime local{utc_offset_s.data(), first_hour, utc_offset_s.size()};
  encode::AutomationParams params{repeat_tolerance_ns, period_tolerance, max_lag, think_time_ns};
  const std::int64_t* off = offsets.data();
  const std::int64_t* tm = times.data();
  float* dst = out.mutable_data();
  {
    py::gil_scoped_release release;  // per-sequence work on OpenMP threads
    encode::automation_features(off, n_seq, tm, local, params, n_threads, dst);
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

template <class ItemT>
void diversity_into(const SequencesView& seqs, const std::int32_t* item_category,
                    std::int64_t n_item_codes, const encode::DiversityParams& params, int n_threads,
                    float* out) {
  encode::DiversityInput<ItemT> input;
  input.offsets = seqs.offsets.data();
  input.n_sequences = seqs.n_sequences();
  input.events = seqs.events.data();
  input.items = seqs.item_data<ItemT>();
  input.values = data_or_null(seqs.values);
  input.times = data_or_null(seqs.times);
  input.item_category = item_category;
  input.n_item_codes = n_item_codes;
  py::gil_scoped_release release;  // per-sequence work on OpenMP threads
  encode::diversity_features(input, params, n_threads, out);
}

py::array_t<float> diversity(const SequencesView& seqs,
                             const std::optional<CArray<std::int32_t>>& item_category,
                             const encode::DiversityParams& params, int n_threads) {
  // Categories are read through the items: without items there are none.
  const bool categories = seqs.items.has_value() && item_category.has_value();
  const std::int32_t* ic = categories ? item_category->data() : nullptr;
  const std::int64_t n_item_codes = categories ? item_category->size() : 0;
  const std::int64_t n_seq = seqs.n_sequences();
  const std::int64_t width = encode::diversity_width(seqs.values.has_value(), categories);
  py::array_t<float> out({static_cast<py::ssize_t>(n_seq), static_cast<py::ssize_t>(width)});
  float* dst = out.mutable_data();
  if (seqs.items_are_int64()) {
    diversity_into<std::int64_t>(seqs, ic, n_item_codes, params, n_threads, dst);
  } else {
    diversity_into<std::int32_t>(seqs, ic, n_item_codes, params, n_threads, dst);
  }
  return out;
}

encode::DiversityParams make_diversity_params(std::int64_t session_gap_ns, std::int32_t view,
                                              std::int32_t cart, std::int32_t fav,
                                              std::int32_t buy) {
  if (session_gap_ns <= 0) throw std::invalid_argument("session_gap_ns must be positive");
  return {session_gap_ns, {view, cart, fav, buy}};
}

template <class ItemT>
void change_into(const SequencesView& seqs, std::int64_t n_event_types,
                 const encode::LocalTime& local, const std::int32_t* item_category,
                 std::int64_t n_item_codes, const encode::ChangeParams& params, int n_threads,
                 float* out) {
  encode::ChangeInput<ItemT> input;
  input.offsets = seqs.offsets.data();
  input.n_sequences = seqs.n_sequences();
  input.events = seqs.events.data();
  input.n_event_types = n_event_types;
  input.times = seqs.times->data();
  input.items = seqs.item_data<ItemT>();
  input.values = data_or_null(seqs.values);
  input.item_category = item_category;
  input.n_item_codes = n_item_codes;
  py::gil_scoped_release release;  // per-sequence work on OpenMP threads
  encode::change_features(input, local, params, n_threads, out);
}

py::array_t<float> change(const SequencesView& seqs, std::int64_t n_event_types,
                          const CArray<std::int64_t>& utc_offset_s, std::int64_t first_hour,
                          const std::optional<CArray<std::int32_t>>& item_category,
                          const encode::ChangeParams& params, int n_threads) {
  if (!seqs.times) throw std::invalid_argument("change_features needs sequences with times");
  if (utc_offset_s.ndim() != 1 || utc_offset_s.size() < 1) {
    throw std::invalid_argument("utc_offset_s must be a 1-D table with at least one hour");
  }
  const encode::LocalTime local{utc_offset_s.data(), first_hour, utc_offset_s.size()};
  // Categories are read through the items: without items there are none.
  const bool categories = seqs.items.has_value() && item_category.has_value();
  const std::int32_t* ic = categories ? item_category->data() : nullptr;
  const std::int64_t n_item_codes = categories ? item_category->size() : 0;
  const std::int64_t n_seq = seqs.n_sequences();
  py::array_t<float> out(
      {static_cast<py::ssize_t>(n_seq), static_cast<py::ssize_t>(encode::kChangeWidth)});
  float* dst = out.mutable_data();
  if (seqs.items_are_int64()) {
    change_into<std::int64_t>(seqs, n_event_types, local, ic, n_item_codes, params, n_threads, dst);
  } else {
    change_into<std::int32_t>(seqs, n_event_types, local, ic, n_item_codes, params, n_threads, dst);
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

NgramKeysRecord ngram_keys(const CArray<std::int64_t>& offsets, const CArray<std::int32_t>& codes,
                           const CArray<std::uint64_t>& element_hash, int n_min, int n_max,
                           int n_threads) {
  encode::NgramKeys keys;
  {
    py::gil_scoped_release release;  // per-sequence hashing and sorting on OpenMP threads
    keys = encode::ngram_keys(offsets.data(), offsets.size() - 1, codes.data(), element_hash.data(),
                              element_hash.size(), n_min, n_max, n_threads);
  }
  return {to_numpy(std::move(keys.keys)), to_numpy(std::move(keys.positions)),
          to_numpy(std::move(keys.lengths))};
}

SparseCountsRecord ngram_counts(const CArray<std::int64_t>& offsets,
                                const CArray<std::int32_t>& codes,
                                const CArray<std::uint64_t>& element_hash, int n_min, int n_max,
                                const CArray<std::int64_t>& sorted_vocabulary, bool count_unseen,
                                std::int64_t hash_width, int n_threads) {
  encode::SparseCounts counts;
  {
    py::gil_scoped_release release;  // per-sequence counting on OpenMP threads
    counts =
        encode::ngram_counts(offsets.data(), offsets.size() - 1, codes.data(), element_hash.data(),
                             element_hash.size(), n_min, n_max, sorted_vocabulary.data(),
                             sorted_vocabulary.size(), count_unseen, hash_width, n_threads);
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
  m.def("ngram_keys", &ngram_keys, py::arg("offsets").noconvert(), py::arg("codes").noconvert(),
        py::arg("element_hash").noconvert(), py::arg("n_min"), py::arg("n_max"),
        py::arg("n_threads"));
  m.def("ngram_counts", &ngram_counts, py::arg("offsets").noconvert(), py::arg("codes").noconvert(),
        py::arg("element_hash").noconvert(), py::arg("n_min"), py::arg("n_max"),
        py::arg("sorted_vocabulary").noconvert(), py::arg("count_unseen"), py::arg("hash_width"),
        py::arg("n_threads"));
  m.def("decay_features", &decay, py::arg("offsets").noconvert(), py::arg("events").noconvert(),
        py::arg("n_event_types"), py::arg("times").noconvert(), py::arg("reference_ns"),
        py::arg("half_life_ns"), py::arg("n_threads"));
  m.def("minhash_features", &minhash, py::arg("offsets").noconvert(), py::arg("codes").noconvert(),
        py::arg("element_hash").noconvert(), py::arg("shingle"), py::arg("multipliers").noconvert(),
        py::arg("increments").noconvert(), py::arg("n_threads"));
  m.def("temporal_feature_names", &encode::temporal_feature_names);
  m.def("temporal_features", &temporal, py::arg("offsets").noconvert(),
        py::arg("times").noconvert(), py::arg("utc_offset_s").noconvert(), py::arg("first_hour"),
        py::arg("session_gap_ns"), py::arg("n_threads"));
  m.def("automation_features", &automation, py::arg("offsets").noconvert(),
        py::arg("times").noconvert(), py::arg("utc_offset_s").noconvert(), py::arg("first_hour"),
        py::arg("repeat_tolerance_ns"), py::arg("period_tolerance"), py::arg("max_lag"),
        py::arg("think_time_ns"), py::arg("n_threads"));
  m.def("transition_features", &transition, py::arg("offsets").noconvert(),
        py::arg("events").noconvert(), py::arg("n_event_types"), py::arg("order"), py::arg("norm"),
        py::arg("n_threads"));
  py::class_<encode::DiversityParams>(m, "DiversityParams",
                                      "DiversityEncoder's settings: the session gap and the "
                                      "funnel's event codes (-1 where the log has none).")
      .def(py::init(&make_diversity_params), py::kw_only(), py::arg("session_gap_ns"),
           py::arg("view") = -1, py::arg("cart") = -1, py::arg("fav") = -1, py::arg("buy") = -1)
      .def_property_readonly("session_gap_ns",
                             [](const encode::DiversityParams& p) { return p.session_gap_ns; })
      .def_property_readonly("view", [](const encode::DiversityParams& p) { return p.funnel.view; })
      .def_property_readonly("cart", [](const encode::DiversityParams& p) { return p.funnel.cart; })
      .def_property_readonly("fav", [](const encode::DiversityParams& p) { return p.funnel.fav; })
      .def_property_readonly("buy", [](const encode::DiversityParams& p) { return p.funnel.buy; });
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
        py::arg("utc_offset_s").noconvert(), py::arg("first_hour"),
        py::arg("item_category").noconvert(), py::arg("params"), py::arg("n_threads"));

  m.def("count_timing_features", &count_timing, py::arg("offsets").noconvert(),
        py::arg("events").noconvert(), py::arg("n_event_types"), py::arg("times").noconvert(),
        py::arg("n_threads"));
}

}  // namespace oddseq::bindings
