#include "oddseq/core/block_pool.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace oddseq::core {

namespace {

#if defined(__linux__)
constexpr bool kCaching = true;
constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t capacity_for(std::size_t bytes) {
  return (std::max<std::size_t>(bytes, 1) + kHugePage - 1) / kHugePage * kHugePage;
}

// A fresh block: mapped anonymous memory (zero pages), aligned to 2 MB by mapping one huge
// page more and handing back the ends, and advised to huge pages.
void* map_block(std::size_t capacity) {
  const std::size_t span = capacity + kHugePage;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const std::size_t tail = start + span - (aligned + capacity);
  if (tail > 0) munmap(reinterpret_cast<void*>(aligned + capacity), tail);
#if defined(MADV_HUGEPAGE)
  madvise(reinterpret_cast<void*>(aligned), capacity, MADV_HUGEPAGE);  // advice only
#endif
  return reinterpret_cast<void*>(aligned);
}

void unmap(void* p, std::size_t bytes) noexcept { munmap(p, bytes); }
#else
constexpr bool kCaching = false;
constexpr std::align_val_t kAlign{64};

std::size_t capacity_for(std::size_t bytes) { return std::max<std::size_t>(bytes, 1); }
void* map_block(std::size_t capacity) { return ::operator new(capacity, kAlign); }
void unmap(void* p, std::size_t) noexcept { ::operator delete(p, kAlign); }
#endif

using Span = std::pair<void*, std::size_t>;

// Cached memory as free ranges of address space, each known by its start and by its
// length; ranges that touch are merged (munmap and the kernels do not care that a range
// spans two mappings), so a block freed in pieces serves a whole request again.
class FreeRanges {
 public:
  std::size_t bytes() const { return bytes_; }

  void add(char* start, std::size_t length) {
    auto next = by_start_.lower_bound(start);
    if (next != by_start_.begin()) {
      auto before = std::prev(next);
      if (before->first + before->second == start) {
        start = before->first;
        length += before->second;
        erase(before);
      }
    }
    if (next != by_start_.end() && start + length == next->first) {
      length += next->second;
      erase(next);
    }
    by_start_.emplace(start, length);
    by_length_.emplace(length, start);
    bytes_ += length;
  }

  // The start of `length` bytes cut from the shortest range that holds them (the rest of
  // it stays free), or nullptr.
  char* take(std::size_t length) {
    auto fit = by_length_.lower_bound(length);
    if (fit == by_length_.end()) return nullptr;
    char* start = fit->second;
    const std::size_t have = fit->first;
    erase(by_start_.find(start));
    if (have > length) add(start + length, have - length);
    return start;
  }

  // Removes the longest ranges, worth at least `length` bytes in all (or all there are),
  // and returns them.
  std::vector<Span> release_longest(std::size_t length) {
    std::vector<Span> out;
    std::size_t freed = 0;
    while (freed < length && !by_length_.empty()) {
      auto longest = by_start_.find(std::prev(by_length_.end())->second);
      out.emplace_back(longest->first, longest->second);
      freed += longest->second;
      erase(longest);
    }
    return out;
  }

  std::vector<Span> release_all() { return release_longest(bytes_ + 1); }

 private:
  void erase(std::map<char*, std::size_t>::iterator range) {
    auto [first, last] = by_length_.equal_range(range->second);
    for (auto it = first; it != last; ++it) {
      if (it->second == range->first) {
        by_length_.erase(it);
        break;
      }
    }
    bytes_ -= range->second;
    by_start_.erase(range);
  }

  std::map<char*, std::size_t> by_start_;
  std::multimap<std::size_t, char*> by_length_;
  std::size_t bytes_ = 0;
};

// The cache holds at most twice the largest of the last kRecentRequests requests, what the
// next ones are likely to ask for: blocks of an earlier stage's size (the columns of 100 M
// events) go back once the requests shrink (a stage over a million users) instead of
// sitting beside that stage's other memory (malloc's, Python's).
constexpr std::size_t kRecentRequests = 256;

struct Pool {
  std::mutex mutex;
  std::unordered_map<const void*, std::size_t> in_use;  // block -> capacity
  FreeRanges cached;
  PoolStats stats{0, 0, 0, 0, 0, 0};
  std::array<std::size_t, kRecentRequests> recent{};  // capacities asked for, a ring
  std::size_t n_requests = 0;

