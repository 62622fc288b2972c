#include <map>
#include <memory>
#include <string>

#include "common.hpp"
#include "oddseq/cluster/dbscan.hpp"
#include "oddseq/neighbors/kdtree.hpp"

namespace oddseq::bindings {

namespace {

using neighbors::KdTree;

void require_matrix(const CArray<double>& x, const char* name) {
  if (x.ndim() != 2) throw std::invalid_argument(std::string(name) + " must be 2-D");
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

py::tuple dbscan(const CArray<double>& x, double eps, double min_samples,
                 const std::optional<CArray<double>>& weights, const std::string& metric,
                 const std::string& algorithm, std::int64_t leaf_size, int n_threads) {
  require_matrix(x, "X");
  if (weights && weights->size() != x.shape(0)) {
    throw std::invalid_argument("sample_weight length differs from the number of rows");
  }
  const auto chosen_metric = neighbors::parse_metric(metric);
  const auto chosen = parse_dbscan_algorithm(algorithm);
  cluster::DbscanResult result;
  {
    py::gil_scoped_release release;  // every phase runs on OpenMP threads; polls Ctrl-C
    result = cluster::dbscan(x.data(), x.shape(0), x.shape(1), eps, min_samples,
                             data_or_null(weights), chosen_metric, chosen, leaf_size, n_threads);
  }
  py::array_t<bool> is_core(static_cast<py::ssize_t>(result.is_core.size()));
  std::copy(result.is_core.begin(), result.is_core.end(), is_core.mutable_data());
  return py::make_tuple(to_numpy(std::move(result.labels)), is_core, result.n_clusters,
                        dbscan_algorithm_name(result.used));
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

std::unique_ptr<KdTree> make_tree(const CArray<double>& x, const std::string& metric,
                                  std::int64_t leaf_size, int n_threads, const std::string& frame) {
  require_matrix(x, "X");
  if (x.shape(0) == 0 || x.shape(1) == 0) throw std::invalid_argument("X is empty");
  const auto chosen_metric = neighbors::parse_metric(metric);
  const std::map<std::string, neighbors::Frame> frames{{"axes", neighbors::Frame::axes},
                                                       {"principal", neighbors::Frame::principal},
                                                       {"automatic", neighbors::Frame::automatic}};
  const auto chosen_frame = frames.find(frame);
  if (chosen_frame == frames.end()) throw std::invalid_argument("unknown frame " + frame);
  py::gil_scoped_release release;  // the build copies and partitions X
  return std::make_unique<KdTree>(x.data(), x.shape(0), x.shape(1), chosen_metric, leaf_size,
                                  n_threads, chosen_frame->second);
}

void require_queries(const KdTree& tree, const CArray<double>& q) {
  require_matrix(q, "X");
  if (q.shape(1) != tree.dim()) {
    throw std::invalid_argument("X has " + std::to_string(q.shape(1)) + " features, the index " +
                                std::to_string(tree.dim()));
  }
}

py::tuple knn(const KdTree& tree, const CArray<double>& q, std::int64_t k,
              const std::optional<CArray<std::int64_t>>& exclude, int n_threads) {
  require_queries(tree, q);
  if (k < 1 || k > tree.size()) throw std::invalid_argument("k must be in [1, n_indexed]");
  if (exclude && exclude->size() != q.shape(0)) {
    throw std::invalid_argument("exclude needs one row per query");
  }
  const std::int64_t m = q.shape(0);
  py::array_t<double> distances({static_cast<py::ssize_t>(m), static_cast<py::ssize_t>(k)});
  py::array_t<std::int64_t> indices({static_cast<py::ssize_t>(m), static_cast<py::ssize_t>(k)});
  double* dist = distances.mutable_data();
  std::int64_t* idx = indices.mutable_data();
  const std::int64_t* skip = exclude ? exclude->data() : nullptr;
  {
    py::gil_scoped_release release;
    tree.knn(q.data(), m, k, skip, n_threads, dist, idx);
  }
  return py::make_tuple(distances, indices);
}

py::tuple knn_self(const KdTree& tree, std::int64_t k, int n_threads) {
  if (k < 1 || k >= tree.size()) throw std::invalid_argument("k must be in [1, n_indexed - 1]");
  const std::int64_t n = tree.size();
  py::array_t<double> distances({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(k)});
  py::array_t<std::int64_t> indices({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(k)});
  double* dist = distances.mutable_data();
  std::int64_t* idx = indices.mutable_data();
  {
    py::gil_scoped_release release;  // parallel searches, polls Ctrl-C
    tree.knn_self(k, n_threads, dist, idx);
  }
  return py::make_tuple(distances, indices);
}

py::array_t<std::int64_t> radius_count(const KdTree& tree, const CArray<double>& q, double radius,
                                       int n_threads) {
  require_queries(tree, q);
  py::array_t<std::int64_t> counts(q.shape(0));
  std::int64_t* out = counts.mutable_data();
  {
    py::gil_scoped_release release;
    tree.radius_count(q.data(), q.shape(0), radius, n_threads, out);
  }
  return counts;
}

}  // namespace

void register_neighbors(py::module_& m) {
  m.def("dbscan", &dbscan, py::arg("x").noconvert(), py::arg("eps"), py::arg("min_samples"),
        py::arg("sample_weight").noconvert(), py::arg("metric"), py::arg("algorithm"),
        py::arg("leaf_size"), py::arg("n_threads"));
  m.def("dbscan_assign", &dbscan_assign, py::arg("core_points").noconvert(),
        py::arg("core_labels").noconvert(), py::arg("x").noconvert(), py::arg("eps"),
        py::arg("metric"), py::arg("n_threads"));
  py::class_<KdTree>(m, "KdTree")
      .def(py::init(&make_tree), py::arg("x").noconvert(), py::arg("metric"), py::arg("leaf_size"),
           py::arg("n_threads"), py::arg("frame") = "automatic")
      .def_property_readonly("size", &KdTree::size)
      .def_property_readonly("rotated", &KdTree::rotated)
      .def_property_readonly("scans", &KdTree::scans)
      .def_property_readonly("dim", &KdTree::dim)
      .def("knn", &knn, py::arg("x").noconvert(), py::arg("k"), py::arg("exclude").noconvert(),
           py::arg("n_threads"))
      .def("knn_self", &knn_self, py::arg("k"), py::arg("n_threads"))
      .def("radius_count", &radius_count, py::arg("x").noconvert(), py::arg("radius"),
           py::arg("n_threads"));
}

}  // namespace oddseq::bindings
