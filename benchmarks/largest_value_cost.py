"""What naming the event type of each entity's largest value costs (``_reasons.
largest_value_events``, the reasons' "largest stake 6,000 (typical 25): on 'withdraw'").

A synthetic log of ``--events`` events over ``--entities`` entities, four event types, a
value on every event; the types read for every entity and for a third of them, best of
``--repeats``, and the peak memory of the pass (tracemalloc).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/largest_value_cost.py \\
        [--events 10000000] [--entities 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    from oddseq import Sequences
    from oddseq._reasons import largest_value_events

    rng = np.random.default_rng(0)
    n = args.events
    log = pd.DataFrame(
        {
            "entity": rng.integers(0, args.entities, n),
            "event": rng.choice(["view", "cart", "buy", "refund"], n),
            "time": rng.integers(0, 10**6, n),
            "value": rng.gamma(2.0, 10.0, n),
        }
    )
    seqs = Sequences.from_events(log, entity="entity", event="event", time="time", value="value")
    del log
    for name, rows in (
        ("every entity", np.arange(len(seqs))),
        ("a third", np.arange(0, len(seqs), 3)),
    ):
        best = np.inf
        for _ in range(args.repeats):
            start = time.perf_counter()
            largest_value_events(seqs, rows)
            best = min(best, time.perf_counter() - start)
        tracemalloc.start()
        largest_value_events(seqs, rows)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        print(f"{n:,} events, {name} ({rows.size:,} rows): {best:.2f} s, peak {peak:.0f} MB")


if __name__ == "__main__":
    main()
