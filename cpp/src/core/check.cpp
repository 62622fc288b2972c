#include "oddseq/core/check.hpp"

#include <stdexcept>

namespace oddseq::core {

namespace {
std::string located(const char* file, int line, const std::string& message) {
  std::ostringstream out;
  out << message << " [" << file << ":" << line << "]";
  return out.str();
}
}  // namespace

void fail_check(const char* file, int line, const std::string& message) {
  throw std::invalid_argument(located(file, line, message));
}

void fail_range(const char* file, int line, const std::string& message) {
  throw std::out_of_range(located(file, line, message));
}

}  // namespace oddseq::core
