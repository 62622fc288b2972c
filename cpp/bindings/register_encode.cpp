#include "common.hpp"
#include "oddseq/encode/count_timing.hpp"

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

}  // namespace

void register_encode(py::module_& m) {
  m.def("count_timing_features", &count_timing, py::arg("offsets").noconvert(),
        py::arg("events").noconvert(), py::arg("n_event_types"), py::arg("times").noconvert(),
        py::arg("n_threads"));
}

}  // namespace oddseq::bindings
