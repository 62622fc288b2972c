#include "oddseq/encode/ngrams.hpp"

#include <algorithm>
#include <utility>

#include "oddseq/core/check.hpp"
#include "oddseq/core/hash.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::encode {

namespace {

using core::mix64;

// Key of the n-gram starting at codes[i].
inline std::int64_t key_at(const std::int32_t* codes, const std::uint64_t* element_hash,
                           std::int64_t i, int n) {
  std::uint64_t h = mix64(static_cast<std::uint64_t>(n) * 0x9E3779B97F4A7C15ULL);
  for (int k = 0; k < n; ++k) h = mix64(h * 0x100000001B3ULL ^ element_hash[codes[i + k]]);
  return static_cast<std::int64_t>(h);
}

void check_codes(const std::int32_t* codes, std::int64_t begin, std::int64_t end,
                 std::int64_t n_codes) {
  for (std::int64_t i = begin; i < end; ++i) {
    ODDSEQ_CHECK_RANGE(codes[i] >= 0 && codes[i] < n_codes,
                       "code " << codes[i] << " outside [0, " << n_codes << ")");
  }
}

// Small vocabularies (event types): every possible n-gram gets a slot in a dense index
// space (codes as digits of a number in base n_codes), so per-sequence counting needs no
// hashing and no sorting; each slot knows its key, so results match the hashed path.
constexpr std::int64_t kMaxDenseSlots = std::int64_t{1} << 16;

class DenseGrams {
 public:
  DenseGrams(const std::uint64_t* element_hash, std::int64_t n_codes, int n_min, int n_max)
      : n_codes_(n_codes), n_min_(n_min) {
    std::int64_t size = 0, power = 1;
    for (int n = 1; n <= n_max; ++n) {
      if (power > kMaxDenseSlots / std::max<std::int64_t>(n_codes, 1)) return;
      power *= n_codes;
      if (n >= n_min) {
        base_.push_back(size);
        size += power;
        if (size > kMaxDenseSlots) return;
      }
    }
    keys_.resize(static_cast<std::size_t>(size));
    std::vector<std::int32_t> digits(static_cast<std::size_t>(n_max));
    for (int n = n_min; n <= n_max; ++n) {
      const std::int64_t start = base_[static_cast<std::size_t>(n - n_min)];
      const std::int64_t end = n < n_max ? base_[static_cast<std::size_t>(n - n_min + 1)] : size;
      for (std::int64_t slot = start; slot < end; ++slot) {
        std::int64_t rest = slot - start;
        for (int k = n - 1; k >= 0; --k) {
          digits[static_cast<std::size_t>(k)] = static_cast<std::int32_t>(rest % n_codes);
          rest /= n_codes;
        }
        keys_[static_cast<std::size_t>(slot)] = key_at(digits.data(), element_hash, 0, n);
      }
    }
    usable_ = true;
  }
  bool usable() const { return usable_; }
  std::int64_t size() const { return static_cast<std::int64_t>(keys_.size()); }
  std::int64_t key(std::int64_t slot) const { return keys_[static_cast<std::size_t>(slot)]; }
  std::int64_t slot(const std::int32_t* codes, std::int64_t i, int n) const {
    std::int64_t index = 0;
    for (int k = 0; k < n; ++k) index = index * n_codes_ + codes[i + k];
    return base_[static_cast<std::size_t>(n - n_min_)] + index;
  }

 private:
  std::int64_t n_codes_;
  int n_min_;
  std::vector<std::int64_t> base_;
  std::vector<std::int64_t> keys_;
  bool usable_ = false;
};

}  // namespace

NgramKeys ngram_keys(const std::int64_t* offsets, std::int64_t n_sequences,
                     const std::int32_t* codes, const std::uint64_t* element_hash,
                     std::int64_t n_codes, int n_min, int n_max, int n_threads) {
  ODDSEQ_CHECK(n_min >= 1 && n_max >= n_min, "need 1 <= n_min <= n_max");
  const DenseGrams dense(element_hash, n_codes, n_min, n_max);
  std::vector<NgramKeys> local(static_cast<std::size_t>(n_sequences));
  core::parallel_for_dynamic(
      n_sequences, n_threads,
      [&](std::int64_t s) {
        const std::int64_t begin = offsets[s], end = offsets[s + 1];
        check_codes(codes, begin, end, n_codes);
        NgramKeys& out = local[static_cast<std::size_t>(s)];
        if (dense.usable()) {
          static thread_local std::vector<std::int64_t> first;
          first.assign(static_cast<std::size_t>(dense.size()), -1);
          for (int n = n_min; n <= n_max; ++n) {
            for (std::int64_t i = begin; i + n <= end; ++i) {
              const std::int64_t slot = dense.slot(codes, i, n);
              if (first[static_cast<std::size_t>(slot)] >= 0) continue;
              first[static_cast<std::size_t>(slot)] = i;
              out.keys.push_back(dense.key(slot));
              out.positions.push_back(i);
              out.lengths.push_back(n);
            }
          }
          return;
        }
        // (key, position, n), then the first occurrence of each key.
        std::vector<std::pair<std::int64_t, std::pair<std::int64_t, int>>> found;
        for (int n = n_min; n <= n_max; ++n) {
          for (std::int64_t i = begin; i + n <= end; ++i) {
            found.push_back({key_at(codes, element_hash, i, n), {i, n}});
          }
        }
        std::sort(found.begin(), found.end());
        for (std::size_t j = 0; j < found.size(); ++j) {
          if (j > 0 && found[j].first == found[j - 1].first) continue;
          out.keys.push_back(found[j].first);
          out.positions.push_back(found[j].second.first);
          out.lengths.push_back(found[j].second.second);
        }
      },
      64);
  NgramKeys all;
  for (auto& part : local) {
    all.keys.insert(all.keys.end(), part.keys.begin(), part.keys.end());
    all.positions.insert(all.positions.end(), part.positions.begin(), part.positions.end());
    all.lengths.insert(all.lengths.end(), part.lengths.begin(), part.lengths.end());
  }
  return all;
}

