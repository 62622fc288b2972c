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
#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace oddseq::core {

// An allocator for std::vector: on Linux, blocks of at least kBigBytes are aligned to 2
// MB and advised to be backed by huge pages (elsewhere a plain allocation), and
// resize() / the size constructor default-initialize instead of zeroing.
template <class T>
class BigBufferAllocator {
 public:
  using value_type = T;
  static constexpr std::size_t kBigBytes = std::size_t{4} << 20;
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;

  BigBufferAllocator() noexcept = default;
  template <class U>
  BigBufferAllocator(const BigBufferAllocator<U>&) noexcept {}  // NOLINT: rebinding

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= kBigBytes) {
      const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
      void* p = std::aligned_alloc(kHugePage, rounded);
      if (p == nullptr) throw std::bad_alloc();
      madvise(p, rounded, MADV_HUGEPAGE);  // advice only: a refusal leaves 4 KB pages
      return static_cast<T*>(p);
    }
#endif
    return static_cast<T*>(::operator new(bytes));
  }

  void deallocate(T* p, std::size_t n) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (n * sizeof(T) >= kBigBytes) {
      std::free(p);
      return;
    }
#endif
    (void)n;
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
