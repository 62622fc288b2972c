"""Progress reporting for long steps: tqdm when it is installed, plain lines otherwise.

Two forms:

- :func:`bar` for work whose size is known (bytes of a file, rows, sequences, trees):
  a bar with the count, the rate and the time left.
- :func:`step` for one call that cannot report its own progress (a C++ kernel): the
  elapsed time keeps ticking while it runs, and the line ends with how long it took.
  It never pretends to a share done (no bar that jumps from 0 to 100 %).
"""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager

__all__ = ["bar", "step"]

_TICK_S = 0.5


def _tqdm():
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


class _Silent:
    """The bar of disabled progress: counts, shows nothing."""

    def __init__(self, total=None):
        self.n = 0
        self.total = total

    def update(self, n=1):
        self.n += n

    def set_postfix_str(self, text, refresh=True):
        pass


class _Lines:
    """Without tqdm: a line at the start, one per named stage (what a bar shows as its
    postfix: "encoding", "threshold"), one every few seconds with the count, and one at
    the end."""

    def __init__(self, description, total, unit, stream, every_s=5.0):
        self.n = 0
        self.total = total
        self.unit = unit
        self.description = description
        self.stream = stream
        self.every_s = every_s
        self.stage = None  # the last named stage printed
        self.start = self.last = time.perf_counter()
        print(f"{description} ...", file=stream, flush=True)

    def _count(self):
        of = f" of {self.total:,}" if self.total else ""
        return f"{self.n:,}{of} {self.unit}"

    def update(self, n=1):
        self.n += n
        now = time.perf_counter()
        if now - self.last >= self.every_s:
            self.last = now
            print(f"{self.description}: {self._count()}", file=self.stream, flush=True)

    def set_postfix_str(self, text, refresh=True):
        if text and text != self.stage:
            self.stage = text
            print(f"{self.description}: {text}", file=self.stream, flush=True)

    def close(self):
        took = time.perf_counter() - self.start
        print(f"{self.description}: {self._count()}, done in {took:.2f} s", file=self.stream)


@contextmanager
def bar(description: str, total=None, *, unit: str = "it", enabled: bool = True, stream=None):
    """A progress bar over counted work; yields an object with ``update(n)`` and ``n``.

    Examples
    --------
    >>> with bar("scoring", total=3, enabled=False) as b:
    ...     for _ in range(3):
    ...         b.update(1)
    >>> b.n
    3
    """
    if not enabled:
        yield _Silent(total)
        return
    stream = stream or sys.stderr
    tqdm = _tqdm()
    if tqdm is None:
        lines = _Lines(description, total, unit, stream)
        yield lines
        lines.close()
        return
    scale = unit == "B"
    with tqdm(
        total=total,
        desc=description,
        file=stream,
        unit=unit,
        unit_scale=scale,
        unit_divisor=1024 if scale else 1000,
        leave=True,
        dynamic_ncols=True,
    ) as progress:
        yield progress


@contextmanager
def step(description: str, *, enabled: bool = True, stream=None):
    """Report one long step whose progress cannot be counted: its elapsed time ticks
    while it runs (every half second, from a helper thread) and the line ends with the
    time it took.

    Examples
    --------
    >>> with step("fitting", enabled=False):
    ...     pass
    """
    stream = stream or sys.stderr
    if not enabled:
        yield
        return
    start = time.perf_counter()
    tqdm = _tqdm()
    if tqdm is None:
        print(f"{description} ...", file=stream, flush=True)
        yield
        took = time.perf_counter() - start
        print(f"{description}: done in {took:.2f} s", file=stream, flush=True)
        return
    with tqdm(
        total=None, desc=description, file=stream, leave=True, bar_format="{desc}: {elapsed}"
    ) as progress:
        done = threading.Event()

        def tick():
            while not done.wait(_TICK_S):
                progress.refresh()

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            yield
        finally:
            done.set()
            ticker.join()
        progress.bar_format = "{desc}: done in {elapsed}"
        progress.refresh()
