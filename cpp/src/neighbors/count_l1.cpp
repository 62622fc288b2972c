#include "oddseq/neighbors/count_l1.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "oddseq/core/check.hpp"
#include "oddseq/core/parallel.hpp"
#include "oddseq/simd/kernels.hpp"

namespace oddseq::neighbors {

namespace {

bool representable(double v) { return v >= 0.0 && v <= 255.0 && v == std::floor(v); }

// Queries (or distinct vectors) per parallel task, each task with its own scratch.
constexpr std::int64_t kRun = 64;
// Vectors one screen covers (a multiple of 64): the limit is updated between screens.
constexpr std::int64_t kChunk = 256;

}  // namespace

void CountL1Index::representable_rows(const double* x, std::int64_t n, std::int64_t d,
                                      std::uint8_t* out) {
  for (std::int64_t i = 0; i < n; ++i) {
    const double* row = x + i * d;
    out[i] = std::all_of(row, row + d, [](double v) { return representable(v); });
  }
}

CountL1Index::CountL1Index(const double* x, std::int64_t n, std::int64_t d)
    : n_(n), d_(d), width_((d + simd::kL1ByteLanes - 1) / simd::kL1ByteLanes * simd::kL1ByteLanes) {
  ODDSEQ_CHECK(n > 0 && d > 0, "a count index needs at least one row and one column");
  ODDSEQ_CHECK(d <= (std::int64_t{1} << 23), "a count index takes at most 2^23 columns");
  ODDSEQ_CHECK(std::all_of(x, x + n * d, [](double v) { return representable(v); }),
               "a count index holds integers in [0, 255] only");
  // Groups: the columns by descending total (ties: the first column), each to the group
  // with the smallest total so far (ties: the first group).
  std::vector<std::int64_t> column_total(static_cast<std::size_t>(d), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < d; ++j) column_total[j] += static_cast<std::int64_t>(x[i * d + j]);
  }
  std::vector<std::int64_t> columns(static_cast<std::size_t>(d));
  std::iota(columns.begin(), columns.end(), std::int64_t{0});
  std::stable_sort(columns.begin(), columns.end(), [&](std::int64_t a, std::int64_t b) {
    return column_total[a] > column_total[b];
  });
  group_.assign(static_cast<std::size_t>(d), 0);
  std::vector<std::int64_t> load(static_cast<std::size_t>(kGroups), 0);
  for (const std::int64_t j : columns) {
    const auto g = std::min_element(load.begin(), load.end()) - load.begin();
    group_[j] = static_cast<std::int32_t>(g);
    load[g] += column_total[j];
  }
  // Every row as bytes; rows ordered by (total, bytes, row), equal rows then adjacent.
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(n * width_), 0);
  std::vector<std::int64_t> total(static_cast<std::size_t>(n), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < d; ++j) {
      bytes[i * width_ + j] = static_cast<std::uint8_t>(x[i * d + j]);
      total[i] += bytes[i * width_ + j];
    }
  }
  order_.resize(static_cast<std::size_t>(n));
  std::iota(order_.begin(), order_.end(), std::int64_t{0});
  const auto row_bytes = [&](std::int64_t row) { return bytes.data() + row * width_; };
  std::sort(order_.begin(), order_.end(), [&](std::int64_t a, std::int64_t b) {
    if (total[a] != total[b]) return total[a] < total[b];
    const int c = std::memcmp(row_bytes(a), row_bytes(b), static_cast<std::size_t>(width_));
    return c < 0 || (c == 0 && a < b);
  });
  rows_of_.push_back(0);
  for (std::int64_t pos = 1; pos <= n; ++pos) {
    if (pos == n || std::memcmp(row_bytes(order_[pos]), row_bytes(order_[pos - 1]),
                                static_cast<std::size_t>(width_)) != 0)
      rows_of_.push_back(pos);
  }
  distinct_ = static_cast<std::int64_t>(rows_of_.size()) - 1;
  max_total_ = total[order_[n - 1]];
  bytes_.resize(static_cast<std::size_t>(distinct_ * width_));
  sums_.assign(static_cast<std::size_t>((distinct_ + 64) * kGroups), 0);
  first_.assign(static_cast<std::size_t>(max_total_ + 2), 0);
  Query query;
  for (std::int64_t v = 0; v < distinct_; ++v) {
    const std::int64_t row = order_[rows_of_[v]];
    encode(x + row * d, query);
    std::copy_n(query.bytes.data(), width_, &bytes_[v * width_]);
    std::copy_n(query.sums.data(), kGroups, &sums_[v * kGroups]);
    ++first_[query.total + 1];
  }
  std::partial_sum(first_.begin(), first_.end(), first_.begin());
}

