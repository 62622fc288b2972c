#pragma once
// Scratch arrays of hundreds of megabytes (a key or row index per event of a 100 M event
// log), allocated so that the kernels that scatter into them do not pay a page fault and
// a TLB miss per few rows.
//
// Why: Linux backs such an allocation with 4 KB pages unless asked (transparent huge
// pages are often "madvise" only, as numpy asks for its own arrays), so a pass that
// writes rows to a few hundred places at once touches a new page, and misses the TLB,
// every few rows. Asked for 2 MB pages, factorize's scatter and gather over 100 M rows
// took 2.3 s instead of 3.2 s (2 threads, a virtual machine where a page fault is dear).
// And the elements are left uninitialized (default-initialized, not zeroed): every
// user of a BigBuffer writes each element before reading it, and zeroing is one more
// pass over the memory.
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "oddseq/core/block_pool.hpp"

namespace oddseq::core {

// An allocator for std::vector: blocks of at least kPoolMinBytes come from the block pool
// (block_pool.hpp: on Linux aligned to 2 MB, advised to be backed by huge pages, and
// reused while a scope is open), and resize() / the size constructor default-initialize
// instead of zeroing.
template <class T>
class BigBufferAllocator {
 public:
  using value_type = T;

  BigBufferAllocator() noexcept = default;
  template <class U>
  BigBufferAllocator(const BigBufferAllocator<U>&) noexcept {}  // NOLINT: rebinding

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= kPoolMinBytes) return static_cast<T*>(pool_allocate(bytes));
    return static_cast<T*>(::operator new(bytes));
  }

  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) >= kPoolMinBytes) {
      pool_free(p);
      return;
    }
    ::operator delete(p);
  }

  // Default-initialization: no zeroing pass for trivial element types.
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  template <class U>
  bool operator==(const BigBufferAllocator<U>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const BigBufferAllocator<U>&) const noexcept {
    return false;
  }
};

// A vector for scratch arrays of one element per row: see above. Its elements start
// uninitialized; write each before reading it.
template <class T>
using BigBuffer = std::vector<T, BigBufferAllocator<T>>;

}  // namespace oddseq::core