SparseCounts ngram_counts(const std::int64_t* offsets, std::int64_t n_sequences,
                          const std::int32_t* codes, const std::uint64_t* element_hash,
                          std::int64_t n_codes, int n_min, int n_max,
                          const std::int64_t* sorted_vocabulary, std::int64_t vocabulary_size,
                          bool count_unseen, std::int64_t hash_width, int n_threads) {
  ODDSEQ_CHECK(n_min >= 1 && n_max >= n_min, "need 1 <= n_min <= n_max");
  ODDSEQ_CHECK(hash_width == 0 || (hash_width & (hash_width - 1)) == 0,
               "hash width must be a power of two, got " << hash_width);
  std::vector<std::vector<std::pair<std::int32_t, float>>> rows(
      static_cast<std::size_t>(n_sequences));
  // Vocabulary mode over a small alphabet: each dense slot's column, found once.
  const DenseGrams dense(element_hash, n_codes, n_min, n_max);
  const bool use_dense = hash_width == 0 && dense.usable();
  std::vector<std::int32_t> column_of_slot;
  if (use_dense) {
    column_of_slot.resize(static_cast<std::size_t>(dense.size()));
    for (std::int64_t slot = 0; slot < dense.size(); ++slot) {
      const std::int64_t key = dense.key(slot);
      const std::int64_t* hit =
          std::lower_bound(sorted_vocabulary, sorted_vocabulary + vocabulary_size, key);
      column_of_slot[static_cast<std::size_t>(slot)] =
          (hit != sorted_vocabulary + vocabulary_size && *hit == key)
              ? static_cast<std::int32_t>(hit - sorted_vocabulary)
              : (count_unseen ? static_cast<std::int32_t>(vocabulary_size) : -1);
    }
  }
  core::parallel_for_dynamic(
      n_sequences, n_threads,
      [&](std::int64_t s) {
        const std::int64_t begin = offsets[s], end = offsets[s + 1];
        check_codes(codes, begin, end, n_codes);
        std::vector<std::pair<std::int32_t, float>> cells;
        if (use_dense) {
          // Counts straight into a per-thread column array; only touched columns are
          // read back (and reset).
          static thread_local std::vector<float> column_count;
          static thread_local std::vector<std::int32_t> touched;
          column_count.resize(static_cast<std::size_t>(vocabulary_size) + 1, 0.0f);
          touched.clear();
          for (int n = n_min; n <= n_max; ++n) {
            for (std::int64_t i = begin; i + n <= end; ++i) {
              const std::int32_t column =
                  column_of_slot[static_cast<std::size_t>(dense.slot(codes, i, n))];
              if (column < 0) continue;
              if (column_count[static_cast<std::size_t>(column)] == 0.0f) touched.push_back(column);
              column_count[static_cast<std::size_t>(column)] += 1.0f;
            }
          }
          for (const std::int32_t column : touched) {
            cells.push_back({column, column_count[static_cast<std::size_t>(column)]});
            column_count[static_cast<std::size_t>(column)] = 0.0f;
          }
        } else {
          for (int n = n_min; n <= n_max; ++n) {
            for (std::int64_t i = begin; i + n <= end; ++i) {
              const std::int64_t key = key_at(codes, element_hash, i, n);
              if (hash_width > 0) {
                const std::uint64_t h =
                    mix64(static_cast<std::uint64_t>(key) ^ 0x5851F42D4C957F2DULL);
                const auto column =
                    static_cast<std::int32_t>(h & static_cast<std::uint64_t>(hash_width - 1));
                cells.push_back({column, (h >> 63) != 0 ? -1.0f : 1.0f});
                continue;
              }
              const std::int64_t* hit =
                  std::lower_bound(sorted_vocabulary, sorted_vocabulary + vocabulary_size, key);
              if (hit != sorted_vocabulary + vocabulary_size && *hit == key) {
                cells.push_back({static_cast<std::int32_t>(hit - sorted_vocabulary), 1.0f});
              } else if (count_unseen) {
                cells.push_back({static_cast<std::int32_t>(vocabulary_size), 1.0f});
              }
            }
          }
        }
        std::sort(cells.begin(), cells.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        auto& merged = rows[static_cast<std::size_t>(s)];
        for (const auto& cell : cells) {
          if (!merged.empty() && merged.back().first == cell.first) {
            merged.back().second += cell.second;
          } else {
            merged.push_back(cell);
          }
        }
        // Signed hashing can cancel to zero: keep the matrix free of explicit zeros.
        merged.erase(std::remove_if(merged.begin(), merged.end(),
                                    [](const auto& c) { return c.second == 0.0f; }),
                     merged.end());
      },
      64);
  SparseCounts out;
  out.indptr.assign(static_cast<std::size_t>(n_sequences) + 1, 0);
  for (std::int64_t s = 0; s < n_sequences; ++s) {
    out.indptr[s + 1] = out.indptr[s] + static_cast<std::int64_t>(rows[s].size());
  }
  out.indices.resize(static_cast<std::size_t>(out.indptr.back()));
  out.data.resize(static_cast<std::size_t>(out.indptr.back()));
  core::parallel_for(n_sequences, n_threads, [&](std::int64_t s) {
    std::int64_t at = out.indptr[s];
    for (const auto& cell : rows[static_cast<std::size_t>(s)]) {
      out.indices[at] = cell.first;
      out.data[at] = cell.second;
      ++at;
    }
  });
  return out;
}

}  // namespace oddseq::encode
