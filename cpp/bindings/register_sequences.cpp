#include "common.hpp"
#include "oddseq/sequences/sequences.hpp"
#include "sequences_view.hpp"

namespace oddseq::bindings {

namespace {

// What the calls below return to Python: read-only records read by name, never tuples
// read by position (int64 arrays, but for the carried columns, which keep their dtype).
struct Grouping {
  py::object order = py::none();         // n: the rows in entity order (stable within an
                                         // entity); None where not asked for
  py::array offsets;                     // n_entities + 1
  py::object sorted_times = py::none();  // n, the times in that order; None without times
  py::list carried;                      // each carried column in that order, as given
};

struct SessionSplitRecord {
  py::array offsets;         // sessions + 1
  py::array parent;          // sessions: the sequence each session belongs to
  py::array session_number;  // sessions: its number within that sequence
};

struct Windows {
  py::array starts, stops;  // windows: event ranges
  py::array parent;         // windows: the sequence each window belongs to
  py::array origin;         // windows: its start (event position or time)
};

Grouping group_rows(const CArray<std::int64_t>& codes,
                    const std::optional<CArray<std::int64_t>>& code_map, std::int64_t n_entities,
                    const std::optional<CArray<std::int64_t>>& times, int n_threads,
                    const py::list& carry, bool with_order) {
  const std::int64_t n = codes.size();
  if (times && times->size() != n) throw std::invalid_argument("times and codes differ in length");
  Grouping result;
  std::vector<sequences::CarriedColumn> carried;
  // The columns held here until the call returns: with the GIL released, another thread
  // could drop the caller's list's only reference to one and free it mid-call.
  std::vector<py::array> held;
  for (const py::handle& item : carry) {
    if (!py::isinstance<py::array>(item)) {
      throw std::invalid_argument("each carried column must be a numpy array");
    }
    const auto column = py::reinterpret_borrow<py::array>(item);
    const auto width = static_cast<int>(column.itemsize());
    const char kind = column.dtype().kind();
    // Numbers and times only: moved as bits, objects' references would not be counted;
    // aligned, as the C++ reads them through pointers of their width.
    if (column.ndim() != 1 || column.size() != n || (column.flags() & py::array::c_style) == 0 ||
        (width != 1 && width != 2 && width != 4 && width != 8) || kind == 'O' || kind == 'V' ||
        reinterpret_cast<std::uintptr_t>(column.data()) % static_cast<std::uintptr_t>(width) != 0) {
      throw std::invalid_argument(
          "each carried column must be an aligned, C-contiguous 1-D array of 1-, 2-, 4- or "
          "8-byte numbers or times as long as codes");
    }
    held.push_back(column);
    py::array out(column.dtype(), py::array::ShapeContainer{n});
    carried.push_back({column.data(), out.mutable_data(), width});
    result.carried.append(out);
  }
  std::int64_t* order_ptr = nullptr;
  if (with_order) {
    py::array_t<std::int64_t> order(n);
    order_ptr = order.mutable_data();
    result.order = order;
  }
  py::array_t<std::int64_t> offsets(n_entities + 1);
  result.offsets = offsets;
  std::int64_t* sorted_ptr = nullptr;
  if (times) {
    py::array_t<std::int64_t> buffer(n);
    sorted_ptr = buffer.mutable_data();
    result.sorted_times = buffer;
  }
  const std::int64_t* codes_ptr = codes.data();
  const std::int64_t* map_ptr = data_or_null(code_map);
  const std::int64_t n_codes = code_map ? code_map->size() : 0;
  const std::int64_t* times_ptr = data_or_null(times);
  std::int64_t* offsets_ptr = offsets.mutable_data();
  {
    py::gil_scoped_release release;  // the sort runs on OpenMP threads, no Python inside
    sequences::group_rows(codes_ptr, n, map_ptr, n_codes, n_entities, times_ptr, n_threads,
                          order_ptr, offsets_ptr, sorted_ptr, carried);
  }
  return result;
}

template <class T>
py::array_t<T> gather(const CArray<T>& src, const CArray<std::int64_t>& index, int n_threads) {
  py::array_t<T> out(index.size());
  const T* src_ptr = src.data();
  const std::int64_t* index_ptr = index.data();
  T* out_ptr = out.mutable_data();
  const std::int64_t n_src = src.size(), n = index.size();
  {
    py::gil_scoped_release release;  // parallel copy
    sequences::gather(src_ptr, n_src, index_ptr, n, out_ptr, n_threads);
  }
  return out;
}

SessionSplitRecord split_by_gap(const CArray<std::int64_t>& offsets,
                                const CArray<std::int64_t>& times, std::int64_t max_gap,
                                int n_threads) {
  sequences::SessionSplit split;
  const std::int64_t n_seq = offsets.size() - 1;
  {
    py::gil_scoped_release release;  // parallel scan
    split = sequences::split_by_gap(offsets.data(), n_seq, times.data(), max_gap, n_threads);
  }
  return {to_numpy(std::move(split.offsets)), to_numpy(std::move(split.parent)),
          to_numpy(std::move(split.session_number))};
}

Windows windows_of(sequences::Ranges&& r) {
  return {to_numpy(std::move(r.starts)), to_numpy(std::move(r.stops)),
          to_numpy(std::move(r.parent)), to_numpy(std::move(r.origin))};
}

Windows count_windows(const CArray<std::int64_t>& offsets, std::int64_t length,
                      std::int64_t stride) {
  sequences::Ranges r;
  {
    py::gil_scoped_release release;
    r = sequences::count_windows(offsets.data(), offsets.size() - 1, length, stride);
  }
  return windows_of(std::move(r));
}

Windows time_windows(const CArray<std::int64_t>& offsets, const CArray<std::int64_t>& times,
                     std::int64_t width, std::int64_t step, int n_threads) {
  sequences::Ranges r;
  {
    py::gil_scoped_release release;
    r = sequences::time_windows(offsets.data(), offsets.size() - 1, times.data(), width, step,
                                n_threads);
  }
  return windows_of(std::move(r));
}

// What ranges_to_index returns: a read-only record read by name.
struct RangeIndex {
  py::array offsets;  // ranges + 1: each range's positions in index
  py::array index;    // the positions of every range, in order
};

RangeIndex ranges_to_index(const CArray<std::int64_t>& starts, const CArray<std::int64_t>& stops,
                           int n_threads) {
  const std::int64_t n = starts.size();
  if (stops.size() != n) throw std::invalid_argument("starts and stops differ in length");
  std::int64_t total = 0;
  for (std::int64_t r = 0; r < n; ++r) total += stops.data()[r] - starts.data()[r];
  if (total < 0) throw std::invalid_argument("ranges end before they start");
  py::array_t<std::int64_t> offsets(n + 1), index(total);
  const std::int64_t *s = starts.data(), *e = stops.data();
  std::int64_t *o = offsets.mutable_data(), *ix = index.mutable_data();
  {
    py::gil_scoped_release release;
    sequences::ranges_to_index(s, e, n, n_threads, o, ix);
  }
  return {offsets, index};
}

}  // namespace

SequencesView make_sequences_view(CArray<std::int64_t> offsets, CArray<std::int32_t> events,
                                  std::optional<CArray<std::int64_t>> times,
                                  std::optional<py::array> items,
                                  std::optional<CArray<double>> values) {
  if (offsets.ndim() != 1 || offsets.size() < 1) {
    throw std::invalid_argument("offsets must be 1-D with at least one entry");
  }
  const std::int64_t n_seq = offsets.size() - 1;
  const std::int64_t* o = offsets.data();
  if (o[0] != 0 || o[n_seq] != events.size()) {
    throw std::invalid_argument("offsets must start at 0 and end at the number of events");
  }
  for (std::int64_t s = 0; s < n_seq; ++s) {
    if (o[s + 1] < o[s]) throw std::invalid_argument("offsets must not decrease");
  }
  if (times && times->size() != events.size()) {
    throw std::invalid_argument("times must hold one entry per event");
  }
  if (values && values->size() != events.size()) {
    throw std::invalid_argument("values must hold one entry per event");
  }
  if (items) {
    // Equivalent dtypes, not the same dtype object: an array that travelled through
    // pickle (between Dask's workers) holds its own int32 descriptor.
    const bool int32 = py::isinstance<py::array_t<std::int32_t>>(*items);
    const bool int64 = py::isinstance<py::array_t<std::int64_t>>(*items);
    if (!(int32 || int64) || !(items->flags() & py::array::c_style)) {
      throw py::type_error("items must be a C-contiguous int32 or int64 array");
    }
    if (items->size() != events.size()) {
      throw std::invalid_argument("items must hold one entry per event");
    }
  }
  return {offsets, events, times, items, values};
}

void register_sequences(py::module_& m) {
  py::class_<SequencesView>(m, "SequencesView",
                            "Sequences' columns held by reference and checked once, handed "
                            "to the encoders as one argument.")
      .def(py::init(&make_sequences_view), py::kw_only(), py::arg("offsets").noconvert(),
           py::arg("events").noconvert(), py::arg("times").noconvert() = py::none(),
           py::arg("items").noconvert() = py::none(), py::arg("values").noconvert() = py::none())
      .def_property_readonly("n_sequences", &SequencesView::n_sequences)
      .def_property_readonly("n_events", [](const SequencesView& v) { return v.events.size(); });
  py::class_<RangeIndex>(m, "RangeIndex", "Ranges laid out one after another (ranges_to_index).")
      .def_readonly("offsets", &RangeIndex::offsets)
      .def_readonly("index", &RangeIndex::index);
  py::class_<Grouping>(m, "Grouping", "Rows grouped by entity (group_rows).")
      .def_readonly("order", &Grouping::order)
      .def_readonly("offsets", &Grouping::offsets)
      .def_readonly("sorted_times", &Grouping::sorted_times)
      .def_readonly("carried", &Grouping::carried);
  py::class_<SessionSplitRecord>(m, "SessionSplit", "Sequences cut at long gaps (split_by_gap).")
      .def_readonly("offsets", &SessionSplitRecord::offsets)
      .def_readonly("parent", &SessionSplitRecord::parent)
      .def_readonly("session_number", &SessionSplitRecord::session_number);
  py::class_<Windows>(m, "Windows", "Windows of sequences (count_windows, time_windows).")
      .def_readonly("starts", &Windows::starts)
      .def_readonly("stops", &Windows::stops)
      .def_readonly("parent", &Windows::parent)
      .def_readonly("origin", &Windows::origin);
  m.def("group_rows", &group_rows, py::arg("codes").noconvert(), py::arg("code_map").noconvert(),
        py::arg("n_entities"), py::arg("times").noconvert(), py::arg("n_threads"),
        py::arg("carried") = py::list(), py::arg("with_order") = true);
  m.def("gather", &gather<std::int32_t>, py::arg("src").noconvert(), py::arg("index").noconvert(),
        py::arg("n_threads"));
  m.def("gather", &gather<std::int64_t>, py::arg("src").noconvert(), py::arg("index").noconvert(),
        py::arg("n_threads"));
  m.def("gather", &gather<float>, py::arg("src").noconvert(), py::arg("index").noconvert(),
        py::arg("n_threads"));
  m.def("gather", &gather<double>, py::arg("src").noconvert(), py::arg("index").noconvert(),
        py::arg("n_threads"));
  m.def("split_by_gap", &split_by_gap, py::arg("offsets").noconvert(), py::arg("times").noconvert(),
        py::arg("max_gap"), py::arg("n_threads"));
  m.def("count_windows", &count_windows, py::arg("offsets").noconvert(), py::arg("length"),
        py::arg("stride"));
  m.def("time_windows", &time_windows, py::arg("offsets").noconvert(), py::arg("times").noconvert(),
        py::arg("width"), py::arg("step"), py::arg("n_threads"));
  m.def("ranges_to_index", &ranges_to_index, py::arg("starts").noconvert(),
        py::arg("stops").noconvert(), py::arg("n_threads"));
}

}  // namespace oddseq::bindings
