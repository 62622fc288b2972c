"""scikit-learn's estimator checks over every detector that takes a matrix.

The detectors follow PyOD: ``predict`` returns 0 (normal) / 1 (anomaly), where
scikit-learn's outlier detectors return +1 / -1. That is the one documented difference:
run as outlier detectors, exactly the two checks that read ``predict``'s labels fail
(``check_outliers_train`` and ``check_outliers_fit_predict``), and nothing else.
"""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

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

DETECTORS = {
    "LOF": lambda: LOF(),
    "KNNDetector": lambda: KNNDetector(),
    "PCADetector": lambda: PCADetector(),
    "PCADetector(t2)": lambda: PCADetector(statistic="t2"),
    "DBSCANDetector": lambda: DBSCANDetector(eps=1.0),
    "ECOD": lambda: ECOD(),
    "IsolationForest": lambda: IsolationForest(n_estimators=20, random_state=0),
    "KMeansDetector": lambda: KMeansDetector(n_clusters=2, random_state=0),
    "RobustZDetector": lambda: RobustZDetector(),
    "EnsembleDetector": lambda: EnsembleDetector(
        [("knn", KNNDetector()), ("pca", PCADetector())], contamination="auto"
    ),
}
# PyOD's predict: 0/1 where scikit-learn's outlier detectors answer +1/-1.
PYOD_PREDICT = {
    "check_outliers_train": "PyOD's predict: 0 normal / 1 anomaly, not +1 / -1",
    "check_outliers_fit_predict": "PyOD's predict: 0 normal / 1 anomaly, not +1 / -1",
}


def test_every_matrix_detector_is_in_the_suite():
    import oddseq.detect as detect

    classes = {
        name
        for name in detect.__all__
        if isinstance(getattr(detect, name), type)
        and name != "BaseDetector"
        # Sequence detectors (Markov, invariants) take Sequences, not a matrix.
        and getattr(detect, name).input_kind == "matrix"
    }
    assert classes <= {name.split("(")[0] for name in DETECTORS}


def _results(estimator, **kwargs):
    # on_skip=None: the array-API check skips itself without SCIPY_ARRAY_API.
    return check_estimator(estimator, on_fail=None, on_skip=None, **kwargs)


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_check_estimator(name):
    results = _results(DETECTORS[name]())
    failed = {
        r["check_name"]: str(r["exception"])[:200] for r in results if r["status"] == "failed"
    }
    assert not failed, failed


def _as_outlier_detector(cls):
    """A module-level subclass (picklable) tagged as scikit-learn's outlier detector."""

    def tags(self):
        found = super(subclass, self).__sklearn_tags__()
        found.estimator_type = "outlier_detector"
        return found

    subclass = type(f"{cls.__name__}AsOutlierDetector", (cls,), {"__sklearn_tags__": tags})
    subclass.__module__ = __name__
    globals()[subclass.__name__] = subclass
    return subclass


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_as_an_outlier_detector_only_pyods_predict_differs(name):
    made = DETECTORS[name]()
    estimator = _as_outlier_detector(type(made))(**made.get_params(deep=False))
    results = _results(estimator, expected_failed_checks=PYOD_PREDICT)
    failed = {
        r["check_name"]: str(r["exception"])[:200] for r in results if r["status"] == "failed"
    }
    assert not failed, failed
    expected = {r["check_name"] for r in results if r["status"] == "xfail"}
    assert expected == set(PYOD_PREDICT)


def test_pca_detector_parameter_no_longer_hides_score():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    pipe = make_pipeline(StandardScaler(), PCADetector(n_components=2)).fit(X)
    # Was "'str' object is not callable": the parameter named score hid the method.
    assert not hasattr(pipe, "score")
    assert pipe.decision_function(X).shape == (200,)
    assert set(PCADetector().get_params()) == {
        "n_components", "statistic", "alpha", "contamination", "n_threads",
    }  # fmt: skip
    with pytest.warns(FutureWarning, match=r"PCADetector\(score=\.\.\.\) is renamed"):
        old = PCADetector(score="t2")
    assert old.statistic == "t2" and not isinstance(getattr(old, "score", None), str)
    with pytest.raises(TypeError, match="statistic= only"):
        PCADetector(score="t2", statistic="spe")
    with pytest.warns(FutureWarning, match=r"MarkovDetector\(score=\.\.\.\) is renamed"):
        assert MarkovDetector(score="max").statistic == "max"
    with pytest.raises(TypeError):
        PCADetector(bogus=1)


def test_set_params_translates_a_renamed_parameter():
    """set_params(score=...) (directly, or nested in a Pipeline as a grid search sets
    it) goes to statistic= with the constructor's FutureWarning, not "Invalid parameter"."""
    with pytest.warns(FutureWarning, match=r"PCADetector\.set_params\(score=\.\.\.\) is renamed"):
        det = PCADetector().set_params(score="t2")
    assert det.statistic == "t2" and "score" not in det.get_params()
    pipe = make_pipeline(StandardScaler(), MarkovDetector())
    with pytest.warns(FutureWarning, match=r"MarkovDetector\.set_params\(score=\.\.\.\)"):
        pipe.set_params(markovdetector__score="max")
    assert pipe[-1].statistic == "max"
    with pytest.raises(TypeError, match="statistic= only"):
        PCADetector().set_params(score="t2", statistic="spe")
    with pytest.raises(ValueError, match="Invalid parameter 'bogus'"):
        PCADetector().set_params(bogus=1)
