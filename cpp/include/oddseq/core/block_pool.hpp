#pragma once
// Blocks of memory for arrays of megabytes and more (a column of a 100 M event log), kept
// for reuse while a reuse scope is open instead of being handed back to the system.
//
// Why: a fresh block comes from the kernel as untouched pages, and the first write to each
// page faults and zeroes it. The one call at 100 M events allocates and frees tens of
// gigabytes of such temporaries (numpy's intermediate arrays, the kernels' scratch
// buffers); on a virtual machine the kernel's zeroing of pages took 16% of the call's CPU
// time (perf: clear_page_rep, 12 s of CPU in a 56 s call). A block freed inside a scope
// is kept, already faulted in, for the next request it can hold (or part of it: cached
// ranges are split and merged).
//
// The cache is bounded twice. A request the cache cannot serve first frees cached blocks
// (the largest first) worth at least its size, so the pool's memory (in use plus cached)
// never exceeds the most of its blocks ever in use at once. And the cache holds at most
// twice the largest of the last 256 requests, so a stage's blocks (the columns of 100 M
// events) go back once requests shrink instead of sitting beside a later stage's memory
// from other allocators (Taobao-1M's peak: 7.0 GB without this bound, 6.4 GB with it and
// without the pool). When the last scope closes, every cached block goes back to the
// system. Outside a scope every block is allocated and freed as by a plain allocator.
//
// Linux only (mmap, 2 MB aligned, advised to huge pages, as numpy does for its own large
// arrays); elsewhere blocks are plain aligned allocations and nothing is cached.
// Thread-safe.
#include <cstddef>

namespace oddseq::core {

// Requests of at least this many bytes are pool blocks (smaller ones are the ordinary
// allocator's business: malloc keeps them in its own heap).
constexpr std::size_t kPoolMinBytes = std::size_t{4} << 20;

// A block of at least `bytes` bytes (64-byte aligned at least), never null: throws
// std::bad_alloc. `zeroed`: its bytes are 0 (a fresh block is; a reused one is cleared).
void* pool_allocate(std::size_t bytes, bool zeroed = false);

// The capacity of a block pool_allocate returned and nobody freed yet (at least the bytes
// asked for), else 0.
std::size_t pool_capacity(const void* p) noexcept;

// Frees a block of pool_allocate: kept for reuse inside a scope, else returned to the
// system. Returns false (and does nothing) where `p` is not such a block.
bool pool_free(void* p) noexcept;

// Scopes nest and may overlap across threads: blocks are cached while any is open.
void pool_enter() noexcept;
void pool_leave() noexcept;

struct PoolStats {
  std::size_t in_use_bytes;  // blocks handed out and not yet freed
  std::size_t cached_bytes;  // blocks kept for reuse
  std::size_t reused;        // requests served from the cache since the process began
  std::size_t fresh;         // requests served by new blocks
  std::size_t fresh_bytes;   // their bytes
  int open_scopes;
};
PoolStats pool_stats() noexcept;

}  // namespace oddseq::core
