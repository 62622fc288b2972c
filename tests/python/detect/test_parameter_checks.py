"""The detectors' declarative parameter checks (oddseq.utils._params): every table names
real parameters, and a wrong value of each is refused at fit with its name."""

import numpy as np
import pytest

from oddseq.detect import (
    ECOD,
    LOF,
    DBSCANDetector,
    EnsembleDetector,
    IsolationForest,
    KMeansDetector,
    KNNDetector,
    MarkovDetector,
    PCADetector,
    RobustZDetector,
)
from oddseq.sequences import Sequences
from oddseq.utils._params import Integer, Options, Real, validate_params

X = np.random.default_rng(0).normal(size=(60, 3))
SEQS = Sequences.from_lists([["a", "b", "c"], ["a", "c"], ["b", "a", "c", "c"]] * 10)
DETECTORS = [
    (ECOD, X),
    (IsolationForest, X),
    (KMeansDetector, X),
    (KNNDetector, X),
    (LOF, X),
    (DBSCANDetector, X),
    (PCADetector, X),
    (RobustZDetector, X),
    (MarkovDetector, SEQS),
    (lambda **kw: EnsembleDetector([("z", RobustZDetector())], **kw), X),
]


def _cls(make):
    return type(make())


@pytest.mark.parametrize("make, data", DETECTORS, ids=lambda d: getattr(d, "__name__", ""))
def test_every_checked_parameter_is_refused_by_name(make, data):
    table = _cls(make)._parameter_checks
    assert "contamination" in table and set(table) <= set(make().get_params())
    for name in table:
        with pytest.raises((TypeError, ValueError), match=name):
            make(**{name: object()}).fit(data)
    checked = validate_params(make())
    assert set(checked) == set(table)


def test_messages_keep_their_meaning():
    with pytest.raises(ValueError, match=r"alpha must be in \(0\.5, 1\], got 0\.2"):
        KMeansDetector(alpha=0.2).fit(X)
    with pytest.raises(TypeError, match=r"beta must be a number >= 1, got 'x'"):
        KMeansDetector(beta="x").fit(X)
    with pytest.raises(ValueError, match=r"z must be a number > 0, got -1"):
        RobustZDetector(z=-1).fit(X)
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\), got 1"):
        PCADetector(alpha=1).fit(X)
    with pytest.raises(ValueError, match=r"statistic must be one of \('spe', 't2'\)"):
        PCADetector(statistic="q").fit(X)
    with pytest.raises(ValueError, match=r"top_g must be an int >= 1 or 'auto', got 'many'"):
        MarkovDetector(top_g="many").fit(SEQS)
    with pytest.raises(TypeError, match="extended must be True or False"):
        IsolationForest(extended=1).fit(X)
    with pytest.raises(ValueError, match="n_threads=.* is more than this machine allows"):
        KMeansDetector(n_threads=1_000_000).fit(X)


def test_constraints_alone():
    assert Real(0, None, closed="neither").check(2, "z") == 2.0
    with pytest.raises(ValueError, match="nan"):
        Real(0, 1).check(float("nan"), "q")
    assert Integer(2, auto=True).check("auto", "k") == "auto"
    with pytest.raises(ValueError, match="k must be >= 2"):
        Integer(2).check(1, "k")
    assert Options("a", "b").check("b", "o") == "b"
    with pytest.raises(ValueError):
        Options(1, 2).check(True, "o")  # True == 1, but not one of them


def test_cluster_of_is_the_detectors_own_grouping():

    km = KMeansDetector(n_clusters=3, random_state=0).fit(X)
    np.testing.assert_array_equal(km.cluster_of(X), km.kmeans_.predict(X.astype(np.float64)))
    db = DBSCANDetector().fit(X)
    np.testing.assert_array_equal(db.cluster_of(X), db.dbscan_.predict(X))
    assert (RobustZDetector().fit(X).cluster_of(X) == -1).all()
    both = EnsembleDetector([("z", RobustZDetector()), ("k", KMeansDetector(n_clusters=3))])
    np.testing.assert_array_equal(both.fit(X).cluster_of(X), both.detectors_[1][1].cluster_of(X))
    only_z = EnsembleDetector([("z", RobustZDetector())]).fit(X)
    assert (only_z.cluster_of(X) == -1).all()
