// The exact neighbour indexes (KdTree; CountL1Index for small counts under L1):
// k-nearest and radius queries.
#include <map>
#include <memory>
#include <string>

#include "common.hpp"
#include "oddseq/neighbors/count_l1.hpp"
#include "oddseq/neighbors/kdtree.hpp"

namespace oddseq::bindings {

namespace {

using neighbors::KdTree;

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

// The searches below serve both indexes (KdTree, CountL1Index): one binding each.
template <class Index>
void require_queries(const Index& tree, const CArray<double>& q) {
  require_matrix(q, "X");
  if (q.shape(1) != tree.dim()) {
    throw std::invalid_argument("X has " + std::to_string(q.shape(1)) + " features, the index " +
                                std::to_string(tree.dim()));
  }
}

// What knn and knn_self return: a read-only record read by name.
struct Neighbors {
  py::array distances;  // m x k, ascending per row
  py::array indices;    // m x k, int64 rows of the index
};

template <class Index>
Neighbors knn(const Index& tree, const CArray<double>& q, std::int64_t k,
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
    py::gil_scoped_release release;  // parallel searches, poll Ctrl-C
    tree.knn(q.data(), m, k, skip, n_threads, dist, idx);
  }
  return {distances, indices};
}

template <class Index>
Neighbors knn_self(const Index& tree, std::int64_t k, int n_threads) {
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
  return {distances, indices};
}

template <class Index>
py::array_t<std::int64_t> radius_count(const Index& tree, const CArray<double>& q, double radius,
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

using neighbors::CountL1Index;

py::array_t<bool> count_rows(const CArray<double>& x) {
  require_matrix(x, "X");
  py::array_t<bool> out(x.shape(0));
  static_assert(sizeof(bool) == sizeof(std::uint8_t));
  auto* flags = reinterpret_cast<std::uint8_t*>(out.mutable_data());
  {
    py::gil_scoped_release release;
    CountL1Index::representable_rows(x.data(), x.shape(0), x.shape(1), flags);
  }
  return out;
}

std::unique_ptr<CountL1Index> make_count_index(const CArray<double>& x) {
  require_matrix(x, "X");
  if (x.shape(0) == 0 || x.shape(1) == 0) throw std::invalid_argument("X is empty");
  py::gil_scoped_release release;
  return std::make_unique<CountL1Index>(x.data(), x.shape(0), x.shape(1));
}

}  // namespace

void register_neighbors(py::module_& m) {
  py::class_<Neighbors>(m, "Neighbors", "Each query's k nearest rows (KdTree.knn, knn_self).")
      .def_readonly("distances", &Neighbors::distances)
      .def_readonly("indices", &Neighbors::indices);
  py::class_<KdTree>(m, "KdTree")
      .def(py::init(&make_tree), py::arg("x").noconvert(), py::arg("metric"), py::arg("leaf_size"),
           py::arg("n_threads"), py::arg("frame") = "automatic")
      .def_property_readonly("size", &KdTree::size)
      .def_property_readonly("rotated", &KdTree::rotated)
      .def_property_readonly("scans", &KdTree::scans)
      .def_property_readonly("dim", &KdTree::dim)
      .def("knn", &knn<KdTree>, py::arg("x").noconvert(), py::arg("k"),
           py::arg("exclude").noconvert(), py::arg("n_threads"))
      .def("knn_self", &knn_self<KdTree>, py::arg("k"), py::arg("n_threads"))
      .def("radius_count", &radius_count<KdTree>, py::arg("x").noconvert(), py::arg("radius"),
           py::arg("n_threads"));
  py::class_<CountL1Index>(m, "CountL1Index",
                           "Exact L1 neighbours of rows of integers in [0, 255] (count vectors).")
      .def(py::init(&make_count_index), py::arg("x").noconvert())
      .def_static("representable_rows", &count_rows, py::arg("x").noconvert(),
                  "Per row of X: whether all its values are integers in [0, 255].")
      .def_property_readonly("size", &CountL1Index::size)
      .def_property_readonly("dim", &CountL1Index::dim)
      .def("knn", &knn<CountL1Index>, py::arg("x").noconvert(), py::arg("k"),
           py::arg("exclude").noconvert(), py::arg("n_threads"))
      .def("knn_self", &knn_self<CountL1Index>, py::arg("k"), py::arg("n_threads"))
      .def("radius_count", &radius_count<CountL1Index>, py::arg("x").noconvert(), py::arg("radius"),
           py::arg("n_threads"));
}

}  // namespace oddseq::bindings
