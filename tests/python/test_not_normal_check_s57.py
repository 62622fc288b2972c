"""The not-normal check of normal-only fitting reads the data, not the detector: each
normal entity's out-of-fold distance to its nearest normal entity, for every detector of
features (benchmarks/RESULTS.md, "The not-normal check reads the data")."""

import warnings

import numpy as np
import pandas as pd
import pytest
from test_pipeline import _shop_log  # noqa: E402
from workflow_logs import workflow_log

import oddseq
from oddseq import _pipeline
from oddseq._pipeline import AnomalyPipeline, _twin_unit
from oddseq.detect._threshold import _far_from_twins
from oddseq.sequences import Sequences

# The detectors of features other than the default ("auto" normal-only is the
# nearest-normal distance itself).
FEATURE_METHODS = ["kmeans", "knn", "lof", "pca", "dbscan", "robust_z", "iforest", "ecod"]
ROLES = dict(entity="block", event="event", time="t")


def _blocks_log(n, rng, n_far=0):
    """A system log of ``n`` blocks of a few repeated workflows (``workflow_log``: most
    blocks have a twin; 5% write four times, 3% close more than once: rare, normal
    modes), and ``n_far`` blocks of 5-40 error events of 1-3 of 40 kinds, unlike any
    workflow (columns block, event, t)."""
    log = workflow_log(n, rng)  # (drawn first: the far blocks from the rng after it)
    rows = []
    for f in range(n_far):
        kinds = rng.choice(40, size=int(rng.integers(1, 4)), replace=False)
        events = rng.choice(kinds, size=int(rng.integers(5, 40)))
        rows += [(f"far{f}", f"error{k}", 10**7 + 100 * f + t) for t, k in enumerate(events)]
    return pd.concat([log, pd.DataFrame(rows, columns=log.columns)], ignore_index=True)


def _blocks(n, rng, n_far=0):
    """``_blocks_log`` as sequences."""
    return Sequences.from_events(_blocks_log(n, rng, n_far), **ROLES)


def _fit(seqs, method, random_state=0):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe = AnomalyPipeline(method=method, random_state=random_state).fit(seqs, normal=True)
    said = [str(w.message) for w in caught if "normal=True, but" in str(w.message)]
    return pipe, said


@pytest.mark.parametrize("method", FEATURE_METHODS)
def test_clean_workflows_do_not_warn_whatever_the_method(method):
    """The rare but normal workflows (4 writes, extra closes) lie far out in most
    detectors' own out-of-fold scores: robust_z warned on 10 of 12 such fits, ECOD, PCA
    and the isolation forest on 12 of 12. As nearest-normal distances they have twins."""
    for seed in (0, 1):
        pipe, said = _fit(_blocks(600, np.random.default_rng(seed)), method)
        assert said == [], (seed, said)
        assert pipe.threshold_info_["separate_tail"] < 2


@pytest.mark.parametrize("method", FEATURE_METHODS)
def test_every_detector_of_features_reads_the_default_check(method):
    """The same data, the same folds: the same verdict and shape as the default's, whose
    normal-only scores are those distances."""
    rng = np.random.default_rng(3)
    seqs = _blocks(400, rng, n_far=25)
    default, default_said = _fit(seqs, "auto", random_state=2)
    pipe, said = _fit(seqs, method, random_state=2)
    for key in ("separate_tail", "far_from_twins"):
        assert pipe.threshold_info_[key] == default.threshold_info_[key]
    assert said == default_said and len(said) == 1


@pytest.mark.parametrize("method", ["robust_z", "ecod"])
def test_far_entities_mixed_in_warn_and_say_what_the_check_read(method):
    """A tenth of the entities far out (sessions of error events of 40 kinds, in a shop
    log with nothing else planted): robust_z's and ECOD's own out-of-fold scores fell
    silent at 10% far on hdfs_xu's blocks; the nearest-normal distances warn, and the
    warning says what it read."""
    pipe, said = _fit(_shop_log(1, far=0.1), method)
    assert pipe.threshold_info_["separate_tail"] > 2
    assert len(said) == 1
    assert "(out-of-fold distances to the nearest normal entity) lie far beyond" in said[0]


