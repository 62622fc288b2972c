#include <optional>

#include "common.hpp"
#include "oddseq/graph/bipartite.hpp"
#include "oddseq/graph/lockstep.hpp"
#include "oddseq/graph/panjer.hpp"

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

// What build_bipartite and events_by_object return: read-only records read by name;
// the time fields are None for a graph built without times.
struct BipartiteRecord {
  py::array offsets;      // n_rows + 1
  py::array cols;         // each row's distinct columns, ascending
  py::array counts;       // events per edge
  py::object first_time;  // per edge, or None
  py::object last_time;   // per edge, or None
};

struct ByObjectRecord {
  py::array offsets;      // n_objects + 1
  py::array rows;         // each object's key slots' rows, in the rows' order
  py::object codes;       // per slot, its two staggered bins packed, or None without bins
  py::object bin_counts;  // (2, n_bins) events per bin, or None without bins
};

// The temporal graph's binning, holding the events' times by reference: checked once
// when made, read in place by events_by_object.
struct TimeBinsView {
  CArray<std::int64_t> times;
  graph::TimeBins bins;
};

TimeBinsView make_time_bins(CArray<std::int64_t> times, std::int64_t t0, std::int64_t window,
                            std::int64_t half, std::int64_t n_bins) {
  if (times.ndim() != 1) throw std::invalid_argument("times must be 1-D");
  if (window < 1 || half < 1 || half > window) {
    throw std::invalid_argument("window must be >= 1 and half in [1, window]");
  }
  if (n_bins < 1 || n_bins > (std::int64_t{1} << 31)) {
    throw std::invalid_argument("n_bins must be in [1, 2^31]: widen the window");
  }
  TimeBinsView view{std::move(times), {}};
  view.bins = {view.times.data(), t0, window, half, n_bins};
  return view;
}

template <class KeyT>
BipartiteRecord build_bipartite(const CArray<std::int64_t>& event_offsets, const CArray<KeyT>& keys,
                                const std::optional<CArray<std::int64_t>>& times,
                                std::int64_t n_cols, int n_threads) {
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
  BipartiteRecord out{to_numpy(std::move(g.offsets)), to_numpy(std::move(g.cols)),
                      to_numpy(std::move(g.counts)), py::none(), py::none()};
  if (times) {
    out.first_time = to_numpy(std::move(g.first_time));
    out.last_time = to_numpy(std::move(g.last_time));
  }
  return out;
}

// What peel_densest returns: the densest block found, a read-only record read by name.
struct DenseBlock {
  py::array rows;       // ascending
  py::array cols;       // ascending
  py::array row_edges;  // edges of each block row into the block's columns
  py::array col_edges;  // edges of each block column from the block's rows
  double weight;        // the summed weights of the block's edges
  double density;       // weight / (rows + cols)
  std::int64_t n_edges;
  std::int64_t n_nodes;  // nodes of the graph the peeling started from
};

// What lockstep_columns returns: the lockstep graph's degrees and its candidate columns
// (graph::Lockstep), a read-only record read by name.
struct LockstepRecord {
  py::array object_degree;  // distinct rows per object
  py::array row_degree;     // columns of each row (all of them)
  std::int64_t n_edges;     // edges of the whole lockstep graph
  std::int64_t n_columns;   // its columns
  py::array col_object;     // the candidates: object, slot, degree, expected degree
  py::array col_slot;
  py::array col_degree;
  py::array col_expected;
  py::array member_offsets;  // CSR: the rows of each candidate, ascending
  py::array members;
};

// What graph_transpose and distinct_rows return: read-only records read by name.
struct Transposed {
  py::array col_offsets;  // n_cols + 1
  py::array row_of;       // per edge, column-major: its row
};

struct DistinctRows {
  py::array offsets;  // n_objects + 1
  py::array rows;     // each object's distinct rows, ascending
};

template <class IndexT>
Transposed transpose(const CArray<std::int64_t>& offsets, const CArray<IndexT>& cols,
                     std::int64_t n_cols, int n_threads) {
  check_offsets(offsets, cols.size(), "row");
  if (n_cols < 0) throw std::invalid_argument("n_cols must be >= 0");
  if (sizeof(IndexT) == 4 && offsets.size() - 1 > INT32_MAX) {
    throw std::invalid_argument("more than 2^31 - 1 rows for int32 row ids");
  }
  graph::Transpose<IndexT> t;
  {
    py::gil_scoped_release release;  // counting and filling passes on OpenMP threads
    t = graph::transpose(offsets.data(), offsets.size() - 1, cols.data(), n_cols, n_threads);
  }
  return {to_numpy(std::move(t.col_offsets)), to_numpy(std::move(t.row_of))};
}

