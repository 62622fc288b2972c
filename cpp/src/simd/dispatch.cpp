#include <cstdlib>
#include <stdexcept>
#include <string>

#include "oddseq/simd/kernels.hpp"

namespace oddseq::simd {

bool is_supported(Level level) {
  switch (level) {
    case Level::scalar:
      return true;
    case Level::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Level::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
  }
  return false;
}

Level best_supported_level() {
  if (is_supported(Level::avx512)) return Level::avx512;
  if (is_supported(Level::avx2)) return Level::avx2;
  return Level::scalar;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::scalar:
      return "scalar";
    case Level::avx2:
      return "avx2";
    case Level::avx512:
      return "avx512";
  }
  return "unknown";
}

Level parse_level(const std::string& name) {
  if (name == "scalar") return Level::scalar;
  if (name == "avx2") return Level::avx2;
  if (name == "avx512") return Level::avx512;
  throw std::invalid_argument("unknown SIMD level '" + name +
                              "'; expected one of 'scalar', 'avx2', 'avx512'");
}

const Kernels& kernels_for(Level level) {
  if (!is_supported(level)) {
    throw std::invalid_argument(std::string("SIMD level '") + level_name(level) +
                                "' is not supported by this CPU");
  }
  switch (level) {
    case Level::avx512:
      return avx512_kernels();
    case Level::avx2:
      return avx2_kernels();
    case Level::scalar:
      break;
  }
  return scalar_kernels();
}

namespace {
const Kernels& choose_once() {
  const char* forced = std::getenv("ODDSEQ_SIMD");
  if (forced != nullptr && *forced != '\0') {
    return kernels_for(parse_level(forced));
  }
  return kernels_for(best_supported_level());
}
}  // namespace

const Kernels& active() {
  static const Kernels& table = choose_once();
  return table;
}

}  // namespace oddseq::simd
