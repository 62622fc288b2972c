"""p_normal never reads 0 (NA s34 LOW-3): with n reference scores the rarest a score can
be shown to be is 1/(n + 1), "beyond all n" (the conformal p-value of a score past every
reference score; an unsupervised fit's own table never went under 1/n, each entity
being one of its reference). Normal-only tables read exactly 0.0, and predict_proba's
anomaly 1.0, beyond the fitted tail's end: hdfs_xu fitted on 400 normal blocks (seed
781), 120 of 300 anomalous blocks; on the shop logs the tail model read as low as
2.9e-4 (make_ecommerce, seed 782) and 1.7e-7 (make_marketplace, seed 783) from 800
normal users. One rule, AnomalyPipeline.p_normal, read by the table, predict_proba,
a group's members, oddseq.dask and a saved model."""

import warnings

import numpy as np
import pytest

import oddseq
from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.detect import tail_probability
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp")
FLOWS = [list("ABCDE"), list("ABCCDE"), list("ABFE"), list("ABCDEG"), list("AHBE")]


def _blocks(rng, n):
    """System-log blocks: a few workflows repeated (tied out-of-fold scores, no tail
    to model beyond the top), some with an extra step."""
    out = []
    for _ in range(n):
        flow = list(FLOWS[rng.zipf(1.8) % len(FLOWS)])
        if rng.random() < 0.2:
            flow += list(rng.choice(list("CDF"), rng.integers(1, 3)))
        out.append(flow)
    return out


@pytest.fixture(scope="module")
def blocks():
    rng = np.random.default_rng(786)
    fit = _blocks(rng, 400)
    odd = [list("ABCDE") + ["Z"] * k for k in (1, 3, 10)] + [list("ABCDE") * j for j in (2, 5)]
    new = _blocks(rng, 50) + odd
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline().fit(Sequences.from_lists(fit, ids=list(range(400))), normal=True)
    scored = Sequences.from_lists(new, ids=list(range(1000, 1000 + len(new))))
    return pipe, scored


def test_beyond_every_normal_score_reads_one_in_n_plus_one(blocks):
    pipe, scored = blocks
    table = pipe.score(scored)
    n = pipe.reference_scores_.size
    beyond = table["score"] > pipe.reference_scores_.max()
    assert beyond.sum() == 5  # the five odd blocks (this was 0.0 for each)
    assert (tail_probability(pipe.reference_scores_, table.loc[beyond, "score"]) == 0).all()
    np.testing.assert_array_equal(table.loc[beyond, "p_normal"], 1 / (n + 1))
    assert (table["p_normal"] > 0).all()
    # under the top, the share of the reference as before
    inside = table.loc[~beyond, "score"]
    np.testing.assert_array_equal(
        table.loc[~beyond, "p_normal"], tail_probability(pipe.reference_scores_, inside)
    )
    proba = pipe.predict_proba(scored)
    np.testing.assert_array_equal(proba["normal"], table["p_normal"].loc[proba.index])
    assert proba["anomaly"].max() == pytest.approx(n / (n + 1))


def test_a_saved_model_reads_the_same_floor(blocks, tmp_path):
    pipe, scored = blocks
    back = oddseq.load(pipe.save(tmp_path / "m.oddseq"))
    np.testing.assert_array_equal(back.score(scored)["p_normal"], pipe.score(scored)["p_normal"])


def test_a_shop_model_floors_its_extrapolated_tail_too():
    data = make_ecommerce(n_users=900, random_state=787)
    y = data.labels
    normal = y.index[y == 0][:500]
    log = data.events
    fit = Sequences.from_events(log[log["user_id"].isin(normal)], **ROLES)
    day = Sequences.from_events(log[~log["user_id"].isin(normal)], **ROLES)
    pipe = AnomalyPipeline().fit(fit, normal=True)
    table = pipe.score(day)
    n = pipe.reference_scores_.size
    assert table["p_normal"].min() == 1 / (n + 1)
    tail = tail_probability(pipe.reference_scores_, table["score"])
    assert tail.min() < 1 / (n + 1)  # (the tail model's extrapolation: floored)
    np.testing.assert_array_equal(table["p_normal"], np.maximum(tail, 1 / (n + 1)))


def test_an_unsupervised_fit_table_is_unchanged():
    log = make_ecommerce(n_users=400, random_state=788).events
    pipe = AnomalyPipeline().fit(Sequences.from_events(log, **ROLES))
    table = pipe.table_
    np.testing.assert_array_equal(
        table["p_normal"], tail_probability(pipe.reference_scores_, table["score"])
    )
    assert table["p_normal"].min() == 1 / len(table)


def test_dask_reads_the_same_floor():
    dd = pytest.importorskip("dask.dataframe")
    import dask

    from oddseq.dask import detect_anomalies

    data = make_ecommerce(n_users=600, random_state=789)
    normal_users = data.labels.index[data.labels == 0][:300]
    log = data.events
    normal, day = log[log["user_id"].isin(normal_users)], log[~log["user_id"].isin(normal_users)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one, pipe = oddseq.detect_anomalies(day, normal=normal, return_pipeline=True, **ROLES)
        with dask.config.set(scheduler="sync"):
            many = detect_anomalies(
                dd.from_pandas(day, npartitions=2),
                normal=dd.from_pandas(normal, npartitions=2),
                **ROLES,
            ).compute()
    n = pipe.reference_scores_.size
    assert one["p_normal"].min() == 1 / (n + 1)
    np.testing.assert_allclose(many["p_normal"].loc[one.index], one["p_normal"], rtol=1e-12)
