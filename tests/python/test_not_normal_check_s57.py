"""The not-normal check of normal-only fitting reads the data, not the detector: each
normal entity's out-of-fold distance to its nearest normal entity, for every detector of
features (benchmarks/RESULTS.md, "The not-normal check reads the data")."""

import warnings

import numpy as np
import pandas as pd
import pytest
from test_pipeline import _shop_log  # noqa: E402

from oddseq import _pipeline
from oddseq._pipeline import AnomalyPipeline
from oddseq.sequences import Sequences

# The detectors of features other than the default ("auto" normal-only is the
# nearest-normal distance itself).
FEATURE_METHODS = ["kmeans", "knn", "lof", "pca", "dbscan", "robust_z", "iforest", "ecod"]
ROLES = dict(entity="block", event="event", time="t")


def _blocks(n, rng, n_far=0):
    """A system log of ``n`` blocks of a few repeated workflows (most blocks have a
    twin; 5% write four times, 3% close more than once: rare, normal modes), and
    ``n_far`` blocks of 5-40 error events of 1-3 of 40 kinds, unlike any workflow."""
    rows = []
    for b in range(n):
        copies = int(rng.choice([2, 3, 4], p=[0.2, 0.75, 0.05]))
        extra = int(rng.random() < 0.03) * int(rng.integers(1, 4))
        block = ["open"] + ["write"] * copies + ["sync"] * copies + ["close"] * (1 + extra)
        rows += [(f"b{b}", event, 100 * b + t) for t, event in enumerate(block)]
    for f in range(n_far):
        kinds = rng.choice(40, size=int(rng.integers(1, 4)), replace=False)
        events = rng.choice(kinds, size=int(rng.integers(5, 40)))
        rows += [(f"far{f}", f"error{k}", 10**7 + 100 * f + t) for t, k in enumerate(events)]
    log = pd.DataFrame(rows, columns=["block", "event", "t"])
    return Sequences.from_events(log, **ROLES)


def _fit(seqs, method, random_state=0):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe = AnomalyPipeline(method=method, random_state=random_state).fit(seqs, normal=True)
    said = [str(w.message) for w in caught if "normal=True, but" in str(w.message)]
    return pipe, said


@pytest.mark.parametrize("method", FEATURE_METHODS)
def test_clean_workflows_do_not_warn_whatever_the_method(method):
    """The rare but normal workflows (4 writes, extra closes) lie far out in most
    detectors' own out-of-fold scores: robust_z warned on 20 of 24 such fits, ECOD, PCA
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
    assert pipe.threshold_info_["separate_tail"] == default.threshold_info_["separate_tail"]
    assert [s.replace("distances to the nearest normal entity", "scores") for s in said] == (
        default_said
    )


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
    """Past _CHECK_ROWS entities the distances are those of a part of them, drawn by
    content as the folds are: the same part, and so the same check, whatever the order of
    the entities."""
    monkeypatch.setattr(_pipeline, "_CHECK_ROWS", 150)
    rng = np.random.default_rng(5)
    X = rng.normal(size=(600, 4))
    pipe = AnomalyPipeline(method="iforest", random_state=1)
    pipe._fit_folds = None
    pipe.detector_ = None
    seen = []
    real = _pipeline.out_of_fold_scores

    def spy(make, rows, *args, **kwargs):
        seen.append(np.asarray(rows).copy())
        return real(make, rows, *args, **kwargs)

    monkeypatch.setattr(_pipeline, "out_of_fold_scores", spy)
    monkeypatch.setattr(AnomalyPipeline, "_input_stage", lambda self: _pipeline._FeatureInput)
    evidence = np.linspace(0.1, 0.9, 600)
    scores, part_evidence, read = pipe._not_normal_scores(X, None, evidence)
    order = rng.permutation(600)
    moved, moved_evidence, _ = pipe._not_normal_scores(X[order], None, evidence[order])
    assert read == "out-of-fold distances to the nearest normal entity"
    assert 150 - 40 <= scores.size <= 150 + 40  # a quarter of the rows
    first, second = (np.lexsort(rows.T[::-1]) for rows in seen)
    np.testing.assert_array_equal(seen[0][first], seen[1][second])  # the same rows
    np.testing.assert_allclose(np.sort(scores), np.sort(moved))
    np.testing.assert_array_equal(np.sort(part_evidence), np.sort(moved_evidence))
