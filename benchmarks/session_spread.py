"""Sessions' flags over their entities: the share of sessions the one call flags with
``session_gap=``, the share of entities with a flagged session, and the same at the rate
the warning advises (the false-alarm rate over the sessions an entity has).

    python benchmarks/session_spread.py [--gap 30min] [--data ../shared/data]

Sources: make_ecommerce and make_marketplace (3,000 users, with and without anomalies)
and, where ``--data`` holds them, the Taobao and REES46 heads.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd

import oddseq
from oddseq.datasets import make_ecommerce, make_marketplace


def spread(df, roles, gap, rate=None):
    extra = {} if rate is None else {"false_alarm_rate": rate}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = oddseq.detect_anomalies(df, **roles, session_gap=gap, groups=False, **extra)
    users = table.index.get_level_values(0)
    flagged = table["is_anomaly"].to_numpy()
    n = users.nunique()
    return len(table), flagged.mean(), n, users[flagged].nunique() / n


def sources(data: Path):
    shop = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")
    market = dict(entity="user_id", event="event", time="timestamp", item="item_id", value="price")
    for make, roles, seeds in (
        (make_ecommerce, shop, (860, 861)),
        (make_marketplace, market, (862, 863)),
    ):
        for seed in seeds:
            for planted in (True, False):  # (the generator's default share, or none)
                extra = {} if planted else {"anomaly_rate": 0.0}
                log = make(n_users=3_000, random_state=seed, **extra).events
                what = "anomalies" if planted else "nothing planted"
                yield f"{make.__name__} {seed}, {what}", log, roles
    taobao = data / "taobao_userbehavior_head" / "UserBehavior_head.csv"
    if taobao.exists():
        log = pd.read_csv(taobao, header=None, names=["user", "item", "cat", "behavior", "ts"])
        yield "Taobao head", log, dict(entity="user", event="behavior", time="ts", item="item")
    rees = data / "rees46_2019oct_head" / "2019-Oct_head.csv"
    if rees.exists():
        roles = dict(entity="user_id", event="event_type", time="event_time")
        yield "REES46 head", pd.read_csv(rees), dict(roles, item="product_id", value="price")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gap", default="30min")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    head = "| source | sessions | flagged | entities | with a flag | advised rate | flagged "
    print(head + "| with a flag |")
    print("|---|---|---|---|---|---|---|---|")
    for name, log, roles in sources(args.data):
        n, share, n_entities, entity_share = spread(log, roles, args.gap)
        advised = 0.01 / max(n / n_entities, 1.0)
        _, share2, _, entity_share2 = spread(log, roles, args.gap, advised)
        print(
            f"| {name} | {n:,} | {share:.2%} | {n_entities:,} | {entity_share:.1%} | "
            f"{advised:.2g} | {share2:.2%} | {entity_share2:.1%} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
