#pragma once
// Lock-free union-find for parallel connected components. Roots are linked by
// compare-and-swap, always the larger index under the smaller, so parent indices only
// decrease along a path (no cycles) and the final partition does not depend on the
// order in which threads perform the unions.
#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>

namespace oddseq::core {

class ConcurrentUnionFind {
 public:
  explicit ConcurrentUnionFind(std::int64_t n) : parent_(new std::atomic<std::int64_t>[n]) {
    for (std::int64_t i = 0; i < n; ++i) parent_[i].store(i, std::memory_order_relaxed);
  }

  std::int64_t find(std::int64_t x) const {
    while (true) {
      std::int64_t p = parent_[x].load(std::memory_order_acquire);
      if (p == x) return x;
      const std::int64_t grand = parent_[p].load(std::memory_order_acquire);
      // Path halving: pointing x at its grandparent keeps it on the path to the root.
      if (grand != p) {
        parent_[x].compare_exchange_weak(p, grand, std::memory_order_acq_rel);
      }
      x = grand;
    }
  }

  // Returns true when a and b were in different sets.
  bool unite(std::int64_t a, std::int64_t b) {
    while (true) {
      a = find(a);
      b = find(b);
      if (a == b) return false;
      if (a < b) std::swap(a, b);
      std::int64_t expected = a;
      if (parent_[a].compare_exchange_strong(expected, b, std::memory_order_acq_rel)) {
        return true;
      }
    }
  }

 private:
  std::unique_ptr<std::atomic<std::int64_t>[]> parent_;
};

}  // namespace oddseq::core
