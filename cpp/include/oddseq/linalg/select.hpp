#pragma once
// Row-wise selection: the few largest entries of each row of a matrix, for explanations
// that name the features driving a score (a partial selection, not a sort of every row).
#include <cstdint>

namespace oddseq::linalg {

// out[i * top + r] = the column of the r-th largest entry of row i of x[n x d], ordered
// by value (descending), ties to the smaller column: the first `top` columns of a stable
// argsort of -x. Requires 1 <= top <= d; NaN entries rank below every number.
void top_columns(const double* x, std::int64_t n, std::int64_t d, std::int64_t top, int n_threads,
                 std::int64_t* out);

}  // namespace oddseq::linalg
