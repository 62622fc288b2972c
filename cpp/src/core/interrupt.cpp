#include "oddseq/core/interrupt.hpp"

#include <atomic>

namespace oddseq::core {

namespace {
std::atomic<InterruptChecker> g_checker{nullptr};
}

void set_interrupt_checker(InterruptChecker checker) { g_checker.store(checker); }

void throw_if_interrupted() {
  InterruptChecker checker = g_checker.load();
  if (checker != nullptr && checker()) throw Interrupted();
}

}  // namespace oddseq::core
