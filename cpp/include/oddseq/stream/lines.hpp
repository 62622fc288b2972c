#pragma once
// Events read straight from lines of text (CSV, or JSON objects one a line) and applied
// one by one, each event's entity scored as it lands: the `oddseq stream` command's
// path for stdin, so that a chunk of lines costs no Python per line and an alert leaves
// with the event that raised it.
//
// A line is read here as the stream's Python reader reads it (oddseq.stream._cli): valid
// UTF-8 (Python's strict decoder: no overlong forms, no encoded surrogates), its last
// carriage returns dropped. CSV: split at the separator where the line holds no quote
// character, else read as the csv module reads it, for the forms it reads the same way
// everywhere: fields unquoted and quote-free, or quoted ("" inside for a quote) and
// followed by the separator or the line's end (no carriage return or NUL in the line);
// the header's number of fields. JSON: one object, as json.loads reads it, whose strings
// may hold any escape (\" \\ \/ \b \f \n \r \t \uXXXX, surrogate pairs joined; a
// lone surrogate leaves the line to the caller) and UTF-8 as it is; values for the roles
// strings, numbers or null (ids and event types as strings or integers), any JSON value
// (nested up to 64 deep) for other keys; the last of equal keys wins. Both: the required
// fields present, numbers in their plain forms. Every other line is left to the caller
// (its general path reads, reports or refuses it), so the text is read exactly as
// StreamScorer.update_one reads the same fields given as str (a JSON value as Python's
// str() writes it): ids hashed by their text (UTF-8; a whole number written as a float,
// "450.0", by its plain text "450", as the shell's readers take it), event types looked up by their
// text (numeric types as integers), times as int (else float) in the time unit, values
// as float (empty or null: missing). A line of Unicode white space alone (which Python's
// str.strip() empties) is left to the caller too.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "oddseq/stream/entity_store.hpp"
#include "oddseq/stream/model.hpp"

namespace oddseq::stream {

struct LineFormat {
  char sep = ',';
  std::int64_t n_fields = 1;  // fields per line (the header's)
  // The field of each role, -1 where the stream has no such column (JSON: >= 0 for the
  // roles it has).
  std::int64_t entity = 0, event = -1, time = -1, item = -1, value = -1;
  bool json = false;                                            // JSON objects, the roles by key
  std::vector<std::string> keys = std::vector<std::string>(5);  // entity, event, time, item, value
};

// How fields become an event, as the scorer reads them: event labels (code = position)
// as text or as integers (a label of another kind leaves every line to the caller);
// unknown labels take other_code, or with unseen_to_caller leave their line to the
// caller (which keeps their labels); times in ns = number x time_factor.
struct LineEvents {
  std::vector<std::string> text_labels;  // "" entries where the label is an integer
  std::vector<std::int64_t> int_labels;  // 0 entries where the label is text
  std::vector<std::uint8_t> label_is_int;
  bool other_labels = false;  // a label neither text nor integer (a float)
  std::int32_t other_code = 0;
  bool unseen_to_caller = false;  // the line reader's: unknown labels are the caller's
  bool has_event = true, has_times = true, has_items = false, has_values = false;
  std::int64_t time_factor = 1;
};

// The codes of LineEvents' labels (a label's position; the first wins on duplicates):
// text labels by their text, integer labels by their value.
class EventCodes {
 public:
  explicit EventCodes(const LineEvents& events);  // checks the label lists agree
  // Not copied or moved: the text lookup holds views into text_.
  EventCodes(const EventCodes&) = delete;
  EventCodes& operator=(const EventCodes&) = delete;

  // The code of a text label / an integer label, or -1 when there is none.
  std::int32_t of_text(std::string_view label) const {
    const auto found = by_text_.find(label);
    return found != by_text_.end() ? found->second : -1;
  }
  std::int32_t of_int(std::int64_t label) const {
    const auto found = by_int_.find(label);
    return found != by_int_.end() ? found->second : -1;
  }
  bool any_int() const { return any_int_; }  // some label is an integer

