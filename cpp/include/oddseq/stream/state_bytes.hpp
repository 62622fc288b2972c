#pragma once
// The bytes of a stream store's state (EntityStore::dump and EntityStore::load): plain
// fields in the machine's byte order appended to a string, read back with every read
// checked against the end, so a truncated or altered state is refused, never read past.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace oddseq::stream {

class StateWriter {
 public:
  explicit StateWriter(std::string& out) : out_(out) {}

  template <class T>
  void put(const T& value) {
    static_assert(std::is_arithmetic_v<T>, "plain numbers only (no padding)");
    out_.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  void put_bool(bool value) { put<std::uint8_t>(value ? 1 : 0); }
  template <class T>
  void put_array(const T* values, std::size_t n) {
    static_assert(std::is_arithmetic_v<T>, "plain numbers only (no padding)");
    if (n > 0) out_.append(reinterpret_cast<const char*>(values), n * sizeof(T));
  }
  template <class T>
  void put_vector(const std::vector<T>& values) {
    put<std::uint64_t>(values.size());
    put_array(values.data(), values.size());
  }

 private:
  std::string& out_;
};

// Reads what a StateWriter wrote; std::invalid_argument (a ValueError in Python) where
// the bytes end early or a field is out of its range.
class StateReader {
 public:
  StateReader(const char* data, std::size_t size) : data_(data), size_(size) {}

  [[noreturn]] static void refuse(const std::string& why) {
    throw std::invalid_argument("not a readable stream state: " + why);
  }
  void expect(bool condition, const char* why) const {
    if (!condition) refuse(why);
  }

  template <class T>
  T get() {
    static_assert(std::is_arithmetic_v<T>, "plain numbers only (no padding)");
    need(sizeof(T));
    T value;
    std::memcpy(&value, data_ + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  bool get_bool() {
    const auto byte = get<std::uint8_t>();
    expect(byte <= 1, "a flag is neither 0 nor 1");
    return byte == 1;
  }
  template <class T>
  void get_array(T* values, std::size_t n) {
    static_assert(std::is_arithmetic_v<T>, "plain numbers only (no padding)");
    if (n == 0) return;
    need_items(n, sizeof(T));
    std::memcpy(values, data_ + at_, n * sizeof(T));
    at_ += n * sizeof(T);
  }
  // A vector of at most max_size values.
  template <class T>
  void get_vector(std::vector<T>& values, std::uint64_t max_size) {
    const auto n = get<std::uint64_t>();
    expect(n <= max_size, "a list is longer than its bound");
    need_items(n, sizeof(T));
    values.resize(static_cast<std::size_t>(n));
    get_array(values.data(), values.size());
  }
  // A count of items of at least min_bytes each that the bytes left can hold.
  std::uint64_t get_count(std::size_t min_bytes) {
    const auto n = get<std::uint64_t>();
    need_items(n, min_bytes);
    return n;
  }
  std::size_t left() const { return size_ - at_; }

 private:
  void need(std::size_t n) const {
    if (n > size_ - at_) refuse("it ends early");
  }
  void need_items(std::uint64_t n, std::size_t bytes) const {
    if (bytes > 0 && n > (size_ - at_) / bytes) refuse("it ends early");
  }

  const char* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

}  // namespace oddseq::stream
