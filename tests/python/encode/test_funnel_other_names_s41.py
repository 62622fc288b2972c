"""Two names of one funnel step ("cart" and "add_to_cart": two systems' logs joined, or a
renamed event): the guessed funnel reads one of them, and the other's events count as no
step. Fit says so, with a fix that joins them and one that reads the other."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.encode import DiversityEncoder
from oddseq.encode._behaviour import funnel_other_names
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences


def _log(categorical: bool):
    rng = np.random.default_rng(41)
    n = 3000
    events = rng.choice(["view", "cart", "add_to_cart", "purchase"], n, p=[0.7, 0.1, 0.1, 0.1])
    times = pd.Timestamp("2026-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 86400, n)), "s")
    column = pd.Categorical(events) if categorical else events.astype(object)
    return pd.DataFrame({"user": rng.integers(0, 200, n), "event": column, "time": times})


def _call(df, **kwargs):
    return oddseq.detect_anomalies(
        df, entity="user", event="event", time="time", return_pipeline=True, **kwargs
    )


@pytest.mark.parametrize("categorical", [False, True])
def test_a_second_name_of_a_step_is_said_and_the_fix_joins_them(categorical):
    df = _log(categorical)
    before = df.copy()
    with pytest.warns(DataWarning, match=r"'add_to_cart' \(\d[\d,]* events; its cart is 'cart'\)"):
        _, pipe = _call(df)
    assert pipe.funnel_["cart"] == "cart"
    # The fix as the warning writes it, with event the event column.
    event = "event"
    df[event] = df[event].where(df[event] != "add_to_cart", "cart")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table, pipe = _call(df)
    assert len(table) == before["user"].nunique()
    carts = Sequences.from_events(df, entity="user", event="event", time="time")
    joined = DiversityEncoder().set_output(transform="pandas").fit_transform(carts)
    apart = DiversityEncoder().set_output(transform="pandas")
    with pytest.warns(DataWarning, match="names the same step another way"):
        apart = apart.fit_transform(
            Sequences.from_events(before, entity="user", event="event", time="time")
        )
    assert joined["cart_per_view"].sum() > 1.5 * apart["cart_per_view"].sum()


def test_naming_the_step_reads_the_other_name_and_says_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, pipe = _call(_log(False), funnel={"cart": "add_to_cart"})
    assert pipe.funnel_["cart"] == "add_to_cart"


def test_what_is_no_second_name():
    # "add" outside a shop is a CRUD verb, not a cart (guess_funnel reads it so too).
    crud = ["view", "cart", "add", "update"]
    assert funnel_other_names(crud, {"view": "view", "cart": "cart"}) == {}
    # In a shop it is another name of the cart.
    shop = ["view", "cart", "add", "buy"]
    funnel = {"view": "view", "cart": "cart", "buy": "buy"}
    assert funnel_other_names(shop, funnel) == {"add": "cart"}
    # A spelling of the funnel's own name is the event-type check's to say.
    assert funnel_other_names(["pv", "PV", "buy"], {"view": "pv", "buy": "buy"}) == {}
    # A name of a role the funnel has none of is no second name.
    assert funnel_other_names(["view", "like"], {"view": "view"}) == {}


def test_a_category_of_no_event_is_not_said():
    df = _log(True)
    df["event"] = df["event"].where(df["event"] != "add_to_cart", "cart")
    assert "add_to_cart" in df["event"].cat.categories  # kept by pandas, with no event
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _call(df)