void CountL1Index::encode(const double* q, Query& query) const {
  query.bytes.assign(static_cast<std::size_t>(width_), 0);
  std::vector<std::int64_t> sums(static_cast<std::size_t>(kGroups), 0);
  query.total = 0;
  for (std::int64_t j = 0; j < d_; ++j) {
    const auto v = static_cast<std::uint8_t>(q[j]);
    query.bytes[j] = v;
    sums[group_[j]] += v;
    query.total += v;
  }
  query.sums.resize(static_cast<std::size_t>(kGroups));
  for (std::int64_t g = 0; g < kGroups; ++g)
    query.sums[g] = static_cast<std::uint8_t>(std::min<std::int64_t>(sums[g], 255));
}

void CountL1Index::search(const Query& query, std::int64_t skip, std::int64_t k,
                          std::vector<Candidate>& heap) const {
  const simd::Kernels& kernels = simd::active();
  std::uint64_t masks[kChunk / 64];
  heap.clear();
  const auto full = [&] { return static_cast<std::int64_t>(heap.size()) >= k; };
  // Vector v at distance `distance`: its rows in ascending order, while they improve the heap.
  const auto offer = [&](std::uint32_t distance, std::int64_t v) {
    for (std::int64_t pos = rows_of_[v]; pos < rows_of_[v + 1]; ++pos) {
      const Candidate candidate{distance, order_[pos]};
      if (candidate.second == skip) continue;
      if (!full()) {
        heap.push_back(candidate);
        std::push_heap(heap.begin(), heap.end());
      } else if (candidate < heap.front()) {
        std::pop_heap(heap.begin(), heap.end());
        heap.back() = candidate;
        std::push_heap(heap.begin(), heap.end());
      } else {
        return;  // the later rows are larger still
      }
    }
  };
  // Whether vector v, at least `bound` away, cannot improve a full heap: farther than the
  // k-th, or as far and all its rows after the k-th's (its first row is its smallest).
  const auto hopeless = [&](std::uint32_t bound, std::int64_t v) {
    if (!full()) return false;
    const Candidate& worst = heap.front();
    return bound > worst.first || (bound == worst.first && order_[rows_of_[v]] > worst.second);
  };
  const auto scan = [&](std::int64_t total) {
    for (std::int64_t begin = first_[total]; begin < first_[total + 1]; begin += kChunk) {
      const std::int64_t count = std::min(kChunk, first_[total + 1] - begin);
      const std::uint32_t limit = full() ? heap.front().first : ~std::uint32_t{0};
      kernels.l1_u8x16_within(query.sums.data(), sums_.data() + begin * kGroups,
                              (count + 63) / 64 * 64, limit, masks);
      for (std::int64_t word = 0; word * 64 < count; ++word) {
        for (std::uint64_t bits = masks[word]; bits != 0; bits &= bits - 1) {
          const std::int64_t v = begin + word * 64 + __builtin_ctzll(bits);
          if (v >= first_[total + 1]) break;
          std::uint32_t distance = 0;
          kernels.l1_u8(query.bytes.data(), bytes_.data() + v * width_, width_, 1, &distance);
          if (!hopeless(distance, v)) offer(distance, v);
        }
      }
    }
  };
  // Totals outward from the query's: the gap bounds every distance in a band.
  for (std::int64_t gap = 0;; ++gap) {
    if (full() && static_cast<std::uint64_t>(gap) > heap.front().first) break;
    const std::int64_t above = query.total + gap, below = query.total - gap;
    if (above > max_total_ && below < 0) break;
    if (above <= max_total_) scan(above);
    if (gap > 0 && below >= 0 && below <= max_total_) scan(below);
  }
}

namespace {

// Writes a heap of at most k candidates as a row of distances and rows, nearest first;
// where it holds fewer (an excluded row left fewer than k), the rest is (inf, -1), as the
// kd-tree writes it.
void write_row(std::vector<std::pair<std::uint32_t, std::int64_t>>& heap, std::int64_t k,
               double* distances, std::int64_t* indices) {
  std::sort_heap(heap.begin(), heap.end());
  const auto found = std::min(k, static_cast<std::int64_t>(heap.size()));
  for (std::int64_t j = 0; j < found; ++j) {
    distances[j] = static_cast<double>(heap[j].first);
    indices[j] = heap[j].second;
  }
  for (std::int64_t j = found; j < k; ++j) {
    distances[j] = std::numeric_limits<double>::infinity();
    indices[j] = -1;
  }
}

}  // namespace

void CountL1Index::knn(const double* q, std::int64_t m, std::int64_t k, const std::int64_t* exclude,
                       int n_threads, double* distances, std::int64_t* indices) const {
  ODDSEQ_CHECK(k >= 1 && k <= n_, "k must be in [1, n]");
  ODDSEQ_CHECK(std::all_of(q, q + m * d_, [](double v) { return representable(v); }),
               "a count index answers queries of integers in [0, 255] only");
  core::parallel_for_interruptible((m + kRun - 1) / kRun, n_threads,
                                   [&](std::int64_t run) {
                                     std::vector<Candidate> heap;
                                     heap.reserve(static_cast<std::size_t>(k + 1));
                                     Query query;
                                     for (std::int64_t i = run * kRun;
                                          i < std::min(m, (run + 1) * kRun); ++i) {
                                       encode(q + i * d_, query);
                                       search(query, exclude != nullptr ? exclude[i] : -1, k, heap);
                                       write_row(heap, k, distances + i * k, indices + i * k);
                                     }
                                   },
                                   1);
}