template <class IndexT>
DenseBlock peel_densest(const CArray<std::int64_t>& offsets, const CArray<IndexT>& cols,
                        const CArray<std::int64_t>& col_offsets, const CArray<IndexT>& row_of,
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
    b = graph::peel_densest(offsets.data(), n_rows, cols.data(), col_offsets.data(), row_of.data(),
                            n_cols, col_weight.data(), row_alive.data(), n_threads);
  }
  return {to_numpy(std::move(b.rows)),
          to_numpy(std::move(b.cols)),
          to_numpy(std::move(b.row_edges)),
          to_numpy(std::move(b.col_edges)),
          b.weight,
          b.density,
          b.n_edges,
          b.n_nodes};
}

template <class KeyT>
ByObjectRecord events_by_object(const CArray<std::int64_t>& event_offsets, const CArray<KeyT>& keys,
                                std::int64_t n_keys, std::int64_t n_objects,
                                const TimeBinsView* bins, int n_threads) {
  if (n_keys < 1) throw std::invalid_argument("n_keys must be >= 1");
  if (keys.size() % n_keys != 0) throw std::invalid_argument("keys are not n_keys per event");
  check_offsets(event_offsets, keys.size() / n_keys, "event");
  if (n_objects < 0) throw std::invalid_argument("n_objects must be >= 0");
  if (event_offsets.size() - 1 > INT32_MAX) {
    throw std::invalid_argument("more than 2^31 - 1 entities");
  }
  if (bins && bins->times.size() != keys.size() / n_keys) {
    throw std::invalid_argument("the bins' times need one per event");
  }
  graph::ByObject b;
  {
    py::gil_scoped_release release;  // counting sort on OpenMP threads; polls for Ctrl-C
    b = graph::events_by_object(event_offsets.data(), event_offsets.size() - 1, keys.data(), n_keys,
                                n_objects, bins ? &bins->bins : nullptr, n_threads);
  }
  ByObjectRecord out{to_numpy(std::move(b.offsets)), to_numpy(std::move(b.rows)), py::none(),
                     py::none()};
  if (bins) {
    out.codes = to_numpy(std::move(b.codes));
    out.bin_counts = to_numpy_2d(std::move(b.bin_counts), 2, bins->bins.n_bins);
  }
  return out;
}

DistinctRows distinct_rows(const CArray<std::int64_t>& offsets, const CArray<std::int32_t>& rows,
                           int n_threads) {
  check_offsets(offsets, rows.size(), "object");
  graph::ObjectRows r;
  {
    py::gil_scoped_release release;  // two passes over the objects on OpenMP threads
    r = graph::distinct_rows(offsets.data(), offsets.size() - 1, rows.data(), n_threads);
  }
  return {to_numpy(std::move(r.offsets)), to_numpy(std::move(r.rows))};
}

LockstepRecord lockstep_columns(const CArray<std::int64_t>& offsets,
                                const CArray<std::int32_t>& rows,
                                const CArray<std::uint32_t>& codes, std::int64_t n_rows,
                                const CArray<double>& bin_share, double min_lift, int n_threads) {
  check_offsets(offsets, rows.size(), "object");
  if (codes.size() != rows.size()) throw std::invalid_argument("codes need one per row slot");
  if (n_rows < 0 || n_rows > INT32_MAX) throw std::invalid_argument("n_rows out of range");
  if (bin_share.ndim() != 2 || bin_share.shape(0) != 2) {
    throw std::invalid_argument("bin_share must have shape (2, n_bins)");
  }
  if (!(min_lift >= 0)) throw std::invalid_argument("min_lift must be >= 0");
  graph::Lockstep l;
  {
    py::gil_scoped_release release;  // per-object sorts on OpenMP threads; polls for Ctrl-C
    l = graph::lockstep_columns(offsets.data(), offsets.size() - 1, rows.data(), codes.data(),
                                n_rows, bin_share.data(), bin_share.shape(1), min_lift, n_threads);
  }
  return {to_numpy(std::move(l.object_degree)),
          to_numpy(std::move(l.row_degree)),
          l.n_edges,
          l.n_columns,
          to_numpy(std::move(l.col_object)),
          to_numpy(std::move(l.col_slot)),
          to_numpy(std::move(l.col_degree)),
          to_numpy(std::move(l.col_expected)),
          to_numpy(std::move(l.member_offsets)),
          to_numpy(std::move(l.members))};
}

