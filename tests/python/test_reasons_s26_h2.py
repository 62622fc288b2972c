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
    shop, tmp_path, without_attribute
):
    _, seqs, pipe = shop
    table = pipe.score(seqs)
    with without_attribute(pipe, "_typical_raw"):
        before = pipe.score(seqs)
        # a model saved before the medians were kept loads and says today's words
        pipe.save(tmp_path / "old.oddseq")
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
        expected, one = oddseq.detect_anomalies(
            log, crowds=False, **ROLES, **options, return_pipeline=True
        )
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


# ---- PCA T^2's drivers


def _t2_terms(det, X):
    """Each feature's term of Hotelling's T^2 by hand: T^2 = sum_j c_j w_j, with c the
    row centred and w its component scores over their variances, mapped back (the
    gradient of T^2 in c is 2 w: moving feature j toward the mean by a little changes
    T^2 by -2 c_j w_j times that)."""
    centred = X - det.mean_
    scores = centred @ det.components_.T
    return centred * ((scores / det.explained_variance_) @ det.components_)


def test_pca_t2_names_the_features_that_raise_the_score_not_those_that_lower_it():
    from oddseq.detect import PCADetector

    # Two correlated features and a third of its own: a row high on x0 and a little high
    # on x1 is odd for x0 beyond what x1 explains; x1's own deviation is explained by the
    # correlation and moving x1 to its mean would raise T^2 (x0 alone is odder).
    rng = np.random.default_rng(0)
    t = rng.normal(size=2_000)
    X = np.column_stack([t + 0.3 * rng.normal(size=t.size), t, rng.normal(size=t.size)])
    det = PCADetector(n_components=3, statistic="t2").fit(X)
    row = np.array([[3.0, 1.5, 0.2]])
    terms = _t2_terms(det, row)[0]
    assert np.isclose(terms.sum(), det.decision_function(row)[0])
    assert terms[1] < 0 < terms[0] and abs(terms[1]) > abs(terms[2])  # the case
    why = det.explain(row, top=3)
    # before: ranked by |c_j w_j|, x1 second though it lowers the score
    assert why["feature"].tolist() == ["x0", "x2", "x1"]
    assert np.isclose(why["share"].sum(), 1.0)  # the terms add up to T^2


def test_the_stream_names_pca_t2_drivers_as_the_detector_does(shop):
    log, seqs, _ = shop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline(random_state=0).fit(seqs)  # the ensemble with pca_t2
    scorer = StreamScorer(pipe, **ROLES, reasons="all")
    scorer.update(log.sort_values("timestamp", kind="stable"))
    from oddseq.stream._scorer import _hash_keys

    keys = np.ascontiguousarray(_hash_keys(seqs.ids))
    explanation = scorer._store.explain(scorer._model, keys, 4)
    raw, lengths, _, _ = scorer._raw(keys)
    X = pipe._scaled(raw, lengths)
    python = pipe.detector_.explain(X, top=4, feature_names=pipe.feature_names_)
    t2 = (python["detector"] == "pca_t2").to_numpy().reshape(-1, 4)[:, 0]
    assert t2.sum() >= 20
    cols = pd.Index(pipe.feature_names_).get_indexer(python["feature"].astype(object))
    assert np.array_equal(explanation.columns[t2], cols.reshape(-1, 4)[t2])
    # every named driver of a T^2 row raises its score
    det = dict(pipe.detector_.detectors_)["pca_t2"]
    terms = _t2_terms(det, X[t2].astype(np.float64))
    named = np.take_along_axis(terms, explanation.columns[t2][:, :2], axis=1)
    assert (named > 0).all()


# ---- K-means: "entities like it have"

LIKE = re.compile(r"([^;(]+?) ([^;(]+?) \(entities like it have ([^;)]+)\)")


@pytest.fixture(scope="module")
def clustered(shop):
    log, seqs, _ = shop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline(method="kmeans", random_state=0).fit(seqs)
    return log, seqs, pipe


