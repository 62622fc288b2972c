"""A funnel ratio said as its counts and named by the log's own events (TR s47 H4): an
auction site's funnel given as cart="auction_won", buy="pay_ok" read "purchases per cart
0 (typical 0)" for a bidder who won 11 auctions and paid none, the same words as the
many who never won. Now "'pay_ok' per 'auction_won' 0 of 11"."""

import numpy as np
import pandas as pd
import pytest

from oddseq import detect_anomalies
from oddseq._reasons import over_nothing, reason_names
from oddseq.sequences import Sequences

AUCTION = {"view": "view_listing", "cart": "auction_won", "buy": "pay_ok"}
NON_PAYER = "u-np"


def _auction_log(seed=0, n=300):
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n):
        t = 1_700_000_000 + int(rng.integers(0, 86_400))
        won = int(rng.integers(0, 3))
        kinds = ["view_listing"] * int(rng.integers(5, 30)) + ["auction_won", "pay_ok"] * won
        for k, kind in enumerate(kinds):
            rows.append((f"u{u}", kind, t + 60 * k))
    t = 1_700_000_000
    for k, kind in enumerate(["view_listing"] * 20 + ["auction_won"] * 11):
        rows.append((NON_PAYER, kind, t + 60 * k))
    return pd.DataFrame(rows, columns=["user", "event", "ts"])


def _fit(log, **kw):
    kw = dict(groups=False, crowds=False, return_pipeline=True, **kw)
    return detect_anomalies(log, entity="user", event="event", time="ts", **kw)


@pytest.fixture(scope="module")
def fitted():
    return _fit(_auction_log(), funnel=AUCTION)


def test_ratios_named_by_the_events_the_funnel_reads(fitted):
    _, pipe = fitted
    names = dict(zip(pipe.feature_names_, reason_names(pipe, pipe.feature_names_)))
    assert names["buy_per_cart"] == "'pay_ok' per 'auction_won'"
    assert names["cart_per_view"] == "'auction_won' per 'view_listing'"
    assert names["buy_per_view"] == "'pay_ok' per 'view_listing'"
    assert names["gap_mean_s"] == "mean time between events"  # the rest as before


def test_a_shops_own_names_keep_the_words():
    log = _auction_log().replace(
        {"event": {"view_listing": "view", "auction_won": "cart", "pay_ok": "purchase"}}
    )
    _, pipe = _fit(log)
    names = dict(zip(pipe.feature_names_, reason_names(pipe, pipe.feature_names_)))
    assert names["buy_per_cart"] == "purchases per cart"
    assert names["cart_per_view"] == "carts per view"


def test_a_share_is_said_as_its_counts(fitted):
    _, pipe = fitted
    seqs = Sequences.from_events(_auction_log(), entity="user", event="event", time="ts")
    frame = pipe.features(seqs, scaled=False)
    names, raw = list(frame.columns), frame.to_numpy(dtype=np.float64)
    row = frame.index.get_loc(NON_PAYER)
    cols = [names.index("buy_per_cart"), names.index("cart_per_view")]
    texts = np.array(["0", "0.55"], dtype=object)
    said = over_nothing(pipe, [row, row], cols, raw[row, cols], raw, texts)
    assert said.tolist() == ["0 of 11", "11 of 20, 0.55"]
    # a ratio over 1 keeps its value: 3 favourites per view is no share
    raw2 = raw.copy()
    raw2[row, names.index("count[pay_ok]")] = 33
    said = over_nothing(pipe, [row], cols[:1], [3.0], raw2, np.array(["3"], dtype=object))
    assert said.tolist() == ["3"]


def test_the_reason_says_it(fitted):
    table, _ = fitted
    reason = table.loc[NON_PAYER, "reason"]
    assert "per 'auction_won'" in reason or "per 'view_listing'" in reason, reason
    assert "carts per view" not in reason and "purchases per cart" not in reason


def test_explain_and_the_plot_name_them_as_the_reason_does(fitted):
    # review RV s48 L2: the plot's bars read "purchases per cart" beside the reason's
    # "'pay_ok' per 'auction_won'"
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from oddseq.plot import plot_explanation

    _, pipe = fitted
    why = pipe.explain([NON_PAYER])
    said = dict(zip(why["feature"], why["feature_said"]))
    ratios = [f for f in said if f.endswith(("_per_cart", "_per_view"))]
    assert ratios, list(said)
    for feature in ratios:
        assert said[feature] == reason_names(pipe, [feature])[0]
        assert said[feature].startswith("'")  # the log's own events, not a shop's words
    ax = plot_explanation(why, NON_PAYER)
    labels = [t.get_text().split("\n")[0] for t in ax.get_yticklabels()]
    assert sorted(labels) == sorted(why["feature_said"])
    assert not any(word in " ".join(labels) for word in ("purchases per", "carts per"))
    plt.close("all")


def test_many_rows_are_said_as_each_row_alone(fitted):
    """over_nothing writes each distinct (count, count) once for many rows: the words
    of each row said alone ("0 of 2", "2 of 2, 1", "11 'auction_won' with no 'pay_ok'"
    where the log has it)."""
    _, pipe = fitted
    seqs = Sequences.from_events(_auction_log(), entity="user", event="event", time="ts")
    frame = pipe.features(seqs, scaled=False)
    names, raw = list(frame.columns), frame.to_numpy(dtype=np.float32)
    rows = np.repeat(np.arange(len(frame)), 2)
    cols = np.tile([names.index("buy_per_cart"), names.index("cart_per_view")], len(frame))
    texts = np.array([f"t{i}" for i in range(rows.size)], dtype=object)
    value = raw[rows, cols]
    together = over_nothing(pipe, rows, cols, value, raw, texts)
    alone = np.concatenate(
        [
            over_nothing(
                pipe, rows[i : i + 1], cols[i : i + 1], value[i : i + 1], raw, texts[i : i + 1]
            )
            for i in range(rows.size)
        ]
    )
    np.testing.assert_array_equal(together, alone)
    assert len(set(together.tolist())) < rows.size / 4  # (counts repeat: the point)
    assert "0 of 11" in together.tolist()
