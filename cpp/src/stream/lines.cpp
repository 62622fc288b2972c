#include "oddseq/stream/lines.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <system_error>
#include <utility>

#include "oddseq/core/check.hpp"
#include "oddseq/core/hash.hpp"

namespace oddseq::stream {

namespace {

// Python's int(text) on plain ASCII digits: an optional sign, 1..18 digits (more may
// not fit int64; the caller's general path takes those).
bool parse_int(const char* begin, const char* end, std::int64_t& out) {
  bool negative = false;
  if (begin < end && (*begin == '-' || *begin == '+')) {
    negative = *begin == '-';
    ++begin;
  }
  const std::ptrdiff_t digits = end - begin;
  if (digits < 1 || digits > 18) return false;
  std::int64_t value = 0;
  for (const char* p = begin; p < end; ++p) {
    if (*p < '0' || *p > '9') return false;
    value = value * 10 + (*p - '0');
  }
  out = negative ? -value : value;
  return true;
}

// Python's float(text) on its plain forms, finite (correctly rounded, as Python's).
bool parse_double(const char* begin, const char* end, double& out) {
  if (begin == end || *begin == '+') return false;
  const auto [at, error] = std::from_chars(begin, end, out, std::chars_format::general);
  return error == std::errc() && at == end && std::isfinite(out);
}

// str.strip()'s ASCII whitespace.
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f); }

}  // namespace

LineFeed::LineFeed(LineFormat format, LineEvents events)
    : format_(format), events_(std::move(events)) {
  const std::int64_t roles[] = {format_.entity, format_.event, format_.time, format_.item,
                                format_.value};
  ODDSEQ_CHECK(format_.n_fields >= 1, "n_fields must be at least 1");
  ODDSEQ_CHECK(format_.entity >= 0, "the entity field is required");
  for (const std::int64_t at : roles) {
    ODDSEQ_CHECK(at >= -1 && at < format_.n_fields,
                 "field " << at << " outside [0, " << format_.n_fields << ")");
  }
  const std::size_t n = events_.label_is_int.size();
  ODDSEQ_CHECK(events_.text_labels.size() == n && events_.int_labels.size() == n,
               "text_labels, int_labels and label_is_int differ in length");
  ODDSEQ_CHECK(events_.time_factor >= 1, "time_factor must be at least 1");
  // First label wins on duplicates, as a lookup by position does.
  for (std::size_t code = 0; code < n; ++code) {
    const auto c = static_cast<std::int32_t>(code);
    if (events_.label_is_int[code] != 0) {
      int_codes_.emplace(events_.int_labels[code], c);
      any_int_ = true;
    } else {
      text_codes_.emplace(std::string_view(events_.text_labels[code]), c);
    }
  }
}

