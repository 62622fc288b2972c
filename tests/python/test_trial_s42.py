"""A new analyst's trial, session 42 (groups, entity features, the CLI, a second shop):
the findings fixed beside their own modules' tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

import oddseq


def _shop_with_a_browser(seed=0):
    """300 users who view, cart and buy (a cart a visit, most carts bought), and one who
    visits as they do but only views."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(300):
        t = int(rng.integers(0, 86_400))
        for _ in range(int(rng.integers(2, 6))):
            item = int(rng.integers(0, 500))
            for event in ("view", "view", "cart") + (("buy",) if rng.random() < 0.95 else ()):
                t += int(rng.integers(5, 120))
                rows.append((f"u{user}", event, t, item))
            t += int(rng.integers(3_600, 86_400))
    t = 0
    for _ in range(4):  # as the others visit, but views only
        for item in rng.integers(0, 500, 10).tolist():
            t += int(rng.integers(5, 120))
            rows.append(("browser", "view", t, item))
        t += int(rng.integers(3_600, 86_400))
    return pd.DataFrame(rows, columns=["user", "event", "ts", "item"])


def test_a_ratio_of_two_steps_the_entity_never_did_is_no_reason():
    # F7: "purchases per cart 0 'purchase' with no 'add_to_cart'" of a user with views
    # only read as purchases made without carts; 0 over nothing is no observation.
    from oddseq._reasons import _ratio_of_nothing

    log = _shop_with_a_browser()
    table, pipe = oddseq.detect_anomalies(
        log, entity="user", event="event", time="ts", item="item", return_pipeline=True
    )
    assert not table["reason"].str.contains(r"\b0 '[^']+' with no").any()
    ids, raw, _ = pipe._explain_rows["fit"]  # the fitted rows' raw features
    names = list(pipe.feature_names_)
    rows = ids.get_indexer(["browser", "u0", "u1"])
    for ratio, nothing in (("buy_per_cart", True), ("cart_per_view", False)):
        col = names.index(ratio)
        cols = np.full(3, col)
        value = raw[rows, col]
        said = _ratio_of_nothing(pipe, rows, cols, value, raw)
        # the browser never carted (nothing to buy of): its purchases per cart are no
        # observation; its carts per view are (0 of 40 views); the others did both
        assert said.tolist() == [nothing, False, False], ratio


def test_a_missing_column_s_refusal_names_the_option_that_gave_it(tmp_path, oddseq_here):
    # F9: "column(s) ['user_id', 'behavior'] not in shop.csv" did not say which option
    # to change.
    path = tmp_path / "shop.csv"
    path.write_text("user,action,ts\n1,view,100\n1,buy,200\n2,view,300\n")
    done = oddseq_here(
        ["detect", path, "--entity", "user_id", "--event", "behavior", "--time", "ts"]
    )
    assert done.returncode != 0
    assert "(given as --entity user_id, --event behavior)" in done.stderr
    done = oddseq_here(["detect", path, "--entity", "User ID", "--event", "action", "--time", "ts"])
    assert "(given as --entity 'User ID')" in done.stderr
