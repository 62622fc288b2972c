#include "oddseq/stream/lines.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <system_error>
#include <utility>

#include "oddseq/core/check.hpp"
#include "oddseq/core/hash.hpp"
#include "oddseq/stream/change_state.hpp"

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

EventCodes::EventCodes(const LineEvents& events) : text_(events.text_labels) {
  const std::size_t n = events.label_is_int.size();
  ODDSEQ_CHECK(text_.size() == n && events.int_labels.size() == n,
               "text_labels, int_labels and label_is_int differ in length");
  // First label wins on duplicates, as a lookup by position does.
  for (std::size_t code = 0; code < n; ++code) {
    const auto c = static_cast<std::int32_t>(code);
    if (events.label_is_int[code] != 0) {
      by_int_.emplace(events.int_labels[code], c);
      any_int_ = true;
    } else {
      by_text_.emplace(std::string_view(text_[code]), c);
    }
  }
}

LineFeed::LineFeed(LineFormat format, LineEvents events)
    : format_(format), events_(std::move(events)), codes_(events_) {
  const std::int64_t roles[] = {format_.entity, format_.event, format_.time, format_.item,
                                format_.value};
  ODDSEQ_CHECK(format_.n_fields >= 1, "n_fields must be at least 1");
  ODDSEQ_CHECK(format_.entity >= 0, "the entity field is required");
  ODDSEQ_CHECK(format_.keys.size() == 5, "keys holds the five roles' keys");
  for (int r = 0; r < 5; ++r) {
    const std::int64_t at = roles[r];
    ODDSEQ_CHECK(format_.json || (at >= -1 && at < format_.n_fields),
                 "field " << at << " outside [0, " << format_.n_fields << ")");
    has_[r] = at >= 0;
    ODDSEQ_CHECK(!format_.json || !has_[r] || !format_.keys[static_cast<std::size_t>(r)].empty(),
                 "JSON roles need their keys");
  }
  ODDSEQ_CHECK(has_[1] == events_.has_event, "the lines have an event field as the events do");
  ODDSEQ_CHECK(events_.time_factor >= 1, "time_factor must be at least 1");
}

bool LineFeed::split_csv(const char* begin, const char* end, const char** field_begin,
                         const char** field_end) const {
  // Split on the separator, keeping the fields of the roles.
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
  return field + 1 == format_.n_fields;
}

bool LineFeed::split_json(const char* begin, const char* end, const char** field_begin,
                          const char** field_end) const {
  // One flat object, as json.loads reads it; the roles' values as str() writes them.
  const char* p = begin;
  auto space = [&] {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  };
  // A string without escapes: its bytes, after the opening quote.
  auto string = [&](const char*& from, const char*& to) {
    from = ++p;
    while (p < end && *p != '"') {
      const auto c = static_cast<unsigned char>(*p);
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;
      ++p;
    }
    if (p == end) return false;
    to = p++;
    return true;
  };
  // A JSON number; whole: without fraction or exponent.
  auto number = [&](bool& whole) {
    if (p < end && *p == '-') ++p;
    if (p == end || *p < '0' || *p > '9') return false;
    if (*p == '0') {
      ++p;
    } else {
      while (p < end && *p >= '0' && *p <= '9') ++p;
    }
    whole = true;
    if (p < end && *p == '.') {
      whole = false;
      ++p;
      if (p == end || *p < '0' || *p > '9') return false;
      while (p < end && *p >= '0' && *p <= '9') ++p;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
      whole = false;
      ++p;
      if (p < end && (*p == '+' || *p == '-')) ++p;
      if (p == end || *p < '0' || *p > '9') return false;
      while (p < end && *p >= '0' && *p <= '9') ++p;
    }
    return true;
  };
  auto word = [&](const char* text) {
    const std::size_t n = std::strlen(text);
    if (static_cast<std::size_t>(end - p) < n || std::memcmp(p, text, n) != 0) return false;
    p += n;
    return true;
  };
  space();
  if (p == end || *p != '{') return false;
  ++p;
  space();
  bool first = true;
  while (p < end && *p != '}') {
    if (!first) {
      if (*p != ',') return false;
      ++p;
      space();
    }
    first = false;
    const char *key_begin = nullptr, *key_end = nullptr;
    if (p == end || *p != '"' || !string(key_begin, key_end)) return false;
    space();
    if (p == end || *p != ':') return false;
    ++p;
    space();
    if (p == end) return false;
    const char *value_begin = p, *value_end = p;
    bool text = false, whole = false, null = false;
    if (*p == '"') {
      if (!string(value_begin, value_end)) return false;
      text = true;
    } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
      if (!number(whole)) return false;
      value_end = p;
    } else if (*p == 'n') {
      if (!word("null")) return false;
      null = true;
    } else if (*p == 't' || *p == 'f') {
      if (!word(*p == 't' ? "true" : "false")) return false;
      value_begin = nullptr;  // True / False: the caller's
    } else {
      return false;  // an object or array (or not JSON): the caller's
    }
    space();
    const std::string_view key(key_begin, static_cast<std::size_t>(key_end - key_begin));
    for (int r = 0; r < 5; ++r) {
      if (!has_[r] || key != format_.keys[static_cast<std::size_t>(r)]) continue;
      // The last of equal keys wins, as in json.loads.
      if (value_begin == nullptr) return false;
      if (null) {
        field_begin[r] = field_end[r] = value_begin;  // missing
      } else if (!text && r != 2 && r != 4 &&
                 (!whole || (value_end - value_begin == 2 && value_begin[0] == '-' &&
                             value_begin[1] == '0'))) {
        return false;  // an id or type as a float (or -0): str() writes it otherwise
      } else {
        field_begin[r] = value_begin;
        field_end[r] = value_end;
      }
    }
  }
  if (p == end) return false;
  ++p;  // the closing brace
  space();
  return p == end;
}

