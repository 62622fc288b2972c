import numpy as np
import pandas as pd
import pytest

from oddseq.datasets import (
    MARKETPLACE_EVENTS,
    MARKETPLACE_KINDS,
    make_ecommerce,
    make_marketplace,
)
from oddseq.sequences import Sequences


@pytest.fixture(scope="module")
def medium():
    return make_marketplace(n_users=3000, random_state=7)


def test_same_seed_same_log_other_seed_other_log():
    a = make_marketplace(n_users=800, difficulty="hard", random_state=3)
    b = make_marketplace(n_users=800, difficulty="hard", random_state=3)
    c = make_marketplace(n_users=800, difficulty="hard", random_state=4)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_series_equal(a.kinds, b.kinds)
    assert not a.events["timestamp"].equals(c.events["timestamp"])
    g1 = make_marketplace(n_users=300, random_state=np.random.default_rng(5))
    g2 = make_marketplace(n_users=300, random_state=np.random.default_rng(5))
    pd.testing.assert_frame_equal(g1.events, g2.events)


def test_shapes_columns_and_dtypes(medium):
    events = medium.events
    assert list(events.columns) == [
        "user_id",
        "event",
        "timestamp",
        "item_id",
        "category_id",
        "price",
        "rating",
    ]
    assert list(events["event"].cat.categories) == list(MARKETPLACE_EVENTS)
    assert str(events["timestamp"].dt.tz) == "America/New_York"
    assert events["timestamp"].is_monotonic_increasing
    assert events["item_id"].dtype == "Int64"
    no_item = events["event"].isin(["login", "search"])
    assert events.loc[no_item, "item_id"].isna().all()
    assert events.loc[~no_item, "item_id"].notna().all()
    assert events.loc[~no_item, "price"].gt(0).all()
    reviews = events["event"] == "review"
    assert events.loc[reviews, "rating"].between(1, 5).all()
    assert events.loc[~reviews, "rating"].isna().all()
    # One label and kind per user, every user with at least one event.
    assert medium.labels.index.equals(medium.kinds.index)
    assert medium.labels.index.is_monotonic_increasing and medium.labels.index.is_unique
    assert set(events["user_id"]) == set(medium.labels.index)
    assert medium.labels.size == 3000
    assert set(medium.labels.unique()) <= {0, 1}


def test_label_share_and_kinds(medium):
    assert medium.labels.mean() == pytest.approx(0.03, abs=0.002)
    assert set(medium.kinds.unique()) == {"normal", *MARKETPLACE_KINDS}
    assert ((medium.kinds != "normal").astype(int) == medium.labels).all()
    counts = medium.kinds[medium.kinds != "normal"].value_counts()
    assert counts.max() - counts.min() <= 1
    for rate in (0.0, 0.05):
        data = make_marketplace(n_users=1000, anomaly_rate=rate, random_state=0)
        assert int(data.labels.sum()) == round(1000 * rate)


def test_people_are_heavy_tailed_and_diurnal(medium):
    events = medium.events
    normal_users = medium.kinds.index[medium.kinds == "normal"]
    per_user = events[events["user_id"].isin(normal_users)].groupby("user_id").size()
    assert (per_user <= 3).mean() > 0.2  # many come once or twice
    assert per_user.max() > 20 * per_user.median()  # a few are very active
    hours = events["timestamp"].dt.hour
    assert (hours.between(18, 22)).mean() > 3 * (hours.between(2, 5)).mean()
    # Zipf: the most viewed item gets far more views than the median one.
    views = events.loc[events["event"] == "view", "item_id"].value_counts()
    assert views.iloc[0] > 20 * views.median()


def test_kinds_behave_as_described(medium):
    events = medium.events.merge(medium.kinds, left_on="user_id", right_index=True)
    by_kind = events.groupby("kind", observed=True)

    def share(kind, event):
        sub = by_kind.get_group(kind)
        return (sub["event"] == event).mean()

    assert share("card_tester", "payment_failed") > 10 * share("normal", "payment_failed")
    assert share("review_manipulator", "review") > 20 * share("normal", "review")
    scraper = by_kind.get_group("price_scraper")
    assert scraper["event"].isin(["add_to_cart", "checkout", "purchase"]).mean() < 0.01
    gap_s = events.sort_values(["user_id", "timestamp"]).groupby("user_id")["timestamp"].diff()
    fast = (gap_s.dt.total_seconds() < 2).groupby(events["kind"]).mean()
    assert fast["drop_scalper"] > 3 * fast["normal"]
    takeover = by_kind.get_group("account_takeover")
    assert takeover["price"].mean() > by_kind.get_group("normal")["price"].mean()


def test_hard_is_subtler_than_medium():
    def fast_share(data, kind):
        events = data.events.merge(data.kinds, left_on="user_id", right_index=True)
        events = events[events["kind"] == kind].sort_values(["user_id", "timestamp"])
        gaps = events.groupby("user_id")["timestamp"].diff().dt.total_seconds()
        return (gaps < 1).mean()

    medium = make_marketplace(n_users=4000, difficulty="medium", random_state=1)
    hard = make_marketplace(n_users=4000, difficulty="hard", random_state=1)
    assert fast_share(hard, "drop_scalper") < fast_share(medium, "drop_scalper")


def test_differs_from_make_ecommerce():
    shop = make_ecommerce(n_users=300, random_state=0)
    market = make_marketplace(n_users=300, random_state=0)
    assert set(shop.events["behavior"].cat.categories).isdisjoint(
        market.events["event"].cat.categories
    )
    # Kinds share at most a name (a hijacked account is one in any shop), never a recipe.
    assert set(shop.kinds.unique()) & set(market.kinds.unique()) <= {"normal", "account_takeover"}


def test_feeds_sequences_with_its_roles(medium):
    seqs = Sequences.from_events(medium.events, **medium.roles)
    assert len(seqs) == medium.labels.size
    assert seqs.tz == "America/New_York"
    assert medium.labels.reindex(seqs.ids).notna().all()


def test_generates_quickly():
    import time

    start = time.perf_counter()
    data = make_marketplace(n_users=20_000, random_state=0)
    assert time.perf_counter() - start < 5
    assert data.labels.size == 20_000


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_users": 0}, ValueError, "n_users"),
        ({"n_users": 2.5}, TypeError, "n_users"),
        ({"n_users": True}, TypeError, "n_users"),
        ({"anomaly_rate": 0.7}, ValueError, "anomaly_rate"),
        ({"anomaly_rate": -0.1}, ValueError, "anomaly_rate"),
        ({"anomaly_rate": "0.1"}, TypeError, "anomaly_rate"),
        ({"difficulty": "extreme"}, ValueError, "difficulty"),
        ({"difficulty": None}, ValueError, "difficulty"),
        ({"n_days": 3}, ValueError, "n_days"),
        ({"n_days": 100}, ValueError, "n_days"),
        ({"n_days": 7.0}, TypeError, "n_days"),
        ({"random_state": "seed"}, TypeError, "random_state"),
        ({"random_state": -1}, ValueError, "random_state"),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_marketplace(**{"n_users": 100, **kwargs})


def test_tiny_inputs():
    one = make_marketplace(n_users=1, random_state=0)
    assert one.labels.size == 1 and len(one.events) >= 1
    every = make_marketplace(n_users=50, anomaly_rate=0.5, difficulty="easy", random_state=0)
    assert int(every.labels.sum()) == 25
    assert set(every.events["user_id"]) == set(every.labels.index)
