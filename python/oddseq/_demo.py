"""The end-to-end flow behind ``oddseq demo``."""

from __future__ import annotations

import sys

import pandas as pd

from ._pipeline import detect_anomalies
from .metrics import (
    average_precision_score,
    precision_at_k,
    precision_recall_fscore,
    roc_auc_score,
)
from .utils._progress import step


def run_demo(
    n_users=5000,
    difficulty="medium",
    seed=0,
    data=None,
    data_format="taobao",
    top=15,
    out=None,
    progress=True,
) -> pd.DataFrame:
    """Generate (or read) a log, score its users and print the top odd ones."""
    out = sys.stdout if out is None else out
    from .datasets import make_ecommerce, read_taobao

    labels = kinds = None
    if data is None:
        with step(
            f"generating a log of {n_users:,} users (difficulty={difficulty})", enabled=progress
        ):
            bunch = make_ecommerce(n_users=n_users, difficulty=difficulty, random_state=seed)
        events, labels, kinds = bunch.events, bunch.labels, bunch.kinds
        columns = dict(
            entity="user_id", event="behavior", time="timestamp", item="item_id", value="price"
        )
    else:
        if data_format != "taobao":
            raise ValueError(f"--format {data_format!r} is not supported; use 'taobao'")
        other = (
            f"For any other log use: oddseq detect {data} --entity COLUMN --event COLUMN "
            "--time COLUMN -o odd.csv"
        )
        _check_data_file(data, other)
        with step(f"reading {data}", enabled=progress):
            try:
                events = read_taobao(data)
            except (ValueError, TypeError) as error:
                detail = str(error).splitlines()[0].rstrip(".")
                if "not a Taobao UserBehavior file" not in detail:  # (the reader's words)
                    detail = (
                        f"{data} is not a Taobao UserBehavior file (five columns without a "
                        f"header: user_id,item_id,category_id,behavior,timestamp): {detail}"
                    )
                raise ValueError(f"{detail}. {other}") from None
            except (OSError, EOFError):  # gzip's, bz2's... own words
                from .cli import _COMPRESSED, not_compressed

                if not str(data).lower().endswith(_COMPRESSED):
                    raise
                raise ValueError(f"{not_compressed(data)}. {other}") from None
        columns = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
    # The ten lines of README: detect_anomalies, group stage included.
    category = "category_id" if "category_id" in events.columns else None
    table = detect_anomalies(
        events, **columns, category=category, random_state=seed, progress=progress
    )
    if kinds is not None:
        table.insert(2, "kind", kinds.reindex(table.index).to_numpy())
    n_types = events["behavior"].nunique()
    print(f"\n{len(table):,} users, {len(events):,} events, {n_types} event types\n", file=out)
    print(f"Top {top} odd users:" if top != 1 else "The odd-most user:", file=out)
    print(_shown(table.head(top)), file=out)
    if labels is not None and labels.reindex(table.index).nunique() < 2:
        # (a few users: the generator planted none, or only anomalies; no metric is defined)
        planted = "no anomalies were" if not labels.any() else "only anomalies were"
        print(
            f"\nAgainst the planted anomalies: {planted} planted among these "
            f"{len(table):,} users, so there is nothing to check the scores against (the "
            "generator plants a few percent: try 300 users or more)",
            file=out,
        )
    elif labels is not None:
        y = labels.reindex(table.index).to_numpy()
        s = table["score"].to_numpy()
        p, r, f = precision_recall_fscore(y, table["is_anomaly"].to_numpy().astype(int))
        print("\nAgainst the planted anomalies:", file=out)
        print(
            f"  ROC-AUC {roc_auc_score(y, s):.3f}   average precision "
            f"{average_precision_score(y, s):.3f}   precision@{int(y.sum())} "
            f"{precision_at_k(y, s):.3f}",
            file=out,
        )
        print(f"  at the threshold: precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}", file=out)
        found = table.assign(y=y).query("y == 1").groupby("kind")["is_anomaly"].mean()
        print(
            "  share flagged per kind: " + ", ".join(f"{k} {v:.2f}" for k, v in found.items()),
            file=out,
        )
    return table


def _check_data_file(data, other: str) -> None:
    """``--data`` is a file with something in it (a folder, a missing or an empty file
    said in words, not as the reader's OSError)."""
    from pathlib import Path

    where = Path(data)
    if where.is_dir():
        raise ValueError(f"--data {data} is a folder; give the Taobao UserBehavior file. {other}")
    if not where.exists():
        raise ValueError(f"--data {data}: no such file. {other}")
    if where.stat().st_size == 0:
        raise ValueError(
            f"--data {data} is empty (0 bytes); give the Taobao UserBehavior file (user_id,"
            f"item_id,category_id,behavior,timestamp lines). {other}"
        )


def _shown(table: pd.DataFrame, width: int = 90) -> str:
    """The demo's top rows as text: reasons cut to ``width`` characters and left-aligned
    under their header (to_string right-aligns text and ignores display.max_colwidth),
    without touching the caller's pandas options."""
    reasons = table["reason"].astype(str)
    reasons = reasons.where(reasons.str.len() <= width, reasons.str[: width - 1] + "…")
    wide = max(len("reason"), *reasons.str.len()) if len(reasons) else len("reason")
    shown = table.assign(reason=reasons.str.ljust(wide))
    # p_normal to 2 significant digits: at 3 decimals the top of 5,000 users read 0.000,
    # though it never reads under 1 / (n + 1) (trial s42)
    formatters = {"reason": str, "p_normal": lambda v: f"{v:.2g}"}
    return shown.to_string(float_format=lambda v: f"{v:.3f}", justify="left", formatters=formatters)
