"""The support rule's sentence gives the edge it crossed in the data's units (TR s59 M2).

Normal-only fitting flagged a regular of 91 events "beyond the normal entities' range
on time from first to last event (1.14 d)", where 2,351 of the 10,002 normal customers
spanned less: the range is of the features after the evidence shrinkage, which pulls a
few-event entity's duration toward the population's, so the shortest normal spans (of
two or three events) set no edge for an entity of 91. The sentence now says the edge at
the entity's own events: "(1.14 d; the range at its 91 events starts at 1.43 d)".
"""

import warnings

import numpy as np
import pandas as pd

import oddseq
from oddseq._pipeline import _raw_edge

ROLES = dict(entity="user", event="event", time="ts")


def _users(rng, n_brief, n_regular, first_id=0):
    rows, uid = [], first_id
    for _ in range(n_brief):  # two or three events within minutes
        t = 1_700_000_000 + int(rng.integers(0, 30 * 86_400))
        for k in range(int(rng.integers(2, 4))):
            rows.append((uid, "view", t + 60 * k + int(rng.integers(0, 30))))
        uid += 1
    for _ in range(n_regular):  # 40-60 events over 3-10 days
        start = 1_700_000_000 + int(rng.integers(0, 20 * 86_400))
        span = int(rng.integers(3, 11)) * 86_400
        for t in np.sort(rng.integers(0, span, int(rng.integers(40, 61)))):
            rows.append(
                (uid, str(rng.choice(["view", "cart", "buy"], p=[0.7, 0.2, 0.1])), start + int(t))
            )
        uid += 1
    return rows


def test_the_edge_is_said_at_the_entity_s_own_events():
    rng = np.random.default_rng(0)
    normal = pd.DataFrame(_users(rng, 300, 150), columns=["user", "event", "ts"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = oddseq.AnomalyPipeline(random_state=0).fit(
            oddseq.Sequences.from_events(normal, **ROLES), normal=True
        )
    names = list(pipe.feature_names_)
    j, at = names.index("duration_s"), names.index("length")
    # the lowest duration the normal entities took in the detector's matrix (the support
    # rule's edge before its margin)
    low = pipe._matrix(oddseq.Sequences.from_events(normal, **ROLES))[1][:, j].min()
    # a regular of 50 events within two hours
    busy = pd.DataFrame(
        [(9_999, "view", 1_700_000_000 + 140 * k) for k in range(50)],
        columns=["user", "event", "ts"],
    )
    raw = pipe._features(oddseq.Sequences.from_events(busy, **ROLES), fitting=False)[0]
    edge, said = _raw_edge(pipe, names, raw, j, low)
    assert said == " at its 50 events" and int(raw[at]) == 50
    # the edge read back through the shrinkage and the scalers is the bound
    moved = raw.astype(np.float64)
    moved[j] = edge
    back = pipe._scaled(moved[None, :].astype(raw.dtype), np.array([50]))[0, j]
    np.testing.assert_allclose(back, low, rtol=1e-4)
    # ... and lies far above the shortest normal spans, which are of two or three events
    spans = normal.groupby("user")["ts"].agg(lambda t: t.max() - t.min())
    assert edge > 20 * spans.min() and raw[j] < edge


def test_the_value_statistics_edge_is_said_at_the_events_with_a_value():
    # (review RV s59b M3: the shrinkage weighs them by the valued events, not all)
    rng = np.random.default_rng(1)
    rows = [
        (
            u,
            "buy" if k % 5 == 4 else "view",
            1_700_000_000 + 3_600 * u + 60 * k,
            float(rng.gamma(4, 10)) if k % 5 == 4 else np.nan,
        )
        for u in range(300)
        for k in range(int(rng.integers(10, 40)))
    ]
    log = pd.DataFrame(rows, columns=["user", "event", "ts", "price"])
    roles = dict(ROLES, value="price")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = oddseq.AnomalyPipeline(random_state=0).fit(
            oddseq.Sequences.from_events(log, **roles), normal=True
        )
        names = list(pipe.feature_names_)
        j = names.index("value_max")
        one = log[log["user"] == 7].copy()
        raw = pipe._features(oddseq.Sequences.from_events(one, **roles), fitting=False)[0]
    high = pipe._matrix(oddseq.Sequences.from_events(log, **roles))[1][:, j].max()
    edge, said = _raw_edge(pipe, names, raw, j, high)
    valued = int(one["price"].notna().sum())
    assert said == f" at its {valued} events with a value" and valued < len(one)
    moved = raw.astype(np.float64)
    moved[j] = edge
    back = pipe._scaled(moved[None, :].astype(raw.dtype), np.array([len(one)]))[0, j]
    np.testing.assert_allclose(back, high, rtol=1e-4)
    # without shrinkage (evidence_prior=0) the range is the raw one: no events named
    pipe.evidence_.prior = 0.0
    assert _raw_edge(pipe, names, raw, j, high)[1] == ""
