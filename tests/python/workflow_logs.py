"""A system log of a few repeated workflows, shared by the tests (conftest's
``workflow_log`` fixture, the not-normal check's tests) and benchmarks/not_normal.py: a
module of its own, since ``from conftest import`` meets another folder's conftest."""

import pandas as pd


def workflow_log(n, rng, start=0):
    """A system-log-like stream of ``n`` blocks (ids ``b<start>``...), each one of a few
    repeated workflows (most blocks have a twin, a few close more than once), drawn from
    ``rng``: the data where normal-only fitting's support rule holds."""
    rows = []
    for b in range(start, start + n):
        copies = int(rng.choice([2, 3, 4], p=[0.2, 0.75, 0.05]))
        extra = int(rng.random() < 0.03) * int(rng.integers(1, 4))
        block = ["open"] + ["write"] * copies + ["sync"] * copies + ["close"] * (1 + extra)
        rows += [(f"b{b}", event, 100 * b + t) for t, event in enumerate(block)]
    return pd.DataFrame(rows, columns=["block", "event", "t"])
