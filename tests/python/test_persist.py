"""The .oddseq model format: exact round trips for every estimator and the pipeline,
refusal of other versions, foreign classes, pickled arrays and damaged files."""

import io
import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import _persist
from oddseq._pipeline import METHODS, AnomalyPipeline
from oddseq.cluster import DBSCAN, KMeans, MiniBatchKMeans, NearestNeighbors
from oddseq.datasets import make_ecommerce
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
from oddseq.encode import (
    AutomationEncoder,
    CountEncoder,
    CountTimingEncoder,
    DecayEncoder,
    DiversityEncoder,
    MinHashEncoder,
    RecentChangeEncoder,
    TemporalEncoder,
    TransitionEncoder,
    default_encoder,
)
from oddseq.preprocessing import (
    PCA,
    Imputer,
    LogScaler,
    MinMaxScaler,
    OutlierClipper,
    RobustScaler,
    StandardScaler,
)
from oddseq.preprocessing._evidence import EvidenceShrinker

RNG = np.random.default_rng(0)
X = RNG.normal(size=(200, 4))
X[:4] += 6
X_NEW = RNG.normal(size=(30, 4))


@pytest.fixture(scope="module")
def seqs():
    log = make_ecommerce(n_users=260, random_state=3).events
    log["user_id"] = "u" + log["user_id"].astype(str)  # string ids, as analysts have
    return oddseq.Sequences.from_events(
        log, entity="user_id", event="behavior", time="timestamp", item="item_id", value="price"
    )


def _round_trip(model, tmp_path, name="model.oddseq"):
    path = model.save(tmp_path / name)
    assert path == tmp_path / name
    return oddseq.load(path)


def _same(a, b):
    if isinstance(a, (pd.DataFrame, pd.Series)):
        pd.testing.assert_frame_equal(a, b) if isinstance(a, pd.DataFrame) else (
            pd.testing.assert_series_equal(a, b)
        )
        assert a.equals(b)
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), strict=True)


DETECTORS = [
    KMeansDetector(3, random_state=0),
    KNNDetector(),
    LOF(),
    DBSCANDetector(),
    PCADetector(),
    RobustZDetector(),
    IsolationForest(n_estimators=20, random_state=0),
    ECOD(),
    EnsembleDetector([("lof", LOF()), ("z", RobustZDetector()), ("km", KMeansDetector(2))]),
]


@pytest.mark.parametrize("detector", DETECTORS, ids=lambda d: type(d).__name__)
def test_detector_round_trip_is_exact(detector, tmp_path):
    detector.fit(X)
    again = _round_trip(detector, tmp_path)
    assert type(again) is type(detector)
    assert again.get_params().keys() == detector.get_params().keys()
    for attribute in ("decision_scores_", "labels_", "threshold_"):
        _same(getattr(detector, attribute), getattr(again, attribute))
    for method in ("decision_function", "predict", "predict_proba"):
        _same(getattr(detector, method)(X_NEW), getattr(again, method)(X_NEW))
    _same(detector.decision_function(X), again.decision_function(X))
    _same(detector.explain(X_NEW), again.explain(X_NEW))
    # the saved model still works (save took nothing from it)
    _same(detector.decision_function(X_NEW), again.decision_function(X_NEW))


def test_markov_detector_round_trip_rebuilds_its_model(seqs, tmp_path):
    detector = MarkovDetector().fit(seqs[:200])
    again = _round_trip(detector, tmp_path)
    _same(detector.decision_function(seqs[200:]), again.decision_function(seqs[200:]))
    _same(detector.statistics(seqs[200:]), again.statistics(seqs[200:]))
    _same(detector.explain(seqs[200:]), again.explain(seqs[200:]))
    assert hasattr(detector, "_model")  # the live detector keeps its C++ model