 private:
  std::vector<std::string> text_;
  std::unordered_map<std::string_view, std::int32_t> by_text_;  // views into text_
  std::unordered_map<std::int64_t, std::int32_t> by_int_;
  bool any_int_ = false;
};

enum class LineStop : std::int32_t {
  kEnd = 0,    // every line read
  kAlert = 1,  // after a line whose event raised a new alert, the gathering time past
  kOther = 2,  // before a line left to the caller
};

// The new alerts of one feed, in the order their events came: per alert its entity's
// key, score and length, the lines read up to and including its line, its id's field
// [entity_begin, entity_end) in the data (as written: inside its quotes, escapes and
// doubled quotes as they stand), its id as text (UTF-8, decoded: `entities` up to
// `entity_ends`, one after another), and the entity as it stood right after that
// event: its store row (feature_width floats), the model's explanation (`top`
// columns, their typical values, shares, deviations and values: Model::explain) and,
// with recent_change, its change facts
// (kChangeFacts floats, EntityStore::change_facts), from which the caller words the reason.
struct LineAlerts {
  std::vector<std::uint64_t> key;
  std::vector<double> score;
  std::vector<std::int64_t> length, line, entity_begin, entity_end;
  std::string entities;                         // the ids' text, one after another
  std::vector<std::int64_t> entity_ends;        // where each ends in entities
  std::vector<float> rows;                      // n x feature_width
  std::vector<std::int64_t> columns;            // n x top
  std::vector<double> typical;                  // n x top
  std::vector<double> share, deviation, value;  // n x top each
  std::vector<std::int64_t> cluster, member;    // n x top each: as Explained's
  std::vector<float> facts;                     // n x kChangeFacts with recent_change, else empty
};

struct LineFeedResult {
  LineStop stop = LineStop::kEnd;
  std::int64_t offset = 0;  // where the next read starts (kOther: at the line left)
  std::int64_t lines = 0;   // lines read (the alerts' counted; the line left, not)
  LineAlerts alerts;
};

class LineFeed {
 public:
  LineFeed(LineFormat format, LineEvents events);
  // Not copied or moved: the label lookup holds views.
  LineFeed(const LineFeed&) = delete;
  LineFeed& operator=(const LineFeed&) = delete;

  // Reads the complete lines of data[offset, size) ('\n'-terminated; a last line
  // without one is read too) until the end, a line left to the caller, or the first line
  // that ends `gather_ns` nanoseconds (steady clock) or more after the first new alert
  // was raised: the alerts of a burst leave together, none held longer than about that
  // (0: a stop after every alert). `top` (>= 1) columns explain each alert.
  LineFeedResult feed(EntityStore& store, const Model& model, const char* data, std::int64_t size,
                      std::int64_t offset, std::int64_t top, std::int64_t gather_ns) const;

 private:
  struct Event {
    std::uint64_t key = 0, item = 0;
    bool item_present = false;
    std::int32_t code = 0;
    std::int64_t time = 0;
    double value = 0.0;
  };
  // A role's field: its text [begin, end) (in the line, or decoded into the scratch
  // buffer; empty: missing) and where it was written in the line [raw_begin, raw_end).
  struct Field {
    const char *begin = nullptr, *end = nullptr, *raw_begin = nullptr, *raw_end = nullptr;
  };
  // The event of one line (without its '\n'), or false when it is the caller's; the
  // entity's field in `entity`. `scratch` holds decoded text (at least the line's size).
  bool read(const char* begin, const char* end, Event& event, Field& entity, char* scratch) const;
  // The roles' fields of a line (decoded text written from `scratch` on), or false.
  bool split_csv(const char* begin, const char* end, Field* fields, char* scratch) const;
  bool split_json(const char* begin, const char* end, Field* fields, char* scratch) const;

  LineFormat format_;
  LineEvents events_;
  EventCodes codes_;
  bool has_[5] = {false, false, false, false, false};  // the roles the lines carry
};

}  // namespace oddseq::stream
