"""The stream's memory of event types not seen in fitting (for the alerts' reasons,
"...: 'refund', 'chargeback' and 1 more") stays bounded on a column of ever new labels
(URL paths as the event), is forgotten with its entities, and a value column of Arrow
decimals with a null streams as one machine reads it (session 23, H8)."""

import decimal
import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer
from oddseq.stream._checks import PRUNE_FROM, UNSEEN_KEPT

ROLES = dict(entity="c", event="p", time="t")
UNSEEN = "event types not seen in fitting"


@pytest.fixture(scope="module")
def web(web_paths_model):
    return web_paths_model(142)


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (a later day's warnings: unseen types)
        return call(*args, **kwargs)


def test_many_unseen_labels_keep_a_bounded_memory(web):
    _, web = web
    # A stream whose event column takes ever new values (URL paths: /new/<id>) kept
    # every one, entity -> {label: events}: 1,001,032 pairs on 2 M events of 5,000
    # clients (+97 MB), growing until the process dies.
    scorer = StreamScorer(web, **ROLES)
    rng = np.random.default_rng(143)
    n, clients = 60_000, 40
    events = pd.DataFrame(
        {
            "c": rng.integers(0, clients, n),
            "p": np.char.add("/new/", np.arange(n).astype(str)),
            "t": 86_400 + np.arange(n),
        }
    )
    for at in range(0, n, 10_000):
        _quiet(scorer.update, events.iloc[at : at + 10_000])
    kept = scorer._unseen_types
    assert len(kept.by_key) == clients
    pairs = sum(len(one) for one in kept.by_key.values())
    assert pairs <= clients * UNSEEN_KEPT  # was 60,000: one a distinct label
    # each entity's count of its unseen events is still whole (kept + past the kept)
    for key, one in kept.by_key.items():
        assert sum(one.values()) + kept.more.get(key, 0) > UNSEEN_KEPT


def _reason(web, labels):
    """The alert reason of client 7 streaming its fitted day again a day later, with
    events of ``labels`` (types not seen in fitting) at its own events' times."""
    fit, pipe = web
    own = fit[fit["c"] == 7].assign(t=lambda d: d["t"] + 86_400)
    extra = own.iloc[np.arange(len(labels)) % len(own)].assign(p=labels)
    events = pd.concat([own, extra]).sort_values("t", kind="stable").reset_index(drop=True)
    scorer = StreamScorer(pipe, reasons="all", **ROLES)
    alerts = _quiet(scorer.update, events).alerts
    assert len(alerts) == 1, alerts
    return str(alerts["reason"].iloc[0])


def test_an_entity_of_many_unseen_types_says_at_least_how_many_more(web):
    # 'refund' 5 times, 'chargeback' 3 times, then 3 x UNSEEN_KEPT paths once each
    n = 3 * UNSEEN_KEPT
    labels = ["refund"] * 5 + ["chargeback"] * 3 + [f"/new/{k}" for k in range(n)]
    reason = _reason(web, labels)
    assert f"count[<other>] {n + 8} " in reason, reason
    assert f"{UNSEEN}: 'refund', 'chargeback' and at least {UNSEEN_KEPT - 1:,} more" in reason


def test_an_entity_of_a_few_unseen_types_is_named_as_before(web):
    reason = _reason(web, ["refund"] * 5 + ["chargeback"] * 3 + ["/new/1"] * 40)
    assert (
        f"count[<other>] 48 (entities like it have 0; {UNSEEN}: '/new/1', 'refund' and 1 more)"
        in reason
    )
    # as many distinct types as are kept: named and counted as before
    paths = [f"/new/{k}" for k in range(UNSEEN_KEPT - 2)]
    labels = ["refund"] * 5 + ["chargeback"] * 3 + paths * 3
    reason = _reason(web, labels)
    assert f"{UNSEEN}: 'refund', 'chargeback' and {UNSEEN_KEPT - 2} more)" in reason, reason


def test_the_memory_is_forgotten_with_its_entities(web):
    _, web = web
    scorer = StreamScorer(web, ttl="1h", **ROLES)
    n = 3 * PRUNE_FROM
    # new clients a minute apart, each with one unseen path: the hour's ttl forgets them
    events = pd.DataFrame(
        {"c": np.arange(n) + 10_000, "p": "/new/x", "t": 86_400 + 60 * np.arange(n)}
    )
    for at in range(0, n, 500):
        _quiet(scorer.update, events.iloc[at : at + 500])
    assert len(scorer._unseen_types.by_key) <= PRUNE_FROM + 500  # was one per client ever


def _decimal_prices(log):
    prices = log["price"].map(lambda v: decimal.Decimal(f"{v:.2f}"))
    pa = pytest.importorskip("pyarrow")
    return pd.Series(
        pd.array(prices.tolist(), dtype=pd.ArrowDtype(pa.decimal128(10, 2))), index=log.index
    )


def test_arrow_decimal_values_with_a_null_stream_as_floats_do():
    # StreamScorer(value="price").update raised pandas' "Length of values (999) does not
    # match length of index (1000)": pd.to_numeric drops Arrow decimals' nulls.
    log = make_ecommerce(n_users=150, random_state=211).events
    log = log.sort_values("timestamp", kind="stable").reset_index(drop=True)
    roles = dict(entity="user_id", event="behavior", time="timestamp", value="price")
    pipe = oddseq.AnomalyPipeline(random_state=0).fit(Sequences.from_events(log, **roles))
    floats = log.assign(price=log["price"].round(2).where(log.index != 5))
    decimals = log.assign(price=_decimal_prices(log).where(log.index != 5))
    assert str(decimals["price"].dtype).startswith("decimal128")
    assert decimals["price"].isna().sum() == 1
    out = []
    for frame in (floats, decimals):
        scorer = StreamScorer(pipe, **roles)
        scores = [
            _quiet(scorer.update, frame.iloc[at : at + 1000]).scores
            for at in range(0, len(frame), 1000)
        ]
        out.append(pd.concat(scores))
    pd.testing.assert_frame_equal(out[0], out[1])
