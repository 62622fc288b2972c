#pragma once
// An n-gram model of event sequences (interpolated absolute discounting, Ney et al.
// 1994) and per-sequence surprise: the non-neural counterpart of DeepLog's next-event
// model. Symbols are 0..n_events-1 for known events, n_events for "unseen", plus a start
// and an end symbol the model adds itself.
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace oddseq::detect {

class MarkovModel {
 public:
  // order: events of context (>= 1). discount in (0, 1).
  MarkovModel(std::int32_t n_events, int order, double discount, bool end_symbol);

  // Adds the transitions of every sequence (codes in [0, n_events]).
  void fit(const std::int64_t* offsets, std::int64_t n_sequences, const std::int32_t* codes);

  // Per sequence, 6 columns: mean and max surprisal (bits) of its next events (the end
  // symbol included when the model has one), the number of next events ranked outside
  // the model's top_g, that number over the events scored, the number of unseen events,
  // and the number of transitions (previous event, next event) never seen in fit.
  static constexpr int kColumns = 6;
  void score(const std::int64_t* offsets, std::int64_t n_sequences, const std::int32_t* codes,
             int top_g, int n_threads, double* out) const;

  // Per scored position of every sequence (events, then the end symbol if any): the
  // surprisal in bits, the rank of the actual next symbol (0 = most likely) and the most
  // likely symbol. positions_out gets one offset per sequence + 1.
  void explain(const std::int64_t* offsets, std::int64_t n_sequences, const std::int32_t* codes,
               std::vector<std::int64_t>& positions_out, std::vector<double>& surprisal,
               std::vector<std::int32_t>& rank, std::vector<std::int32_t>& likely) const;

  std::int32_t n_events() const { return n_events_; }
  std::int32_t start_symbol() const { return n_events_ + 1; }
  std::int32_t end_symbol() const { return n_events_ + 2; }

 private:
  struct Context {
    double total = 0;
    double distinct = 0;
  };
  std::uint64_t context_key(const std::int32_t* history, int length) const;
  static std::uint64_t pair_key(std::uint64_t context, std::int32_t next) {
    return context ^ (static_cast<std::uint64_t>(next) + 1) * 0x9E3779B97F4A7C15ULL;
  }
  // p[0..n_symbols) = P(symbol | the `order` symbols before `history`).
  void distribution(const std::int32_t* history, double* p) const;
  // Whether `symbol` is an alternative at step `step` of a sequence (0: its first event).
  bool rankable(std::int32_t symbol, std::int64_t step) const;
  bool seen_in_longest_context(const std::int32_t* history, std::int32_t next) const;
  // Calls body(history pointer, available context, next symbol) for each position.
  template <class Body>
  void walk(const std::int32_t* codes, std::int64_t begin, std::int64_t end, Body&& body) const;

  std::int32_t n_events_;
  int order_;
  double discount_;
  bool end_symbol_;
  std::int32_t n_symbols_;  // events + unseen + start + end
  std::vector<double> unigram_;
  double unigram_total_ = 0;
  std::vector<std::unordered_map<std::uint64_t, Context>> contexts_;      // per length 1..order
  std::vector<std::unordered_map<std::uint64_t, double>> continuations_;  // per length
};

}  // namespace oddseq::detect
