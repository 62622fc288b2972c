#include "oddseq/stream/lines.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <initializer_list>
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

// The end of an id's own text where it is a whole number written as a float ("450.0",
// "-3.00": pandas writes a column of integer ids with a blank so): the point, so that
// the id is keyed (and said) as "450", as the stream's Python reader and oddseq detect
// read it (oddseq.cli.WHOLE_FLOAT_TEXT: 0 or up to 19 digits without a leading zero,
// after an optional minus; then a point and one or more zeros); else `end`.
const char* whole_float_end(const char* begin, const char* end) {
  const char* p = begin;
  if (p < end && *p == '-') ++p;
  const char* const digits = p;
  while (p < end && *p >= '0' && *p <= '9') ++p;
  const std::ptrdiff_t n = p - digits;
  if (n == 0 || n > 19 || p == end || *p != '.') return end;
  if (*digits == '0' && (n > 1 || digits != begin)) return end;  // 0123.0, -0.0: as written
  const char* const point = p++;
  if (p == end) return end;  // "450.": no zero after the point
  while (p < end && *p == '0') ++p;
  return p == end ? point : end;
}

// Python's float(text) on its plain forms, finite (correctly rounded, as Python's).
bool parse_double(const char* begin, const char* end, double& out) {
  if (begin == end || *begin == '+') return false;
  const auto [at, error] = std::from_chars(begin, end, out, std::chars_format::general);
  return error == std::errc() && at == end && std::isfinite(out);
}

// str.strip()'s ASCII whitespace.
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f); }

