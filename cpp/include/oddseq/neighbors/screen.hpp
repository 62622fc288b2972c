#pragma once
// A float32 screen in front of an exact euclidean scan. The expansion
// ||q||^2 - 2 q.p + ||p||^2 runs at matrix-multiply speed (simd screen_f32: fused
// multiply-adds over packed points) but rounds far from the canonical fold of
// metric.hpp, so it never decides a neighbour: it only rules out points that provably
// cannot beat the k-th best so far, and every point it lets through is measured exactly.
// Results are therefore those of the plain scan, bit for bit, ties included.
//
// The proof, in the screen's frame (points centred on their mean and scaled by a power
// of two s so that every coordinate is within [-1, 1], then rounded to float32; u is
// float32's unit roundoff): for a query q' and point p' with squared norms nq and np,
// the screened value packed_norm - 2 q'.p' (packed_norm = np (1 - c) rounded) differs
// from its exact value by at most 2 (d + 1) u (nq + np) (a float dot product of d + 1
// terms, Cauchy-Schwarz), rounding q and p to float32 moves their squared distance by
// at most 4 u (nq + np), and the canonical fold of the original coordinates is within
// d 2^-53 of the exact distance (times s^2). With c = (d + 16) 2^-21, at least four times
// the sum, a point whose canonical reduced distance f is at most tau always satisfies
//   screened <= tau s^2 - nq (1 - c) + a,
// where a covers underflow; limit() computes that right-hand side rounded upwards.
// Points beyond it have f > tau and cannot enter a k-best list whose k-th is tau.
#include <cstdint>
#include <vector>

namespace oddseq::neighbors {

class Screen {
 public:
  // Points to screen, row-major points[n x d]. The screen is off (usable() false) when
  // their spread is outside [2^-400, 2^400], where the bounds above would need terms for
  // overflow or for underflow in the original coordinates.
  Screen(const double* points, std::int64_t n, std::int64_t d);

  bool usable() const { return usable_; }
  // Points per mask word (the active SIMD table's tile) and the padded point count.
  std::int64_t tile() const { return tile_; }
  std::int64_t padded() const { return padded_; }

  // Brings m query rows into the screen's frame: rows[m x d] in float32 and their squared
  // norms; screenable[i] is false for a row too far out to be rounded safely (it is then
  // given an infinite limit: every point is measured).
  void frame(const double* q, std::int64_t m, float* rows, double* norms, bool* screenable) const;
  // The limit for a query whose squared norm in the frame is `norm` and whose k-th best
  // reduced (squared, original units) distance so far is tau (infinite: no limit).
  float limit(double tau, double norm) const;
  // Masks for the m framed rows against tiles [first_tile, first_tile + tiles) of the
  // points: bit l of masks[i * tiles + t] is set unless point (first_tile + t) * tile() + l
  // is ruled out for row i (padding past n has an infinite norm: callers skip it).
  void screen(const float* rows, std::int64_t m, const float* limits, std::int64_t first_tile,
              std::int64_t tiles, std::uint32_t* masks) const;

 private:
  std::int64_t n_ = 0, d_ = 0, tile_ = 1, padded_ = 0;
  bool usable_ = false;
  std::vector<double> centre_;
  double scale_ = 1.0;     // s, a power of two
  double relative_ = 0.0;  // c
  double absolute_ = 0.0;  // a
  std::vector<float> packed_, packed_norms_;
};

}  // namespace oddseq::neighbors