def test_a_large_log_is_checked_on_a_part_drawn_by_content(monkeypatch):
    """Past _CHECK_ROWS entities the distances are those of exactly that many, drawn by
    content: the same part, and so the same check, whatever the order of the entities,
    their evidence weights carried along, and whatever the random_state."""
    monkeypatch.setattr(_pipeline, "_CHECK_ROWS", 150)
    rng = np.random.default_rng(5)
    X = rng.normal(size=(600, 4))
    evidence = np.linspace(0.1, 0.9, 600)
    pipe = AnomalyPipeline(method="iforest", random_state=3)
    pipe._fit_folds = None
    seen = []
    real = _pipeline.out_of_fold_scores

    def spy(make, rows, *args, **kwargs):
        seen.append(np.asarray(rows).copy())
        return real(make, rows, *args, **kwargs)

    monkeypatch.setattr(_pipeline, "out_of_fold_scores", spy)
    monkeypatch.setattr(AnomalyPipeline, "_input_stage", lambda self: _pipeline._FeatureInput)
    scores, part_evidence, read, unit = pipe._not_normal_scores(X, None, evidence)
    order = rng.permutation(600)
    moved, moved_evidence, _, moved_unit = pipe._not_normal_scores(X[order], None, evidence[order])
    assert read == "out-of-fold distances to the nearest normal entity"
    assert unit is None and moved_unit is None  # (no twins among continuous rows)
    assert scores.size == moved.size == 150
    first, second = (np.lexsort(rows.T[::-1]) for rows in seen)
    np.testing.assert_array_equal(seen[0][first], seen[1][second])  # the same rows
    # each row's evidence weight travels with it
    row_of = {tuple(row): k for k, row in enumerate(X)}
    np.testing.assert_array_equal(part_evidence, evidence[[row_of[tuple(r)] for r in seen[0]]])
    moved_rows = X[order]
    moved_of = {tuple(row): k for k, row in enumerate(moved_rows)}
    np.testing.assert_array_equal(
        moved_evidence, evidence[order][[moved_of[tuple(r)] for r in seen[1]]]
    )
    np.testing.assert_allclose(np.sort(scores), np.sort(moved))
    # the part is drawn from its own stream, not random_state's: the same rows at
    # another random_state (only the folds within it move)
    pipe.random_state = 4
    pipe._not_normal_scores(X, None, None)
    third = np.lexsort(seen[2].T[::-1])
    np.testing.assert_array_equal(seen[0][first], seen[2][third])


def test_a_large_normal_log_warns_for_a_detector_of_features(monkeypatch):
    """End to end past _CHECK_ROWS: robust_z's check reads the part's distances; far
    blocks among twins warn there, clean blocks do not."""
    monkeypatch.setattr(_pipeline, "_CHECK_ROWS", 300)
    pipe, said = _fit(_blocks(600, np.random.default_rng(2), n_far=32), "robust_z")
    assert 0.02 <= pipe.threshold_info_["far_from_twins"] <= 0.07
    assert len(said) == 1 and "most normal entities have a twin" in said[0]
    pipe, said = _fit(_blocks(600, np.random.default_rng(2)), "robust_z")
    assert said == [] and pipe.threshold_info_["far_from_twins"] == 0.0


# ---------------------------------------------------------------- far from every twin


def test_far_from_twins_reads_a_tied_lower_half_only():
    twins, variants = np.zeros(960), np.full(20, 1.0)
    far = np.full(30, 20.0)
    assert _far_from_twins(np.r_[twins, variants, far], 1.0) == pytest.approx(30 / 1010)
    # 8 units and more count; 7.9 do not
    assert _far_from_twins(np.r_[twins, variants, np.full(30, 7.9)], 1.0) == 0.0
    assert _far_from_twins(np.r_[twins, variants, np.full(30, 8.0)], 1.0) > 0
    # a group of 1%, or of more than a third, is no group apart
    assert _far_from_twins(np.r_[twins, variants, np.full(10, 20.0)], 1.0) == 0.0
    assert _far_from_twins(np.r_[np.zeros(600), np.full(400, 20.0)], 1.0) == 0.0
    # the lower half not tied at the least (a shop's continuous features), or no unit
    spread = np.random.default_rng(0).exponential(size=980)
    assert _far_from_twins(np.r_[spread, np.full(30, 200.0)], 1.0) == 0.0
    assert _far_from_twins(np.r_[twins, variants, far], None) == 0.0
    # the unit and origin of the scores: only the tie and the unit matter
    assert _far_from_twins(5 + 3 * np.r_[twins, variants, far], 3.0) == pytest.approx(30 / 1010)


