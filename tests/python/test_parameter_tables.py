"""The declared parameter checks (oddseq.utils._params) of the pipeline, the clusterers
and the encoders: every table names real parameters, each is refused by name at fit
when wrong, and the checked values are what the code uses."""

import numpy as np
import pytest

from oddseq import AnomalyPipeline
from oddseq.cluster import DBSCAN, KMeans, MiniBatchKMeans
from oddseq.datasets import make_ecommerce
from oddseq.encode import (
    AutomationEncoder,
    CountEncoder,
    CountTimingEncoder,
    DecayEncoder,
    DiversityEncoder,
    EncoderUnion,
    MinHashEncoder,
    RecentChangeEncoder,
    TemporalEncoder,
    TransitionEncoder,
)
from oddseq.sequences import Sequences
from oddseq.utils._params import Check, Integer, Optional, Real, validate_params

X = np.random.default_rng(0).normal(size=(60, 3))
_LOG = make_ecommerce(n_users=40, random_state=0).events
SEQS = Sequences.from_events(
    _LOG, entity="user_id", event="behavior", time="timestamp", item="item_id", value="price"
)
ESTIMATORS = [
    (AnomalyPipeline, SEQS),
    (KMeans, X),
    (MiniBatchKMeans, X),
    (DBSCAN, X),
    (AutomationEncoder, SEQS),
    (CountEncoder, SEQS),
    (CountTimingEncoder, SEQS),
    (DecayEncoder, SEQS),
    (DiversityEncoder, SEQS),
    (MinHashEncoder, SEQS),
    (RecentChangeEncoder, SEQS),
    (TemporalEncoder, SEQS),
    (TransitionEncoder, SEQS),
]


def _params(cls):
    import inspect

    return set(inspect.signature(cls.__init__).parameters) - {"self"}


@pytest.mark.parametrize("cls, data", ESTIMATORS, ids=lambda c: getattr(c, "__name__", ""))
def test_every_checked_parameter_is_refused_by_name(cls, data):
    table = cls._parameter_checks
    assert table and set(table) <= _params(cls)
    for name in table:
        with pytest.raises((TypeError, ValueError), match=name):
            cls(**{name: object()}).fit(data)
    assert set(validate_params(cls())) == set(table)


def test_pipeline_messages_say_what_the_number_is_for():
    with pytest.raises(ValueError, match=r"n_folds must be an integer >= 2 \(folds"):
        AnomalyPipeline(n_folds=1).fit(SEQS)
    with pytest.raises(TypeError, match=r"n_folds must be an integer >= 2"):
        AnomalyPipeline(n_folds=2.5).fit(SEQS)
    with pytest.raises(ValueError, match=r"min_events must be an integer >= 1 \(entities"):
        AnomalyPipeline(min_events=0).fit(SEQS)
    with pytest.raises(ValueError, match=r"contamination must be in \(0, 0.5\]"):
        AnomalyPipeline(contamination=0.9).fit(SEQS)
    with pytest.raises(ValueError, match="n_clusters must be >= 1"):
        AnomalyPipeline(n_clusters=0).fit(SEQS)


def test_clusterer_and_encoder_messages():
    with pytest.raises(ValueError, match="tol must be a finite number >= 0, got inf"):
        KMeans(2, tol=float("inf")).fit(X)
    with pytest.raises(TypeError, match="tol must be a finite number >= 0"):
        MiniBatchKMeans(2, tol="small").fit(X)
    with pytest.raises(ValueError, match="max_no_improvement must be >= 0"):
        MiniBatchKMeans(2, max_no_improvement=-1).fit(X)
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got nan"):
        DBSCAN(float("nan")).fit(X)
    with pytest.raises(ValueError, match="init must be 'k-means\\+\\+', 'random' or an array"):
        KMeans(2, init="kmeans").fit(X)
    with pytest.raises(ValueError, match="n_features must be a power of two.*try 64"):
        CountEncoder(n_features=50).fit(SEQS)
    with pytest.raises(ValueError, match=r"ngram_range must be \(n_min, n_max\)"):
        CountEncoder(ngram_range=(3, 1)).fit(SEQS)
    with pytest.raises(ValueError, match="funnel must be a dict with keys among"):
        DiversityEncoder(funnel={"checkout": "buy"}).fit(SEQS)
    with pytest.raises(TypeError, match="profiles must be True or False"):
        TemporalEncoder(profiles="yes").fit(SEQS)


def test_new_constraints_alone():
    assert Optional(Integer(1)).check(None, "m") is None
    assert Optional(Integer(1)).check(3, "m") == 3
    assert Real(0, None, finite=True).check(2, "t") == 2.0
    with pytest.raises(ValueError, match=r"t must be a finite number >= 0 \(why\), got inf"):
        Real(0, None, finite=True, note="why").check(float("inf"), "t")
    with pytest.raises(ValueError, match=r"k must be an integer >= 2 \(folds\), got 1"):
        Integer(2, note="folds").check(1, "k")
    assert Check(lambda value, name: value * 2).check(3, "x") == 6


def test_encoder_union_declares_its_encoders():
    """EncoderUnion's one parameter has its table like the other encoders: refused by
    name at fit, with what was wrong."""
    assert set(EncoderUnion._parameter_checks) == {"encoders"}
    with pytest.raises(ValueError, match="encoders must be a non-empty list"):
        EncoderUnion([]).fit(SEQS)
    with pytest.raises(ValueError, match="encoders must hold \\(name, encoder\\) pairs"):
        EncoderUnion([CountTimingEncoder()]).fit(SEQS)
    with pytest.raises(TypeError, match="encoders: 'x' must be an encoder with fit and transform"):
        EncoderUnion([("x", object())]).fit(SEQS)
    union = EncoderUnion([("counts", CountTimingEncoder())])
    assert validate_params(union)["encoders"][0][0] == "counts"
    assert union.fit(SEQS).transform(SEQS).shape[0] == len(SEQS)