@pytest.mark.parametrize(
    "model, outputs",
    [
        (KMeans(3, random_state=0), ("predict", "transform")),
        (MiniBatchKMeans(3, random_state=0), ("predict", "transform")),
        (DBSCAN(eps=1.0), ("predict",)),
        (StandardScaler(), ("transform", "inverse_transform")),
        (LogScaler(signed=True), ("transform", "inverse_transform")),
        (MinMaxScaler(), ("transform", "inverse_transform")),
        (RobustScaler(), ("transform", "inverse_transform")),
        (PCA(2, whiten=True), ("transform",)),
        (Imputer(), ("transform",)),
        (OutlierClipper(), ("transform",)),
    ],
    ids=lambda m: type(m).__name__ if not isinstance(m, tuple) else "",
)
def test_matrix_estimator_round_trip_is_exact(model, outputs, tmp_path):
    model.fit(X)
    again = _round_trip(model, tmp_path)
    for output in outputs:
        _same(getattr(model, output)(X_NEW), getattr(again, output)(X_NEW))


def test_minibatch_kmeans_continues_identically_after_load(tmp_path):
    model = MiniBatchKMeans(3, random_state=0, batch_size=20).partial_fit(X[:100])
    again = _round_trip(model, tmp_path)
    model.partial_fit(X[100:])
    again.partial_fit(X[100:])
    _same(model.cluster_centers_, again.cluster_centers_)


def test_nearest_neighbors_rebuilds_its_kd_tree(tmp_path):
    index = NearestNeighbors(n_neighbors=4).fit(X)
    again = _round_trip(index, tmp_path)
    for got, want in zip(again.kneighbors(X_NEW), index.kneighbors(X_NEW)):
        _same(got, want)
    _same(again.radius_neighbors_count(X_NEW, 1.0), index.radius_neighbors_count(X_NEW, 1.0))


def test_evidence_shrinker_round_trip(tmp_path):
    names = np.array(["share_buy", "n_events", "gap_mean_s"])
    counts = np.array([1, 3, 8, 20, 50] * 10)
    values = RNG.uniform(size=(50, 3))
    shrinker = EvidenceShrinker().fit(values, counts, names)
    again = _round_trip(shrinker, tmp_path)
    _same(shrinker.transform(values, counts), again.transform(values, counts))
    # with a value column: the value statistics' evidence column travels too
    names = np.array(["value_mean", "share_value_missing", "gap_mean_s"])
    shrinker = EvidenceShrinker().fit(values, counts, names)
    again = _round_trip(shrinker, tmp_path)
    assert again.valued_column_ == shrinker.valued_column_ == 1
    _same(shrinker.transform(values, counts), again.transform(values, counts))


ENCODERS = [
    CountTimingEncoder(),
    TemporalEncoder(),
    TransitionEncoder(),
    DiversityEncoder(),
    DecayEncoder(),
    MinHashEncoder(),
    AutomationEncoder(),
    RecentChangeEncoder(),
    CountEncoder(unit="item"),
    default_encoder(),
]


@pytest.mark.parametrize("encoder", ENCODERS, ids=lambda e: type(e).__name__)
def test_encoder_round_trip_is_exact(encoder, seqs, tmp_path):
    encoder.set_output(transform="pandas").fit(seqs[:200])
    again = _round_trip(encoder, tmp_path)
    _same(encoder.transform(seqs[200:]), again.transform(seqs[200:]))


@pytest.mark.parametrize("method", METHODS)
def test_pipeline_round_trip_scores_exactly(method, seqs, tmp_path):
    pipe = AnomalyPipeline(method=method).fit(seqs[:200])
    again = _round_trip(pipe, tmp_path)
    assert type(again) is AnomalyPipeline
    _same(pipe.score(seqs[200:]), again.score(seqs[200:]))
    _same(pipe.score(seqs[:200]), again.score(seqs[:200]))


def test_pipeline_fitted_on_normal_round_trip(seqs, tmp_path):
    pipe = AnomalyPipeline().fit(seqs[:200], normal=True)
    again = AnomalyPipeline.load(pipe.save(tmp_path / "normal.oddseq"))
    _same(pipe.score(seqs[200:]), again.score(seqs[200:]))


