#pragma once
// Ctrl-C support without Python headers: the bindings install a checker once at import;
// long loops call throw_if_interrupted() from the calling thread, between parallel
// regions, so no exception ever has to cross an OpenMP region.
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

}  // namespace oddseq::core
