"""The stream, session 32 (H6).

The K-means reference cluster of an explained alert (review s30 L4): the C++ explanation
says it only where the member that explains is K-means (-1 elsewhere, as the batch
explanation's ``cluster`` is NaN on the rows another member explains), found once, and
on near-tied centres it names the centre the batch path names
(``KMeansDetector._scores_and_reference``: the float32 row and centres, the same
squared-distance kernel, the lower centre on a tie)."""

import copy
import warnings

import numpy as np
import pytest

from oddseq import AnomalyPipeline, _reasons
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer
from oddseq.stream._scorer import _hash_keys

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")
pytestmark = pytest.mark.filterwarnings("ignore:.*flagged against")


@pytest.fixture(scope="module")
def logs():
    fit = make_ecommerce(n_users=300, random_state=647).events
    log = make_ecommerce(n_users=300, random_state=648).events
    return fit, log.sort_values("timestamp", kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def pipes(logs):
    seqs = Sequences.from_events(logs[0], **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            m: AnomalyPipeline(method=m, false_alarm_rate=0.1).fit(seqs) for m in ("kmeans", "auto")
        }


def _explained(pipe, log):
    """The stream's C++ explanation of every entity of ``log``, its rows and lengths."""
    live = StreamScorer(pipe, **ROLES)
    live.update(log)
    keys = np.ascontiguousarray(_hash_keys(log["user_id"].unique()), dtype=np.uint64)
    raw, lengths, found, _ = live._raw(keys)
    assert found.all()
    return live._store.explain(live._model, keys, _reasons.TABLE_FEATURES), raw, lengths


def test_the_cluster_is_said_only_where_kmeans_explains(pipes, logs):
    """An ensemble's alert says its K-means reference cluster where K-means explains it
    and -1 where another member does: the batch explanation's ``cluster`` (NaN there),
    entity by entity."""
    pipe = pipes["auto"]
    explanation, raw, lengths = _explained(pipe, logs[1])
    batch = pipe.detector_.explain(pipe._scaled(raw, lengths), top=1)
    expected = np.nan_to_num(batch["cluster"].to_numpy(np.float64), nan=-1).astype(np.int64)
    names = [name for name, _ in pipe.detector_.detectors_]
    lead = np.array([names.index(name) for name in batch["detector"]])
    det = _reasons.kmeans_member(pipe)
    kmeans = [i for i, (_, d) in enumerate(pipe.detector_.detectors_) if d is det]
    assert np.isin(lead, kmeans).any() and not np.isin(lead, kmeans).all()
    np.testing.assert_array_equal(explanation.member[:, 0], lead)
    np.testing.assert_array_equal(explanation.cluster[:, 0], expected)
    assert (explanation.cluster == explanation.cluster[:, :1]).all()


def _tied(pipe, X, rows):
    """A copy of the K-means pipeline whose centres put each of ``rows`` of X (scaled,
    float32) midway between two large centres: an exact tie for the first row (centres
    x + h and x - h on the coordinates where both are exact in float32, x elsewhere)
    and, for the others, the later centre nearer by one float32 step of one coordinate;
    every cluster large."""
    pipe = copy.deepcopy(pipe)
    det = _reasons.kmeans_member(pipe)
    centers = det.kmeans_.cluster_centers_.copy()
    assert centers.dtype == np.float32 and centers.shape[0] >= 2 * len(rows)
    h = np.float32(2.0**-6)
    for n, r in enumerate(rows):
        x = X[r]
        exact = ((x + h) - x == h) & (x - (x - h) == h)
        assert exact.sum() >= 3
        a, b = 2 * n, 2 * n + 1
        centers[a] = np.where(exact, x + h, x)
        centers[b] = np.where(exact, x - h, x)
        if n > 0:  # one step nearer to the later centre on one coordinate
            j = np.flatnonzero(exact)[0]
            centers[b, j] = np.nextafter(centers[b, j], x[j])
    det.kmeans_.cluster_centers_ = centers
    det.large_clusters_ = np.ones(centers.shape[0], dtype=bool)
    return pipe, det


def test_near_tied_centres_name_the_batch_paths_cluster(pipes, logs):
    """At an exact tie between two centres and a tie broken by one float32 step, the
    stream names the centre the batch path names (the lower one on the exact tie, the
    nearer one otherwise), and so for every other entity."""
    pipe, log = pipes["kmeans"], logs[1]
    _, raw, lengths = _explained(pipe, log)
    X = pipe._scaled(raw, lengths)
    rows = [0, 1, 2]
    tied, det = _tied(pipe, X, rows)
    explanation, raw_again, _ = _explained(tied, log)
    np.testing.assert_array_equal(raw_again, raw)
    batch = det._scores_and_reference(X)[1]
    assert batch[rows].tolist() == [0, 3, 5]
    np.testing.assert_array_equal(explanation.cluster[:, 0], batch)
