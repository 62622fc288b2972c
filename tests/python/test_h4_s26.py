"""Session 26 H4: the rows of group members, said as one verdict (#14).

- every row's p_normal is that of the score it is listed with: a group member's, kept
  or listed under min_events, is of its lifted score (it was its own score's for a
  kept member, 0.9 beside a flag);
- the shell's closing line counts the members listed for their group apart from the
  sequences scored;
- plot_explanation of a listed member says it is listed for its group and points to
  plot_group (its one bar was of zero length).
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
def shop():
    """A small shop with two order-brushing rings (rounds: sessions of 4+ events)."""
    return make_ecommerce(n_users=300, rings=2, random_state=211).events


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
