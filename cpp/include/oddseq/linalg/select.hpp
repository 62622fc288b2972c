#pragma once
// Selection: the few largest entries of each row of a matrix, for explanations that name
// the features driving a score (a partial selection, not a sort of every row); and the
// median and median absolute deviation of each column (robust scales).
#include <cstdint>

namespace oddseq::linalg {

// out[i * top + r] = the column of the r-th largest entry of row i of x[n x d], ordered
// by value (descending), ties to the smaller column: the first `top` columns of a stable
// argsort of -x. Requires 1 <= top <= d; NaN entries rank below every number.
void top_columns(const double* x, std::int64_t n, std::int64_t d, std::int64_t top, int n_threads,
                 std::int64_t* out);

// median[j] and mad[j] of column j of x[n x d] (row-major), as numpy's
// np.median(x, axis=0) and np.median(np.abs(x - median), axis=0) give them, bit for bit:
// the middle entry, or the mean (a + b) / 2 of the two middle ones; NaN where the column
// holds a NaN (or n is 0). Columns in parallel, each selected in a copy (nth_element), so
// a million rows cost two linear selections per column instead of numpy's strided
// partition of the whole matrix along its first axis.
void column_median_mad(const double* x, std::int64_t n, std::int64_t d, int n_threads,
                       double* median, double* mad);

}  // namespace oddseq::linalg
