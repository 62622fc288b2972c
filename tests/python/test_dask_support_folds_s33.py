"""oddseq.dask's normal-only fit: the support rule reads the folds that scored the
reference (review s32 H8 LOW-B, as 8eeb355 made the single machine do): with
random_state a Generator, each draw of folds differs, so the rule read another
assignment's range unless _out_of_fold hands its folds over."""

import warnings

import numpy as np
import pytest

import oddseq._pipeline as single
import oddseq.dask._pipeline as distributed
from oddseq.dask import detect_anomalies

dd = pytest.importorskip("dask.dataframe")


def test_the_support_rule_reads_the_partitions_scoring_folds(client, workflow_log, monkeypatch):
    normal = workflow_log(600, np.random.default_rng(729))
    log = workflow_log(300, np.random.default_rng(730), start=1_000)
    seen = {}
    draw, outside = distributed.folds_in_order, single.outside_other_folds

    def scoring_folds(*args, **kwargs):
        seen["scored"] = draw(*args, **kwargs).copy()
        return seen["scored"]

    def support_folds(X, fold, n_folds):
        seen["support"] = np.array(fold)
        return outside(X, fold, n_folds)

    monkeypatch.setattr(distributed, "folds_in_order", scoring_folds)
    monkeypatch.setattr(single, "outside_other_folds", support_folds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, pipe = detect_anomalies(
            dd.from_pandas(log, npartitions=3),
            entity="block",
            event="event",
            time="t",
            normal=dd.from_pandas(normal, npartitions=2),
            return_pipeline=True,
            random_state=np.random.default_rng(5),
        )
    assert "support" in seen, "the support rule did not run"
    np.testing.assert_array_equal(seen["scored"], seen["support"])
    assert getattr(pipe, "_fit_folds", None) is None  # not kept in the model
