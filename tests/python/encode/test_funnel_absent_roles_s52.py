"""A funnel ratio over a role the funnel does not have is 0 (trial s52).

An ad network's log of clicks, installs and purchases: "click" is read as the view and
"purchase" as the buy, and there is no cart. Divided by max(carts, 1), "purchases per
cart" was the purchases' count again, and reasons said "purchases per cart 8 'purchase'
with no event read as cart (typical 0)" of ordinary devices. A role the funnel has but a
scored log never does still counts 0 (a purchase with no cart, where carts exist, is
what the ratio is for)."""

import pickle

import numpy as np
import pandas as pd

import oddseq
from oddseq import AnomalyPipeline, Sequences
from oddseq.encode import DiversityEncoder

ROLES = dict(entity="device", event="event", time="ts", item="app")


def _ad_log(seed=0, n=300):
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(n):
        t = 1_760_000_000 + int(rng.integers(0, 86_400))
        for k in range(int(rng.integers(3, 15))):
            event = rng.choice(
                ["impression", "click", "install", "purchase"], p=[0.5, 0.3, 0.1, 0.1]
            )
            rows.append((f"d{d}", event, t + 90 * k, f"app{int(rng.integers(0, 40))}"))
    return pd.DataFrame(rows, columns=["device", "event", "ts", "app"])


def _counts(log, event):
    """Per device (in the sequences' order), its events of type ``event``."""
    return log.groupby("device", sort=False)["event"].apply(lambda e: (e == event).sum())


def _features(encoder, seqs):
    names = list(encoder.get_feature_names_out())
    return pd.DataFrame(encoder.transform(seqs), columns=names, index=seqs.ids)


def test_a_ratio_over_a_role_the_funnel_lacks_is_zero():
    log = _ad_log()
    seqs = Sequences.from_events(log, **ROLES)
    encoder = DiversityEncoder().fit(seqs)
    assert encoder.funnel_ == {"view": "click", "buy": "purchase"}
    got = _features(encoder, seqs)
    assert (got["buy_per_cart"] == 0).all()  # no cart in the funnel
    buys = _counts(log, "purchase").reindex(got.index).to_numpy(float)
    views = _counts(log, "click").reindex(got.index).to_numpy(float)
    assert buys.sum() > 0
    np.testing.assert_allclose(got["buy_per_view"], buys / np.maximum(views, 1), rtol=1e-6)
    # no view: every ratio over it is 0 too, the one over the cart is read
    shop = Sequences.from_lists([["cart", "buy"], ["cart", "cart", "buy"], ["buy"]])
    encoder = DiversityEncoder().fit(shop)
    got = _features(encoder, shop)
    assert (got[["cart_per_view", "fav_per_view", "buy_per_view"]] == 0).all().all()
    np.testing.assert_allclose(got["buy_per_cart"], [1.0, 0.5, 1.0])


def test_a_role_the_scored_log_never_does_counts_zero():
    fitted = Sequences.from_lists([["view", "cart", "buy"], ["view", "view"]])
    encoder = DiversityEncoder().fit(fitted)
    assert set(encoder.funnel_) == {"view", "cart", "buy"}
    scored = Sequences.from_lists([["view", "buy", "buy"]])  # no cart anywhere in it
    got = _features(encoder, scored)
    assert got["buy_per_cart"].tolist() == [2.0]  # two purchases over no cart
    assert got["buy_per_view"].tolist() == [2.0]


def test_an_encoder_fitted_before_reads_the_old_way():
    log = _ad_log()
    seqs = Sequences.from_events(log, **ROLES)
    encoder = DiversityEncoder().fit(seqs)
    old = pickle.loads(pickle.dumps(encoder))
    del old.ratios_over_roles_only_  # (as an encoder pickled before this attribute)
    got = _features(old, seqs)
    buys = _counts(log, "purchase").reindex(got.index).to_numpy(float)
    np.testing.assert_allclose(got["buy_per_cart"], buys)  # purchases over a count of 0