py::array_t<double> log_sum_exp_lines(const CArray<double>& intercept, const CArray<double>& slope,
                                      double x0, std::int64_t n_points) {
  if (intercept.ndim() != 1 || slope.ndim() != 1 || intercept.size() != slope.size()) {
    throw std::invalid_argument("intercept and slope must be 1-D arrays of one length");
  }
  if (n_points < 0) throw std::invalid_argument("n_points must be >= 0");
  std::vector<double> out;
  {
    py::gil_scoped_release release;  // one pass over the lines per point, no Python
    out = graph::log_sum_exp_lines(intercept.data(), slope.data(), intercept.size(), x0, n_points);
  }
  return to_numpy(std::move(out));
}

py::array_t<double> panjer_log_pmf(const CArray<double>& log_rate, double log_g0, std::int64_t n) {
  if (log_rate.ndim() != 1) throw std::invalid_argument("log_rate must be 1-D");
  if (n < 0) throw std::invalid_argument("n must be >= 0");
  std::vector<double> out;
  {
    py::gil_scoped_release release;  // the recursion, O(n * terms that count), no Python
    out = graph::panjer_log_pmf(log_rate.data(), log_rate.size(), log_g0, n);
  }
  return to_numpy(std::move(out));
}

double excess_chernoff_grid_min(const CArray<double>& thetas, const CArray<double>& q,
                                const CArray<double>& counts_q, std::int64_t k,
                                const CArray<double>& lam, const CArray<double>& counts_lam,
                                double excess) {
  if (thetas.ndim() != 1 || q.ndim() != 1 || counts_q.ndim() != 1 || lam.ndim() != 1 ||
      counts_lam.ndim() != 1 || q.size() != counts_q.size() || lam.size() != counts_lam.size()) {
    throw std::invalid_argument(
        "thetas, q, counts_q, lam and counts_lam must be 1-D; q and counts_q of one length, "
        "lam and counts_lam of one length");
  }
  py::gil_scoped_release release;  // about 30 passes over the entities, no Python
  return graph::excess_chernoff_grid_min(thetas.data(), thetas.size(), q.data(), counts_q.data(),
                                         q.size(), k, lam.data(), counts_lam.data(), lam.size(),
                                         excess);
}

}  // namespace

