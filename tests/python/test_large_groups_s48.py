"""A group that holds a large share of the log is said (TR s47 M7: a group of 779 ordinary
accounts, 11% of an auction log, flagged without a word)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")


def _log(n_ring: int, seed: int = 0):
    base = make_ecommerce(n_users=500, random_state=seed).events
    t0 = int(base["timestamp"].min())
    items = base["item_id"].unique()[:4]
    rng = np.random.default_rng(seed)
    rows = []
    for day in range(5):
        for u in range(n_ring):
            for item in items:
                rows.append((10**7 + u, item, "buy", t0 + day * 86_400 + rng.uniform(0, 1_200)))
    ring = pd.DataFrame(rows, columns=["user_id", "item_id", "behavior", "timestamp"])
    ring["timestamp"] = ring["timestamp"].astype(base["timestamp"].dtype)
    return pd.concat([base, ring], ignore_index=True)


def _said(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = call()
    return out, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def test_a_group_of_a_tenth_of_the_log_is_said():
    (table, pipe), said = _said(
        lambda: oddseq.detect_anomalies(_log(60), **ROLES, return_pipeline=True)
    )
    groups = pipe.groups_.groups_
    assert len(groups) and groups["n_members"].max() >= 50
    big = int(groups["n_members"].to_numpy().argmax())
    n = len(pipe.groups_.entity_ids_)
    line = [s for s in said if "a ring is seldom so large a share" in s]
    assert len(line) == 1, said
    assert f"group {big} holds {int(groups['n_members'].iloc[big]):,} of the {n:,}" in line[0]
    assert f"pipeline.groups_.groups_.loc[{big}, 'objects']" in line[0]
    assert "group_by=... (--group-by from the shell) without that column, or" in line[0]


def test_the_shell_says_it_in_its_words(tmp_path, capsys):
    # review RV s48 M2: no pipeline in the shell, and its own options
    from oddseq.cli import main

    path = tmp_path / "log.csv"
    _log(60).to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user_id", "--event", "behavior"]
    args += ["--time", "timestamp", "--item", "item_id", "-o", str(tmp_path / "t.csv")]
    assert main(args) == 0
    line = next(x for x in capsys.readouterr().err.splitlines() if "seldom" in x)
    assert "Read the objects its members' reasons name" in line
    assert "--group-by without that column, or --no-groups, leaves it out" in line
    assert "pipeline" not in line and "=" not in line.split("event.")[-1]


def test_a_small_ring_is_not():
    (table, pipe), said = _said(
        lambda: oddseq.detect_anomalies(_log(8), **ROLES, return_pipeline=True)
    )
    assert len(pipe.groups_.groups_)
    assert not [s for s in said if "a ring is seldom so large a share" in s]


def test_dask_says_it_too():
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    log = _log(60)
    _, said = _said(lambda: detect_anomalies(dd.from_pandas(log, npartitions=3), **ROLES).compute())
    said = [s for s in said if "a ring is seldom so large a share" in s]
    assert said and said[0].endswith("; groups=False leaves it out")  # (no group_by= there)