@pytest.mark.parametrize("method", ["auto", "robust_z", "iforest"])
@pytest.mark.parametrize("seed, n_far", [(0, 18), (1, 18), (2, 32)])
def test_far_blocks_among_twins_warn(method, seed, n_far):
    """Every normal block has a twin, and 3-5% of blocks are error events far from all
    of them: the tail's shape cannot see them (its quantiles collapse onto the tie, and
    the default's check fell silent at 12 of 12 such fits); measured in units of the
    normal variants' own distances, they are 8 and more apart."""
    pipe, said = _fit(_blocks(600, np.random.default_rng(seed), n_far=n_far), method)
    share = n_far / (600 + n_far)
    assert share * 0.7 <= pipe.threshold_info_["far_from_twins"] <= share
    assert pipe.threshold_info_["separate_tail"] < 2
    assert len(said) == 1 and "most normal entities have a twin" in said[0]


def test_clean_twins_and_untied_shops_have_nothing_far_from_twins():
    pipe, said = _fit(_blocks(600, np.random.default_rng(4)), "auto")
    assert pipe.threshold_info_["far_from_twins"] == 0.0 and said == []
    # a shop's users have no twins: the path does not apply
    shop, said = _fit(_shop_log(0), "kmeans")
    assert shop.threshold_info_["far_from_twins"] is None and said == []
    # nor to a detector of sequences (no matrix)
    markov, _ = _fit(_blocks(600, np.random.default_rng(4)), "markov")
    assert markov.threshold_info_["far_from_twins"] is None


def test_twin_unit_is_the_distance_to_the_nearest_variant():
    """The median, over the rows two or more entities share, of the distance to the
    nearest other such row: the common workflow (at 0) and its variant (at 1) one apart,
    the four far rows 49.5 from them; a row one entity holds, however near, is no
    variant (a block a millisecond slower)."""
    X = np.r_[np.zeros((90, 2)), np.ones((6, 2)) * [1.0, 0.0], np.full((4, 2), 50.0)]
    scores = np.r_[np.zeros(90), np.full(6, 0.0), np.full(4, 70.0)]
    assert _twin_unit(X, scores) == 1.0
    near = np.r_[X, [[0.001, 0.0]]]
    assert _twin_unit(near, np.r_[scores, 0.001]) == 1.0
    assert _twin_unit(X, np.arange(100.0)) is None  # not tied
    # one distinct row, or one row that two entities share: no unit, nothing is far
    assert _twin_unit(np.zeros((50, 2)), np.zeros(50)) == np.inf
    X[90:96] = np.arange(6)[:, None]  # the variants now each held once
    assert _twin_unit(X[:96], np.r_[np.zeros(90), np.full(6, 1.0)]) == np.inf


def test_a_large_log_of_twins_reads_its_unit_on_a_part(monkeypatch):
    """The default past _CHECK_ROWS: its own distances over every entity, the unit of
    "far" from the part drawn by content; far blocks among twins still warn."""
    monkeypatch.setattr(_pipeline, "_CHECK_ROWS", 200)
    pipe, said = _fit(_blocks(600, np.random.default_rng(2), n_far=32), "auto")
    assert 0.035 <= pipe.threshold_info_["far_from_twins"] <= 32 / 632
    assert len(said) == 1 and "most normal entities have a twin" in said[0]


@pytest.mark.parametrize("method", ["auto", "robust_z"])
def test_dask_reads_the_same_check(client, method):
    """oddseq.dask fetches the normal rows' matrix for the support rule: the check reads
    the same distances and unit there, and says the same."""
    dd = pytest.importorskip("dask.dataframe")
    from oddseq.dask import detect_anomalies as dask_detect

    rng = np.random.default_rng(1)
    normal, log = _blocks_log(300, rng, n_far=12), _blocks_log(100, rng, n_far=3)
    log["block"] = "new-" + log["block"]
    options = dict(**ROLES, method=method, groups=False, return_pipeline=True)
    with warnings.catch_warnings(record=True) as one_said:
        warnings.simplefilter("always")
        _, single = oddseq.detect_anomalies(log, crowds=False, normal=normal, **options)
    with warnings.catch_warnings(record=True) as dask_said:
        warnings.simplefilter("always")
        _, pipe = dask_detect(
            dd.from_pandas(log, npartitions=2),
            normal=dd.from_pandas(normal, npartitions=3),
            **options,
        )
    assert pipe.threshold_info_ == single.threshold_info_
    assert pipe.threshold_info_["far_from_twins"] > 0.02

    def check(caught):
        return [str(w.message) for w in caught if "normal=True, but" in str(w.message)]

    assert check(dask_said) == check(one_said) and len(check(one_said)) == 1