void register_graph(py::module_& m) {
  py::class_<BipartiteRecord>(m, "Bipartite",
                              "The entity-object graph by row (build_bipartite); the time "
                              "fields are None without times.")
      .def_readonly("offsets", &BipartiteRecord::offsets)
      .def_readonly("cols", &BipartiteRecord::cols)
      .def_readonly("counts", &BipartiteRecord::counts)
      .def_readonly("first_time", &BipartiteRecord::first_time)
      .def_readonly("last_time", &BipartiteRecord::last_time);
  py::class_<ByObjectRecord>(m, "ByObject",
                             "Events' key slots by object (events_by_object); codes and "
                             "bin_counts are None without time bins.")
      .def_readonly("offsets", &ByObjectRecord::offsets)
      .def_readonly("rows", &ByObjectRecord::rows)
      .def_readonly("codes", &ByObjectRecord::codes)
      .def_readonly("bin_counts", &ByObjectRecord::bin_counts);
  py::class_<TimeBinsView>(m, "TimeBins",
                           "The events' times cut into two staggered binnings of `window` "
                           "(offset by `half`) from t0, for events_by_object.")
      .def(py::init(&make_time_bins), py::kw_only(), py::arg("times").noconvert(), py::arg("t0"),
           py::arg("window"), py::arg("half"), py::arg("n_bins"))
      .def_property_readonly("t0", [](const TimeBinsView& v) { return v.bins.t0; })
      .def_property_readonly("window", [](const TimeBinsView& v) { return v.bins.window; })
      .def_property_readonly("half", [](const TimeBinsView& v) { return v.bins.half; })
      .def_property_readonly("n_bins", [](const TimeBinsView& v) { return v.bins.n_bins; });
  py::class_<DenseBlock>(m, "DenseBlock", "The densest block one peeling found (peel_densest).")
      .def_readonly("rows", &DenseBlock::rows)
      .def_readonly("cols", &DenseBlock::cols)
      .def_readonly("row_edges", &DenseBlock::row_edges)
      .def_readonly("col_edges", &DenseBlock::col_edges)
      .def_readonly("weight", &DenseBlock::weight)
      .def_readonly("density", &DenseBlock::density)
      .def_readonly("n_edges", &DenseBlock::n_edges)
      .def_readonly("n_nodes", &DenseBlock::n_nodes);
  py::class_<LockstepRecord>(m, "LockstepColumns",
                             "The lockstep graph's degrees and candidate columns "
                             "(lockstep_columns).")
      .def_readonly("object_degree", &LockstepRecord::object_degree)
      .def_readonly("row_degree", &LockstepRecord::row_degree)
      .def_readonly("n_edges", &LockstepRecord::n_edges)
      .def_readonly("n_columns", &LockstepRecord::n_columns)
      .def_readonly("col_object", &LockstepRecord::col_object)
      .def_readonly("col_slot", &LockstepRecord::col_slot)
      .def_readonly("col_degree", &LockstepRecord::col_degree)
      .def_readonly("col_expected", &LockstepRecord::col_expected)
      .def_readonly("member_offsets", &LockstepRecord::member_offsets)
      .def_readonly("members", &LockstepRecord::members);
  py::class_<Transposed>(m, "Transposed", "A CSR graph by column (graph_transpose).")
      .def_readonly("col_offsets", &Transposed::col_offsets)
      .def_readonly("row_of", &Transposed::row_of);
  py::class_<DistinctRows>(m, "DistinctRows", "Each object's distinct rows (distinct_rows).")
      .def_readonly("offsets", &DistinctRows::offsets)
      .def_readonly("rows", &DistinctRows::rows);
  m.def("build_bipartite", &build_bipartite<std::int32_t>, py::arg("event_offsets").noconvert(),
        py::arg("keys").noconvert(), py::arg("times").noconvert(), py::arg("n_cols"),
        py::arg("n_threads"));
  m.def("build_bipartite", &build_bipartite<std::int64_t>, py::arg("event_offsets").noconvert(),
        py::arg("keys").noconvert(), py::arg("times").noconvert(), py::arg("n_cols"),
        py::arg("n_threads"));
  m.def("graph_transpose", &transpose<std::int32_t>, py::arg("offsets").noconvert(),
        py::arg("cols").noconvert(), py::arg("n_cols"), py::arg("n_threads"));
  m.def("graph_transpose", &transpose<std::int64_t>, py::arg("offsets").noconvert(),
        py::arg("cols").noconvert(), py::arg("n_cols"), py::arg("n_threads"));
  m.def("peel_densest", &peel_densest<std::int32_t>, py::arg("offsets").noconvert(),
        py::arg("cols").noconvert(), py::arg("col_offsets").noconvert(),
        py::arg("row_of").noconvert(), py::arg("col_weight").noconvert(),
        py::arg("row_alive").noconvert(), py::arg("n_threads"));
  m.def("peel_densest", &peel_densest<std::int64_t>, py::arg("offsets").noconvert(),
        py::arg("cols").noconvert(), py::arg("col_offsets").noconvert(),
        py::arg("row_of").noconvert(), py::arg("col_weight").noconvert(),
        py::arg("row_alive").noconvert(), py::arg("n_threads"));
  m.def("events_by_object", &events_by_object<std::int32_t>, py::arg("event_offsets").noconvert(),
        py::arg("keys").noconvert(), py::arg("n_keys"), py::arg("n_objects"),
        py::arg("bins").none(true), py::arg("n_threads"));
  m.def("events_by_object", &events_by_object<std::int64_t>, py::arg("event_offsets").noconvert(),
        py::arg("keys").noconvert(), py::arg("n_keys"), py::arg("n_objects"),
        py::arg("bins").none(true), py::arg("n_threads"));
  m.def("distinct_rows", &distinct_rows, py::arg("offsets").noconvert(),
        py::arg("rows").noconvert(), py::arg("n_threads"));
  m.def("lockstep_columns", &lockstep_columns, py::arg("offsets").noconvert(),
        py::arg("rows").noconvert(), py::arg("codes").noconvert(), py::arg("n_rows"),
        py::arg("bin_share").noconvert(), py::arg("min_lift"), py::arg("n_threads"));
  m.def("log_sum_exp_lines", &log_sum_exp_lines, py::arg("intercept").noconvert(),
        py::arg("slope").noconvert(), py::arg("x0"), py::arg("n_points"),
        "log sum_u exp(intercept[u] + x * slope[u]) for x = x0 .. x0 + n_points - 1.");
  m.def("panjer_log_pmf", &panjer_log_pmf, py::arg("log_rate").noconvert(), py::arg("log_g0"),
        py::arg("n"),
        "log P(S = k), k = 0..n, of a compound Poisson sum: jumps of size j at rate "
        "exp(log_rate[j - 1]), log P(S = 0) = log_g0 (Panjer's recursion in logs).");
  m.def("excess_chernoff_grid_min", &excess_chernoff_grid_min, py::arg("thetas").noconvert(),
        py::arg("q").noconvert(), py::arg("counts_q").noconvert(), py::arg("k"),
        py::arg("lam").noconvert(), py::arg("counts_lam").noconvert(), py::arg("excess"),
        "min over the thetas of K(theta) - theta * excess, K the cumulant of the excess of "
        "binomial (q, k) and Poisson (lam) entities (Chernoff's bound at the grid's best).");
}

}  // namespace oddseq::bindings