// Whether [begin, end) is UTF-8 as Python's strict decoder takes it: no overlong forms,
// no encoded surrogates, nothing past U+10FFFF.
bool valid_utf8(const char* begin, const char* end) {
  const auto* p = reinterpret_cast<const unsigned char*>(begin);
  const auto* const stop = reinterpret_cast<const unsigned char*>(end);
  while (p < stop) {
    // Eight ASCII bytes at a time.
    if (stop - p >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::ptrdiff_t n = 0;
    unsigned char low = 0x80, high = 0xBF;  // the second byte's range
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;  // (U+D800-DFFF: surrogates)
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (stop - p <= n || p[1] < low || p[1] > high) return false;
    for (std::ptrdiff_t k = 2; k <= n; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
    }
    p += n + 1;
  }
  return true;
}

// Whether a line of valid UTF-8 is white space alone as str.isspace() reads it (its
// non-ASCII spaces: U+0085, U+00A0, U+1680, U+2000-200A, U+2028, U+2029, U+202F, U+205F,
// U+3000), which the Python reader skips as blank.
bool unicode_blank(const char* begin, const char* end) {
  const auto* p = reinterpret_cast<const unsigned char*>(begin);
  const auto* const stop = reinterpret_cast<const unsigned char*>(end);
  while (p < stop) {
    if (*p < 0x80) {
      if (!is_space(static_cast<char>(*p))) return false;
      ++p;
    } else if (p[0] == 0xC2 && (p[1] == 0x85 || p[1] == 0xA0)) {
      p += 2;
    } else if (p[0] == 0xE1 && p[1] == 0x9A && p[2] == 0x80) {
      p += 3;
    } else if (p[0] == 0xE2 && p[1] == 0x80 &&
               (p[2] <= 0x8A || p[2] == 0xA8 || p[2] == 0xA9 || p[2] == 0xAF)) {
      p += 3;
    } else if ((p[0] == 0xE2 && p[1] == 0x81 && p[2] == 0x9F) ||
               (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80)) {
      p += 3;
    } else {
      return false;
    }
  }
  return true;
}

// A code point's UTF-8 bytes at out; returns the end.
char* put_utf8(char* out, std::uint32_t cp) {
  if (cp < 0x80) {
    *out++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out++ = static_cast<char>(0xC0 | (cp >> 6));
    *out++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out++ = static_cast<char>(0xE0 | (cp >> 12));
    *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out++ = static_cast<char>(0xF0 | (cp >> 18));
    *out++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

// Four hex digits at p (json's \uXXXX), or false.
bool hex4(const char* p, const char* end, std::uint32_t& out) {
  if (end - p < 4) return false;
  out = 0;
  for (int k = 0; k < 4; ++k) {
    const char c = p[k];
    std::uint32_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
    out = out * 16 + digit;
  }
  return true;
}

// One JSON line read as json.loads reads it, its strings decoded into a scratch buffer.
struct JsonText {
  const char* p;
  const char* end;
  char* out;  // where the next decoded string goes

  void space() {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  }

  // A string at p (its opening quote): its text [from, to), in the line where it holds
  // no escape, else decoded at out; `whole`: no lone surrogate in it (json.loads keeps
  // one as it is, which has no UTF-8: the caller's). False where it is not JSON.
  bool string(const char*& from, const char*& to, bool& whole) {
    const char* start = ++p;
    whole = true;
    while (p < end) {
      const char c = *p;
      if (c == '"') {
        from = start;
        to = p++;
        return true;
      }
      if (c == '\\') break;
      if (static_cast<unsigned char>(c) < 0x20) return false;  // json.loads' strict strings
      ++p;
    }
    if (p == end) return false;
    char* o = out;
    std::memcpy(o, start, static_cast<std::size_t>(p - start));
    o += p - start;
    while (p < end) {
      const char c = *p;
      if (c == '"') {
        from = out;
        to = o;
        out = o;
        ++p;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        *o++ = c;
        ++p;
        continue;
      }
      if (++p == end) return false;
      switch (*p) {
        case '"':
        case '\\':
        case '/':
          *o++ = *p;
          break;
        case 'b':
          *o++ = '\b';
          break;
        case 'f':
          *o++ = '\f';
          break;
        case 'n':
          *o++ = '\n';
          break;
        case 'r':
          *o++ = '\r';
          break;
        case 't':
          *o++ = '\t';
          break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(p + 1, end, cp)) return false;
          p += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // A high surrogate joins the low one of a \uXXXX right after it.
            std::uint32_t low = 0;
            if (end - p > 6 && p[1] == '\\' && p[2] == 'u' && hex4(p + 3, end, low) &&
                low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              p += 6;
            } else {
              whole = false;
            }
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            whole = false;
          }
          o = put_utf8(o, cp);  // (a lone surrogate's bytes: the line is not read)
          break;
        }
        default:
          return false;  // json.loads refuses the escape
      }
      ++p;
    }
    return false;
  }

  // A number (JSON's grammar); whole: without fraction or exponent.
  bool number(bool& whole) {
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
  }

  bool word(const char* text) {
    const std::size_t n = std::strlen(text);
    if (static_cast<std::size_t>(end - p) < n || std::memcmp(p, text, n) != 0) return false;
    p += n;
    return true;
  }

  // An object's key at p (its text not kept), then its colon.
  bool key() {
    if (p == end || *p != '"') return false;
    char* keep = out;
    const char *from = nullptr, *to = nullptr;
    bool whole = true;
    if (!string(from, to, whole)) return false;
    out = keep;
    space();
    if (p == end || *p != ':') return false;
    ++p;
    return true;
  }

  // Any JSON value at p, as json.loads takes it (NaN, Infinity and -Infinity too),
  // passed over: objects and arrays up to kDepth deep (deeper: the caller's).
  bool skip() {
    constexpr int kDepth = 64;
    char closers[kDepth];
    int depth = 0;
    for (;;) {
      space();
      if (p == end) return false;
      // A value.
      const char c = *p;
      bool opened = false;
      if (c == '{' || c == '[') {
        if (depth == kDepth) return false;
        closers[depth++] = c == '{' ? '}' : ']';
        ++p;
        space();
        if (p < end && *p == closers[depth - 1]) {
          ++p;
          --depth;
        } else {
          opened = true;
        }
      } else if (c == '"') {
        const char *from = nullptr, *to = nullptr;
        bool whole = true;
        char* keep = out;
        if (!string(from, to, whole)) return false;
        out = keep;  // (not kept)
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        bool whole = false;
        if (!(c == '-' && word("-Infinity")) && !number(whole)) return false;
      } else if (!word("null") && !word("true") && !word("false") && !word("NaN") &&
                 !word("Infinity")) {
        return false;
      }
      if (opened && closers[depth - 1] == '}') {
        // The first key of an object, then its value.
        if (!key()) return false;
        continue;
      }
      if (opened) continue;  // an array's first value
      // After a value: a comma and the next, or the container's end.
      for (;;) {
        if (depth == 0) return true;
        space();
        if (p == end) return false;
        if (*p == closers[depth - 1]) {
          ++p;
          --depth;
          continue;
        }
        if (*p != ',') return false;
        ++p;
        if (closers[depth - 1] == '}') {
          space();
          if (!key()) return false;
        }
        break;
      }
    }
  }
};

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

