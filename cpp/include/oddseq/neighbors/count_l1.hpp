#pragma once
// Exact L1 (manhattan) neighbours of small count vectors: rows whose values are all
// integers in [0, 255], such as event counts per sequence. The kd-tree (kdtree.hpp)
// splits one coordinate at a time; on 35 event counts its boxes barely bound anything
// and a search is nearly a scan (so is a kd-tree on the group sums below: its leaves
// spread over the sums it never splits). Here two lower bounds of the L1 distance,
// never above it, cut the scan:
//  - the rows' totals: |sum(a) - sum(b)| <= L1(a, b). Rows are kept sorted by total, and
//    a query scans the totals outward from its own (its total first, then one more and
//    one less, ...), stopping once the gap exceeds its k-th distance so far;
//  - 16 group sums (the coordinates in groups balanced by their totals over the rows,
//    each sum capped at 255: capping never widens a gap): the L1 distance between two
//    rows' group sums is at most theirs. One SAD instruction compares a query's 16
//    bytes with four rows' (simd l1_u8x16), and only rows this bound does not rule out
//    are measured on all their bytes (simd l1_u8).
// On the count vectors of 100,000 sequences of 30 event types, the group sums rule out
// all but about 0.05% of the rows within a query's second-nearest distance.
// Equal rows are searched once (a distinct vector, with its rows in ascending order), so
// copies cost nothing: logs where most entities did one thing have few distinct rows.
//
// Distances are exact integers (returned as doubles: the kd-tree's, bit for bit), and
// neighbours come in (distance, row) order, ties to the smaller row: results are those of
// the kd-tree's manhattan search, whatever the thread count.
#include <cstdint>
#include <utility>
#include <vector>

namespace oddseq::neighbors {

class CountL1Index {
 public:
  // Whether every value of each row of x[n x d] is an integer in [0, 255]: a byte per row.
  static void representable_rows(const double* x, std::int64_t n, std::int64_t d,
                                 std::uint8_t* out);

  // x: n rows of d values, each representable (checked).
  CountL1Index(const double* x, std::int64_t n, std::int64_t d);

  std::int64_t size() const { return n_; }
  std::int64_t dim() const { return d_; }

  // Each query's k nearest rows (k <= n; exclude[i], when given and >= 0, is a row that
  // query i skips); queries must be representable (checked).
  void knn(const double* q, std::int64_t m, std::int64_t k, const std::int64_t* exclude,
           int n_threads, double* distances, std::int64_t* indices) const;
  // Each indexed row's k nearest other rows (k < n), written at its row.
  void knn_self(std::int64_t k, int n_threads, double* distances, std::int64_t* indices) const;
  // Rows within distance `radius` (inclusive) of each query (representable, checked).
  void radius_count(const double* q, std::int64_t m, double radius, int n_threads,
                    std::int64_t* counts) const;

 private:
  using Candidate = std::pair<std::uint32_t, std::int64_t>;  // (distance, row)
  static constexpr std::int64_t kGroups = 16;

  // A query: its bytes (width_), capped group sums (kGroups) and total.
  struct Query {
    std::vector<std::uint8_t> bytes, sums;
    std::int64_t total = 0;
  };
  void encode(const double* q, Query& query) const;
  // The k nearest rows to the query, less row `skip`, into the max-heap `heap`.
  void search(const Query& query, std::int64_t skip, std::int64_t k,
              std::vector<Candidate>& heap) const;

  std::int64_t n_ = 0, d_ = 0, width_ = 0, distinct_ = 0, max_total_ = 0;
  std::vector<std::int32_t> group_;  // d_: each coordinate's group
  // The distinct vectors by (total, bytes): their bytes (distinct_ x width_), capped group
  // sums ((distinct_ + 64) x kGroups; zero padding for whole screens), and rows: those
  // of vector v are order_[rows_of_[v] .. rows_of_[v + 1]), ascending.
  std::vector<std::uint8_t> bytes_, sums_;
  std::vector<std::int64_t> order_, rows_of_;
  // Vectors with total t: [first_[t], first_[t + 1]) (max_total_ + 2 entries).
  std::vector<std::int64_t> first_;
};

}  // namespace oddseq::neighbors