def test_entities_like_it_have_the_median_of_the_reference_clusters_own_values(clustered):
    """A K-means centre is its members' mean on the detector's log scale (of shrunk
    values): "count[fav] 0 (entities like it have 0.646)" where they have 1. Said now:
    the median of the own values of the entities whose nearest centre it is, counted
    here by hand from the raw features and the fitted K-means."""
    _, seqs, pipe = clustered
    names = list(pipe.feature_names_)
    raw = pipe._explain_rows["fit"][1]
    X = pipe._scaled(raw, seqs.lengths)
    det = pipe.detector_
    nearest = det.cluster_of(X)
    _, reference = det._scores_and_reference(X)
    words = {reason_name(n): j for j, n in enumerate(names)}
    counts = [j for j, n in enumerate(names) if n.startswith("count[")]  # never shrunk
    checked = differs = 0
    for at, reason in enumerate(pipe.score(seqs)["reason"].reindex(seqs.ids)):
        for name, value, like in LIKE.findall(str(reason)):
            j = words.get(name.strip())
            if j not in counts:
                continue
            median = float(np.median(raw[nearest == reference[at], j]))
            centre = det_centre(pipe, det, reference[at], j)
            v = float(value.replace(",", ""))
            # the members' median where it lies on the side of the value the centre does
            # (where the value is the median, the centre drove the score: said as before)
            apart = np.sign(v - median) == np.sign(v - centre) != 0
            expected = median if apart else centre
            assert like == format_value(names[j], expected), reason
            checked += 1
            differs += bool(apart) and like != format_value(names[j], centre)
    assert checked >= 20 and differs >= 10  # before: the centre, and it differs


def det_centre(pipe, det, cluster, j):
    """A K-means centre's value of feature j in the data's units, as the reasons said it."""
    centre = det.kmeans_.cluster_centers_.astype(np.float64)[cluster, j : j + 1]
    logged = pipe.z_scaler_.inverse_transform_at(centre, np.array([j]))
    return pipe.log_scaler_.inverse_transform_at(logged, np.array([j]))[0]


def test_kmeans_words_are_those_of_the_stream_a_saved_model_and_dask(
    clustered, tmp_path, without_attribute
):
    log, seqs, pipe = clustered
    table = pipe.score(seqs)
    with without_attribute(pipe, "_typical_like"):
        before = pipe.score(seqs)
        pipe.save(tmp_path / "old.oddseq")
    for column in ("score", "is_anomaly", "p_normal", "cluster", "rank"):
        assert np.array_equal(table[column].to_numpy(), before[column].to_numpy()), column
    assert (table["reason"] != before["reason"]).sum() >= 50
    assert load(tmp_path / "old.oddseq").score(seqs)["reason"].equals(before["reason"])
    pipe.save(tmp_path / "new.oddseq")
    assert load(tmp_path / "new.oddseq").score(seqs)["reason"].equals(table["reason"])
    # the stream: its C++ explanation's words are those of the detector's explain
    scorer = StreamScorer(pipe, **ROLES, reasons="all")
    scorer.update(log.sort_values("timestamp", kind="stable"))
    from oddseq.stream._scorer import _hash_keys

    keys = np.ascontiguousarray(_hash_keys(seqs.ids))
    raw, lengths, _, _ = scorer._raw(keys)
    live = scorer._alert_reasons(keys)
    assert np.array_equal(live, scorer._reasons(pipe._scaled(raw, lengths), raw, lengths))
    assert pd.Series(live).str.contains("entities like it have").sum() >= 50


def test_kmeans_medians_over_dask_partitions_equal_one_machines(shop):
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    import oddseq
    import oddseq.dask

    log, _, _ = shop
    for method in ("kmeans", "auto"):
        options = dict(method=method, random_state=0, groups=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected, one = oddseq.detect_anomalies(
                log, crowds=False, **ROLES, **options, return_pipeline=True
            )
            with dask.config.set(scheduler="sync"):
                table, model = oddseq.dask.detect_anomalies(
                    dd.from_pandas(log, npartitions=3), **ROLES, **options, return_pipeline=True
                )
                table = table.compute()
        assert np.array_equal(model._typical_like, one._typical_like, equal_nan=True), method
        assert table["reason"].reindex(expected.index).equals(expected["reason"]), method
