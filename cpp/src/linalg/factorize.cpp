#include "oddseq/linalg/factorize.hpp"

#include <algorithm>
#include <cstdint>

#include "oddseq/core/big_buffer.hpp"
#include "oddseq/core/check.hpp"
#include "oddseq/core/hash.hpp"
#include "oddseq/core/interrupt.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::linalg {

namespace {

// Rows per partition aimed at: the partition's keys and table then stay within L2.
constexpr std::int64_t kRowsPerPartition = 1 << 14;
// ... but at most 256 partitions: the scatter and the gather write to and read from one
// place per partition at once, and beyond a few hundred places every row misses the TLB.
// A partition's hash table holds its distinct keys, not its rows, so it stays small far
// beyond 16,384 rows. Measured (100 M rows, 2 threads; 4,096 partitions -> 256): 1 M
// distinct keys 5.2-5.9 -> 2.5-2.8 s, 10 M 5.9-6.8 -> 3.5-3.9 s, 100 M 10.5 -> 10.9-11.3 s
// (there the tables leave the cache either way).
constexpr int kMaxPartitionBits = 8;

int partition_bits(std::int64_t n) {
  int bits = 0;
  while (bits < kMaxPartitionBits && (std::int64_t{1} << bits) * kRowsPerPartition < n) ++bits;
  return bits;
}

// Open addressing sized to the distinct keys seen so far (load kept under one half), so
// few-valued columns keep tiny tables.
class CodeTable {
 public:
  std::int64_t code_of(std::int64_t key, std::vector<std::int64_t>& uniques) {
    std::uint64_t slot = find(key);
    if (slots_[slot].code < 0) {
      if (2 * (uniques.size() + 1) > slots_.size()) {
        grow();
        slot = find(key);
      }
      slots_[slot] = Slot{key, static_cast<std::int64_t>(uniques.size())};
      uniques.push_back(key);
    }
    return slots_[slot].code;
  }

 private:
  struct Slot {
    std::int64_t key;
    std::int64_t code;  // -1 = empty
  };
  std::uint64_t find(std::int64_t key) const {
    const std::uint64_t mask = slots_.size() - 1;
    std::uint64_t slot =
        core::mix64(static_cast<std::uint64_t>(key) ^ 0x5851F42D4C957F2DULL) & mask;
    while (slots_[slot].code >= 0 && slots_[slot].key != key) slot = (slot + 1) & mask;
    return slot;
  }
  void grow() {
    std::vector<Slot> old(2 * slots_.size(), Slot{0, -1});
    old.swap(slots_);
    for (const Slot& entry : old) {
      if (entry.code >= 0) slots_[find(entry.key)] = entry;
    }
  }
  std::vector<Slot> slots_ = std::vector<Slot>(64, Slot{0, -1});
};

// Keys within a range of under 16 values per row (ids numbered from some base, the common
// case) need no hashing: a bitmap of the keys present and a running count per 64-bit word
// give each key its rank, so codes come in sorted key order. Both tables take 2 bits per
// possible key and stay in cache where a table of codes over the range would not.
// Measured, 10 M rows: 0.18 s over 100k or 1 M possible keys, 0.30 s over 10 M and 0.61 s
// over 100 M, against 0.46-0.76 s hashed; hashing wins again beyond about 30 per row.
template <class CodeT>
bool factorize_dense(const std::int64_t* values, std::int64_t n, int n_threads, CodeT* codes,
                     Factorization& out) {
  if (n == 0) return false;
  const int threads = core::resolve_threads(n_threads);
  std::vector<std::int64_t> lows(static_cast<std::size_t>(threads), values[0]);
  std::vector<std::int64_t> highs(static_cast<std::size_t>(threads), values[0]);
  core::for_each_chunk(n, threads, [&](int t, std::int64_t begin, std::int64_t end) {
    // In registers, written once: the threads' slots share a cache line, and a store per
    // row (the compiler cannot keep a slot that may alias `values` in a register) made
    // this pass a quarter of a 100 M-row factorization's time.
    std::int64_t low = values[0], high = values[0];
    for (std::int64_t i = begin; i < end; ++i) {
      low = std::min(low, values[i]);
      high = std::max(high, values[i]);
    }
    lows[t] = low;
    highs[t] = high;
  });
  const std::int64_t low = *std::min_element(lows.begin(), lows.end());
  const std::int64_t high = *std::max_element(highs.begin(), highs.end());
  // The span as unsigned: high - low can exceed INT64_MAX.
  const std::uint64_t span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
  if (span / 16 >= static_cast<std::uint64_t>(n)) return false;
  const auto offset = [&](std::int64_t v) {
    return static_cast<std::uint64_t>(v) - static_cast<std::uint64_t>(low);
  };
  const std::uint64_t words = span / 64 + 1;
  std::vector<std::uint64_t> present(words, 0);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint64_t key = offset(values[i]);
    present[key / 64] |= std::uint64_t{1} << (key % 64);
  }
  std::vector<std::int64_t> before(words);  // keys present in earlier words
  std::int64_t total = 0;
  for (std::uint64_t w = 0; w < words; ++w) {
    before[w] = total;
    for (std::uint64_t bits = present[w]; bits != 0; bits &= bits - 1) {
      out.uniques.push_back(low + static_cast<std::int64_t>(w * 64 + __builtin_ctzll(bits)));
    }
    total += __builtin_popcountll(present[w]);
  }
  core::for_each_chunk(n, threads, [&](int, std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      const std::uint64_t key = offset(values[i]);
      const std::uint64_t below = present[key / 64] & ((std::uint64_t{1} << (key % 64)) - 1);
      codes[i] = static_cast<CodeT>(before[key / 64] + __builtin_popcountll(below));
    }
  });
  return true;
}

}  // namespace

