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
import pandas as pd
import pytest

from oddseq import AnomalyPipeline, _reasons
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer
from oddseq.stream._checks import RUN_KEPT, in_run
from oddseq.stream._cli import _Repeats
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


# ---- A batch delivered again in part: its events sharing a time (drop_duplicates)

EVENT_COLUMNS = list(ROLES.values())


def _scorer(pipe, **options):
    return StreamScorer(pipe, **ROLES, **options)


def _hourly(log, n=3_000):
    """The first ``n`` events of the log with times cut to the hour (many of an entity's
    events share a time, as a producer's batch stamped once), in time order."""
    log = log.iloc[:n][EVENT_COLUMNS].copy()
    log["timestamp"] = log["timestamp"] // 3600 * 3600
    return log.sort_values("timestamp", kind="stable").reset_index(drop=True)


def _redelivered(log, size=250, tail=60):
    """The log sent in batches of ``size``, each followed by its last ``tail`` events
    sent again (a producer's retry of the part it saw no answer for)."""
    batches = []
    for at in range(0, len(log), size):
        batch = log.iloc[at : at + size]
        batches += [batch, batch.iloc[-tail:]]
    return batches


def test_a_partial_redelivery_at_equal_times_is_dropped(pipes, logs):
    """Each batch's tail sent again: its events at their entity's latest time equal one
    of the events of that time (not only the previous one: A, B, A, B) and are dropped;
    the others are older than their entity's latest event and too late. The entities'
    features are those of the log sent once, by update and by update_one; without
    drop_duplicates the repeats count twice (no stream can tell them from real events
    without an event id), and the warning counts them."""
    pipe = pipes["kmeans"]
    log = _hourly(logs[1])
    batches = _redelivered(log)
    once = _scorer(pipe, drop_duplicates=True)
    once.update(log)
    dropping = _scorer(pipe, drop_duplicates=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # dropped: nothing to warn of
        updates = [dropping.update(b) for b in batches]
    users = log["user_id"].unique()
    pd.testing.assert_frame_equal(dropping.features(users), once.features(users))
    n_again = sum(len(b) for b in batches[1::2])
    n_dropped = sum(u.n_duplicates for u in updates)
    n_late = dropping.counters["n_late_dropped"] - once.counters["n_late_dropped"]
    own = once.counters["n_duplicates_dropped"]  # the log's own (two views of an hour)
    assert own > 0 and n_dropped - own + n_late == n_again
    # (the previous event alone would have kept many: A, B of one time sent again)
    kept = {}
    first_only = 0
    for b in batches:
        for row in b.itertuples(index=False):
            key, rest = row.user_id, (row.behavior, row.timestamp, row.item_id, row.price)
            first_only += kept.get(key) == rest
            kept[key] = rest
    assert n_dropped > first_only + 20
    # one event at a time (oddseq stream --drop-duplicates' path): the same
    single = _scorer(pipe, drop_duplicates=True)
    for b in batches[:8]:
        for row in b.itertuples(index=False):
            single.update_one(row.user_id, row.behavior, row.timestamp, row.item_id, row.price)
    sent = pd.concat(batches[:8:2])
    first = _scorer(pipe, drop_duplicates=True)
    first.update(sent)
    some = sent["user_id"].unique()
    pd.testing.assert_frame_equal(single.features(some), first.features(some))
    # without drop_duplicates: counted twice, and warned of
    counting = _scorer(pipe)
    with pytest.warns(DataWarning, match="or another of its events at the same time"):
        for b in batches:
            counting.update(b)
    assert (counting.features(users)["length"] >= once.features(users)["length"]).all()
    assert counting.counters["n_events"] > once.counters["n_events"]


def _frame(rows):
    return pd.DataFrame(rows, columns=EVENT_COLUMNS)


def test_what_the_stream_can_and_cannot_tell(pipes):
    """Two equal events in one time are one (as the batch's ``df.drop_duplicates()``
    takes them: no stream tells a row sent twice from two real ones without an event
    id), an entity's A, B, A of one time included; an event equal to one at an earlier
    time of its entity (A at 5, B at 6, A at 5 again) is not compared: too late, or
    placed by ``lateness`` and counted."""
    pipe = pipes["kmeans"]
    a, b = (1, "pv", 5, 10, 2.0), (1, "cart", 5, 11, 3.0)
    same = _scorer(pipe, drop_duplicates=True)
    assert same.update(_frame([a, b, a])).n_duplicates == 1
    assert same.update(_frame([b, a])).n_duplicates == 2
    assert same.update_one(*b).length == 2 and same.counters["n_duplicates_dropped"] == 4
    resumed = copy.deepcopy(same)  # a checkpoint keeps the run
    assert resumed.update_one(*a).length == 2 and resumed.counters["n_duplicates_dropped"] == 5
    frame = _frame([a, b, a, b, a])
    assert len(frame.drop_duplicates()) == 2  # the batch's rule: one each
    later = (1, "fav", 6, 12, 4.0)
    placed = _scorer(pipe, drop_duplicates=True, lateness="10s")
    placed.update(_frame([a, later]))
    assert placed.update(_frame([a])).n_duplicates == 0  # the entity moved on
    assert placed.counters["n_events"] == 3
    strict = _scorer(pipe, drop_duplicates=True)
    strict.update(_frame([a, later]))
    assert strict.update(_frame([a])).n_late_dropped == 1  # too late, not counted
    assert strict.counters["n_events"] == 2


def test_a_run_keeps_its_newest_events():
    """An entity's run of one time keeps its newest RUN_KEPT events: the common entity
    one tuple, as before runs."""
    kept = {}
    assert not in_run(kept, 1, ("pv", 5), 1)
    assert kept[1] == ("pv", 5)
    assert in_run(kept, 1, ("pv", 5), 1)
    for k in range(RUN_KEPT + 1):
        assert not in_run(kept, 1, (k, 5), 1)
    assert not in_run(kept, 1, ("pv", 5), 1)  # the oldest left the run
    assert in_run(kept, 1, (RUN_KEPT, 5), 1)
    assert not in_run(kept, 1, (RUN_KEPT, 6), 1) and kept[1] == (RUN_KEPT, 6)


def test_the_shell_counts_a_redelivered_part_as_repeats():
    """oddseq stream's repeats count lines equal to another of their entity's lines at
    the same time (A, B, A, B), not only the previous one."""
    repeats = _Repeats(["user", "event", "time", "item"], at=1)
    lines = [["u1", "u1", "u1", "u1"], ["pv", "cart", "pv", "cart"], ["5"] * 4, ["a", "b"] * 2]
    repeats.take(lines, [1, 2, 3, 4])
    assert (repeats.n_seen, repeats.n_repeated) == (4, 2)