def _slow_blocks(n, rng, slow, near_copies):
    """Repeated workflows whose events share a second (``_blocks_log``'s), a share
    ``slow`` of them written with a pause of 1-29 s (normal, untwinned), and
    ``near_copies`` blocks of the common workflow one millisecond slower: rows a hair
    from the common one."""
    log = _blocks_log(n, rng).astype({"t": np.float64})
    block = log["block"].str[1:].astype(int).to_numpy()
    step = log.groupby("block", sort=False).cumcount().to_numpy()
    pause = np.where(rng.random(n) < slow, rng.integers(1, 30, n), 0)[block]
    log["t"] = 100.0 * block + np.where(step >= 2, pause, 0.0)
    log.loc[(block < near_copies) & (step >= 3), "t"] += 0.001
    return Sequences.from_events(log, **ROLES, time_unit="s")


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_near_copy_of_the_common_workflow_does_not_shrink_the_unit(seed):
    """The unit reads the variants (rows two or more entities share) only: three blocks
    a millisecond slower than the common workflow made a first unit about 0.002 (review
    RV s57 H1: 6 of 8 such clean logs warned, 3-4.7% "far"); now nothing is far."""
    seqs = _slow_blocks(600, np.random.default_rng(seed), 0.06, near_copies=3)
    pipe, said = _fit(seqs, "auto")
    assert said == [] and pipe.threshold_info_["far_from_twins"] == 0.0


def _web(n, single, rng, pages=1, longest=8):
    """A web log: a share ``single`` of clients make one request to one of ``pages``
    pages (most are identical), the others 2-``longest`` requests over 20 pages."""
    rows = []
    for c in range(n):
        start = 1_600_000_000 + 1000 * c
        if rng.random() < single:
            rows.append((f"c{c}", f"/p{int(rng.integers(pages))}", start))
            continue
        times = start + np.cumsum(rng.integers(1, 30, int(rng.integers(2, longest + 1))))
        rows += [(f"c{c}", f"/p{int(rng.integers(20))}", t) for t in times]
    log = pd.DataFrame(rows, columns=["block", "event", "t"])
    return Sequences.from_events(log, **ROLES, time_unit="s")


@pytest.mark.parametrize("method", ["auto", "kmeans", "pca"])
@pytest.mark.parametrize(
    "single, pages, longest, seed", [(0.75, 1, 8, 0), (0.75, 1, 8, 1), (0.8, 2, 30, 1)]
)
def test_clean_web_logs_of_identical_one_request_clients_do_not_warn(
    method, single, pages, longest, seed
):
    """Three quarters of the clients make one identical request: the lower half of the
    distances is tied, so every jump was "far" and the rest of the clients read as a
    group far beyond (review RV s57 H2: the default warned on 5 of 8 such clean logs,
    every method of features since the check read its distances). The jump is now
    counted in units of the variants' distances, and where one row only is shared,
    nothing can be shown far. (These three logs warned before.)"""
    pipe, said = _fit(_web(1500, single, np.random.default_rng(seed), pages, longest), method)
    assert said == [] and pipe.threshold_info_["separate_tail"] < 2


@pytest.mark.xfail(
    reason="#14, not met: a repeated failure mode (identical error blocks, 5% of the "
    "normal log) is its own twin, and the normal-only feature scale of a column that 5% "
    "share puts it 5-7 variant units from the workflows, under the 8 that clean "
    "HDFS blocks need (RESULTS.md, fifty-seventh session)",
    strict=True,
)
def test_a_repeated_failure_mode_in_the_normal_log_warns():
    rng = np.random.default_rng(0)
    log = _blocks_log(600, rng)
    failure = ["open"] + ["error0"] * 8 + ["retry"] * 3 + ["close"]
    rows = [(f"far{f}", e, 10**7 + 100 * f + t) for f in range(30) for t, e in enumerate(failure)]
    log = pd.concat([log, pd.DataFrame(rows, columns=log.columns)], ignore_index=True)
    _, said = _fit(Sequences.from_events(log, **ROLES), "auto")
    assert len(said) == 1
