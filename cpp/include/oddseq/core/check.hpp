#pragma once
// Invariant checks for the C++ core. User input is validated once in Python; these
// checks guard the core's own contracts and say where they failed.
#include <sstream>
#include <string>

namespace oddseq::core {

[[noreturn]] void fail_check(const char* file, int line, const std::string& message);
[[noreturn]] void fail_range(const char* file, int line, const std::string& message);

}  // namespace oddseq::core

#define ODDSEQ_CHECK(condition, message)                                          \
  do {                                                                            \
    if (!(condition)) {                                                           \
      std::ostringstream oddseq_check_stream_;                                    \
      oddseq_check_stream_ << message;                                            \
      ::oddseq::core::fail_check(__FILE__, __LINE__, oddseq_check_stream_.str()); \
    }                                                                             \
  } while (0)

#define ODDSEQ_CHECK_RANGE(condition, message)                                    \
  do {                                                                            \
    if (!(condition)) {                                                           \
      std::ostringstream oddseq_check_stream_;                                    \
      oddseq_check_stream_ << message;                                            \
      ::oddseq::core::fail_range(__FILE__, __LINE__, oddseq_check_stream_.str()); \
    }                                                                             \
  } while (0)
