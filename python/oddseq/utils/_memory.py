"""Large blocks of memory reused within one call instead of fresh pages for each array.

A call over a 100 M event log makes and drops tens of gigabytes of temporary arrays
(numpy's intermediates and the C++ kernels' scratch buffers, hundreds of megabytes each).
Each fresh block comes from the kernel as untouched pages that fault and are zeroed on
first write: 12 s of CPU in the 56 s one call at Taobao's size (perf, clear_page_rep).
Inside :func:`reusing_memory`'s scope, blocks of 4 MB and more that are freed are kept and
handed to the next request they can hold. The pool's memory (in use and cached) never
exceeds the most of its blocks in use at once, the cache holds at most twice the largest
recent request, and it is emptied when the outermost scope ends
(``cpp/include/oddseq/core/block_pool.hpp`` says how): the Taobao-1M call's peak memory is
what it was without the pool. numpy's arrays join in through its memory handler, set in
the calling context only (other threads keep numpy's own).
"""

from __future__ import annotations

import functools

from .. import _core

__all__ = ["reused_memory", "reusing_memory"]


class reused_memory:  # noqa: N801 (used as a context manager, like open)
    """A scope of block reuse: ``with reused_memory(): ...``. Scopes nest."""

    __slots__ = ("_token",)

    def __enter__(self):
        self._token = _core.block_pool_enter()
        return self

    def __exit__(self, *exc_info):
        _core.block_pool_leave(self._token)
        return False


def reusing_memory(function):
    """``function`` run inside a :class:`reused_memory` scope (a plain wrapper in this
    package, so ``user_stacklevel`` still points warnings at the caller's line)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with reused_memory():
            return function(*args, **kwargs)

    return wrapper
