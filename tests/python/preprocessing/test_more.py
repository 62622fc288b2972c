import numpy as np
import pytest
import sklearn.decomposition
import sklearn.impute
import sklearn.preprocessing
from sklearn.utils.estimator_checks import parametrize_with_checks

from oddseq.preprocessing import PCA, Imputer, MinMaxScaler, OutlierClipper, RobustScaler


@parametrize_with_checks(
    [MinMaxScaler(), RobustScaler(), PCA(n_components=2), Imputer(), OutlierClipper()]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scalers_match_sklearn(dtype):
    rng = np.random.default_rng(0)
    X = (rng.standard_t(2, size=(300, 4)) * [1, 10, 100, 0]).astype(dtype)
    for ours, theirs in (
        (MinMaxScaler(), sklearn.preprocessing.MinMaxScaler()),
        (RobustScaler(), sklearn.preprocessing.RobustScaler()),
    ):
        got = ours.fit_transform(X)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, theirs.fit_transform(X), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(ours.inverse_transform(got), X, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pca_matches_sklearn(dtype):
    rng = np.random.default_rng(1)
    X = (rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6)) + 50).astype(dtype)
    ours = PCA(n_components=4, n_threads=2).fit(X)
    theirs = sklearn.decomposition.PCA(n_components=4, svd_solver="full").fit(X)
    np.testing.assert_allclose(ours.explained_variance_, theirs.explained_variance_, rtol=1e-4)
    np.testing.assert_allclose(
        ours.explained_variance_ratio_, theirs.explained_variance_ratio_, rtol=1e-4
    )
    # Same subspace and axes up to sign.
    np.testing.assert_allclose(
        np.abs(ours.components_ @ theirs.components_.T), np.eye(4), atol=1e-3
    )
    projected = ours.transform(X)
    assert projected.dtype == dtype
    np.testing.assert_allclose(np.abs(projected), np.abs(theirs.transform(X)), rtol=1e-3, atol=1e-2)
    wanted = sklearn.decomposition.PCA(n_components=0.95, svd_solver="full").fit(X)
    assert PCA(n_components=0.95).fit(X).n_components_ == wanted.n_components_
    full = PCA().fit(X)
    np.testing.assert_allclose(full.inverse_transform(full.transform(X)), X, rtol=1e-3, atol=1e-2)
    one = PCA(n_threads=1).fit(X)
    np.testing.assert_array_equal(one.components_, full.components_)
    with pytest.raises(ValueError, match="n_components"):
        PCA(n_components=7).fit(X)


def test_imputer_statistics_match_sklearn_and_fill_along_time():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3)).round(1)
    X[rng.random(X.shape) < 0.2] = np.nan
    for strategy in ("mean", "median", "most_frequent"):
        ours = Imputer(strategy=strategy).fit_transform(X)
        theirs = sklearn.impute.SimpleImputer(strategy=strategy).fit_transform(X)
        np.testing.assert_allclose(ours, theirs)
    series = np.array([[np.nan], [1.0], [np.nan], [3.0], [np.nan], [np.nan], [10.0]])
    groups = np.array([1, 1, 1, 1, 2, 2, 2])
    ff = Imputer(strategy="ffill").fit(series).transform(series, groups=groups).ravel()
    assert ff.tolist() == [1.0, 1.0, 1.0, 3.0, 10.0, 10.0, 10.0]
    lin = Imputer(strategy="interpolate").fit(series).transform(series).ravel()
    np.testing.assert_allclose(lin, [1.0, 1.0, 2.0, 3.0, 16 / 3, 23 / 3, 10.0])
    all_nan = np.array([[np.nan, 1.0], [np.nan, 2.0]])
    filled = Imputer(strategy="median", fill_value=-1.0).fit_transform(all_nan)
    assert filled[:, 0].tolist() == [-1.0, -1.0]  # documented: all-NaN column -> fill_value
    with pytest.raises(ValueError, match="strategy"):
        Imputer(strategy="guess").fit(X)
    with pytest.raises(ValueError, match="infinity"):
        Imputer().fit(np.array([[np.inf]]))


