"""Session 28, H5: oddseq.dask finds the K-means member's medians of "entities like it"
(the reasons' ``_typical_like``) by the member's name in the ensemble, not by the
object's id (review s27, L-2): an ensemble that copies a member as it takes the fitted
members gave a bare KeyError; it now gives the same pipeline and table."""

import copy
import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")


@pytest.fixture(scope="module")
def shop():
    return make_ecommerce(n_users=250, random_state=363).events


def _dask_fit(log, **options):
    """(table, pipeline) of oddseq.dask on the synchronous scheduler (no cluster)."""
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        with dask.config.set(scheduler="synchronous"):
            table, pipeline = detect_anomalies(
                dd.from_pandas(log, npartitions=3), **COLUMNS, return_pipeline=True, **options
            )
            return table.compute(), pipeline


def test_an_ensemble_that_copies_its_kmeans_member_keeps_its_medians(shop, monkeypatch):
    """The method "auto" (an ensemble with a K-means member): its members copied as
    the ensemble takes them, the same medians (K-means' "entities like it have") and
    the same table, reasons included."""
    from oddseq import _reasons
    from oddseq.detect import EnsembleDetector

    table, pipeline = _dask_fit(shop, method="auto")
    member = _reasons.kmeans_member(pipeline)
    assert member is not None and pipeline._typical_like is not None
    assert np.isfinite(pipeline._typical_like).any()

    set_members = EnsembleDetector._set_members

    def copying(self, fitted):
        return set_members(self, [(name, copy.deepcopy(det)) for name, det in fitted])

    monkeypatch.setattr(EnsembleDetector, "_set_members", copying)
    copied_table, copied = _dask_fit(shop, method="auto")
    assert _reasons.kmeans_member(copied) is not None
    np.testing.assert_array_equal(copied._typical_like, pipeline._typical_like)
    pd.testing.assert_frame_equal(copied_table, table)
