#include "common.hpp"
#include "oddseq/detect/markov.hpp"

namespace oddseq::bindings {

namespace {

using detect::MarkovModel;

void check_sequences(const CArray<std::int64_t>& offsets, const CArray<std::int32_t>& codes,
                     std::int32_t n_events) {
  if (offsets.ndim() != 1 || offsets.size() < 1) throw std::invalid_argument("bad offsets");
  const std::int64_t* o = offsets.data();
  const std::int64_t n = offsets.size() - 1;
  if (o[0] != 0 || o[n] != codes.size()) {
    throw std::invalid_argument("offsets do not describe the codes");
  }
  for (std::int64_t s = 0; s < n; ++s) {
    if (o[s + 1] < o[s]) throw std::invalid_argument("offsets must not decrease");
  }
  const std::int32_t* c = codes.data();
  for (std::int64_t i = 0; i < codes.size(); ++i) {
    if (c[i] < 0 || c[i] > n_events) throw std::invalid_argument("event code out of range");
  }
}

void fit(MarkovModel& model, const CArray<std::int64_t>& offsets,
         const CArray<std::int32_t>& codes) {
  check_sequences(offsets, codes, model.n_events());
  py::gil_scoped_release release;
  model.fit(offsets.data(), offsets.size() - 1, codes.data());
}

py::array_t<double> score(const MarkovModel& model, const CArray<std::int64_t>& offsets,
                          const CArray<std::int32_t>& codes, int top_g, int n_threads) {
  check_sequences(offsets, codes, model.n_events());
  const std::int64_t n = offsets.size() - 1;
  py::array_t<double> out(
      {static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(MarkovModel::kColumns)});
  double* data = out.mutable_data();
  {
    py::gil_scoped_release release;  // parallel over sequences, polls Ctrl-C
    model.score(offsets.data(), n, codes.data(), top_g, n_threads, data);
  }
  return out;
}

py::tuple explain(const MarkovModel& model, const CArray<std::int64_t>& offsets,
                  const CArray<std::int32_t>& codes) {
  check_sequences(offsets, codes, model.n_events());
  std::vector<std::int64_t> positions;
  std::vector<double> surprisal;
  std::vector<std::int32_t> rank, likely;
  {
    py::gil_scoped_release release;
    model.explain(offsets.data(), offsets.size() - 1, codes.data(), positions, surprisal, rank,
                  likely);
  }
  return py::make_tuple(to_numpy(std::move(positions)), to_numpy(std::move(surprisal)),
                        to_numpy(std::move(rank)), to_numpy(std::move(likely)));
}

}  // namespace

void register_detect(py::module_& m) {
  py::class_<MarkovModel>(m, "MarkovModel")
      .def(py::init<std::int32_t, int, double, bool>(), py::arg("n_events"), py::arg("order"),
           py::arg("discount"), py::arg("end_symbol"))
      .def("fit", &fit, py::arg("offsets").noconvert(), py::arg("codes").noconvert())
      .def("score", &score, py::arg("offsets").noconvert(), py::arg("codes").noconvert(),
           py::arg("top_g"), py::arg("n_threads"))
      .def("explain", &explain, py::arg("offsets").noconvert(), py::arg("codes").noconvert());
}

}  // namespace oddseq::bindings
