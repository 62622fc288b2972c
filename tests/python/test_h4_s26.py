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
