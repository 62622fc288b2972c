// K-means (Lloyd, Hamerly, Elkan; k-means++ seeding; mini-batch steps) and DBSCAN.
#include <cmath>
#include <string>

#include "common.hpp"
#include "oddseq/cluster/dbscan.hpp"
#include "oddseq/cluster/exact_sums.hpp"
#include "oddseq/cluster/kmeans.hpp"
#include "oddseq/core/content_hash.hpp"

namespace oddseq::bindings {

namespace {

// What the calls below return to Python: read-only records read by name, never tuples
// read by position. Arrays keep the input's dtype (float32 or float64).
struct KMeansRun {
  py::array centers;  // k x d
  py::array labels;   // n, int32
  double inertia = 0.0;
  int n_iter = 0;
  bool converged = false;  // stopped on tol or stable labels before max_iter
};

struct Assignment {
  py::array labels;   // n, int32
  py::array sq_dist;  // n, >= 0
};

struct MiniBatchStep {
  py::array labels;      // the batch's, int32
  double inertia = 0.0;  // the batch's weighted inertia before the move
  double moved = 0.0;    // summed squared centre move
};

struct DbscanRun {
  py::array labels;   // n, int64; -1 for noise
  py::array is_core;  // n, bool
  std::int64_t n_clusters = 0;
  std::string algorithm;  // the one used: "grid", "kdtree" or "brute"
};

template <class T>
cluster::KMeansData<T> view_of(const CArray<T>& x, const std::optional<CArray<T>>& weights) {
  if (x.ndim() != 2) throw std::invalid_argument("X must be 2-D");
  if (weights && weights->size() != x.shape(0)) {
    throw std::invalid_argument("sample_weight length differs from the number of rows");
  }
  cluster::KMeansData<T> data;
  data.x = x.data();
  data.n = x.shape(0);
  data.d = x.shape(1);
  data.weights = data_or_null(weights);
  return data;
}

template <class T>
py::array_t<std::int64_t> plusplus(const CArray<T>& x, const std::optional<CArray<T>>& weights,
                                   std::int64_t k, std::uint64_t seed, int n_local_trials,
                                   int n_threads) {
  const auto data = view_of(x, weights);
  std::vector<std::int64_t> chosen;
  {
    py::gil_scoped_release release;  // O(n k d) distance work on OpenMP threads
    chosen = cluster::kmeans_plusplus(data, k, seed, n_local_trials, n_threads);
  }
  return to_numpy(std::move(chosen));
}

// One k-means++ race over these rows (cluster::kmeans_race): the picks' keys and rows.
// oddseq.dask runs it on each partition with the global group weights and takes the
// smallest over the partitions, as the single machine's race does over its chunks.
template <class T>
py::tuple race(const CArray<T>& x, const py::array_t<std::uint64_t, py::array::c_style>& hashes,
               const std::optional<py::array_t<double, py::array::c_style>>& group_weight,
               const std::optional<py::array_t<double, py::array::c_style>>& closest,
               std::uint64_t seed, std::int64_t step, int m, int n_threads) {
  const auto data = view_of<T>(x, std::nullopt);
  auto rows_of = [&](std::int64_t size, const char* name) {
    if (size != data.n) {
      throw std::invalid_argument(std::string(name) + " length differs from the number of rows");
    }
  };
  rows_of(hashes.size(), "hashes");
  if (group_weight) rows_of(group_weight->size(), "group_weight");
  if (closest) rows_of(closest->size(), "closest");
  if (m < 1) throw std::invalid_argument("m must be at least 1");
  std::vector<cluster::RacePick> picks;
  {
    py::gil_scoped_release release;
    picks = cluster::kmeans_race(data, hashes.data(), group_weight ? group_weight->data() : nullptr,
                                 closest ? closest->data() : nullptr, seed, step, m, n_threads);
  }
  std::vector<double> keys;
  std::vector<std::int64_t> rows;
  for (const auto& pick : picks) {
    keys.push_back(pick.key);
    rows.push_back(pick.row);
  }
  return py::make_tuple(to_numpy(std::move(keys)), to_numpy(std::move(rows)));
}

template <class T>
py::array_t<double> key_floors(const CArray<T>& x, int n_threads) {
  if (x.ndim() != 2) throw std::invalid_argument("X must be 2-D");
  std::vector<double> floors;
  {
    py::gil_scoped_release release;
    floors = core::key_floors(x.data(), x.shape(0), x.shape(1), n_threads);
  }
  return to_numpy(std::move(floors));
}

template <class T>
py::array_t<std::uint64_t> column_keys(const CArray<T>& x, int n_threads,
                                       const std::optional<CArray<double>>& floors, bool rounded) {
  if (x.ndim() != 2) throw std::invalid_argument("X must be 2-D");
  const std::vector<double> by = key_floors_for(x, floors, rounded, n_threads);
  std::vector<std::uint64_t> keys;
  {
    py::gil_scoped_release release;
    keys = core::column_keys(x.data(), x.shape(0), x.shape(1), rounded ? by.data() : nullptr,
                             n_threads);
  }
  return to_numpy(std::move(keys));
}

template <class T>
py::array_t<std::uint64_t> row_hashes(const CArray<T>& x,
                                      const py::array_t<std::uint64_t, py::array::c_style>& keys,
                                      int n_threads, const std::optional<CArray<double>>& floors,
                                      bool rounded) {
  if (x.ndim() != 2) throw std::invalid_argument("X must be 2-D");
  if (keys.size() != x.shape(1)) {
    throw std::invalid_argument("keys length differs from the number of columns");
  }
  const std::vector<double> by = key_floors_for(x, floors, rounded, n_threads);
  std::vector<std::uint64_t> hashes;
  {
    py::gil_scoped_release release;
    hashes = core::row_hashes(x.data(), x.shape(0), x.shape(1), keys.data(),
                              rounded ? by.data() : nullptr, n_threads);
  }
  return to_numpy(std::move(hashes));
}

template <class T>
py::array_t<std::uint64_t> draw_hashes(const CArray<T>& x,
                                       const py::array_t<std::uint64_t, py::array::c_style>& keys,
                                       int n_threads, const std::optional<CArray<double>>& floors) {
  if (x.ndim() != 2) throw std::invalid_argument("X must be 2-D");
  if (keys.size() != x.shape(1)) {
    throw std::invalid_argument("keys length differs from the number of columns");
  }
  const std::vector<double> by = key_floors_for(x, floors, true, n_threads);
  std::vector<std::uint64_t> hashes;
  {
    py::gil_scoped_release release;
    hashes = core::draw_hashes(x.data(), x.shape(0), x.shape(1), keys.data(), by.data(), n_threads);
  }
  return to_numpy(std::move(hashes));
}

py::array_t<std::uint64_t> near_tie_hashes(const CArray<std::uint64_t>& hashes,
                                           const CArray<std::uint64_t>& numbers) {
  if (hashes.ndim() != 1 || numbers.ndim() != 1 || hashes.shape(0) != numbers.shape(0)) {
    throw std::invalid_argument("hashes and numbers must be 1-D and of one length");
  }
  std::vector<std::uint64_t> out(static_cast<std::size_t>(hashes.shape(0)));
  for (py::ssize_t i = 0; i < hashes.shape(0); ++i) {
    out[static_cast<std::size_t>(i)] = core::near_tie_hash(hashes.data()[i], numbers.data()[i]);
  }
  return to_numpy(std::move(out));
}

cluster::KMeansAlgorithm parse_algorithm(const std::string& name) {
  if (name == "lloyd") return cluster::KMeansAlgorithm::lloyd;
  if (name == "hamerly") return cluster::KMeansAlgorithm::hamerly;
  if (name == "elkan") return cluster::KMeansAlgorithm::elkan;
  throw std::invalid_argument("unknown k-means algorithm '" + name + "'");
}

template <class T>
KMeansRun fit(const CArray<T>& x, const std::optional<CArray<T>>& weights, const CArray<T>& centers,
              int max_iter, double tol, const std::string& algorithm, int n_threads) {
  const cluster::KMeansAlgorithm chosen = parse_algorithm(algorithm);
  const auto data = view_of(x, weights);
  if (centers.ndim() != 2 || centers.shape(1) != data.d) {
    throw std::invalid_argument("initial centres must be (k, n_features)");
  }
  const std::int64_t k = centers.shape(0);
  cluster::KMeansResult<T> result;
  {
    py::gil_scoped_release release;  // the whole fit; polls for Ctrl-C between iterations
    result = cluster::kmeans_fit(data, centers.data(), k, max_iter, tol, chosen, n_threads);
  }
  return {to_numpy_2d(std::move(result.centers), k, data.d), to_numpy(std::move(result.labels)),
          result.inertia, result.n_iter, result.converged};
}

template <class T>
Assignment assign(const CArray<T>& x, const CArray<T>& centers, int n_threads) {
  const auto data = view_of<T>(x, std::nullopt);
  if (centers.ndim() != 2 || centers.shape(1) != data.d) {
    throw std::invalid_argument("centres must be (k, n_features)");
  }
  py::array_t<std::int32_t> labels(data.n);
  py::array_t<T> sq_dist(data.n);
  std::int32_t* l = labels.mutable_data();
  T* s = sq_dist.mutable_data();
  const T* c = centers.data();
  const std::int64_t k = centers.shape(0);
  {
    py::gil_scoped_release release;  // parallel nearest-centre search
    cluster::assign_nearest(data, c, k, n_threads, l, s);
  }
  return {labels, sq_dist};
}

template <class T>
MiniBatchStep minibatch(const CArray<T>& batch, const std::optional<CArray<T>>& weights,
                        py::array_t<T, py::array::c_style> centers,
                        py::array_t<double, py::array::c_style> weight_sums, int n_threads) {
  const auto data = view_of(batch, weights);
  if (centers.ndim() != 2 || centers.shape(1) != data.d || weight_sums.size() != centers.shape(0)) {
    throw std::invalid_argument("centres must be (k, n_features) with one weight sum per centre");
  }
  const std::int64_t k = centers.shape(0);
  py::array_t<std::int32_t> labels(data.n);
  T* c = centers.mutable_data();
  double* ws = weight_sums.mutable_data();
  std::int32_t* l = labels.mutable_data();
  double inertia = 0.0, moved = 0.0;
  {
    py::gil_scoped_release release;  // assignment on OpenMP threads, then the update
    inertia = cluster::minibatch_step(data, c, k, ws, n_threads, l, &moved);
  }
  return {labels, inertia, moved};
}

// Exact cluster sums (oddseq.dask's Lloyd steps): each sum a 128-bit integer handed to
// Python as its high (int64) and low (uint64) 64 bits, value = hi * 2**64 + lo.
struct ClusterSums {
  py::array hi;       // k x d, int64
  py::array lo;       // k x d, uint64
  py::array members;  // k, int64
};

py::array_t<std::int32_t> fixed_shifts(const CArray<double>& max_abs, std::int64_t n) {
  if (max_abs.ndim() != 1) throw std::invalid_argument("max_abs must be 1-D");
  if (n < 0) throw std::invalid_argument("n must be >= 0");
  py::array_t<std::int32_t> shifts(max_abs.shape(0));
  for (py::ssize_t j = 0; j < max_abs.shape(0); ++j) {
    const double m = max_abs.data()[j];
    if (!std::isfinite(m) || m < 0) {
      throw std::invalid_argument("max_abs must hold finite values >= 0");
    }
    shifts.mutable_data()[j] = cluster::fixed_shift(m, n);
  }
  return shifts;
}

std::vector<int> shifts_of(const CArray<std::int32_t>& shifts, std::int64_t d) {
  if (shifts.ndim() != 1 || shifts.shape(0) != d) {
    throw std::invalid_argument("shifts must hold one value per feature");
  }
  return std::vector<int>(shifts.data(), shifts.data() + d);
}

template <class T>
ClusterSums cluster_sums(const CArray<T>& x, const CArray<std::int32_t>& labels, std::int64_t k,
                         const CArray<std::int32_t>& shifts, int n_threads) {
  const auto data = view_of<T>(x, std::nullopt);
  if (labels.ndim() != 1 || labels.shape(0) != data.n) {
    throw std::invalid_argument("labels must hold one label per row of X");
  }
  if (k < 1) throw std::invalid_argument("n_clusters must be >= 1");
  const std::vector<int> s = shifts_of(shifts, data.d);
  std::vector<cluster::FixedSum> sums(static_cast<std::size_t>(k * data.d));
  std::vector<std::int64_t> members(static_cast<std::size_t>(k));
  std::vector<double> weights(static_cast<std::size_t>(k));
  {
    py::gil_scoped_release release;  // a pass over the rows on OpenMP threads
    cluster::fixed_cluster_sums(data, labels.data(), k, s.data(), n_threads, sums.data(),
                                members.data(), weights.data());
  }
  py::array_t<std::int64_t> hi({k, data.d});
  py::array_t<std::uint64_t> lo({k, data.d});
  for (std::size_t e = 0; e < sums.size(); ++e) {
    const auto bits = static_cast<cluster::FixedMagnitude>(sums[e]);
    hi.mutable_data()[e] = static_cast<std::int64_t>(bits >> 64);
    lo.mutable_data()[e] = static_cast<std::uint64_t>(bits);
  }
  return {hi, lo, to_numpy(std::move(members))};
}

template <class T>
py::array_t<T> centres_from_sums(const CArray<std::int64_t>& hi, const CArray<std::uint64_t>& lo,
                                 const CArray<double>& weights, const CArray<std::int32_t>& shifts,
                                 const CArray<T>& centers) {
  if (centers.ndim() != 2) throw std::invalid_argument("centers must be 2-D");
  const std::int64_t k = centers.shape(0);
  const std::int64_t d = centers.shape(1);
  if (hi.ndim() != 2 || hi.shape(0) != k || hi.shape(1) != d || lo.ndim() != 2 ||
      lo.shape(0) != k || lo.shape(1) != d) {
    throw std::invalid_argument("hi and lo must be (n_clusters, n_features) like centers");
  }
  if (weights.ndim() != 1 || weights.shape(0) != k) {
    throw std::invalid_argument("weights must hold one value per centre");
  }
  const std::vector<int> s = shifts_of(shifts, d);
  py::array_t<T> out({k, d});
  for (std::int64_t c = 0; c < k; ++c) {
    const double w = weights.data()[c];
    for (std::int64_t j = 0; j < d; ++j) {
      const std::int64_t e = c * d + j;
      const auto bits =
          (static_cast<cluster::FixedMagnitude>(static_cast<std::uint64_t>(hi.data()[e])) << 64) |
          lo.data()[e];
      // As kmeans_fit: a cluster without weight keeps its centre.
      out.mutable_data()[e] =
          w > 0.0 ? cluster::fixed_mean<T>(static_cast<cluster::FixedSum>(bits), s[j], w)
                  : centers.data()[e];
    }
  }
  return out;
}

cluster::DbscanAlgorithm parse_dbscan_algorithm(const std::string& name) {
  if (name == "auto") return cluster::DbscanAlgorithm::automatic;
  if (name == "grid") return cluster::DbscanAlgorithm::grid;
  if (name == "kdtree") return cluster::DbscanAlgorithm::kdtree;
  if (name == "brute") return cluster::DbscanAlgorithm::brute;
  throw std::invalid_argument("unknown DBSCAN algorithm '" + name + "'");
}

const char* dbscan_algorithm_name(cluster::DbscanAlgorithm algorithm) {
  switch (algorithm) {
    case cluster::DbscanAlgorithm::grid:
      return "grid";
    case cluster::DbscanAlgorithm::brute:
      return "brute";
    default:
      return "kdtree";
  }
}

// What DBSCAN.fit asks of the core besides the rows: the search radius, the core weight,
// the metric and the search structure, checked once when made.
struct DbscanParams {
  double eps = 0.5;
  double min_samples = 5.0;
  std::string metric = "euclidean";
  std::string algorithm = "auto";
  std::int64_t leaf_size = 32;
  neighbors::Metric parsed_metric{};
  cluster::DbscanAlgorithm parsed_algorithm{};
};

DbscanParams make_dbscan_params(double eps, double min_samples, const std::string& metric,
                                const std::string& algorithm, std::int64_t leaf_size) {
  if (!(eps > 0.0) || !std::isfinite(eps)) {
    throw std::invalid_argument("eps must be positive and finite");
  }
  if (!(min_samples > 0.0) || !std::isfinite(min_samples)) {
    throw std::invalid_argument("min_samples must be positive and finite");
  }
  if (leaf_size < 1) throw std::invalid_argument("leaf_size must be >= 1");
  return {eps,
          min_samples,
          metric,
          algorithm,
          leaf_size,
          neighbors::parse_metric(metric),
          parse_dbscan_algorithm(algorithm)};
}

DbscanRun dbscan(const CArray<double>& x, const std::optional<CArray<double>>& weights,
                 const DbscanParams& params, int n_threads) {
  require_matrix(x, "X");
  if (weights && weights->size() != x.shape(0)) {
    throw std::invalid_argument("sample_weight length differs from the number of rows");
  }
  cluster::DbscanResult result;
  {
    py::gil_scoped_release release;  // every phase runs on OpenMP threads; polls Ctrl-C
    result = cluster::dbscan(x.data(), x.shape(0), x.shape(1), params.eps, params.min_samples,
                             data_or_null(weights), params.parsed_metric, params.parsed_algorithm,
                             params.leaf_size, n_threads);
  }
  py::array_t<bool> is_core(static_cast<py::ssize_t>(result.is_core.size()));
  std::copy(result.is_core.begin(), result.is_core.end(), is_core.mutable_data());
  return {to_numpy(std::move(result.labels)), is_core, result.n_clusters,
          dbscan_algorithm_name(result.used)};
}

py::array_t<std::int64_t> dbscan_assign(const CArray<double>& core_points,
                                        const CArray<std::int64_t>& core_labels,
                                        const CArray<double>& x, double eps,
                                        const std::string& metric, int n_threads) {
  require_matrix(core_points, "core points");
  require_matrix(x, "X");
  if (core_points.shape(1) != x.shape(1) || core_labels.size() != core_points.shape(0)) {
    throw std::invalid_argument("core points, their labels and X do not match");
  }
  const auto chosen_metric = neighbors::parse_metric(metric);
  std::vector<std::int64_t> labels;
  {
    py::gil_scoped_release release;
    labels =
        cluster::dbscan_assign(core_points.data(), core_labels.data(), core_points.shape(0),
                               x.data(), x.shape(0), x.shape(1), eps, chosen_metric, n_threads);
  }
  return to_numpy(std::move(labels));
}

}  // namespace

void register_cluster(py::module_& m) {
  py::class_<KMeansRun>(m, "KMeansRun", "One K-means run from initial centres (kmeans_fit).")
      .def_readonly("centers", &KMeansRun::centers)
      .def_readonly("labels", &KMeansRun::labels)
      .def_readonly("inertia", &KMeansRun::inertia)
      .def_readonly("n_iter", &KMeansRun::n_iter)
      .def_readonly("converged", &KMeansRun::converged);
  py::class_<Assignment>(m, "Assignment", "Each row's nearest centre (assign_nearest).")
      .def_readonly("labels", &Assignment::labels)
      .def_readonly("sq_dist", &Assignment::sq_dist);
  py::class_<MiniBatchStep>(m, "MiniBatchStep", "One mini-batch K-means step (minibatch_step).")
      .def_readonly("labels", &MiniBatchStep::labels)
      .def_readonly("inertia", &MiniBatchStep::inertia)
      .def_readonly("moved", &MiniBatchStep::moved);
  py::class_<DbscanRun>(m, "DbscanRun", "A DBSCAN clustering (dbscan).")
      .def_readonly("labels", &DbscanRun::labels)
      .def_readonly("is_core", &DbscanRun::is_core)
      .def_readonly("n_clusters", &DbscanRun::n_clusters)
      .def_readonly("algorithm", &DbscanRun::algorithm);
  // centers and weight_sums are updated in place (the estimator's own arrays).
  m.def("minibatch_step", &minibatch<float>, py::arg("batch").noconvert(),
        py::arg("sample_weight").noconvert(), py::arg("centers").noconvert(),
        py::arg("weight_sums").noconvert(), py::arg("n_threads"));
  m.def("minibatch_step", &minibatch<double>, py::arg("batch").noconvert(),
        py::arg("sample_weight").noconvert(), py::arg("centers").noconvert(),
        py::arg("weight_sums").noconvert(), py::arg("n_threads"));
  m.def("kmeans_plusplus", &plusplus<float>, py::arg("x").noconvert(),
        py::arg("sample_weight").noconvert(), py::arg("k"), py::arg("seed"),
        py::arg("n_local_trials"), py::arg("n_threads"));
  m.def("kmeans_plusplus", &plusplus<double>, py::arg("x").noconvert(),
        py::arg("sample_weight").noconvert(), py::arg("k"), py::arg("seed"),
        py::arg("n_local_trials"), py::arg("n_threads"));
  m.def("kmeans_race", &race<float>, py::arg("x").noconvert(), py::arg("hashes").noconvert(),
        py::arg("group_weight").noconvert(), py::arg("closest").noconvert(), py::arg("seed"),
        py::arg("step"), py::arg("m"), py::arg("n_threads"));
  m.def("kmeans_race", &race<double>, py::arg("x").noconvert(), py::arg("hashes").noconvert(),
        py::arg("group_weight").noconvert(), py::arg("closest").noconvert(), py::arg("seed"),
        py::arg("step"), py::arg("m"), py::arg("n_threads"));
  m.def("kmeans_key_floors", &key_floors<float>, py::arg("x").noconvert(), py::arg("n_threads"));
  m.def("kmeans_key_floors", &key_floors<double>, py::arg("x").noconvert(), py::arg("n_threads"),
        "Each column's floor, below which the draws' keys read a value as 0 (2^-40 of the "
        "column's largest magnitude, to a power of two; a data set cut into parts has the "
        "largest of its parts').");
  m.def("kmeans_column_keys", &column_keys<float>, py::arg("x").noconvert(), py::arg("n_threads"),
        py::kw_only(), py::arg("floors").noconvert() = py::none(), py::arg("rounded") = true);
  m.def("kmeans_column_keys", &column_keys<double>, py::arg("x").noconvert(), py::arg("n_threads"),
        py::kw_only(), py::arg("floors").noconvert() = py::none(), py::arg("rounded") = true,
        "Each column's key by its values (wrapping sums over the rows). rounded: the values "
        "as the draws key them (17 significant bits, 0 below the column's floor: floors, "
        "default these rows' kmeans_key_floors); False: their exact bits.");
  m.def("kmeans_row_hashes", &row_hashes<float>, py::arg("x").noconvert(),
        py::arg("keys").noconvert(), py::arg("n_threads"), py::kw_only(),
        py::arg("floors").noconvert() = py::none(), py::arg("rounded") = true);
  m.def("kmeans_row_hashes", &row_hashes<double>, py::arg("x").noconvert(),
        py::arg("keys").noconvert(), py::arg("n_threads"), py::kw_only(),
        py::arg("floors").noconvert() = py::none(), py::arg("rounded") = true,
        "Each row's hash by its values and the column keys (floors and rounded as for "
        "kmeans_column_keys).");
  m.def("kmeans_draw_hashes", &draw_hashes<float>, py::arg("x").noconvert(),
        py::arg("keys").noconvert(), py::arg("n_threads"), py::kw_only(),
        py::arg("floors").noconvert() = py::none());
  m.def("kmeans_draw_hashes", &draw_hashes<double>, py::arg("x").noconvert(),
        py::arg("keys").noconvert(), py::arg("n_threads"), py::kw_only(),
        py::arg("floors").noconvert() = py::none(),
        "The hashes the draws read: kmeans_row_hashes (rounded), the exact rows sharing one "
        "numbered by their exact hash under the same keys, then their values, each after the "
        "first told apart (kmeans_near_tie_hashes).");
  m.def("kmeans_near_tie_hashes", &near_tie_hashes, py::arg("hashes").noconvert(),
        py::arg("numbers").noconvert(),
        "Each rounded row hash told apart for its exact row's number among the rows sharing "
        "it (0 keeps it).");
  m.def("kmeans_fit", &fit<float>, py::arg("x").noconvert(), py::arg("sample_weight").noconvert(),
        py::arg("centers").noconvert(), py::arg("max_iter"), py::arg("tol"), py::arg("algorithm"),
        py::arg("n_threads"));
  m.def("kmeans_fit", &fit<double>, py::arg("x").noconvert(), py::arg("sample_weight").noconvert(),
        py::arg("centers").noconvert(), py::arg("max_iter"), py::arg("tol"), py::arg("algorithm"),
        py::arg("n_threads"));
  m.def("assign_nearest", &assign<float>, py::arg("x").noconvert(), py::arg("centers").noconvert(),
        py::arg("n_threads"));
  m.def("assign_nearest", &assign<double>, py::arg("x").noconvert(), py::arg("centers").noconvert(),
        py::arg("n_threads"));
  py::class_<ClusterSums>(m, "ClusterSums",
                          "Exact per-cluster sums of rows (kmeans_cluster_sums): each sum is "
                          "hi * 2**64 + lo on the columns' fixed-point grids.")
      .def_readonly("hi", &ClusterSums::hi)
      .def_readonly("lo", &ClusterSums::lo)
      .def_readonly("members", &ClusterSums::members);
  m.def("kmeans_fixed_shifts", &fixed_shifts, py::arg("max_abs").noconvert(), py::arg("n"));
  m.def("kmeans_cluster_sums", &cluster_sums<float>, py::arg("x").noconvert(),
        py::arg("labels").noconvert(), py::arg("n_clusters"), py::arg("shifts").noconvert(),
        py::arg("n_threads"));
  m.def("kmeans_cluster_sums", &cluster_sums<double>, py::arg("x").noconvert(),
        py::arg("labels").noconvert(), py::arg("n_clusters"), py::arg("shifts").noconvert(),
        py::arg("n_threads"));
  m.def("kmeans_centres_from_sums", &centres_from_sums<float>, py::arg("hi").noconvert(),
        py::arg("lo").noconvert(), py::arg("weights").noconvert(), py::arg("shifts").noconvert(),
        py::arg("centers").noconvert());
  m.def("kmeans_centres_from_sums", &centres_from_sums<double>, py::arg("hi").noconvert(),
        py::arg("lo").noconvert(), py::arg("weights").noconvert(), py::arg("shifts").noconvert(),
        py::arg("centers").noconvert());
  py::class_<DbscanParams>(m, "DbscanParams",
                           "DBSCAN's settings for the core: the search radius eps, the core "
                           "weight min_samples, the metric and the search structure "
                           "(auto, grid, kdtree or brute) with its leaf size.")
      .def(py::init(&make_dbscan_params), py::kw_only(), py::arg("eps"), py::arg("min_samples"),
           py::arg("metric") = "euclidean", py::arg("algorithm") = "auto",
           py::arg("leaf_size") = 32)
      .def_readonly("eps", &DbscanParams::eps)
      .def_readonly("min_samples", &DbscanParams::min_samples)
      .def_readonly("metric", &DbscanParams::metric)
      .def_readonly("algorithm", &DbscanParams::algorithm)
      .def_readonly("leaf_size", &DbscanParams::leaf_size);
  m.def("dbscan", &dbscan, py::arg("x").noconvert(), py::arg("sample_weight").noconvert(),
        py::arg("params"), py::arg("n_threads"));
  m.def("dbscan_assign", &dbscan_assign, py::arg("core_points").noconvert(),
        py::arg("core_labels").noconvert(), py::arg("x").noconvert(), py::arg("eps"),
        py::arg("metric"), py::arg("n_threads"));
}

}  // namespace oddseq::bindings