bool LineFeed::split_csv(const char* begin, const char* end, Field* fields, char* scratch) const {
  // The Python reader splits a line at the separator where it holds no quote character,
  // else reads it with the csv module (excel's dialect, the separator as delimiter).
  const std::int64_t at[5] = {format_.entity, format_.event, format_.time, format_.item,
                              format_.value};
  const char sep = format_.sep;
  auto keep = [&](std::int64_t field, const char* from, const char* to, const char* raw_from,
                  const char* raw_to) {
    for (int r = 0; r < 5; ++r) {
      if (at[r] == field) fields[r] = {from, to, raw_from, raw_to};
    }
  };
  std::int64_t field = 0;
  const auto n = static_cast<std::size_t>(end - begin);
  if (std::memchr(begin, '"', n) == nullptr) {
    const char* start = begin;
    for (const char* p = begin;; ++p) {
      if (p == end || *p == sep) {
        keep(field, start, p, start, p);
        if (p == end) break;
        ++field;
        start = p + 1;
      }
    }
    return field + 1 == format_.n_fields;
  }
  // Quoted fields: the forms the csv module reads as written below; a carriage return or
  // NUL in the line, a quote inside an unquoted field, or text between a closing quote
  // and the separator (which csv reads its own lenient way) leave the line to the caller.
  if (sep == '"' || std::memchr(begin, '\r', n) != nullptr ||
      std::memchr(begin, '\0', n) != nullptr) {
    return false;
  }
  char* out = scratch;
  const char* p = begin;
  for (;;) {
    if (p < end && *p == '"') {
      const char* raw_from = ++p;
      const char* close = static_cast<const char*>(std::memchr(p, '"', end - p));
      if (close == nullptr) return false;  // unterminated
      const char *from = p, *to = close;
      if (close + 1 < end && close[1] == '"') {
        // Doubled quotes inside: the text written at out.
        from = out;
        for (;;) {
          std::memcpy(out, p, static_cast<std::size_t>(close - p));
          out += close - p;
          if (close + 1 < end && close[1] == '"') {
            *out++ = '"';
            p = close + 2;
            close = static_cast<const char*>(std::memchr(p, '"', end - p));
            if (close == nullptr) return false;
          } else {
            break;
          }
        }
        to = out;
      }
      p = close + 1;
      if (p < end && *p != sep) return false;
      keep(field, from, to, raw_from, close);
    } else {
      const char* start = p;
      while (p < end && *p != sep) {
        if (*p == '"') return false;
        ++p;
      }
      keep(field, start, p, start, p);
    }
    if (p == end) break;
    ++p;  // the separator
    ++field;
  }
  return field + 1 == format_.n_fields;
}

