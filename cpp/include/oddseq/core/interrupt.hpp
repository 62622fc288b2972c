#pragma once
// Ctrl-C support without Python headers: the bindings install a checker once at import;
// long loops call throw_if_interrupted() from the calling thread between parallel
// regions, or poll interrupt_pending() from it (OpenMP's thread 0) inside one and throw
// after the region, so no exception ever has to cross an OpenMP region.
#include <stdexcept>

namespace oddseq::core {

class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

using InterruptChecker = bool (*)();

// The one process-wide hook of the core: configuration set once, never data.
void set_interrupt_checker(InterruptChecker checker);
void throw_if_interrupted();
// Whether Ctrl-C is pending, without throwing; call only from the thread that entered
// the core (it briefly takes the GIL).
bool interrupt_pending();

}  // namespace oddseq::core
