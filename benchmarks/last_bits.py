"""How far the verdicts move when the log's numbers move in their last bits.

The same log read on another machine (another SIMD width in numpy's sums) or a feature
computed another way differs from this one by rounding: a relative 1e-12 here and there.
A verdict that moves with that is a draw, not evidence. Per cell and method, the log is
fitted as drawn and with its value column (the prices) and a side column of
``entity_features=`` scaled by 1 + 1e-12; reported: the largest change of an entity's
score relative to the top score, and how many flags moved (in either direction), at
each ``random_state``.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=1 \\
        python benchmarks/last_bits.py [--tree DIR] [--random-states 0-2]

``--tree DIR``: judge the revision checked out in DIR (as ``seed_gate.py --tree``).
"""

from __future__ import annotations

import argparse
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from seed_gate import _import_oddseq, _parse_states  # noqa: E402

SCALE = 1 + 1e-12


def _cells(oddseq):
    """(name, events, roles) per cell: make_ecommerce (hard), make_marketplace (hard)
    and the held-out accounts and shop generators (4% planted)."""
    import heldout_verdicts as H

    from oddseq.datasets import make_ecommerce, make_marketplace

    out = []
    for name, make, seed in (
        ("ecom-hard", make_ecommerce, 850),
        ("market-hard", make_marketplace, 852),
    ):
        bunch = make(n_users=3000, random_state=seed, difficulty="hard")
        roles = getattr(bunch, "roles", None) or dict(
            entity="user_id", event="behavior", time="timestamp", item="item_id", value="price"
        )
        out.append((f"{name}:{seed}", bunch.events, roles))
    for src, seed in (("accounts", 848), ("shop", 846)):
        source = H.SOURCES[src]()
        events, _ = source.draw(3000, 0.04, seed)
        out.append(
            (f"{src}:{seed}", events, dict(H.roles(source), item=source.item, value=source.value))
        )
    return out


def _side(events, entity, seed):
    """A side column per entity: a continuous attribute (an account's age in days)."""
    ids = np.sort(events[entity].unique())
    rng = np.random.default_rng(seed)
    return pd.DataFrame({entity: ids, "account_age_days": rng.gamma(2.0, 200.0, ids.size) / 7.0})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", help="a checkout of the revision to judge (git worktree)")
    parser.add_argument("--random-states", default="0-2")
    args = parser.parse_args()
    oddseq = _import_oddseq(args.tree)
    warnings.simplefilter("ignore")  # the cut's own words: the figures are the point here
    from threadpoolctl import threadpool_info

    blas = [f"{i['internal_api']} {i.get('architecture')}" for i in threadpool_info()]
    tree = args.tree or HERE.parent
    print(f"# {platform.machine()} {platform.processor()}; BLAS {blas}; tree {tree}")
    states = _parse_states(args.random_states)
    head = ("cell", "method", "rs", "flagged", "moved", "max dscore/top")
    print("{:18s} {:8s} {:>2s} {:>7s} {:>5s} {:>14s}".format(*head))
    totals: dict = {}
    for name, events, roles in _cells(oddseq):
        entity, value = roles["entity"], roles.get("value")
        side = _side(events, entity, 7)
        moved_events = events.copy()
        if value is not None:
            moved_events[value] = moved_events[value] * SCALE
        moved_side = side.assign(account_age_days=side["account_age_days"] * SCALE)
        for method in ("auto", "kmeans", "iforest"):
            for rs in states:
                kw = dict(roles, method=method, random_state=rs)
                a = oddseq.detect_anomalies(events, entity_features=side, **kw)
                b = oddseq.detect_anomalies(moved_events, entity_features=moved_side, **kw)
                b = b.reindex(a.index)
                change = float(np.max(np.abs(a["score"] - b["score"])) / np.max(np.abs(a["score"])))
                moved = int((a["is_anomaly"] != b["is_anomaly"]).sum())
                totals.setdefault(method, []).append((moved, change))
                print(
                    f"{name:18s} {method:8s} {rs:2d} {int(a['is_anomaly'].sum()):7d} "
                    f"{moved:5d} {change:14.2e}",
                    flush=True,
                )
    for method, rows in totals.items():
        moved = [m for m, _ in rows]
        change = [c for _, c in rows]
        print(
            f"# {method}: flags moved in {sum(m > 0 for m in moved)} of {len(rows)} fits "
            f"({sum(moved)} in all); largest score change {max(change):.2e} of the top score, "
            f"median {np.median(change):.2e}"
        )


if __name__ == "__main__":
    main()
