"""Session 26 H4: the rows of group members, said as one verdict (#14).

- every row's p_normal is that of the score it is listed with: a group member's, kept
  or listed under min_events, is of its lifted score (it was its own score's for a
  kept member, 0.9 beside a flag);
- the shell's closing line counts the members listed for their group apart from the
  sequences scored;
- plot_explanation of a listed member says it is listed for its group and points to
  plot_group (its one bar was of zero length);
- H5-s25 LOWs: C, a side table keyed by the entity holding none of the ids is told
  "none", with a few ids of each; B, an entity column named "rank" gives explain() the
  levels (rank, feature_rank). Data seeds 241, 242 (and 211, H1's ring shop).
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")


@pytest.fixture(scope="module")
def shop(ring_shop):
    return ring_shop


def _detect(log, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return oddseq.detect_anomalies(log, **COLUMNS, return_pipeline=True, **options)


@pytest.fixture(scope="module")
def listed(shop):
    """The table and pipeline of 30-minute sessions at min_events=6: members kept and
    members listed for their group."""
    return _detect(shop, session_gap="30min", min_events=6)


def test_p_normal_is_that_of_the_score_each_row_is_listed_with(listed):
    table, pipeline = listed
    np.testing.assert_array_equal(table["p_normal"], pipeline.p_normal(table["score"]))
    members = table["group"].to_numpy() >= 0
    short = table["reason"].str.contains("listed for its group").to_numpy()
    assert short.sum() >= 5 and (members & ~short).sum() >= 5  # both kinds of member
    # flagged above the cut, and p_normal says so: no member as ordinary as 0.9
    at_cut = pipeline.p_normal([pipeline.threshold_])[0]
    assert (table.loc[members, "p_normal"] <= at_cut).all()


def test_the_closing_line_counts_the_members_listed_apart(listed, shop, tmp_path, capsys):
    """`oddseq detect --min-events 6`: "N scored" counted the members listed for their
    group, which the model did not score."""
    from oddseq.cli import main

    table, pipeline = listed
    n_listed = int(table["reason"].str.contains("listed for its group").sum())
    left = pipeline._last_score().left_out
    assert pipeline._last_score().listed == n_listed and left > 0
    path = tmp_path / "shop.csv"
    shop.to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user_id", "--event", "behavior", "--time",
            "timestamp", "--item", "item_id", "--session-gap", "30min", "--min-events", "6",
            "-o", str(tmp_path / "t.csv")]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        assert main(args) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(
        f"{len(table) - n_listed:,} scored and {n_listed:,} listed for their group (with "
        f"fewer than 6 events, --min-events 6: not scored on their own; {left:,} others "
        f"with fewer left out), {int(table['is_anomaly'].sum()):,} flagged"
    ), line
    assert len(pd.read_csv(tmp_path / "t.csv")) == len(table)


def test_a_plain_score_lists_none(listed, shop):
    """score() runs no group stage: the count of listed members goes back to 0."""
    _, pipeline = listed
    seqs = oddseq.Sequences.from_events(shop.head(3000), **COLUMNS, session_gap="30min")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipeline.score(seqs)
    assert pipeline._last_score().listed == 0


def test_plot_explanation_of_a_listed_member_says_so(listed):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from oddseq.plot import plot_explanation

    table, pipeline = listed
    short = table.index[table["reason"].str.contains("listed for its group")][0]
    group = int(table.loc[short, "group"])
    ax = plot_explanation(pipeline, short)
    assert ax.get_title() == f"why {tuple(int(v) for v in short)} stands out"
    assert not ax.patches  # no bar of zero length
    said = " ".join(" ".join(t.get_text() for t in ax.texts).split())  # unwrapped
    assert "fewer than min_events=6: listed for its group, not scored on its own" in said
    assert "its group: one of " in said and f"(group {group})" in said
    assert f"plot_group(pipeline, {group})" in said
    # from the explain table as well, and a kept member still gets its bars
    ax = plot_explanation(pipeline.explain([short]))
    assert not ax.patches and f"plot_group(pipeline, {group})" in ax.texts[0].get_text()
    kept = table.index[(table["group"] >= 0) & ~table.index.isin([short])]
    kept = kept[~table.loc[kept, "reason"].str.contains("listed for its group").to_numpy()][0]
    assert plot_explanation(pipeline, kept).patches
    plt.close("all")


# ---- H5-s25 LOWs ---------------------------------------------------------------------


def _side(log, shift=0):
    """A side table indexed by 'user_id' with a row per user of ``log`` (ids shifted by
    ``shift``: the table of other users)."""
    ids = pd.Index(log["user_id"].unique() + shift, name="user_id")
    return pd.DataFrame({"age": np.random.default_rng(241).normal(40, 9, ids.size)}, index=ids)


def test_a_side_table_keyed_by_the_entity_with_none_of_its_ids_says_none():
    """LOW C: a table indexed by 'user_id' holding not one scored id was told it "holds
    few of these ids"."""
    log = make_ecommerce(n_users=200, random_state=241).events
    seqs = oddseq.Sequences.from_events(log, entity="user_id", event="behavior")
    pipe = oddseq.AnomalyPipeline(entity_features=_side(log)).fit(seqs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.score(seqs, entity_features=_side(log, shift=10**7))
    said = " ".join(str(w.message) for w in caught if issubclass(w.category, DataWarning))
    first = ", ".join(str(v) for v in seqs.ids[:3])
    assert "rows for 0 of the 200 scored entities (0%)" in said, said
    assert "its index is named 'user_id' but holds none of these ids" in said, said
    assert f"the log's {first}, ..." in said and "its ids 100" in said, said
    assert "holds few" not in said and "a row per entity of this log" in said, said
    # a fit refuses it, with the same words; a table with some of the ids: "few", as before
    with pytest.raises(ValueError, match="holds none of these ids"):
        oddseq.AnomalyPipeline(entity_features=_side(log, shift=10**7)).fit(seqs)
    part = _side(log).iloc[:40]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.score(seqs, entity_features=part)
    said = " ".join(str(w.message) for w in caught if issubclass(w.category, DataWarning))
    assert "holds few of these ids" in said and "holds none" not in said, said


def test_explain_of_an_entity_column_named_rank_names_its_levels_apart():
    """LOW B: an entity column named "rank" gave explain() the levels (rank, rank), which
    xs and droplevel by name refused ("The name rank occurs multiple times")."""
    log = make_ecommerce(n_users=200, random_state=242).events.rename(columns={"user_id": "rank"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        table, pipe = oddseq.detect_anomalies(
            log, entity="rank", event="behavior", time="timestamp", return_pipeline=True
        )
    top = table.index[0]
    why = pipe.explain(list(table.index[:2]))
    assert list(why.index.names) == ["rank", "feature_rank"]
    mine = why.xs(top, level="rank")
    assert list(mine.index) == list(range(1, len(mine) + 1))
    assert why.index.droplevel("feature_rank").unique().tolist() == list(table.index[:2])
    # joins to the table on the entity's level
    joined = why.join(table[["score"]])
    assert (joined.xs(top, level="rank")["score"] == table.loc[top, "score"]).all()
    # an entity of another name keeps (entity, rank)
    seqs = oddseq.Sequences.from_events(
        log.rename(columns={"rank": "user_id"}), entity="user_id", event="behavior"
    )
    assert list(oddseq.AnomalyPipeline().fit(seqs).explain(seqs[:2]).index.names) == [
        "user_id",
        "rank",
    ]