def test_the_one_call_and_the_stream_read_it_alike():
    from oddseq.stream import StreamScorer

    log = _ad_log(seed=1)
    table = oddseq.detect_anomalies(log, **ROLES, groups=False)
    assert not table["reason"].str.contains("per cart").any()
    pipe = AnomalyPipeline().fit(Sequences.from_events(log, **ROLES))
    live = StreamScorer(pipe, max_exact_items=10_000, **ROLES)
    live.update(log.sort_values("ts", kind="stable"))
    features = live.features(log["device"].unique())
    batch = pipe.features(Sequences.from_events(log, **ROLES), scaled=False)
    for name in ("buy_per_cart", "buy_per_view", "cart_per_view"):
        np.testing.assert_allclose(
            features[name].reindex(batch.index), batch[name], rtol=1e-6, err_msg=name
        )
    assert (features["buy_per_cart"] == 0).all()


def test_a_pipeline_fitted_before_streams_as_it_scores():
    from oddseq.stream import StreamScorer

    log = _ad_log(seed=2)
    pipe = AnomalyPipeline().fit(Sequences.from_events(log, **ROLES))
    del dict(pipe.encoder_.encoders_)["diversity"].ratios_over_roles_only_  # (an old model)
    live = StreamScorer(pipe, max_exact_items=10_000, **ROLES)
    live.update(log.sort_values("ts", kind="stable"))
    features = live.features(log["device"].unique())
    batch = pipe.features(Sequences.from_events(log, **ROLES), scaled=False)
    np.testing.assert_allclose(
        features["buy_per_cart"].reindex(batch.index), batch["buy_per_cart"], rtol=1e-6
    )
    assert (batch["buy_per_cart"] > 0).any()  # the purchases, over no cart, as fitted


def test_no_words_of_counts_for_a_ratio_over_a_role_the_funnel_lacks():
    """Review RV s52 M3: "0 'purchase' with no event read as cart" of a device that
    bought three times; the ratio is 0 by construction, its value said as it is."""
    from oddseq._reasons import over_nothing

    log = _ad_log(seed=3)
    seqs = Sequences.from_events(log, **ROLES)
    pipe = AnomalyPipeline().fit(seqs)
    frame = pipe.features(seqs, scaled=False)
    names, raw = list(frame.columns), frame.to_numpy(dtype=np.float64)
    col = names.index("buy_per_cart")
    rows = np.flatnonzero(raw[:, names.index("count[purchase]")] > 0)[:3]
    said = over_nothing(
        pipe, rows, [col] * 3, raw[rows, col], raw, np.array(["0"] * 3, dtype=object)
    )
    assert said.tolist() == ["0", "0", "0"]


def test_a_stream_state_pickled_before_is_refused_not_resumed_wrong():
    """Review RV s52 H2: a state of checkpoint format 1 holds -1 for a role the funnel
    lacks, which the kernel now reads as 'ratio 0' under a model fitted to the old
    ratios: refused with the route, as another format is."""
    import pytest

    from oddseq.stream import StreamScorer

    log = _ad_log(seed=4)
    pipe = AnomalyPipeline().fit(Sequences.from_events(log, **ROLES))
    live = StreamScorer(pipe, **ROLES)
    state = live.__getstate__()
    assert state["_checkpoint"][0] == 2
    state["_checkpoint"] = (1, state["_checkpoint"][1])
    with pytest.raises(ValueError, match="checkpoint format 1.*start a new StreamScorer"):
        StreamScorer.__new__(StreamScorer).__setstate__(state)


def test_a_refit_of_another_funnel_reading_is_refused_with_its_cause():
    """Review RV s52 M2: a stream on a model fitted before the change, refitted with one
    fitted now, was refused as of "other event types or columns"; the cause is its funnel."""
    from oddseq.stream import StreamScorer

    log = _ad_log(seed=5)
    seqs = Sequences.from_events(log, **ROLES)
    old = AnomalyPipeline().fit(seqs)
    del dict(old.encoder_.encoders_)["diversity"].ratios_over_roles_only_
    live = StreamScorer(old, **ROLES)
    assert -1 not in live._funnel_codes  # (the old reading: a code no event has)
    new = AnomalyPipeline().fit(seqs)
    assert StreamScorer(new, **ROLES)._funnel_codes.count(-1) == 2  # no cart, no fav
    live.refit(log, background=False)  # (fitted now: the new reading)
    assert "its funnel differs from the current model's" in live.threshold_history_[-1]["refused"]
