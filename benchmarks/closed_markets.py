"""Logs of closed markets for the group stage (sixty-first session, TR s60 H1): a small
town's riders on its few drivers, a small town's customers on its few restaurants, each
beside a city and collusion rings in it. Prints, per log and seed, the flags and who is
in a group (town, ring, city).

    python benchmarks/closed_markets.py [--tree DIR] [--seeds 0-2] [--logs rides delivery]
    python benchmarks/closed_markets.py [--tree DIR] --timing

``--tree``: an oddseq checkout to read the package from (as seed_gate.py's), for a base
beside this one. ``rides``: ``tests/python/graph/market_rides.py`` at 3,000 city riders
on 300 drivers, a town of 84 on 8, 3 rings of 6. ``delivery``: 3,000 city customers on
250 restaurants, towns of 80 on 5 and 50 on 4 (restaurants open at lunch, dinner or
both; 40% office workers who order lunch on most workdays), 3 rings of 6 accounts who
order together from a colluding restaurant pair on 6 afternoons. ``--timing``: the
group search alone (``GroupDetector().fit``, best of 2) on a ride log of 10,000 city
riders on 800 drivers beside a town of 120 on 10, and on make_ecommerce hard of 20,000
users (seed 850): what searching a closed market's blocks in turn costs."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DAY, HOUR = 86_400, 3_600


def delivery(seed, n_city=3000, city_restaurants=250, towns=((80, 5), (50, 4)), days=28):
    rng = np.random.default_rng(seed)
    rows = []

    def order(customer, t, restaurant):
        end = t + 2400 + int(rng.integers(0, 1200))
        rows.extend(
            [
                (customer, "open_app", t, None),
                (customer, "view_menu", t + 30, restaurant),
                (customer, "add_to_cart", t + 120, restaurant),
                (customer, "checkout", t + 200, restaurant),
                (customer, "delivered", end, restaurant),
            ]
        )

    def customers(prefix, n, restaurants):
        opens = {r: rng.choice(["lunch", "dinner", "both"]) for r in restaurants}
        for i in range(n):
            office = rng.random() < 0.4
            for d in range(days):
                if office and d % 7 < 5 and rng.random() < 0.6:
                    meal = "lunch"
                elif rng.random() < 0.2:
                    meal = rng.choice(["lunch", "dinner"])
                else:
                    continue
                open_now = [r for r in restaurants if opens[r] in (meal, "both")] or restaurants
                hour = (12 if meal == "lunch" else 19) + rng.random() * 1.5
                pick = open_now[int(rng.integers(0, len(open_now)))]
                order(f"{prefix}{i}", int(d * DAY + hour * HOUR), pick)

    city = [f"R{j}" for j in range(city_restaurants)]
    customers("c", n_city, city)
    for k, (n, m) in enumerate(towns):
        customers(f"town{k}-", n, [f"T{k}R{j}" for j in range(m)])
    for g in range(3):
        pair = [city[int(j)] for j in rng.choice(city_restaurants, 2, replace=False)]
        members = [f"ring{g}-{j}" for j in range(6)]
        for m in members:  # a life of their own
            for _ in range(int(rng.integers(1, 4))):
                t = int(int(rng.integers(0, days)) * DAY + (12 + rng.random()) * HOUR)
                order(m, t, city[int(rng.integers(0, city_restaurants))])
        for day in rng.choice(days, 6, replace=False):
            t0 = int(day * DAY + 15 * HOUR + rng.integers(0, 1800))
            for m in members:
                order(m, t0 + int(rng.integers(0, 900)), pair[int(rng.integers(0, 2))])
    df = pd.DataFrame(rows, columns=["customer", "event", "t", "restaurant"])
    df["t"] = pd.to_datetime(df["t"], unit="s")
    return df, dict(entity="customer", event="event", time="t", item="restaurant")


def rides(seed):
    sys.path.insert(0, str(HERE.parent / "tests" / "python" / "graph"))
    from market_rides import ROLES, market_rides

    log = market_rides(
        n_city=3000, city_drivers=300, n_town=84, town_drivers=8, n_rings=3, seed=seed
    )
    return log, ROLES


def timing(oddseq) -> None:
    import time

    from oddseq.datasets import make_ecommerce
    from oddseq.graph import GroupDetector

    sys.path.insert(0, str(HERE.parent / "tests" / "python" / "graph"))
    from market_rides import market_rides

    shop = make_ecommerce(n_users=20_000, random_state=850, difficulty="hard").events
    town = market_rides(
        n_city=10_000, city_drivers=800, n_town=120, town_drivers=10, n_rings=3, seed=1
    ).dropna()
    logs = {
        "make_ecommerce hard 20,000 users": (shop, dict(entity="user_id", object="item_id")),
        "rides 10,000 + a town of 120": (town, dict(entity="rider", object="driver")),
    }
    for name, (log, roles) in logs.items():
        best, time_column = np.inf, "timestamp" if "user_id" in log else "t"
        for _ in range(2):
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = GroupDetector().fit(log, **roles, time=time_column)
            best = min(best, time.perf_counter() - start)
        print(
            f"{name}: {len(log):,} events, {len(found.groups_)} groups, "
            f"{len(found.candidates_)} blocks, {best:.2f} s",
            flush=True,
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", help="an oddseq checkout to read the package from")
    parser.add_argument("--seeds", default="0-2", help="e.g. 0-2")
    parser.add_argument("--logs", nargs="+", default=["rides", "delivery"])
    parser.add_argument("--timing", action="store_true", help="time the group search alone")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from seed_gate import _import_oddseq

    oddseq = _import_oddseq(args.tree)
    if args.timing:
        timing(oddseq)
        return
    from sklearn.metrics import f1_score, roc_auc_score

    lo, _, hi = args.seeds.partition("-")
    for name in args.logs:
        make = {"rides": rides, "delivery": delivery}[name]
        for seed in range(int(lo), int(hi or lo) + 1):
            log, roles = make(seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                table = oddseq.detect_anomalies(log, **roles, random_state=0)
            ids = table.index.astype(str)
            truth = ids.str.startswith("ring").astype(int)
            flags = table["is_anomaly"].to_numpy()
            kinds = {"town": 0, "ring": 0, "city": 0}
            for member in ids[table["group"].to_numpy() >= 0]:
                kind = "town" if member.startswith("town") else "ring"
                kinds[kind if member.startswith(("town", "ring")) else "city"] += 1
            print(
                f"{name} seed {seed}: flagged {int(flags.sum())} of {len(table)}, "
                f"F1 {f1_score(truth, flags):.3f}, ROC-AUC "
                f"{roc_auc_score(truth, table['score']):.3f}; in groups {kinds} "
                f"(ring members {int(truth.sum())})",
                flush=True,
            )


if __name__ == "__main__":
    main()
