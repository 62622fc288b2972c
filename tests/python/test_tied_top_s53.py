"""The unsupervised cut that flags none because a block of ties sits in the top fifth of
the scores is said, with a share that flags the block (TR s52 L7: robust_z on an ad log,
nothing flagged and nothing said)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq._pipeline import _tied_top
from oddseq.exceptions import DataWarning


def _log(n_users: int, n_alike: int, seed: int = 1) -> pd.DataFrame:
    """Users of varied rhythm, and ``n_alike`` scripted ones: 30 views 2 s apart each."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-01")
    users, times, events = [], [], []
    for u in range(n_users):
        k = int(rng.integers(3, 40))
        offsets = np.cumsum(rng.exponential(300, k)) + 86_400 * int(rng.integers(0, 20))
        users += [f"u{u}"] * k
        times += list(start + pd.to_timedelta(offsets, unit="s"))
        events += list(rng.choice(["view", "cart", "buy", "fav"], k, p=[0.7, 0.15, 0.05, 0.1]))
    for b in range(n_alike):
        first = start + pd.Timedelta(days=int(rng.integers(0, 20)))
        users += [f"b{b}"] * 30
        times += [first + pd.Timedelta(seconds=2 * i) for i in range(30)]
        events += ["view"] * 30
    return pd.DataFrame({"user": users, "ts": times, "event": events})


def test_a_tied_block_that_bends_the_tail_is_said_with_a_share_that_flags_it():
    df = _log(2_700, 300)
    with pytest.warns(DataWarning, match=r"flags none of 3,000 entities: the 300 \(10\.00%\)"):
        table, pipe = oddseq.detect_anomalies(
            df, entity="user", time="ts", event="event", method="robust_z", return_pipeline=True
        )
    assert not table["is_anomaly"].any()
    scores = pipe.detector_.decision_scores_
    assert pipe.threshold_ > scores.max()
    size, above = _tied_top(scores, 0.01, pipe.threshold_)
    assert size == 300
    # The advised share flags the block and every entity above it.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(
            df, entity="user", time="ts", event="event", method="robust_z", random_state=0
        )
    said = [str(w.message) for w in caught if "share one score" in str(w.message)]
    share = float(said[0].split("contamination=")[1].split(" ")[0])
    flagged = oddseq.detect_anomalies(
        df, entity="user", time="ts", event="event", method="robust_z", contamination=share
    )
    flagged = flagged[flagged["is_anomaly"]]
    assert flagged.index.str.startswith("b").sum() == 300
    # (the share rounded up to two figures: never under the block, a few more at most)
    assert size + above <= len(flagged) <= size + above + 0.01 * len(df["user"].unique())


def test_no_block_no_word():
    rng = np.random.default_rng(0)
    scores = rng.exponential(size=3_000)
    assert _tied_top(scores, 0.01, scores.max() + 1) is None  # nothing odd: silent
    assert _tied_top(scores, 0.01, float(np.quantile(scores, 0.99))) is None  # it flags
    tied = np.r_[scores, np.full(20, np.quantile(scores, 0.9))]  # 0.7%: under the rate
    assert _tied_top(tied, 0.01, tied.max() + 1) is None
    tied = np.r_[scores, np.full(40, np.quantile(scores, 0.9))]
    assert _tied_top(tied, 0.01, tied.max() + 1)[0] == 40
    # A block the tail model's quantiles do not read (the highest 2%: above the 95th
    # percentile) did not bend it.
    high = np.r_[scores, np.full(60, scores.max() + 1)]
    assert _tied_top(high, 0.01, high.max() + 1) is None
    assert _tied_top(np.ones(10), 0.01, 2.0) is None  # all equal: said elsewhere
    # A block reaching below the top fifth: the population's mode (review RV s53 M2).
    mode = np.r_[rng.exponential(size=363), np.full(637, 1.0)]
    assert np.quantile(mode, 0.8) == 1.0  # (at a quantile the tail model reads)
    assert _tied_top(mode, 0.01, mode.max() + 1) is None
    # A top of ties throughout (a few workflows' scores): no block bent a tail.
    few = np.repeat([1.0, 1.1, 1.2, 1.3, 1.4], [40, 30, 15, 10, 5])
    assert _tied_top(few, 0.01, 2.0) is None
    # At or under the detector's own floor (Markov: one miss): that rule refuses it too.
    assert _tied_top(tied, 0.01, tied.max() + 1, floor=float(tied.max())) is None
