// Scopes in which large blocks of memory are reused (core/block_pool.hpp), for numpy's
// arrays as well as the core's scratch buffers: inside a scope numpy allocates array data
// through a handler of ours (numpy's PyDataMem_SetHandler, numpy >= 1.22), which takes
// arrays of kPoolMinBytes and more from the pool and leaves smaller ones to numpy's own
// handler. The handler is set in the calling context only (numpy keeps it in a context
// variable), so other threads' arrays are not touched.
#include <Python.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>

#include "common.hpp"
#include "oddseq/core/block_pool.hpp"

namespace oddseq::bindings {

namespace {

// numpy's PyDataMemAllocator and PyDataMem_Handler (numpy/ndarraytypes.h, version 1),
// spelled out because the extension is built without numpy's headers; the layout is part
// of numpy's ABI, as are the places of the two C-API functions below in its API table.
struct NumpyAllocator {
  void* ctx;
  void* (*malloc)(void* ctx, std::size_t size);
  void* (*calloc)(void* ctx, std::size_t nelem, std::size_t elsize);
  void* (*realloc)(void* ctx, void* ptr, std::size_t new_size);
  void (*free)(void* ctx, void* ptr, std::size_t size);
};
struct NumpyHandler {
  char name[127];
  std::uint8_t version;
  NumpyAllocator allocator;
};
constexpr int kFeatureVersionSlot = 211;  // PyArray_GetNDArrayCFeatureVersion
constexpr int kSetHandlerSlot = 304;      // PyDataMem_SetHandler
constexpr int kDefaultHandlerSlot = 306;  // PyDataMem_DefaultHandler
constexpr unsigned kNumpy122 = 0xF;       // NPY_1_22_API_VERSION: the first with handlers

NumpyAllocator numpy_own{};  // numpy's default handler: small arrays stay its business
void** numpy_api = nullptr;

void* pooled_malloc(void*, std::size_t size) {
  if (size < core::kPoolMinBytes) return numpy_own.malloc(numpy_own.ctx, size);
  try {
    return core::pool_allocate(size);
  } catch (...) {
    return nullptr;  // numpy raises its MemoryError
  }
}

void* pooled_calloc(void*, std::size_t nelem, std::size_t elsize) {
  if (elsize != 0 && nelem > std::numeric_limits<std::size_t>::max() / elsize) return nullptr;
  const std::size_t size = nelem * elsize;
  if (size < core::kPoolMinBytes) return numpy_own.calloc(numpy_own.ctx, nelem, elsize);
  try {
    return core::pool_allocate(size, /*zeroed=*/true);
  } catch (...) {
    return nullptr;
  }
}

void* pooled_realloc(void*, void* ptr, std::size_t new_size) {
  const std::size_t capacity = ptr == nullptr ? 0 : core::pool_capacity(ptr);
  if (capacity == 0) {  // numpy's block (or none): numpy's realloc keeps it numpy's
    if (ptr == nullptr) return pooled_malloc(nullptr, new_size);
    return numpy_own.realloc(numpy_own.ctx, ptr, new_size);
  }
  void* moved = pooled_malloc(nullptr, new_size);
  if (moved == nullptr) return nullptr;  // the old block stays valid, as realloc's
  std::memcpy(moved, ptr, std::min(capacity, new_size));
  core::pool_free(ptr);
  return moved;
}

void pooled_free(void*, void* ptr, std::size_t size) {
  if (!core::pool_free(ptr)) numpy_own.free(numpy_own.ctx, ptr, size);
}

NumpyHandler pooled_handler = {
    "oddseq_block_pool",
    1,
    {nullptr, pooled_malloc, pooled_calloc, pooled_realloc, pooled_free},
};
PyObject* pooled_capsule = nullptr;  // kept for the process: arrays hold its handler

// numpy's C-API table, once; false where this numpy has no memory handlers.
bool numpy_handlers_ready() {
  if (numpy_api != nullptr) return pooled_capsule != nullptr;
  py::object multiarray;
  try {
    multiarray = py::module_::import("numpy._core._multiarray_umath");
  } catch (py::error_already_set&) {  // numpy 1.x
    multiarray = py::module_::import("numpy.core._multiarray_umath");
  }
  py::object table = multiarray.attr("_ARRAY_API");
  auto** api = static_cast<void**>(PyCapsule_GetPointer(table.ptr(), nullptr));
  if (api == nullptr) throw py::error_already_set();
  numpy_api = api;
  auto feature_version = reinterpret_cast<unsigned (*)()>(api[kFeatureVersionSlot]);
  if (feature_version() < kNumpy122) return false;
  PyObject* numpy_default = *static_cast<PyObject**>(api[kDefaultHandlerSlot]);
  auto* handler = static_cast<NumpyHandler*>(PyCapsule_GetPointer(numpy_default, "mem_handler"));
  if (handler == nullptr) throw py::error_already_set();
  numpy_own = handler->allocator;
  pooled_capsule = PyCapsule_New(&pooled_handler, "mem_handler", nullptr);
  if (pooled_capsule == nullptr) throw py::error_already_set();
  return true;
}

PyObject* set_numpy_handler(PyObject* handler) {
  auto set = reinterpret_cast<PyObject* (*)(PyObject*)>(numpy_api[kSetHandlerSlot]);
  PyObject* previous = set(handler);
  if (previous == nullptr) throw py::error_already_set();
  return previous;
}

}  // namespace

void register_memory(py::module_& m) {
  m.def(
      "block_pool_enter",
      []() -> py::object {
        const bool handlers = numpy_handlers_ready();
        core::pool_enter();
        if (!handlers) return py::none();
        try {
          return py::reinterpret_steal<py::object>(set_numpy_handler(pooled_capsule));
        } catch (...) {
          core::pool_leave();
          throw;
        }
      },
      "Open a scope of block reuse; returns the token block_pool_leave needs (numpy's "
      "previous memory handler).");
  m.def(
      "block_pool_leave",
      [](const py::object& token) {
        core::pool_leave();  // first: the handler's blocks are plain ones from here on
        if (!token.is_none()) Py_DECREF(set_numpy_handler(token.ptr()));
      },
      py::arg("token"),
      "Close a scope of block_pool_enter; the last to close frees the cached blocks.");
  m.def("block_pool_stats", []() {
    const core::PoolStats stats = core::pool_stats();
    py::dict out;
    out["in_use_bytes"] = stats.in_use_bytes;
    out["cached_bytes"] = stats.cached_bytes;
    out["reused"] = stats.reused;
    out["fresh"] = stats.fresh;
    out["fresh_bytes"] = stats.fresh_bytes;
    out["open_scopes"] = stats.open_scopes;
    return out;
  });
}

}  // namespace oddseq::bindings
