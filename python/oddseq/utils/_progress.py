"""Progress reporting for long steps: tqdm when it is installed, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager


@contextmanager
def step(description: str, *, enabled: bool = True, stream=None):
    """Report one long step: a tqdm bar when tqdm is available, else start/finish lines."""
    stream = stream or sys.stderr
    if not enabled:
        yield
        return
    start = time.perf_counter()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        with tqdm(
            total=1, desc=description, file=stream, leave=True, bar_format="{desc}: {bar} {elapsed}"
        ) as bar:
            yield
            bar.update(1)
        return
    print(f"{description} ...", file=stream, flush=True)
    yield
    print(f"{description}: done in {time.perf_counter() - start:.2f} s", file=stream, flush=True)
