"""Group members that min_events leaves out stay in the table (#14, session 26 H1).

The group stage reads every entity, before min_events; a member whose sequence (or a
session of it) has fewer than min_events events used to leave the table, so the group
was found and its short members were not listed (a ring round is a few events). Now
such a row stays, judged by its group's acts alone: its score the group's lift, flagged,
cluster -1, its reason the group's sentence and a note of its few events; its own
features are not read."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
SESSIONS = dict(session_gap="30min")


@pytest.fixture(scope="module")
def shop(ring_shop):
    return ring_shop


def _detect(log, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return oddseq.detect_anomalies(log, **COLUMNS, return_pipeline=True, **options)


@pytest.fixture(scope="module")
def sessions(shop):
    """(the table at min_events=1, the table and pipeline at min_events=6, lengths)."""
    full, _ = _detect(shop, **SESSIONS)
    table, pipeline = _detect(shop, **SESSIONS, min_events=6)
    seqs = oddseq.Sequences.from_events(shop, **COLUMNS, **SESSIONS)
    return full, table, pipeline, pd.Series(seqs.lengths, index=seqs.ids), seqs


@pytest.fixture(scope="module")
def short_accounts(shop):
    """The shop with each whole-entity ring member's events cut to its group acts (5
    to 14 events each): accounts that exist for the ring."""
    table, pipeline = _detect(shop)
    acts = pipeline.groups_.group_acts_
    members = table.index[table["group"] >= 0]
    stamps = shop["timestamp"].to_numpy()
    acted = pd.MultiIndex.from_arrays([acts["entity"], acts["time"].astype("int64") // 10**9])
    keys = pd.MultiIndex.from_arrays([shop["user_id"], stamps])
    keep = ~shop["user_id"].isin(members) | keys.isin(acted)
    return shop[keep.to_numpy()].reset_index(drop=True), members


def test_short_member_sessions_stay_listed_for_their_group(sessions):
    full, table, pipeline, lengths, _ = sessions
    members = full.index[full["group"] >= 0]
    short = members[lengths[members].to_numpy() < 6]
    assert len(short) >= 5  # rounds of 4-5 events (12 of 33 here)
    # every member of min_events=1 is listed, in the same group
    assert table.index[table["group"] >= 0].sort_values().equals(members.sort_values())
    np.testing.assert_array_equal(table.loc[members, "group"], full.loc[members, "group"])
    rows = table.loc[short]
    assert rows["is_anomaly"].all()
    assert (rows["cluster"] == -1).all()
    assert (rows["score"] > pipeline.threshold_).all()
    assert np.isfinite(rows["p_normal"]).all()
    for key, reason in rows["reason"].items():
        n = int(lengths[key])
        assert f"{n} events, fewer than min_events=6: listed for its group" in reason
        assert reason.startswith("one of ")  # the group's sentence first
    # the other short sequences stay out, and left_out counts them
    others = lengths.index[lengths.to_numpy() < 6].difference(short)
    assert not table.index.isin(others).any()
    assert pipeline._last_score().left_out == len(others)
    assert len(table) == (lengths >= 6).sum() + len(short)
    # ranked by score, 1..n
    np.testing.assert_array_equal(table["rank"], np.arange(1, len(table) + 1))
    assert (np.diff(table["score"].to_numpy()) <= 0).all()


def test_short_ring_accounts_stay_listed_for_their_group(short_accounts):
    log, members = short_accounts
    lengths = log.groupby("user_id").size()
    assert lengths[members].max() < 15 and lengths[members].min() < 12
    full, _ = _detect(log)
    assert full.index[full["group"] >= 0].sort_values().equals(members.sort_values())
    table, pipeline = _detect(log, min_events=12)
    short = members[lengths[members].to_numpy() < 12]
    assert len(short) >= 5
    assert table.index[table["group"] >= 0].sort_values().equals(members.sort_values())
    rows = table.loc[short]
    assert rows["is_anomaly"].all() and (rows["cluster"] == -1).all()
    assert all("fewer than min_events=12: listed for its group" in r for r in rows["reason"])
    # kept members are judged as before: their own reason after the group's sentence
    kept = members.difference(short)
    assert not any("fewer than min_events" in r for r in table.loc[kept, "reason"])
    others = lengths.index[lengths.to_numpy() < 12].difference(short)
    assert not table.index.isin(others).any()
    assert pipeline._last_score().left_out == len(others)


def test_the_other_rows_are_as_without_the_short_members(sessions):
    """The kept rows: the scores, flags, groups and reasons of the join without the
    short sequences (before this rule), in the same order."""
    _, table, pipeline, lengths, seqs = sessions
    short = table.index[table["reason"].str.contains("fewer than min_events")]
    kept_seqs = seqs.take(np.flatnonzero(seqs.lengths >= 6))
    before = pipeline.join_groups(pipeline.table_, pipeline.groups_, kept_seqs)
    after = table.drop(index=short)
    assert after.index.equals(before.index)
    for column in ("score", "is_anomaly", "p_normal", "cluster", "group", "reason"):
        np.testing.assert_array_equal(after[column], before[column])


def test_explain_answers_for_short_members(sessions, tmp_path):
    full, table, pipeline, lengths, seqs = sessions
    short = table.index[table["reason"].str.contains("fewer than min_events")][:3]
    kept = table.index[table["group"] >= 0].difference(short)[:1]
    said = table.loc[short, "reason"].str.rsplit("; ", n=1).str[0]
    for why in (pipeline.explain(list(short)), pipeline.explain(seqs, list(short))):
        assert why.index.droplevel(-1).unique().equals(short)
        assert (why.groupby(level=[0, 1]).size() == 1).all()
        assert why["note"].str.contains("fewer than min_events=6: listed for its group").all()
        np.testing.assert_array_equal(why["group_reason"], said.loc[short])
        assert (why["deviation"] == 0).all()
    # beside a kept member, in the order asked
    mixed = [short[0], kept[0], short[1]]
    why = pipeline.explain(seqs, mixed)
    assert list(why.index.droplevel(-1).unique()) == mixed
    # every sequence: the short members too, the other short ones not
    every = pipeline.explain(seqs).index.droplevel(-1).unique()
    assert every.isin(short).sum() == len(short) and len(every) == len(table)
    # a saved model tells them by the sequences
    pipeline.save(tmp_path / "m.oddseq")
    loaded = oddseq.load(tmp_path / "m.oddseq")
    again = loaded.explain(seqs, list(short))
    np.testing.assert_array_equal(again["group_reason"], said.loc[short])
    # a short sequence that is no member is left out, as before
    alone = lengths.index[lengths.to_numpy() < 6].difference(short)[0]
    with pytest.raises(ValueError, match="min_events"):
        loaded.explain(seqs, [alone])


def test_plot_and_shell_take_short_members(sessions, shop, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from oddseq.cli import main
    from oddseq.plot import plot_explanation

    _, table, pipeline, _, _ = sessions
    short = table.index[table["reason"].str.contains("fewer than min_events")][0]
    ax = plot_explanation(pipeline, short)
    assert ax.get_title() == f"why {tuple(int(v) for v in short)} stands out"
    path = tmp_path / "shop.csv"
    shop.to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user_id", "--event", "behavior", "--time",
            "timestamp", "--item", "item_id", "--session-gap", "30min", "--min-events", "6",
            "-o", str(tmp_path / "t.csv")]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        assert main(args) == 0
    written = pd.read_csv(tmp_path / "t.csv")
    assert written["reason"].str.contains("fewer than min_events=6").sum() == len(
        table.index[table["reason"].str.contains("fewer than min_events")]
    )


def test_a_day_scored_with_normal_lists_its_short_members(shop):
    """normal=: the group stage runs on the day scored, and the same rule holds there."""
    normal = make_ecommerce(n_users=200, rings=0, anomaly_rate=0.0, random_state=245).events
    table, pipeline = _detect(shop, normal=normal, session_gap="30min", min_events=6)
    listed = table["reason"].str.contains("fewer than min_events=6: listed for its group")
    assert listed.sum() >= 5
    assert table.loc[listed, "is_anomaly"].all() and (table.loc[listed, "group"] >= 0).all()
    seqs = oddseq.Sequences.from_events(shop, **COLUMNS, session_gap="30min")
    assert pipeline._last_score().left_out == (seqs.lengths < 6).sum() - listed.sum()
    why = pipeline.explain(list(table.index[listed][:2]))
    assert why["note"].str.contains("listed for its group").all()
