"""The held-out third shop of benchmarks/heldout_shop.py: deterministic, labels consistent."""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "heldout_shop.py"


@pytest.fixture(scope="module")
def shop_module():
    spec = importlib.util.spec_from_file_location("heldout_shop", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shop(shop_module):
    return shop_module.make_heldout_shop(n_users=3000, anomaly_share=0.05, random_state=11)


def test_same_seed_same_log_other_seed_other_log(shop_module, shop):
    again = shop_module.make_heldout_shop(n_users=3000, anomaly_share=0.05, random_state=11)
    other = shop_module.make_heldout_shop(n_users=3000, anomaly_share=0.05, random_state=12)
    pd.testing.assert_frame_equal(shop.events, again.events)
    pd.testing.assert_frame_equal(shop.labels, again.labels)
    assert not shop.events["timestamp"].equals(other.events["timestamp"])


def test_labels_cover_exactly_the_users_of_the_log(shop_module, shop):
    ev, lab = shop.events, shop.labels
    assert list(lab.columns) == ["user_id", "is_anomaly", "kind"]
    assert lab["user_id"].is_unique
    assert set(lab["user_id"]) == set(ev["user_id"])
    # is_anomaly agrees with the kind, and every kind is a known one
    assert set(lab["kind"]) <= set(shop_module.NORMAL_KINDS) | set(shop_module.ANOMALY_KINDS)
    np.testing.assert_array_equal(
        lab["is_anomaly"].to_numpy(), lab["kind"].isin(shop_module.ANOMALY_KINDS).to_numpy()
    )
    # every anomaly kind is planted, at about the share asked for
    assert set(lab.loc[lab["is_anomaly"], "kind"]) == set(shop_module.ANOMALY_KINDS)
    assert abs(lab["is_anomaly"].mean() - 0.05) < 0.01


def test_log_columns_and_order(shop_module, shop):
    ev = shop.events
    assert list(ev.columns) == [
        "user_id", "event", "timestamp", "item_id", "amount", "qty", "channel"
    ]  # fmt: skip
    assert ev["timestamp"].is_monotonic_increasing
    assert set(ev["event"].cat.categories) == set(shop_module.EVENTS)
    # logins carry no item, purchases carry an amount
    assert ev.loc[ev["event"] == "login", "item_id"].isna().all()
    assert ev.loc[ev["event"] == "pay_ok", "amount"].gt(0).all()


def test_heavy_tail_and_normal_only_draw(shop_module, shop):
    n = shop.events.groupby("user_id").size()
    assert (n <= 2).mean() > 0.2  # many one- or two-event users
    assert n.max() > 100 * n.median()  # and a few giants
    clean = shop_module.make_heldout_shop(n_users=1000, anomaly_share=0.0, random_state=3)
    assert not clean.labels["is_anomaly"].any()
    with pytest.raises(ValueError, match="anomaly_share"):
        shop_module.make_heldout_shop(n_users=1000, anomaly_share=0.9)