void CountL1Index::knn_self(std::int64_t k, int n_threads, double* distances,
                            std::int64_t* indices) const {
  ODDSEQ_CHECK(k >= 1 && k < n_, "k must be in [1, n - 1]");
  // One search per distinct vector, for its k + 1 nearest rows: each of its rows lies at
  // distance 0, first of all, so its k nearest others are those less itself.
  core::parallel_for_interruptible(
      (distinct_ + kRun - 1) / kRun, n_threads,
      [&](std::int64_t run) {
        std::vector<Candidate> heap;
        heap.reserve(static_cast<std::size_t>(k + 2));
        Query query;
        query.bytes.resize(static_cast<std::size_t>(width_));
        query.sums.resize(static_cast<std::size_t>(kGroups));
        for (std::int64_t v = run * kRun; v < std::min(distinct_, (run + 1) * kRun); ++v) {
          std::copy_n(&bytes_[v * width_], width_, query.bytes.data());
          std::copy_n(&sums_[v * kGroups], kGroups, query.sums.data());
          query.total = std::upper_bound(first_.begin(), first_.end(), v) - first_.begin() - 1;
          // A row without copies skips itself; the others search one further.
          const bool single = rows_of_[v + 1] - rows_of_[v] == 1;
          search(query, single ? order_[rows_of_[v]] : -1, single ? k : k + 1, heap);
          std::sort_heap(heap.begin(), heap.end());
          for (std::int64_t pos = rows_of_[v]; pos < rows_of_[v + 1]; ++pos) {
            const std::int64_t row = order_[pos];
            std::int64_t written = 0;
            for (const Candidate& candidate : heap) {
              if (candidate.second == row || written == k) continue;
              distances[row * k + written] = static_cast<double>(candidate.first);
              indices[row * k + written] = candidate.second;
              ++written;
            }
          }
        }
      },
      1);
}

void CountL1Index::radius_count(const double* q, std::int64_t m, double radius, int n_threads,
                                std::int64_t* counts) const {
  ODDSEQ_CHECK(std::all_of(q, q + m * d_, [](double v) { return representable(v); }),
               "a count index answers queries of integers in [0, 255] only");
  ODDSEQ_CHECK(!std::isnan(radius), "radius must be a number, got NaN");
  if (radius < 0) {  // no distance is negative (and -inf has no integer to cast to)
    std::fill(counts, counts + m, std::int64_t{0});
    return;
  }
  const simd::Kernels& kernels = simd::active();
  core::parallel_for_interruptible(
      (m + kRun - 1) / kRun, n_threads,
      [&](std::int64_t run) {
        std::uint64_t masks[kChunk / 64];
        Query query;
        for (std::int64_t i = run * kRun; i < std::min(m, (run + 1) * kRun); ++i) {
          encode(q + i * d_, query);
          std::int64_t total = 0;
          // Totals within the radius of the query's (distances are integers).
          const double reach = std::floor(std::min(radius, 1e15));
          const std::int64_t low =
              std::max<std::int64_t>(0, query.total - static_cast<std::int64_t>(reach));
          const std::int64_t high =
              std::min(max_total_, query.total + static_cast<std::int64_t>(reach));
          if (reach < 0 || low > high) {
            counts[i] = 0;
            continue;
          }
          const auto limit = static_cast<std::uint32_t>(std::min(reach, 4294967295.0));
          for (std::int64_t begin = first_[low]; begin < first_[high + 1]; begin += kChunk) {
            const std::int64_t count = std::min(kChunk, first_[high + 1] - begin);
            kernels.l1_u8x16_within(query.sums.data(), sums_.data() + begin * kGroups,
                                    (count + 63) / 64 * 64, limit, masks);
            for (std::int64_t word = 0; word * 64 < count; ++word) {
              for (std::uint64_t bits = masks[word]; bits != 0; bits &= bits - 1) {
                const std::int64_t j = word * 64 + __builtin_ctzll(bits);
                if (j >= count) break;
                const std::int64_t v = begin + j;
                std::uint32_t distance = 0;
                kernels.l1_u8(query.bytes.data(), bytes_.data() + v * width_, width_, 1, &distance);
                if (distance <= limit) total += rows_of_[v + 1] - rows_of_[v];
              }
            }
          }
          counts[i] = total;
        }
      },
      1);
}

}  // namespace oddseq::neighbors