  void note_request(std::size_t capacity) { recent[n_requests++ % kRecentRequests] = capacity; }

  // Cached ranges past the limit, the longest first, to release outside the lock.
  std::vector<Span> over_the_limit() {
    const std::size_t limit = 2 * *std::max_element(recent.begin(), recent.end());
    if (cached.bytes() <= limit) return {};
    return cached.release_longest(cached.bytes() - limit);
  }
};

Pool& pool() {
  static Pool* the_pool = new Pool();  // never destroyed: blocks may outlive static exit
  return *the_pool;
}

}  // namespace

void* pool_allocate(std::size_t bytes, bool zeroed) {
  Pool& p = pool();
  const std::size_t capacity = capacity_for(bytes);
  std::vector<Span> to_release;
  void* block = nullptr;
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    p.note_request(capacity);
    block = p.cached.take(capacity);
    if (block != nullptr) {
      try {
        p.in_use.emplace(block, capacity);
      } catch (...) {
        p.cached.add(static_cast<char*>(block), capacity);  // back where it was
        throw;
      }
      p.stats.in_use_bytes += capacity;
      ++p.stats.reused;
    } else {
      // A miss: no cached range holds this request. Free the longest of them, worth at
      // least its size, before mapping it, so that the memory held (in use and cached)
      // never exceeds the most ever in use at once.
      to_release = p.cached.release_longest(capacity);
    }
    for (const Span& span : p.over_the_limit()) to_release.push_back(span);
    p.stats.cached_bytes = p.cached.bytes();
  }
  for (const Span& span : to_release) unmap(span.first, span.second);
  if (block != nullptr) {
    if (zeroed) std::memset(block, 0, bytes);
    return block;
  }
  block = map_block(capacity);
  if (zeroed && !kCaching) std::memset(block, 0, bytes);  // (mapped pages start zeroed)
  std::lock_guard<std::mutex> lock(p.mutex);
  try {
    p.in_use.emplace(block, capacity);
  } catch (...) {
    unmap(block, capacity);
    throw;
  }
  p.stats.in_use_bytes += capacity;
  ++p.stats.fresh;
  p.stats.fresh_bytes += capacity;
  return block;
}

std::size_t pool_capacity(const void* block) noexcept {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  auto found = p.in_use.find(block);
  return found == p.in_use.end() ? 0 : found->second;
}

bool pool_free(void* block) noexcept {
  Pool& p = pool();
  std::size_t capacity = 0;
  bool kept = false;
  std::vector<Span> to_release;
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    auto found = p.in_use.find(block);
    if (found == p.in_use.end()) return false;
    capacity = found->second;
    p.in_use.erase(found);
    p.stats.in_use_bytes -= capacity;
    if (kCaching && p.stats.open_scopes > 0) {
      try {
        p.cached.add(static_cast<char*>(block), capacity);
        kept = true;
        to_release = p.over_the_limit();
      } catch (...) {  // no memory to remember it (then released below) or to trim
      }
    }
    p.stats.cached_bytes = p.cached.bytes();
  }
  if (!kept) unmap(block, capacity);
  for (const Span& span : to_release) unmap(span.first, span.second);
  return true;
}

void pool_enter() noexcept {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  ++p.stats.open_scopes;
}

void pool_leave() noexcept {
  Pool& p = pool();
  std::vector<Span> released;
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    if (p.stats.open_scopes > 0) --p.stats.open_scopes;
    if (p.stats.open_scopes > 0) return;
    released = p.cached.release_all();
    p.stats.cached_bytes = 0;
  }
  for (const Span& span : released) unmap(span.first, span.second);
}

PoolStats pool_stats() noexcept {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  return p.stats;
}

}  // namespace oddseq::core