def test_pipeline_saves_every_fitted_attribute(seqs, tmp_path):
    pipe = AnomalyPipeline(method="kmeans").fit(seqs[:200])
    again = _round_trip(pipe, tmp_path)
    fitted = {k for k in vars(pipe) if k.endswith("_") or k.startswith("_")}
    assert fitted - set(AnomalyPipeline._NOT_SAVED) <= set(vars(again))


def test_the_threshold_record_reads_the_same_after_load(seqs, tmp_path):
    """threshold_info_ round-trips (with "tail_refit", the collapsed cut's diagnosis), and
    a model saved before that key existed reads None for it, as a fit that did not
    refit; pickle the same."""
    import pickle

    pipe = AnomalyPipeline().fit(seqs[:200])
    again = _round_trip(pipe, tmp_path)
    assert again.threshold_info_ == pipe.threshold_info_
    assert "tail_refit" in again.threshold_info_
    old = pipe.__getstate__()
    old["threshold_info_"] = {k: v for k, v in pipe.threshold_info_.items() if k != "tail_refit"}
    before = AnomalyPipeline.__new__(AnomalyPipeline)
    before._from_state(old)
    assert before.threshold_info_["tail_refit"] is None
    assert pickle.loads(pickle.dumps(pipe)).threshold_info_ == pipe.threshold_info_


def test_class_load_checks_the_type(tmp_path):
    path = StandardScaler().fit(X).save(tmp_path / "s.oddseq")
    assert isinstance(StandardScaler.load(path), StandardScaler)
    with pytest.raises(ValueError, match="holds a StandardScaler, not an LOF"):
        LOF.load(path)


def test_the_file_is_an_npz_with_a_json_manifest(tmp_path):
    path = LOF(n_neighbors=5).fit(X).save(tmp_path / "lof.oddseq")
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("oddseq.json"))
    assert manifest["format"] == "oddseq-model"
    assert manifest["format_version"] == _persist.FORMAT_VERSION
    assert manifest["oddseq_version"] == oddseq.__version__
    assert manifest["model"]["__object__"] == "oddseq.detect._neighbors:LOF"
    with np.load(path, allow_pickle=False) as npz:
        assert any(name.startswith("arrays/") for name in npz.files)


@pytest.mark.parametrize(
    "model, output",
    [
        (LOF(n_neighbors=5), "score_samples"),  # holds a NearestNeighbors
        (MinMaxScaler(), "transform"),
        (RobustScaler(), "transform"),
        (PCA(n_components=2), "transform"),
        (Imputer(), "transform"),
        (OutlierClipper(), "transform"),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str) else value,
)
def test_files_naming_a_class_at_its_old_private_module_still_load(tmp_path, model, output):
    # Written before a class moved between private modules: the file names the old one.
    model.fit(X)
    path = model.save(tmp_path / "now.oddseq")
    renamed = []

    def change(manifest):
        text = json.dumps(manifest)
        for old, moved in _persist._MOVED.items():
            if f'"{moved}"' in text:
                renamed.append(moved)
                text = text.replace(f'"{moved}"', f'"{old}"')
        manifest.clear()
        manifest.update(json.loads(text))

    before = _rewrite(path, tmp_path / "before_move.oddseq", change)
    assert renamed
    loaded = oddseq.load(before)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(getattr(loaded, output)(X_NEW), getattr(model, output)(X_NEW))


def test_moved_classes_are_defined_where_the_table_says():
    for old, moved in _persist._MOVED.items():
        cls = _persist._resolve_class(moved)
        assert cls.__qualname__ == old.split(":")[1] == moved.split(":")[1]


# --- refusals -------------------------------------------------------------------------


