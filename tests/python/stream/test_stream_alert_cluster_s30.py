"""The stream's alerts take the K-means reference cluster from the explanation (H5 s30,
H2 s29's note): the C++ explanation says each entity's reference cluster (the centre
K-means scores it against: its nearest, or the nearest large one), as the detector's
Python explanation says it in its ``cluster`` column, so wording an alert no longer
searches the centres a second time (``_core.assign_nearest`` per alert: 5-6 ms of wall
with two OpenMP threads on a loaded machine); the words stay the same."""

import warnings

import numpy as np
import pytest

from oddseq import AnomalyPipeline, _reasons
from oddseq.datasets import make_ecommerce
from oddseq.detect import KMeansDetector
from oddseq.detect._neighbors import explained_with_rows
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer
from oddseq.stream._scorer import _hash_keys, _ranks_of

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")
COLUMNS = list(ROLES.values())
pytestmark = pytest.mark.filterwarnings("ignore:.*flagged against")


@pytest.fixture(scope="module")
def logs():
    fit = make_ecommerce(n_users=300, random_state=533).events
    log = make_ecommerce(n_users=300, random_state=534).events
    return fit, log.sort_values("timestamp", kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def pipes(logs):
    fit, _ = logs
    seqs = Sequences.from_events(fit, **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            m: AnomalyPipeline(method=m, false_alarm_rate=0.1).fit(seqs)
            for m in ("kmeans", "auto", "robust_z")
        }


def _streamed(pipe, log):
    live = StreamScorer(pipe, **ROLES, reasons="all")
    alerts = live.update(log).alerts
    keys = np.ascontiguousarray(_hash_keys(log["user_id"].unique()), dtype=np.uint64)
    return live, alerts, keys


def _reference(pipe, raw, lengths) -> np.ndarray:
    """The K-means member's reference cluster of each row, found as the detector finds
    it (``assign_nearest`` over the centres, then over the large ones)."""
    det = _reasons.kmeans_member(pipe)
    return det._scores_and_reference(pipe._scaled(raw, lengths))[1]


def _worded_without(live, pipe, keys, left_out):
    """The alerts' words of ``keys`` from the C++ explanation with its ``left_out``
    entry ("cluster" or "member") dropped: the path that finds it again (with the
    largest value's type named as the alerts name it, ``_value_types``)."""
    raw, lengths, _, _, codes = live._raw(keys, codes=True)
    explanation = live._store.explain(live._model, keys, _reasons.TABLE_FEATURES)
    ranks = _ranks_of(explanation)
    del ranks[left_out]
    top = explanation.columns.shape[1]
    words = _reasons.alert_reasons_at(
        pipe,
        np.repeat(np.arange(len(keys)), top),
        explanation.columns.ravel(),
        explanation.typical.ravel(),
        raw,
        lengths,
        ranks,
    )
    return live._value_types(words, codes)


@pytest.mark.parametrize("method", ["kmeans", "auto"])
def test_the_explanation_says_each_entitys_reference_cluster(pipes, logs, method):
    """Every tracked entity's C++ explanation says its reference cluster at each of its
    positions: the one assign_nearest finds for its scaled row (in an ensemble, where
    the K-means member explains the row; -1 where another does, as the batch
    explanation's NaN: H6 s32); an unknown entity says -1."""
    pipe = pipes[method]
    live, _, keys = _streamed(pipe, logs[1])
    keys = np.r_[keys, np.uint64(12345)]  # never seen
    explanation = live._store.explain(live._model, keys, _reasons.TABLE_FEATURES)
    cluster = explanation.cluster
    assert cluster.shape == explanation.columns.shape and cluster.dtype == np.int64
    assert (cluster == cluster[:, :1]).all()
    assert (cluster[-1] == -1).all() and not explanation.found[-1]
    raw, lengths, found, _ = live._raw(keys[:-1])
    assert found.all()
    reference = _reference(pipe, raw, lengths)
    det = _reasons.kmeans_member(pipe)
    members = [d for _, d in getattr(pipe.detector_, "detectors_", [("", pipe.detector_)])]
    by_kmeans = np.array([members[m] is det for m in explanation.member[:-1, 0]])
    assert by_kmeans.sum() >= 40
    reference = np.where(by_kmeans, reference, -1)
    np.testing.assert_array_equal(cluster[:-1, 0], reference)
    reference = reference[by_kmeans]
    # not every entity's nearest centre: small clusters send some to a large one
    assert det.large_clusters_[reference].all()


def test_without_kmeans_the_explanation_says_no_cluster(pipes, logs):
    live, _, keys = _streamed(pipes["robust_z"], logs[1])
    explanation = live._store.explain(live._model, keys, 2)
    assert (explanation.cluster == -1).all()
    assert np.isnan(_ranks_of(explanation)["cluster"]).all()


def test_the_line_reader_says_each_alerts_reference_cluster(pipes, logs):
    """The CLI's C++ line reader: each alert's cluster is that of its entity's row as it
    stood right after its line."""
    pipe = pipes["kmeans"]
    log = logs[1]
    live = StreamScorer(pipe, **ROLES)
    feed = live._line_feed(",", COLUMNS)
    data = log[COLUMNS].to_csv(index=False, header=False).encode()
    # every line in one call, the alerts gathered (each worded as it stood then)
    run = feed.feed(live._store, live._model, data, 0, _reasons.TABLE_FEATURES, 10**15)
    assert run.stop == 0 and run.offset == len(data) and len(run.key) >= 10
    cluster = run.cluster
    assert cluster.shape == run.columns.shape and (cluster == cluster[:, :1]).all()
    rows, lengths = run.rows[:, live._columns], run.length
    np.testing.assert_array_equal(cluster[:, 0], _reference(pipe, rows, lengths))


@pytest.fixture
def no_search(monkeypatch):
    """Counts the K-means centre searches (``_scores_and_reference``) made meanwhile."""
    calls = []
    original = KMeansDetector._scores_and_reference

    def counted(self, X):
        calls.append(len(X))
        return original(self, X)

    monkeypatch.setattr(KMeansDetector, "_scores_and_reference", counted)
    return calls


@pytest.mark.parametrize("method", ["kmeans", "auto"])
def test_an_alert_is_worded_without_a_second_search(pipes, logs, method, no_search):
    """Wording alerts from the C++ explanation searches no centre, and says what the
    search would have said: the words of the explanation without its clusters (the
    reasons then find them again) are the same, entity by entity (every tracked one,
    worded alone as an alert is; those flagged as update worded them)."""
    pipe = pipes[method]
    live, alerts, keys = _streamed(pipe, logs[1])
    no_search.clear()
    words = [live._alert_reasons(keys[i : i + 1])[0] for i in range(len(keys))]
    assert no_search == []
    flagged = np.ascontiguousarray(_hash_keys(alerts.index.to_numpy()), dtype=np.uint64)
    assert len(flagged) >= 10
    alone = dict(zip(keys.tolist(), words))
    assert [alone[k] for k in flagged.tolist()] == alerts["reason"].tolist()
    # the same words with the cluster found again (the path before H5 s30)
    again = _worded_without(live, pipe, keys, "cluster")
    assert len(no_search) == 1  # (that path searched)
    assert again.tolist() == words
    # the words said the clusters' own medians
    assert sum("entities like it have" in w for w in words) >= 10


@pytest.mark.parametrize("method", ["kmeans", "auto"])
def test_the_python_path_takes_the_explanations_clusters(pipes, logs, method, no_search):
    """The detector's own explanation (the stream's path where C++ does not score) has
    the cluster already: alert_reasons takes it, as the batch table's reasons do, and
    searches no centre again; the words are the C++ path's, entity by entity."""
    pipe = pipes[method]
    live, _, keys = _streamed(pipe, logs[1])
    raw, lengths, _, _, codes = live._raw(keys, codes=True)
    X = pipe._scaled(raw, lengths)
    explained, chosen = explained_with_rows(
        pipe.detector_, X, _reasons.TABLE_FEATURES, pipe.feature_names_
    )
    assert np.isfinite(_reasons._clusters_of(explained)).sum() >= 40
    no_search.clear()
    words = _reasons.alert_reasons(pipe, explained, raw, lengths, chosen)
    assert no_search == []
    assert sum("entities like it have" in w for w in words) >= 10
    assert live._value_types(words, codes).tolist() == live._alert_reasons(keys).tolist()


@pytest.mark.parametrize("method", ["auto", "kmeans", "robust_z"])
def test_the_explanation_says_which_member_explains(pipes, logs, method):
    """The C++ explanation says the member that explains each entity (its index among
    the ensemble's members, 0 for one detector), as the detector's own explanation
    names it in ``detector``; -1 for an unknown entity."""
    pipe = pipes[method]
    live, _, keys = _streamed(pipe, logs[1])
    keys = np.r_[keys, np.uint64(12345)]  # never seen
    explanation = live._store.explain(live._model, keys, _reasons.TABLE_FEATURES)
    member = explanation.member
    assert member.shape == explanation.columns.shape and member.dtype == np.int64
    assert (member == member[:, :1]).all() and (member[-1] == -1).all()
    if method != "auto":
        assert (member[:-1] == 0).all()
        return
    raw, lengths, _, _ = live._raw(keys[:-1])
    explained = pipe.detector_.explain(pipe._scaled(raw, lengths), top=1)
    names = [name for name, _ in pipe.detector_.detectors_]
    lead = [names.index(name) for name in explained["detector"]]
    np.testing.assert_array_equal(member[:-1, 0], lead)
    assert len(set(lead)) == 3  # each member leads some entity


@pytest.mark.parametrize("method", ["auto", "kmeans"])
def test_the_words_follow_the_member_that_explains(pipes, logs, method, monkeypatch):
    """Wording alerts from the C++ explanation takes the typical values' words from the
    member that explains (no guess from the typical values, typical_words_at) and finds
    the features' values of like length once; the words are those of the guess,
    entity by entity."""
    pipe = pipes[method]
    live, _, keys = _streamed(pipe, logs[1])
    calls = {"guess": 0, "like_length": 0}
    guess, like_length = _reasons.typical_words_at, _reasons._like_length

    def guessed(*args, **kwargs):
        calls["guess"] += 1
        return guess(*args, **kwargs)

    def like_lengths(*args, **kwargs):
        calls["like_length"] += 1
        return like_length(*args, **kwargs)

    monkeypatch.setattr(_reasons, "typical_words_at", guessed)
    monkeypatch.setattr(_reasons, "_like_length", like_lengths)
    words = [live._alert_reasons(keys[i : i + 1])[0] for i in range(len(keys))]
    assert calls == {"guess": 0, "like_length": len(keys)}
    again = _worded_without(live, pipe, keys, "member")
    assert calls["guess"] == 1
    assert again.tolist() == words
    said = " ".join(words)
    assert "entities like it have" in said and (method == "kmeans" or "typical" in said)