template <class CodeT>
Factorization factorize_int64(const std::int64_t* values, std::int64_t n, int n_threads,
                              CodeT* codes, bool sorted) {
  ODDSEQ_CHECK(n >= 0, "factorize: negative size");
  ODDSEQ_CHECK(sizeof(CodeT) == 8 || n <= INT32_MAX, "factorize: too many rows for int32 codes");
  if (Factorization dense; factorize_dense(values, n, n_threads, codes, dense)) return dense;
  // Radix-partition the keys by hash, factorize each partition with a small table, then
  // walk the rows in order again to gather the codes: every pass streams through memory.
  const int bits = partition_bits(n);
  const std::int64_t n_parts = std::int64_t{1} << bits;
  const int shift = 64 - bits;
  auto part_of = [&](std::int64_t v) -> std::int64_t {
    return bits == 0
               ? 0
               : static_cast<std::int64_t>(core::mix64(static_cast<std::uint64_t>(v)) >> shift);
  };
  const int threads = core::resolve_threads(n_threads);
  // start_cursor[t * n_parts + p]: rows of partition p in chunk t, later their place.
  std::vector<std::int64_t> start_cursor(static_cast<std::size_t>(threads * n_parts), 0);
  core::for_each_chunk(n, threads, [&](int t, std::int64_t begin, std::int64_t end) {
    std::int64_t* local = start_cursor.data() + t * n_parts;
    for (std::int64_t i = begin; i < end; ++i) ++local[part_of(values[i])];
  });
  std::vector<std::int64_t> part_start(static_cast<std::size_t>(n_parts) + 1, 0);
  for (std::int64_t p = 0; p < n_parts; ++p) {
    std::int64_t running = part_start[p];
    for (int t = 0; t < threads; ++t) {
      std::int64_t& c = start_cursor[static_cast<std::size_t>(t * n_parts + p)];
      const std::int64_t size = c;
      c = running;
      running += size;
    }
    part_start[p + 1] = running;
  }
  // Stable scatter of the keys: within a partition, rows keep their order.
  core::BigBuffer<std::int64_t> keys(static_cast<std::size_t>(n));
  core::for_each_chunk(n, threads, [&](int t, std::int64_t begin, std::int64_t end) {
    std::vector<std::int64_t> cursor(start_cursor.begin() + t * n_parts,
                                     start_cursor.begin() + (t + 1) * n_parts);
    for (std::int64_t i = begin; i < end; ++i) keys[cursor[part_of(values[i])]++] = values[i];
  });
  core::throw_if_interrupted();

  // Local codes by first appearance within each partition, written over the keys.
  std::vector<std::vector<std::int64_t>> part_uniques(static_cast<std::size_t>(n_parts));
  core::parallel_for_dynamic(
      n_parts, n_threads,
      [&](std::int64_t p) {
        CodeTable table;
        std::vector<std::int64_t>& uniques = part_uniques[static_cast<std::size_t>(p)];
        for (std::int64_t r = part_start[p]; r < part_start[p + 1]; ++r) {
          keys[static_cast<std::size_t>(r)] =
              table.code_of(keys[static_cast<std::size_t>(r)], uniques);
        }
      },
      4);
  std::vector<std::int64_t> base(static_cast<std::size_t>(n_parts) + 1, 0);
  for (std::int64_t p = 0; p < n_parts; ++p) {
    base[p + 1] = base[p] + static_cast<std::int64_t>(part_uniques[p].size());
  }
  Factorization out;
  out.uniques.resize(static_cast<std::size_t>(base[n_parts]));
  core::parallel_for(n_parts, n_threads, [&](std::int64_t p) {
    std::copy(part_uniques[p].begin(), part_uniques[p].end(), out.uniques.begin() + base[p]);
  });
  if (sorted) {
    // Codes in sorted key order: each key's rank among the uniques, written over the
    // partition's local codes while that partition's ranks are in cache (a lookup per
    // row in a table of every key's rank would miss the cache on every row).
    std::vector<std::pair<std::int64_t, std::int64_t>> by_key(out.uniques.size());
    core::parallel_for(static_cast<std::int64_t>(by_key.size()), n_threads, [&](std::int64_t u) {
      by_key[static_cast<std::size_t>(u)] = {out.uniques[static_cast<std::size_t>(u)], u};
    });
    std::sort(by_key.begin(), by_key.end());
    std::vector<std::int64_t> rank(by_key.size());
    for (std::size_t r = 0; r < by_key.size(); ++r) {
      out.uniques[r] = by_key[r].first;
      rank[static_cast<std::size_t>(by_key[r].second)] = static_cast<std::int64_t>(r);
    }
    core::parallel_for_dynamic(
        n_parts, n_threads,
        [&](std::int64_t p) {
          const std::int64_t* part_rank = rank.data() + base[p];
          for (std::int64_t r = part_start[p]; r < part_start[p + 1]; ++r) {
            std::int64_t& key = keys[static_cast<std::size_t>(r)];
            key = part_rank[key] - base[p];  // base[p] is added back below
          }
        },
        4);
  }
  // Rows in order again: the same cursors find each row's local code.
  core::for_each_chunk(n, threads, [&](int t, std::int64_t begin, std::int64_t end) {
    std::vector<std::int64_t> cursor(start_cursor.begin() + t * n_parts,
                                     start_cursor.begin() + (t + 1) * n_parts);
    for (std::int64_t i = begin; i < end; ++i) {
      const std::int64_t p = part_of(values[i]);
      codes[i] = static_cast<CodeT>(base[p] + keys[static_cast<std::size_t>(cursor[p]++)]);
    }
  });
  return out;
}

std::vector<std::int64_t> first_indices(const std::int64_t* codes, std::int64_t n,
                                        std::int64_t n_codes) {
  std::vector<std::int64_t> first(static_cast<std::size_t>(n_codes), -1);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t c = codes[i];
    ODDSEQ_CHECK_RANGE(c >= 0 && c < n_codes, "code " << c << " outside [0, " << n_codes << ")");
    if (first[static_cast<std::size_t>(c)] < 0) first[static_cast<std::size_t>(c)] = i;
  }
  return first;
}

template Factorization factorize_int64<std::int32_t>(const std::int64_t*, std::int64_t, int,
                                                     std::int32_t*, bool);
template Factorization factorize_int64<std::int64_t>(const std::int64_t*, std::int64_t, int,
                                                     std::int64_t*, bool);

}  // namespace oddseq::linalg
