#pragma once
// The core's integer hashing and seeded random stream, in one place.
#include <cstddef>
#include <cstdint>

namespace oddseq::core {

// MurmurHash3's 64-bit finalizer: every input bit reaches every output bit.
inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDULL;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ULL;
  x ^= x >> 33;
  return x;
}

// splitmix64's finalizer (pandas' hash_array applies it to every 64-bit value too).
inline std::uint64_t splitmix64_mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

// splitmix64: a small generator whose stream is fully specified, so a seed gives the same
// numbers on every platform and standard library (std:: distributions do not).
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() { return splitmix64_mix(state_ += 0x9E3779B97F4A7C15ULL); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

// pandas' hash_array, for ids hashed one at a time exactly as pandas hashes a column of
// them (the stream keys entities and items by these): an integer id (a column of int64)
// ...
inline std::uint64_t pandas_hash_int64(std::int64_t value) {
  return splitmix64_mix(static_cast<std::uint64_t>(value));
}

// ... and text (a column of str: SipHash-2-4 of the UTF-8 bytes under pandas' default
// key "0123456789123456", then the finalizer).
inline std::uint64_t pandas_hash_text(const char* data, std::size_t size) {
  auto rotl = [](std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); };
  auto read64 = [](const unsigned char* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];  // little-endian, any host
    return v;
  };
  static constexpr unsigned char kKey[16] = {'0', '1', '2', '3', '4', '5', '6', '7',
                                             '8', '9', '1', '2', '3', '4', '5', '6'};
  const std::uint64_t k0 = read64(kKey), k1 = read64(kKey + 8);
  std::uint64_t v0 = 0x736F6D6570736575ULL ^ k0, v1 = 0x646F72616E646F6DULL ^ k1;
  std::uint64_t v2 = 0x6C7967656E657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
  auto round = [&]() {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  };
  const auto* bytes = reinterpret_cast<const unsigned char*>(data);
  const std::size_t whole = size - size % 8;
  for (std::size_t at = 0; at < whole; at += 8) {
    const std::uint64_t m = read64(bytes + at);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  std::uint64_t last = static_cast<std::uint64_t>(size & 0xFF) << 56;
  for (std::size_t i = 0; i < size % 8; ++i) {
    last |= static_cast<std::uint64_t>(bytes[whole + i]) << (8 * i);
  }
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xFF;
  for (int i = 0; i < 4; ++i) round();
  return splitmix64_mix(v0 ^ v1 ^ v2 ^ v3);
}

}  // namespace oddseq::core
