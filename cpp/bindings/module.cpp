// The one extension module, oddseq._core: each domain registers its own functions.
#include <Python.h>

#include "common.hpp"
#include "oddseq/core/interrupt.hpp"
#include "oddseq/simd/kernels.hpp"

namespace py = pybind11;

namespace {

// Called by long core loops from the calling thread, which has released the GIL.
bool python_signal_pending() {
  py::gil_scoped_acquire gil;
  return PyErr_CheckSignals() != 0;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "oddseq C++ core (internal; use the oddseq package).";
  oddseq::core::set_interrupt_checker(&python_signal_pending);
  py::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const oddseq::core::Interrupted&) {
      // PyErr_CheckSignals already raised KeyboardInterrupt (or the handler's exception).
      if (!PyErr_Occurred()) PyErr_SetNone(PyExc_KeyboardInterrupt);
    }
  });
  // Fix the SIMD level at import so a bad ODDSEQ_SIMD fails loudly, once.
  oddseq::simd::active();
  oddseq::bindings::register_simd(m);
  oddseq::bindings::register_linalg(m);
  oddseq::bindings::register_sequences(m);
  oddseq::bindings::register_encode(m);
  oddseq::bindings::register_cluster(m);
  oddseq::bindings::register_neighbors(m);
  oddseq::bindings::register_detect(m);
  oddseq::bindings::register_graph(m);
  oddseq::bindings::register_metrics(m);
  oddseq::bindings::register_preprocessing(m);
  oddseq::bindings::register_stream(m);
  oddseq::bindings::register_memory(m);
}
