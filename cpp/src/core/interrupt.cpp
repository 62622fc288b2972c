#include "oddseq/core/interrupt.hpp"

#include <atomic>

namespace oddseq::core {

namespace {
std::atomic<InterruptChecker> g_checker{nullptr};
}

void set_interrupt_checker(InterruptChecker checker) { g_checker.store(checker); }

bool interrupt_pending() {
  InterruptChecker checker = g_checker.load();
  return checker != nullptr && checker();
}

void throw_if_interrupted() {
  if (interrupt_pending()) throw Interrupted();
}

}  // namespace oddseq::core
