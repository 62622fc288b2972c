"""AnomalyPipeline.add_item_categories: the Python route of oddseq score --category (the
categories of items new since the fit join the fitted ones, which win)."""

import warnings

import pandas as pd
import pytest

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import NotFittedError
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")


def categories(log):
    return log.groupby("item_id")["category_id"].first()


@pytest.fixture(scope="module")
def split():
    log = make_ecommerce(n_users=300, random_state=5).events
    cut = log["timestamp"].quantile(0.6)
    return log[log["timestamp"] <= cut], log[log["timestamp"] > cut]


def fitted(early):
    return AnomalyPipeline(item_categories=categories(early)).fit(
        Sequences.from_events(early, **ROLES)
    )


def test_the_later_items_categories_are_read_as_the_shell_reads_them(split):
    early, later = split
    renamed = later.assign(item_id=later["item_id"] + 10_000_000)
    model = fitted(early)
    with pytest.warns(UserWarning, match="no known category") as said:
        without = model.score(Sequences.from_events(renamed, **ROLES))
    assert "add_item_categories" in str(said[0].message)  # the route, named
    assert model.add_item_categories(categories(renamed)) is model
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with_renamed = model.score(Sequences.from_events(renamed, **ROLES))
        as_they_were = (
            fitted(early)
            .add_item_categories(categories(later))
            .score(Sequences.from_events(later, **ROLES))
        )
    pd.testing.assert_series_equal(
        with_renamed["score"].sort_index(), as_they_were["score"].sort_index()
    )
    assert not without["score"].sort_index().equals(with_renamed["score"].sort_index())


def test_the_fitted_categories_win_where_both_name_an_item(split):
    early, _ = split
    model = fitted(early)
    before = pd.Series(model.item_categories).copy()
    item = before.index[0]
    model.add_item_categories({item: "another", -1: "new"})
    after = pd.Series(model.item_categories)
    assert after[item] == before[item] and after[-1] == "new"
    assert len(after) == len(before) + 1


def test_bad_input_names_the_argument_and_the_fix(split):
    early, later = split
    plain = AnomalyPipeline().fit(Sequences.from_events(early, **ROLES))
    with pytest.raises(ValueError, match="fitted without item categories") as error:
        plain.add_item_categories(categories(later))
    assert "AnomalyPipeline(item_categories=" in str(error.value)
    model = fitted(early)
    with pytest.raises(TypeError, match="item_categories") as error:
        model.add_item_categories(later)
    assert 'groupby("item_id")' not in str(error.value)
    assert "df.groupby(item)[category].first()" in str(error.value)
    with pytest.raises(TypeError, match="item_categories must map items"):
        model.add_item_categories([1, 2, 3])
    with pytest.raises(ValueError, match="more than one category for items"):
        model.add_item_categories(pd.Series(["a", "b"], index=[7, 7]))
    with pytest.raises(NotFittedError, match="fit"):
        AnomalyPipeline(item_categories=categories(early)).add_item_categories({1: "a"})


def test_python_scoring_warns_where_a_tenth_to_a_half_of_the_items_are_new():
    """As ``oddseq score`` without --category warned (10-50% of the item events on items
    the model has no category for: a shop's next day had 44%), Python scoring warns too,
    by one function, with Python's route; above a half it says more."""
    import oddseq
    from oddseq.datasets import make_ecommerce
    from oddseq.sequences import Sequences

    log = make_ecommerce(n_users=1_000, random_state=0).events
    cut = log["timestamp"].quantile(0.5)
    early, later = log[log["timestamp"] <= cut], log[log["timestamp"] > cut].copy()
    new = later.index[::4]  # a quarter of the later events on items never seen
    later.loc[new, "item_id"] = later.loc[new, "item_id"] + 10_000_000
    roles = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
    pipe = oddseq.detect_anomalies(
        early, **roles, category="category_id", return_pipeline=True, groups=False
    )[1]
    seqs = Sequences.from_events(later, **roles)
    with pytest.warns(UserWarning, match="no known category") as said:
        pipe.score(seqs)
    text = [str(w.message) for w in said if "no known category" in str(w.message)]
    assert len(text) == 1 and "add_item_categories" in text[0] and "--" not in text[0]
    assert "say little" not in text[0]  # that is for over half