bool LineFeed::split_json(const char* begin, const char* end, Field* fields, char* scratch) const {
  // One object, as json.loads reads it; the roles' values as str() writes them.
  JsonText json{begin, end, scratch};
  const char*& p = json.p;
  json.space();
  if (p == end || *p != '{') return false;
  ++p;
  json.space();
  bool first = true;
  while (p < end && *p != '}') {
    if (!first) {
      if (*p != ',') return false;
      ++p;
      json.space();
    }
    first = false;
    const char *key_begin = nullptr, *key_end = nullptr;
    bool whole = true;
    char* const key_out = json.out;
    if (p == end || *p != '"' || !json.string(key_begin, key_end, whole)) return false;
    const std::string_view key(key_begin, static_cast<std::size_t>(key_end - key_begin));
    int role = -1;  // the last role of this key (two roles may share a column)
    bool roles[5] = {false, false, false, false, false};
    for (int r = 0; r < 5; ++r) {
      roles[r] = has_[r] && key == format_.keys[static_cast<std::size_t>(r)];
      if (roles[r]) role = r;
    }
    json.out = key_out;  // (the key's text is not kept)
    json.space();
    if (p == end || *p != ':') return false;
    ++p;
    json.space();
    if (p == end) return false;
    if (role < 0) {  // another key's value: any JSON value, passed over
      if (!json.skip()) return false;
      json.space();
      continue;
    }
    const char *value_begin = p, *value_end = p, *raw_begin = p, *raw_end = p;
    bool text = false, number_whole = false, null = false;
    if (*p == '"') {
      raw_begin = p + 1;
      if (!json.string(value_begin, value_end, whole)) return false;
      if (!whole) return false;  // a lone surrogate: the caller's (no UTF-8 for it)
      raw_end = p - 1;
      text = true;
    } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
      if (!json.number(number_whole)) return false;
      value_end = raw_end = p;
    } else if (*p == 'n') {
      if (!json.word("null")) return false;
      null = true;
    } else {
      return false;  // true / false (True, False), NaN, an object or array: the caller's
    }
    json.space();
    for (int r = 0; r < 5; ++r) {
      if (!roles[r]) continue;
      // The last of equal keys wins, as in json.loads.
      if (null) {
        fields[r] = {value_begin, value_begin, value_begin, value_begin};  // missing
      } else if (!text && r != 2 && r != 4 &&
                 (!number_whole || (value_end - value_begin == 2 && value_begin[0] == '-' &&
                                    value_begin[1] == '0'))) {
        return false;  // an id or type as a float (or -0): str() writes it otherwise
      } else {
        fields[r] = {value_begin, value_end, raw_begin, raw_end};
      }
    }
  }
  if (p == end) return false;
  ++p;  // the closing brace
  json.space();
  return p == end;
}

