#include <optional>

#include "common.hpp"
#include "oddseq/graph/bipartite.hpp"

namespace oddseq::bindings {

namespace {

void check_offsets(const CArray<std::int64_t>& offsets, std::int64_t n_items, const char* what) {
  if (offsets.ndim() != 1 || offsets.size() < 1) {
    throw std::invalid_argument(std::string(what) + " offsets must be 1-D and non-empty");
  }
  const std::int64_t* o = offsets.data();
  const std::int64_t n = offsets.size() - 1;
  if (o[0] != 0 || o[n] != n_items) {
    throw std::invalid_argument(std::string(what) + " offsets do not describe the arrays");
  }
  for (std::int64_t i = 0; i < n; ++i) {
    if (o[i + 1] < o[i]) throw std::invalid_argument(std::string(what) + " offsets decrease");
  }
}

template <class KeyT>
py::dict build_bipartite(const CArray<std::int64_t>& event_offsets, const CArray<KeyT>& keys,
                         const std::optional<CArray<std::int64_t>>& times, std::int64_t n_cols,
                         int n_threads) {
  check_offsets(event_offsets, keys.size(), "event");
  if (times && times->size() != keys.size()) {
    throw std::invalid_argument("times and keys differ in length");
  }
  if (n_cols < 0) throw std::invalid_argument("n_cols must be >= 0");
  graph::Bipartite g;
  {
    py::gil_scoped_release release;  // rows sorted on OpenMP threads; polls for Ctrl-C
    g = graph::build_bipartite(event_offsets.data(), event_offsets.size() - 1, keys.data(),
                               data_or_null(times), n_cols, n_threads);
  }
  py::dict out;
  out["offsets"] = to_numpy(std::move(g.offsets));
  out["cols"] = to_numpy(std::move(g.cols));
  out["counts"] = to_numpy(std::move(g.counts));
  if (times) {
    out["first_time"] = to_numpy(std::move(g.first_time));
    out["last_time"] = to_numpy(std::move(g.last_time));
  }
  return out;
}

py::tuple transpose(const CArray<std::int64_t>& offsets, const CArray<std::int64_t>& cols,
                    std::int64_t n_cols, int n_threads) {
  check_offsets(offsets, cols.size(), "row");
  graph::Transpose t;
  {
    py::gil_scoped_release release;  // one counting pass and one fill over the edges
    t = graph::transpose(offsets.data(), offsets.size() - 1, cols.data(), n_cols, n_threads);
  }
  return py::make_tuple(to_numpy(std::move(t.col_offsets)), to_numpy(std::move(t.row_of)));
}

py::dict peel_densest(const CArray<std::int64_t>& offsets, const CArray<std::int64_t>& cols,
                      const CArray<std::int64_t>& col_offsets, const CArray<std::int64_t>& row_of,
                      const CArray<double>& col_weight, const CArray<std::uint8_t>& row_alive,
                      int n_threads) {
  check_offsets(offsets, cols.size(), "row");
  check_offsets(col_offsets, row_of.size(), "column");
  const std::int64_t n_rows = offsets.size() - 1;
  const std::int64_t n_cols = col_offsets.size() - 1;
  if (col_weight.size() != n_cols) throw std::invalid_argument("col_weight needs one per column");
  if (row_alive.size() != n_rows) throw std::invalid_argument("row_alive needs one per row");
  if (row_of.size() != cols.size()) throw std::invalid_argument("transpose has other edges");
  graph::Block b;
  {
    py::gil_scoped_release release;  // a long sequential peel; polls for Ctrl-C
    b = graph::peel_densest(offsets.data(), n_rows, cols.data(), col_offsets.data(),
                            row_of.data(), n_cols, col_weight.data(), row_alive.data(),
                            n_threads);
  }
  py::dict out;
  out["rows"] = to_numpy(std::move(b.rows));
  out["cols"] = to_numpy(std::move(b.cols));
  out["row_edges"] = to_numpy(std::move(b.row_edges));
  out["col_edges"] = to_numpy(std::move(b.col_edges));
  out["weight"] = b.weight;
  out["density"] = b.density;
  out["n_edges"] = b.n_edges;
  out["n_nodes"] = b.n_nodes;
  return out;
}

}  // namespace

void register_graph(py::module_& m) {
  m.def("build_bipartite", &build_bipartite<std::int32_t>, py::arg("event_offsets").noconvert(),
        py::arg("keys").noconvert(), py::arg("times").noconvert(), py::arg("n_cols"),
        py::arg("n_threads"));
  m.def("build_bipartite", &build_bipartite<std::int64_t>, py::arg("event_offsets").noconvert(),
        py::arg("keys").noconvert(), py::arg("times").noconvert(), py::arg("n_cols"),
        py::arg("n_threads"));
  m.def("graph_transpose", &transpose, py::arg("offsets").noconvert(), py::arg("cols").noconvert(),
        py::arg("n_cols"), py::arg("n_threads"));
  m.def("peel_densest", &peel_densest, py::arg("offsets").noconvert(),
        py::arg("cols").noconvert(), py::arg("col_offsets").noconvert(),
        py::arg("row_of").noconvert(), py::arg("col_weight").noconvert(),
        py::arg("row_alive").noconvert(), py::arg("n_threads"));
}

}  // namespace oddseq::bindings