bool LineFeed::read(const char* begin, const char* end, Event& event, std::int64_t& entity_begin,
                    std::int64_t& entity_end) const {
  // Split on the separator, keeping the fields of the roles.
  const char* field_begin[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
  const char* field_end[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
  const std::int64_t at[5] = {format_.entity, format_.event, format_.time, format_.item,
                              format_.value};
  std::int64_t field = 0;
  const char* start = begin;
  for (const char* p = begin;; ++p) {
    if (p == end || *p == format_.sep) {
      for (int r = 0; r < 5; ++r) {
        if (at[r] == field) {
          field_begin[r] = start;
          field_end[r] = p;
        }
      }
      if (p == end) break;
      ++field;
      start = p + 1;
    } else if (static_cast<unsigned char>(*p) >= 0x80 || *p == '"') {
      return false;  // not ASCII (decoded, or refused, by the caller) or quoted
    }
  }
  if (field + 1 != format_.n_fields) return false;
  auto empty = [&](int r) { return field_begin[r] == field_end[r]; };
  // Entity: its text's key.
  if (empty(0)) return false;
  event.key = core::pandas_hash_text(field_begin[0],
                                     static_cast<std::size_t>(field_end[0] - field_begin[0]));
  entity_begin = field_begin[0] - begin;
  entity_end = field_end[0] - begin;
  // Event type: by its text, else (numeric labels) as an integer, else the unseen type.
  event.code = 0;
  if (format_.event >= 0) {
    if (empty(1) || events_.other_labels) return false;
    const std::string_view text(field_begin[1],
                                static_cast<std::size_t>(field_end[1] - field_begin[1]));
    const auto found = text_codes_.find(text);
    if (found != text_codes_.end()) {
      event.code = found->second;
    } else if (any_int_) {
      std::int64_t number = 0;
      if (!parse_int(field_begin[1], field_end[1], number)) return false;
      const auto by_number = int_codes_.find(number);
      event.code = by_number != int_codes_.end() ? by_number->second : events_.other_code;
    } else {
      event.code = events_.other_code;
    }
  }
  // Time: int, else float, in the time unit; within int64 once in ns.
  event.time = 0;
  if (format_.time >= 0) {
    if (empty(2) || !events_.has_times) return false;
    std::int64_t whole = 0;
    double real = 0.0;
    const std::int64_t factor = events_.time_factor;
    if (parse_int(field_begin[2], field_end[2], whole)) {
      const std::int64_t limit = std::numeric_limits<std::int64_t>::max() / factor;
      if (whole > limit || whole < -limit) return false;
      event.time = whole * factor;
    } else if (parse_double(field_begin[2], field_end[2], real)) {
      const double ns = real * static_cast<double>(factor);
      if (!(std::abs(ns) < 9.2e18)) return false;
      event.time = static_cast<std::int64_t>(std::nearbyint(ns));  // half to even
    } else {
      return false;
    }
  }
  // Item: its text's key; empty: missing.
  event.item_present = format_.item >= 0 && !empty(3);
  event.item = 0;
  if (event.item_present) {
    if (!events_.has_items) return false;
    event.item = core::pandas_hash_text(field_begin[3],
                                        static_cast<std::size_t>(field_end[3] - field_begin[3]));
  }
  // Value: a float; empty: missing.
  event.value = std::numeric_limits<double>::quiet_NaN();
  if (format_.value >= 0 && !empty(4)) {
    if (!events_.has_values || !parse_double(field_begin[4], field_end[4], event.value)) {
      return false;
    }
  }
  return true;
}

LineFeedResult LineFeed::feed(EntityStore& store, const Model& model, const char* data,
                              std::int64_t size, std::int64_t offset) const {
  ODDSEQ_CHECK(offset >= 0 && offset <= size,
               "offset " << offset << " outside [0, " << size << "]");
  LineFeedResult out;
  const char* p = data + offset;
  const char* const stop = data + size;
  while (p < stop) {
    const auto* newline = static_cast<const char*>(std::memchr(p, '\n', stop - p));
    const char* next = newline != nullptr ? newline + 1 : stop;
    const char* end = newline != nullptr ? newline : stop;
    while (end > p && end[-1] == '\r') --end;
    const char* first = p;
    while (first < end && is_space(*first)) ++first;
    if (first == end) {  // a blank line: counted, skipped
      ++out.lines;
      p = next;
      continue;
    }
    Event event;
    std::int64_t entity_begin = 0, entity_end = 0;
    if (!read(p, end, event, entity_begin, entity_end)) {
      out.stop = LineStop::kOther;
      out.offset = p - data;
      return out;
    }
    store.update_one(event.key, event.code, event.time, event.item, event.item_present,
                     event.value);
    double score = 0.0;
    std::int64_t length = 0;
    std::uint8_t flags = 0;
    score_entities(store, model, &event.key, 1, &score, &length, &flags);
    ++out.lines;
    const std::int64_t line_at = p - data;
    p = next;
    if ((flags & kNewAlert) != 0) {
      out.stop = LineStop::kAlert;
      out.offset = p - data;
      out.key = event.key;
      out.score = score;
      out.length = length;
      out.entity_begin = line_at + entity_begin;
      out.entity_end = line_at + entity_end;
      return out;
    }
  }
  out.stop = LineStop::kEnd;
  out.offset = size;
  return out;
}

}  // namespace oddseq::stream
