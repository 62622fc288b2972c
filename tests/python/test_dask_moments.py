"""oddseq.dask's exact moments: the mean and variance from the core's one-pass sums, the
scatter matrix (the grid slices' Gram matrix) only where a detector reads it (PCA),
with the same bits either way as the whole matrix's."""

import numpy as np
import pytest

pytest.importorskip("dask")

from oddseq import AnomalyPipeline  # noqa: E402
from oddseq.dask._pipeline import _moments, _needs_scatter  # noqa: E402
from oddseq.detect import (  # noqa: E402
    EnsembleDetector,
    KMeansDetector,
    PCADetector,
    RobustZDetector,
)
from oddseq.utils._exact import column_max_abs, exponents, moment_parts, moments  # noqa: E402


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_means_and_variances_without_the_gram_matrix(dtype):
    rng = np.random.default_rng(3)
    X = (rng.standard_normal((6_000, 7)) * np.logspace(-3, 4, 7) + 5).astype(dtype)
    states = [{"X": X[:1_000]}, {"X": None}, {"X": X[1_000:4_500]}, {"X": X[4_500:]}]
    plain = _moments(states, "X")
    full = _moments(states, "X", scatter=True)
    assert "cross" not in plain.parts and "cross" in full.parts
    np.testing.assert_array_equal(plain.max_abs, full.max_abs)
    np.testing.assert_array_equal(plain.exps, full.exps)
    for a, b in zip(plain.mean_std(), full.mean_std()):
        assert a.tobytes() == b.tobytes()
    # ... and the whole matrix's, bit for bit.
    exps = exponents(column_max_abs(X))
    _, mean, var = moments(moment_parts(X, exps), exps)
    assert plain.mean_std()[0].tobytes() == mean.tobytes()
    assert plain.mean_std()[1].tobytes() == np.sqrt(var).tobytes()


def test_only_pca_asks_for_the_scatter_matrix():
    assert _needs_scatter(PCADetector())
    assert not _needs_scatter(KMeansDetector())
    assert not _needs_scatter(RobustZDetector())
    assert _needs_scatter(EnsembleDetector([("k", KMeansDetector()), ("p", PCADetector())]))
    assert not _needs_scatter(EnsembleDetector([KMeansDetector(), RobustZDetector()]))
    assert _needs_scatter(EnsembleDetector([RobustZDetector(), PCADetector()]))
    assert _needs_scatter(AnomalyPipeline()._detector(1_000))  # the default ensemble
    assert not _needs_scatter(AnomalyPipeline(method="kmeans")._detector(1_000))
