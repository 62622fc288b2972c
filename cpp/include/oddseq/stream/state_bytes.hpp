#pragma once
// The bytes of a stream store's state (EntityStore::dump and EntityStore::load): plain
// fields in the machine's byte order one after another, read back with every read
// checked against the end, so a truncated or altered state is refused, never read past.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace oddseq::stream {

// Writes the fields into a buffer of the state's size, found first by a writer that
// only counts (the same walk with no buffer): one buffer, filled in place, so the state
// is never held twice (the binding fills the Python bytes object itself). A write past
// the buffer's end is refused (std::runtime_error), never made.
class StateWriter {
 public:
  // Counts the bytes the fields take; writes nothing.
  StateWriter() = default;
  // Writes the fields into data[0, size).
  StateWriter(char* data, std::size_t size) : data_(data), size_(size) {}

  template <class T>
  void put(const T& value) {
    static_assert(std::is_arithmetic_v<T>, "plain numbers only (no padding)");
    put_bytes(&value, sizeof(T));
  }
  void put_bool(bool value) { put<std::uint8_t>(value ? 1 : 0); }
  template <class T>
  void put_array(const T* values, std::size_t n) {
    static_assert(std::is_arithmetic_v<T>, "plain numbers only (no padding)");
    if (n > 0) put_bytes(values, n * sizeof(T));
  }
  template <class T>
  void put_vector(const std::vector<T>& values) {
    put<std::uint64_t>(values.size());
    put_array(values.data(), values.size());
  }
  // The bytes written (or counted) so far.
  std::size_t size() const { return at_; }

 private:
  void put_bytes(const void* bytes, std::size_t n) {
    if (data_ != nullptr) {
      if (n > size_ - at_) overflow();
      std::memcpy(data_ + at_, bytes, n);
    }
    at_ += n;
  }
  [[noreturn]] static void overflow() {
    throw std::runtime_error(
        "a stream store's state grew while it was written (was the store updated from "
        "another thread meanwhile?): write it again when no update runs");
  }

  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t at_ = 0;
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
