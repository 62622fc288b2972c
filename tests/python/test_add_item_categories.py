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
