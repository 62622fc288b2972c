"""The "typical" a reason says (H2, session 26). For a feature the evidence shrinkage
moves toward the population for short entities, a median detector's typical value was
the median of the *shrunk* column, a value of no entity: "purchases per cart 23
(typical 0.237)" where most users have none. Reasons now say the median of the
entities' own values where it lies on the side the detector scored. Wording only:
scores and flags stay bit for bit."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline, Sequences, load
from oddseq._reasons import format_value, reason_name
from oddseq.datasets import make_ecommerce
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
PER_CART = reason_name("buy_per_cart")


@pytest.fixture(scope="module")
def shop():
    log = make_ecommerce(n_users=600, random_state=241).events
    seqs = Sequences.from_events(log, **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline(method="robust_z", random_state=0).fit(seqs)
    return log, seqs, pipe


def _per_cart_median(log) -> float:
    """By hand from the events: purchases per cart of each user (over one cart where it
    has none, as the encoder divides), the median over the users with 2 or more events."""
    counts = pd.crosstab(log["user_id"], log["behavior"])
    per_cart = counts["buy"] / counts["cart"].clip(lower=1)
    return float(np.median(per_cart[counts.sum(axis=1) >= 2]))


def _typicals(reasons, name=PER_CART) -> pd.Series:
    """The typical value each reason says of feature ``name`` (its words as a reason
    names it), and the value."""
    found = reasons.dropna().str.extract(re.escape(name) + r" ([^(;]+) \(typical ([^;)]+)\)")
    return found.dropna().set_axis(["value", "typical"], axis=1)


def test_a_shrunk_feature_is_said_against_the_median_of_the_entities_own_values(shop):
    log, _, pipe = shop
    said = _typicals(pipe.table_["reason"])
    assert len(said) >= 10  # the case occurs
    median = _per_cart_median(log)
    assert median < 0.05  # most users buy nothing
    # before: "purchases per cart 23 (typical 0.212)", the median of the shrunk column
    assert (said["typical"] == format_value("buy_per_cart", median)).all(), said.head()


def test_scores_and_flags_are_bit_for_bit_and_a_model_without_the_medians_says_as_before(
    shop, tmp_path
):
    _, seqs, pipe = shop
    table = pipe.score(seqs)
    kept = pipe.__dict__.pop("_typical_raw")
    try:
        before = pipe.score(seqs)
        # a model saved before the medians were kept loads and says today's words
        pipe.save(tmp_path / "old.oddseq")
    finally:
        pipe._typical_raw = kept
    for column in ("score", "is_anomaly", "p_normal", "cluster", "rank"):
        assert np.array_equal(table[column].to_numpy(), before[column].to_numpy()), column
    old = _typicals(before["reason"])
    assert (old["typical"] != "0").all()  # the shrunk column's median
    assert load(tmp_path / "old.oddseq").score(seqs)["reason"].equals(before["reason"])
    pipe.save(tmp_path / "new.oddseq")
    assert load(tmp_path / "new.oddseq").score(seqs)["reason"].equals(table["reason"])


def test_the_stream_and_explain_say_it_too(shop):
    log, seqs, pipe = shop
    scorer = StreamScorer(pipe, **ROLES, reasons="all")
    scorer.update(log.sort_values("timestamp", kind="stable"))
    from oddseq.stream._scorer import _hash_keys

    ids = seqs.ids
    keys = np.ascontiguousarray(_hash_keys(ids))
    raw, lengths, _, _ = scorer._raw(keys)
    # the C++ explanation's words and those of the detector's explain
    live = pd.Series(scorer._alert_reasons(keys), index=ids)
    through_python = scorer._reasons(pipe._scaled(raw, lengths), raw, lengths)
    assert live.equals(pd.Series(through_python, index=ids))
    said = _typicals(live)
    assert len(said) >= 10
    median = format_value("buy_per_cart", _per_cart_median(log))
    assert (said["typical"] == median).all(), said.head()

    why = pipe.explain(seqs)
    per_cart = why[(why["feature"] == "buy_per_cart") & (why["value"] >= 1)]
    assert len(per_cart)
    assert (per_cart["typical_said"] == f"typical {median}").all()
    assert (per_cart["typical"] > 0.1).all()  # the detector's, as before


def test_dask_keeps_the_medians_and_says_it_as_one_machine_does(shop):
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    import oddseq
    import oddseq.dask

    log, _, _ = shop
    options = dict(method="robust_z", random_state=0, groups=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, one = oddseq.detect_anomalies(log, **ROLES, **options, return_pipeline=True)
        with dask.config.set(scheduler="sync"):
            table, model = oddseq.dask.detect_anomalies(
                dd.from_pandas(log, npartitions=3), **ROLES, **options, return_pipeline=True
            )
            table = table.compute()
    assert np.array_equal(model._typical_raw, one._typical_raw, equal_nan=True)
    assert np.isfinite(one._typical_raw).sum() >= 5
    assert table["reason"].reindex(expected.index).equals(expected["reason"])
    median = format_value("buy_per_cart", _per_cart_median(log))
    assert (_typicals(expected["reason"])["typical"] == median).all()