def _rewrite(path, target, change):
    """Copy the model at path to target with its manifest passed through change."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "oddseq.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
            out.writestr(info.filename, data)
    return target


@pytest.fixture
def saved(tmp_path):
    return RobustZDetector().fit(X).save(tmp_path / "z.oddseq")


def test_other_format_version_is_refused_with_both_versions_named(saved, tmp_path):
    path = _rewrite(saved, tmp_path / "v2.oddseq", lambda m: m.update(format_version=2))
    with pytest.raises(ValueError, match=r"format version 2 .* reads format version 1 only"):
        oddseq.load(path)


def test_other_oddseq_release_is_refused_with_both_versions_named(saved, tmp_path):
    path = _rewrite(saved, tmp_path / "old.oddseq", lambda m: m.update(oddseq_version="0.0.7"))
    with pytest.raises(ValueError, match=rf"oddseq 0\.0\.7; this is oddseq {oddseq.__version__}"):
        oddseq.load(path)


@pytest.mark.parametrize(
    "name",
    [
        "os:system",
        "builtins:eval",
        "oddseq._core:KdTree",
        "oddseq:load",
        "oddseq.nothing:X",
        "oddseq.__main__:main",
        "oddseq.detect._neighbors:np.ndarray",
        "oddseq.detect:LOF.fit",
    ],
)
def test_classes_outside_oddseq_are_never_loaded(saved, tmp_path, name):
    def change(manifest):
        manifest["model"]["__object__"] = name

    path = _rewrite(saved, tmp_path / "evil.oddseq", change)
    with pytest.raises(ValueError, match="not a valid oddseq model file"):
        oddseq.load(path)


def test_pickled_arrays_are_refused(saved, tmp_path):
    target = tmp_path / "pickled.oddseq"
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("arrays/"):
                buffer = io.BytesIO()
                np.save(buffer, np.array([print], dtype=object), allow_pickle=True)
                data = buffer.getvalue()
            out.writestr(info.filename, data)
    with pytest.raises(ValueError, match="Python objects"):
        oddseq.load(target)


@pytest.mark.parametrize("keep", [0, 1, 10, 100, 0.5, 0.9, -30, -1])
def test_truncated_file_is_a_value_error(saved, tmp_path, keep):
    data = saved.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    path = tmp_path / "cut.oddseq"
    path.write_bytes(data[:cut])
    with pytest.raises(ValueError, match="oddseq model file"):
        oddseq.load(path)


@pytest.mark.parametrize("seed", range(8))
def test_corrupted_bytes_are_a_value_error_not_a_crash(saved, tmp_path, seed):
    data = bytearray(saved.read_bytes())
    rng = np.random.default_rng(seed)
    for position in rng.integers(0, len(data), 4):
        data[position] ^= 0xFF
    path = tmp_path / "flipped.oddseq"
    path.write_bytes(bytes(data))
    try:
        model = oddseq.load(path)
    except ValueError:
        return
    model.decision_function(X_NEW)  # a flip in unused bytes may leave a good model


def test_garbage_and_foreign_files_are_value_errors(tmp_path):
    cases = {
        "garbage.oddseq": b"\x00\x01garbage" * 50,
        "empty.oddseq": b"",
        "pickle.oddseq": pickle.dumps(StandardScaler()),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match="not an oddseq model file"):
            oddseq.load(tmp_path / name)
    np.savez(tmp_path / "plain.npz", a=np.arange(3))
    with pytest.raises(ValueError, match="not a readable oddseq model file"):
        oddseq.load(tmp_path / "plain.npz")
    with zipfile.ZipFile(tmp_path / "badjson.oddseq", "w") as archive:
        archive.writestr("oddseq.json", "{not json")
    with pytest.raises(ValueError, match="not a readable oddseq model file"):
        oddseq.load(tmp_path / "badjson.oddseq")
    with pytest.raises(FileNotFoundError):
        oddseq.load(tmp_path / "missing.oddseq")


def test_unsaveable_values_are_named_and_nothing_is_written(tmp_path):
    pipe = AnomalyPipeline()
    pipe.item_categories = lambda item: item  # not data: cannot be saved without pickle
    with pytest.raises(TypeError, match="cannot save an object of type builtins.function"):
        pipe.save(tmp_path / "p.oddseq")
    assert list(tmp_path.iterdir()) == []


def test_save_into_a_missing_folder_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        StandardScaler().fit(X).save(tmp_path / "no" / "such" / "s.oddseq")


def test_every_kind_of_value_round_trips(tmp_path):
    model = StandardScaler().fit(X)
    model.zoo_ = {
        "strings": np.array(["", "é", "x" * 10_000, "a\udcff"], dtype=object),
        "mixed": np.array([1, "a", None, np.nan, (1, 2), pd.Timestamp("2024-01-01")], dtype=object),
        "floats": [np.nan, np.inf, -np.inf, 1e-310, 0.1],
        "scalars": (np.float32(0.1), np.int8(-3), np.bool_(True), np.str_("s"), np.uint64(2**63)),
        "dtypes": [np.dtype("float32"), np.float64, np.dtype("<U3")],
        "keys": {1: "int key", (2, "b"): "tuple key", "__x": "dunder key"},
        "sets": [{1, 2}, frozenset({"a"})],
        "pandas": [
            pd.Index(["a", "b"], name="ids"),
            pd.Index(["a", "b"], dtype=object),
            pd.RangeIndex(3, 9, 2, name="r"),
            pd.MultiIndex.from_tuples([("a", 0), ("b", 1)], names=["user", "session"]),
            pd.Series(pd.Categorical(["x", "y", "x"]), name="cat"),
            pd.Series([1, None, 3], dtype="Int64"),
            pd.Series(pd.to_datetime([0, 10**9]).tz_localize("UTC").tz_convert("Asia/Tokyo")),
            pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"], 3: [True, False]}, index=[7, 8]),
            pd.Timestamp("2020-02-02 10:00", tz="Europe/Paris"),
            pd.Timedelta("3h"),
            pd.NaT,
            pd.NA,
        ],
        "random": (np.random.RandomState(3), np.random.default_rng(4)),
        "bytes": b"\x00\xff",
        "big": 2**80,
        "empty": np.array([], dtype=object),
        "matrix": np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2],
        "datetimes": np.array(["2024-01-01", "NaT"], dtype="datetime64[ns]"),
    }
    shared = np.arange(5)
    model.shared_ = (shared, shared)
    again = _round_trip(model, tmp_path).zoo_
    zoo = model.zoo_
    assert again["strings"].tolist() == zoo["strings"].tolist()
    assert again["mixed"][:3].tolist() == [1, "a", None] and np.isnan(again["mixed"][3])
    assert again["mixed"][4:].tolist() == zoo["mixed"][4:].tolist()
    np.testing.assert_array_equal(again["floats"], zoo["floats"])
    for got, want in zip(again["scalars"], zoo["scalars"]):
        assert type(got) is type(want) and got == want
    assert again["dtypes"] == zoo["dtypes"] and again["keys"] == zoo["keys"]
    assert again["sets"] == zoo["sets"] and type(again["sets"][1]) is frozenset
    for got, want in zip(again["pandas"][:8], zoo["pandas"][:8]):
        assert type(got) is type(want) and got.equals(want)
        if hasattr(want, "dtype"):
            assert got.dtype == want.dtype
        if isinstance(want, pd.Index):
            assert got.names == want.names
    assert again["pandas"][8:10] == zoo["pandas"][8:10] and again["pandas"][10] is pd.NaT
    assert again["pandas"][11] is pd.NA
    assert again["random"][0].randint(10**9) == zoo["random"][0].randint(10**9)
    assert again["random"][1].integers(10**9) == zoo["random"][1].integers(10**9)
    assert again["bytes"] == zoo["bytes"] and again["big"] == 2**80
    assert again["empty"].dtype == object and again["empty"].shape == (0,)
    np.testing.assert_array_equal(again["matrix"], zoo["matrix"], strict=True)
    np.testing.assert_array_equal(again["datetimes"], zoo["datetimes"], strict=True)
