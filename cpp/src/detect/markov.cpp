#include "oddseq/detect/markov.hpp"

#include <algorithm>
#include <cmath>

#include "oddseq/core/check.hpp"
#include "oddseq/core/hash.hpp"
#include "oddseq/core/parallel.hpp"

namespace oddseq::detect {

MarkovModel::MarkovModel(std::int32_t n_events, int order, double discount, bool end_symbol)
    : n_events_(n_events),
      order_(order),
      discount_(discount),
      end_symbol_(end_symbol),
      n_symbols_(n_events + 3),
      unigram_(static_cast<std::size_t>(n_events + 3), 0.0),
      contexts_(static_cast<std::size_t>(order)),
      continuations_(static_cast<std::size_t>(order)) {
  ODDSEQ_CHECK(n_events >= 0 && order >= 1, "a Markov model needs order >= 1");
  ODDSEQ_CHECK(discount > 0 && discount < 1, "discount must be in (0, 1)");
}

std::uint64_t MarkovModel::context_key(const std::int32_t* history, int length) const {
  // The last `length` symbols of history (history points one past the newest).
  std::uint64_t key = 0x51ED270B27A1C3D5ULL ^ static_cast<std::uint64_t>(length);
  for (int j = 1; j <= length; ++j)
    key = core::mix64(key ^ static_cast<std::uint64_t>(history[-j] + 1));
  return key;
}

template <class Body>
void MarkovModel::walk(const std::int32_t* codes, std::int64_t begin, std::int64_t end,
                       Body&& body) const {
  // History buffer: start symbols, then the sequence; next symbols are the events and
  // the end symbol.
  std::vector<std::int32_t> history(static_cast<std::size_t>(order_), start_symbol());
  history.insert(history.end(), codes + begin, codes + end);
  const std::int64_t n = end - begin;
  const std::int64_t last = end_symbol_ ? n + 1 : n;
  for (std::int64_t i = 0; i < last; ++i) {
    const std::int32_t next = i < n ? history[order_ + i] : end_symbol();
    body(history.data() + order_ + i, static_cast<int>(std::min<std::int64_t>(order_, order_ + i)),
         next, i);
  }
}

void MarkovModel::fit(const std::int64_t* offsets, std::int64_t n_sequences,
                      const std::int32_t* codes) {
  for (std::int64_t s = 0; s < n_sequences; ++s) {
    walk(codes, offsets[s], offsets[s + 1],
         [&](const std::int32_t* history, int available, std::int32_t next, std::int64_t) {
           unigram_[next] += 1;
           unigram_total_ += 1;
           for (int length = 1; length <= std::min(available, order_); ++length) {
             const std::uint64_t ctx = context_key(history, length);
             const std::uint64_t pair = pair_key(ctx, next);
             Context& c = contexts_[length - 1][ctx];
             double& count = continuations_[length - 1][pair];
             if (count == 0) c.distinct += 1;
             count += 1;
             c.total += 1;
           }
         });
  }
}

void MarkovModel::distribution(const std::int32_t* history, double* p) const {
  // Unigram with add-one over every symbol but the start: unseen events stay possible.
  const double unigram_norm = unigram_total_ + static_cast<double>(n_symbols_ - 1);
  for (std::int32_t sym = 0; sym < n_symbols_; ++sym) p[sym] = (unigram_[sym] + 1.0) / unigram_norm;
  for (int length = 1; length <= order_; ++length) {
    const std::uint64_t ctx = context_key(history, length);
    const auto found = contexts_[length - 1].find(ctx);
    if (found == contexts_[length - 1].end()) break;  // longer contexts are unseen too
    const Context& c = found->second;
    const double backoff = discount_ * c.distinct / c.total;
    for (std::int32_t sym = 0; sym < n_symbols_; ++sym) {
      const auto pair = continuations_[length - 1].find(pair_key(ctx, sym));
      const double count = pair == continuations_[length - 1].end() ? 0.0 : pair->second;
      p[sym] = std::max(count - discount_, 0.0) / c.total + backoff * p[sym];
    }
  }
}

bool MarkovModel::seen_in_longest_context(const std::int32_t* history, std::int32_t next) const {
  // The longest context seen in fit is the model's own evidence for what comes next; a
  // next event it never saw there is a miss whatever its smoothed rank (smoothing
  // spreads the leftover mass flat, so among never-seen events the rank is arbitrary).
  for (int length = order_; length >= 1; --length) {
    const std::uint64_t ctx = context_key(history, length);
    if (contexts_[length - 1].count(ctx) == 0) continue;
    return continuations_[length - 1].count(pair_key(ctx, next)) > 0;
  }
  return unigram_[next] > 0;
}

bool MarkovModel::rankable(std::int32_t sym, std::int64_t step) const {
  // The end is no alternative to the first event: a sequence has one. Its share of all
  // symbols, backed off to after the start, can outweigh each of thousands of rare event
  // types, and counted it pushed a first event past the top g (trial s40).
  return sym != start_symbol() && (sym != end_symbol() || (end_symbol_ && step > 0));
}

void MarkovModel::score(const std::int64_t* offsets, std::int64_t n_sequences,
                        const std::int32_t* codes, int top_g, int n_threads, double* out) const {
  core::parallel_for_interruptible(n_sequences, n_threads, [&](std::int64_t s) {
    double sum = 0, worst = 0, scored = 0, outside = 0, unseen_events = 0, unseen_pairs = 0;
    std::vector<double> p(static_cast<std::size_t>(n_symbols_));
    walk(codes, offsets[s], offsets[s + 1],
         [&](const std::int32_t* history, int, std::int32_t next, std::int64_t i) {
           distribution(history, p.data());
           const double bits = -std::log2(p[next]);
           sum += bits;
           worst = std::max(worst, bits);
           scored += 1;
           int better = 0;
           for (std::int32_t other = 0; other < n_symbols_; ++other) {
             better += other != next && rankable(other, i) && p[other] > p[next];
           }
           outside += better >= top_g || !seen_in_longest_context(history, next);
           unseen_events += next == n_events_;
           unseen_pairs += continuations_[0].count(pair_key(context_key(history, 1), next)) == 0;
         });
    double* row = out + s * kColumns;
    row[0] = scored > 0 ? sum / scored : 0.0;
    row[1] = worst;
    row[2] = outside;
    row[3] = scored > 0 ? outside / scored : 0.0;
    row[4] = unseen_events;
    row[5] = unseen_pairs;
  });
}

void MarkovModel::explain(const std::int64_t* offsets, std::int64_t n_sequences,
                          const std::int32_t* codes, std::vector<std::int64_t>& positions_out,
                          std::vector<double>& surprisal, std::vector<std::int32_t>& rank,
                          std::vector<std::int32_t>& likely) const {
  positions_out.assign(static_cast<std::size_t>(n_sequences + 1), 0);
  for (std::int64_t s = 0; s < n_sequences; ++s) {
    const std::int64_t length = offsets[s + 1] - offsets[s] + (end_symbol_ ? 1 : 0);
    positions_out[s + 1] = positions_out[s] + length;
  }
  surprisal.assign(static_cast<std::size_t>(positions_out.back()), 0.0);
  rank.assign(surprisal.size(), 0);
  likely.assign(surprisal.size(), 0);
  std::vector<double> p(static_cast<std::size_t>(n_symbols_));
  for (std::int64_t s = 0; s < n_sequences; ++s) {
    walk(codes, offsets[s], offsets[s + 1],
         [&](const std::int32_t* history, int, std::int32_t next, std::int64_t i) {
           const std::int64_t at = positions_out[s] + i;
           distribution(history, p.data());
           surprisal[at] = -std::log2(p[next]);
           std::int32_t better = 0, best = next;
           for (std::int32_t other = 0; other < n_symbols_; ++other) {
             if (!rankable(other, i)) continue;
             better += other != next && p[other] > p[next];
             // What the model expected: never the end right after the start ("start ->
             // e2808 (expected end)", trial s40): rankable's reason.
             if (p[other] > p[best]) best = other;
           }
           rank[at] = better;
           likely[at] = best;
         });
  }
}

}  // namespace oddseq::detect