def test_outlier_clipper_actions_and_report():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0], [100.0, 5.0]])
    assert OutlierClipper(method="iqr", action="nan").fit(X).transform(X)[4, 0] != 100.0
    dropped = OutlierClipper(method="iqr", action="drop").fit(X).transform(X)
    assert dropped.shape == (4, 2)
    z = OutlierClipper(method="zscore", threshold=1.5).fit(X)
    assert z.transform(X)[4, 0] < 100 and z.report_ == {"x0": 1}
    assert z.outlier_counts(X[:4]) == {}
    with pytest.raises(ValueError, match="method"):
        OutlierClipper(method="mad").fit(X)
    with pytest.raises(ValueError, match="threshold"):
        OutlierClipper(threshold=0).fit(X)


def test_quality_report_finds_the_problems(capsys):
    import pandas as pd

    from oddseq.preprocessing import quality_report

    log = pd.DataFrame(
        {
            "u": [1, 1, 1, 2, 2, 3],
            "e": ["pv", "buy", "buy", "pv", "refund", None],
            "t": [10, 5, 5, 7, 10**8, 8],
        }
    )
    report = quality_report(
        log, "u", "e", "t", expected_events=["pv", "cart", "buy"], time_range=(0, 10**6)
    ).set_index(["check", "column"])
    assert report.loc[("missing share", "e"), "value"] == pytest.approx(1 / 6, abs=1e-6)
    assert report.loc[("times out of order", "t"), "value"] == 1
    assert report.loc[("exact duplicate rows", "(all)"), "value"] == 1
    assert report.loc[("times outside the stated range", "t"), "value"] == 1
    assert report.loc[("unknown event types", "e"), "value"] == "refund"
    assert report.loc[("exact duplicate rows", "(all)"), "share"] == pytest.approx(1 / 6, 1e-5)
    assert report.loc[("missing share", "e"), "count"] == 1
    # Entity 3's one event has no type: every value of its 'e' is missing.
    assert report.loc[("entities with every value missing", "e"), "count"] == 1
    assert report.loc[("entities with every value missing", "e"), "share"] == pytest.approx(1 / 3)
    assert (report["status"] == "attention").sum() == 6
    printed = capsys.readouterr().out
    assert "6 check(s) need attention" in printed and "drop_duplicates" in printed
    assert "1 (16.67%)" in printed
    with pytest.raises(ValueError, match="'when' is not a column"):
        quality_report(log, "u", "e", "when")


def test_quality_report_finds_events_outside_the_main_window_and_counts_duplicates():
    # The Taobao head: 35 events 2.5 months before a nine-day log.
    import pandas as pd

    from oddseq.datasets import make_ecommerce
    from oddseq.preprocessing import quality_report

    log = make_ecommerce(n_users=300, random_state=0).events
    clean = quality_report(log, "user_id", "behavior", "timestamp", show=False)
    clean = clean.set_index("check")
    assert clean.loc["events outside the main time window", "count"] == 0
    assert clean.loc["events outside the main time window", "status"] == "ok"
    stray = log.sample(35, random_state=1).assign(timestamp=lambda d: d["timestamp"] - 75 * 86_400)
    report = quality_report(
        pd.concat([log, stray], ignore_index=True), "user_id", "behavior", "timestamp", show=False
    ).set_index("check")
    row = report.loc["events outside the main time window"]
    assert row["count"] == 35 and row["status"] == "attention"
    assert "35 between 2017-09" in row["value"]
    assert row["share"] == pytest.approx(35 / (len(log) + 35), abs=1e-6)
    doubled = quality_report(
        pd.concat([log, log]), "user_id", "behavior", "timestamp", show=False
    ).set_index("check")
    assert doubled.loc["exact duplicate rows", "count"] == len(log)
    assert doubled.loc["exact duplicate rows", "share"] == pytest.approx(0.5)


def test_detect_anomalies_warns_once_about_duplication_and_stray_events():
    import warnings

    import pandas as pd

    from oddseq import detect_anomalies
    from oddseq.datasets import make_ecommerce
    from oddseq.exceptions import DataWarning

    log = make_ecommerce(n_users=300, random_state=0).events
    args = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detect_anomalies(pd.concat([log, log]), **args)
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert len(said) == 1 and "repeat the event before them exactly" in said[0]
    assert "(50%)" in said[0]
    stray = log.sample(35, random_state=1).assign(timestamp=lambda d: d["timestamp"] - 75 * 86_400)
    with pytest.warns(DataWarning, match=r"35 events of \d+ entities lie outside the log's main"):
        detect_anomalies(pd.concat([log, stray], ignore_index=True), **args)