bool LineFeed::read(const char* begin, const char* end, Event& event, std::int64_t& entity_begin,
                    std::int64_t& entity_end) const {
  const char* field_begin[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
  const char* field_end[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
  if (format_.json ? !split_json(begin, end, field_begin, field_end)
                   : !split_csv(begin, end, field_begin, field_end)) {
    return false;
  }
  auto empty = [&](int r) { return field_begin[r] == field_end[r]; };
  // Entity: its text's key.
  if (empty(0)) return false;
  event.key = core::pandas_hash_text(field_begin[0],
                                     static_cast<std::size_t>(field_end[0] - field_begin[0]));
  entity_begin = field_begin[0] - begin;
  entity_end = field_end[0] - begin;
  // Event type: by its text, else (numeric labels) as an integer, else the unseen type.
  event.code = 0;
  if (has_[1]) {
    if (empty(1) || events_.other_labels) return false;
    const std::string_view text(field_begin[1],
                                static_cast<std::size_t>(field_end[1] - field_begin[1]));
    event.code = codes_.of_text(text);
    if (event.code < 0 && codes_.any_int()) {
      std::int64_t number = 0;
      if (!parse_int(field_begin[1], field_end[1], number)) return false;
      event.code = codes_.of_int(number);
    }
    if (event.code < 0) event.code = events_.other_code;
  }
  // Time: int, else float, in the time unit; within int64 once in ns.
  event.time = 0;
  if (has_[2]) {
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
  event.item_present = has_[3] && !empty(3);
  event.item = 0;
  if (event.item_present) {
    if (!events_.has_items) return false;
    event.item = core::pandas_hash_text(field_begin[3],
                                        static_cast<std::size_t>(field_end[3] - field_begin[3]));
  }
  // Value: a float; empty: missing.
  event.value = std::numeric_limits<double>::quiet_NaN();
  if (has_[4] && !empty(4)) {
    if (!events_.has_values || !parse_double(field_begin[4], field_end[4], event.value)) {
      return false;
    }
  }
  return true;
}

LineFeedResult LineFeed::feed(EntityStore& store, const Model& model, const char* data,
                              std::int64_t size, std::int64_t offset, std::int64_t top,
                              std::int64_t gather_ns) const {
  ODDSEQ_CHECK(offset >= 0 && offset <= size,
               "offset " << offset << " outside [0, " << size << "]");
  ODDSEQ_CHECK(top >= 1 && top <= model.n_features(),
               "top must be in [1, " << model.n_features() << "], got " << top);
  ODDSEQ_CHECK(gather_ns >= 0, "gather_ns must be >= 0, got " << gather_ns);
  LineFeedResult out;
  LineAlerts& alerts = out.alerts;
  const std::int64_t width = feature_width(store.n_columns());
  std::vector<float> scratch(static_cast<std::size_t>(model.n_features()));
  std::chrono::steady_clock::time_point first_alert;
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
      // The entity as it stands now, before later lines move it: its row and explanation.
      const std::size_t n = alerts.key.size();
      alerts.key.push_back(event.key);
      alerts.score.push_back(score);
      alerts.length.push_back(length);
      alerts.line.push_back(out.lines);
      alerts.entity_begin.push_back(line_at + entity_begin);
      alerts.entity_end.push_back(line_at + entity_end);
      alerts.rows.resize((n + 1) * static_cast<std::size_t>(width));
      alerts.columns.resize((n + 1) * static_cast<std::size_t>(top));
      alerts.typical.resize((n + 1) * static_cast<std::size_t>(top));
      float* row = alerts.rows.data() + n * static_cast<std::size_t>(width);
      std::int64_t row_length = 0;
      bool approximate = false;
      store.row(event.key, row, &row_length, &approximate);
      model.explain(row, row_length, top, scratch.data(),
                    alerts.columns.data() + n * static_cast<std::size_t>(top),
                    alerts.typical.data() + n * static_cast<std::size_t>(top));
      if (store.has_change()) {
        alerts.facts.resize((n + 1) * static_cast<std::size_t>(kChangeFacts));
        store.change_facts(&event.key, 1, alerts.facts.data() + n * kChangeFacts);
      }
      if (n == 0) first_alert = std::chrono::steady_clock::now();
    }
    if (!alerts.key.empty() && (gather_ns == 0 || std::chrono::steady_clock::now() - first_alert >=
                                                      std::chrono::nanoseconds(gather_ns))) {
      out.stop = LineStop::kAlert;
      out.offset = p - data;
      return out;
    }
  }
  out.stop = LineStop::kEnd;
  out.offset = size;
  return out;
}

}  // namespace oddseq::stream