bool LineFeed::read(const char* begin, const char* end, Event& event, Field& entity,
                    char* scratch) const {
  Field fields[5];
  if (format_.json ? !split_json(begin, end, fields, scratch)
                   : !split_csv(begin, end, fields, scratch)) {
    return false;
  }
  auto empty = [&](int r) { return fields[r].begin == fields[r].end; };
  // An id or event type of blank text is missing, as the sequences read it: the
  // caller's line (which says so).
  auto blank = [&](int r) { return unicode_blank(fields[r].begin, fields[r].end); };
  auto size = [&](int r) { return static_cast<std::size_t>(fields[r].end - fields[r].begin); };
  // Entity: its text's key (a whole number written as a float, as its plain text).
  if (blank(0)) return false;
  fields[0].end = whole_float_end(fields[0].begin, fields[0].end);
  event.key = core::pandas_hash_text(fields[0].begin, size(0));
  entity = fields[0];
  // Event type: by its text, else (numeric labels) as an integer, else the unseen type
  // (or the caller's, which keeps its label).
  event.code = 0;
  if (has_[1]) {
    if (blank(1) || events_.other_labels) return false;
    event.code = codes_.of_text(std::string_view(fields[1].begin, size(1)));
    if (event.code < 0 && codes_.any_int()) {
      std::int64_t number = 0;
      if (!parse_int(fields[1].begin, fields[1].end, number)) return false;
      event.code = codes_.of_int(number);
    }
    if (event.code < 0) {
      if (events_.unseen_to_caller) return false;
      event.code = events_.other_code;
    }
  }
  // Time: int, else float, in the time unit; within int64 once in ns.
  event.time = 0;
  if (has_[2]) {
    if (empty(2) || !events_.has_times) return false;
    std::int64_t whole = 0;
    double real = 0.0;
    const std::int64_t factor = events_.time_factor;
    if (parse_int(fields[2].begin, fields[2].end, whole)) {
      const std::int64_t limit = std::numeric_limits<std::int64_t>::max() / factor;
      if (whole > limit || whole < -limit) return false;
      event.time = whole * factor;
    } else if (parse_double(fields[2].begin, fields[2].end, real)) {
      const double ns = real * static_cast<double>(factor);
      if (!(std::abs(ns) < 9.2e18)) return false;
      event.time = static_cast<std::int64_t>(std::nearbyint(ns));  // half to even
    } else {
      return false;
    }
  }
  // Item: its text's key (as the entity's); empty: missing.
  event.item_present = has_[3] && !empty(3);
  event.item = 0;
  if (event.item_present) {
    if (!events_.has_items) return false;
    fields[3].end = whole_float_end(fields[3].begin, fields[3].end);
    event.item = core::pandas_hash_text(fields[3].begin, size(3));
  }
  // Value: a float; empty: missing.
  event.value = std::numeric_limits<double>::quiet_NaN();
  if (has_[4] && !empty(4)) {
    if (!events_.has_values || !parse_double(fields[4].begin, fields[4].end, event.value)) {
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
  std::vector<char> text;  // a line's decoded fields (never longer than the line)
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
    Field entity;
    const auto line_size = static_cast<std::size_t>(end - p);
    if (text.size() < line_size) text.resize(std::max(line_size, 2 * text.size()));
    // Not UTF-8 ("not UTF-8 text"), Unicode white space alone (blank to str.strip()),
    // or not read here: the caller's.
    if (!valid_utf8(p, end) ||
        (static_cast<unsigned char>(*first) >= 0x80 && unicode_blank(first, end)) ||
        !read(p, end, event, entity, text.data())) {
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
    p = next;
    if ((flags & kNewAlert) != 0) {
      // The entity as it stands now, before later lines move it: its row and explanation.
      const std::size_t n = alerts.key.size();
      alerts.key.push_back(event.key);
      alerts.score.push_back(score);
      alerts.length.push_back(length);
      alerts.line.push_back(out.lines);
      alerts.entity_begin.push_back(entity.raw_begin - data);
      alerts.entity_end.push_back(entity.raw_end - data);
      alerts.entities.append(entity.begin, static_cast<std::size_t>(entity.end - entity.begin));
      alerts.entity_ends.push_back(static_cast<std::int64_t>(alerts.entities.size()));
      alerts.rows.resize((n + 1) * static_cast<std::size_t>(width));
      const std::size_t explained = (n + 1) * static_cast<std::size_t>(top);
      alerts.columns.resize(explained);
      alerts.cluster.resize(explained);
      alerts.member.resize(explained);
      for (auto* part : {&alerts.typical, &alerts.share, &alerts.deviation, &alerts.value})
        part->resize(explained);
      float* row = alerts.rows.data() + n * static_cast<std::size_t>(width);
      std::int64_t row_length = 0;
      bool approximate = false;
      store.row(event.key, row, &row_length, &approximate);
      const Explained all{alerts.columns.data(),   alerts.typical.data(), alerts.share.data(),
                          alerts.deviation.data(), alerts.value.data(),   alerts.cluster.data(),
                          alerts.member.data()};
      model.explain(row, row_length, top, scratch.data(),
                    all.at(top, static_cast<std::int64_t>(n)));
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
