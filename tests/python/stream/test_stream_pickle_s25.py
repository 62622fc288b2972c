"""A StreamScorer checkpointed mid-stream (pickle, copy) and resumed goes on exactly as
the one that ran through: the same alerts, reasons, scores, answers, warnings,
counters and features on the rest of the stream (session 25, H1; #14 "Left"). The C++
entity state travels as versioned, checksummed bytes: a truncated, altered or foreign
state is refused with words, never read."""

import concurrent.futures
import copy
import io
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline, _core
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")
UNSEEN = ["refund", "chargeback", "login"]


def _log(seed, n_users):
    return make_ecommerce(n_users=n_users, random_state=seed).events


@pytest.fixture(scope="module")
def fitted():
    """A shop's pipelines (data seed 228): the default, one that scores in Python
    (knn) and one with recent_change; the stream: another shop's log (seed 229) in time
    order with events of types never seen, repeated rows and a few late events."""
    log = _log(228, 250)
    seqs = Sequences.from_events(log, **ROLES)
    pipes = {
        "auto": AnomalyPipeline(contamination=0.05, random_state=0).fit(seqs),
        "knn": AnomalyPipeline(method="knn", contamination=0.05, random_state=0).fit(seqs),
        "change": AnomalyPipeline(recent_change=True, contamination=0.05, random_state=0).fit(seqs),
    }
    assert "count[<other>]" in pipes["auto"].feature_names_
    stream = _log(229, 300).sort_values("timestamp", kind="stable").reset_index(drop=True)
    rng = np.random.default_rng(229)
    stream["behavior"] = stream["behavior"].astype(object)
    # A few events of types never seen anywhere, and users made mostly of them (their
    # alerts' reasons name the types kept for them).
    users = rng.choice(stream["user_id"].unique(), 8, replace=False)
    odd = (rng.random(len(stream)) < 0.06) | (
        stream["user_id"].isin(users).to_numpy() & (rng.random(len(stream)) < 0.6)
    )
    stream.loc[odd, "behavior"] = rng.choice(UNSEEN, int(odd.sum()))
    again = stream.sample(200, random_state=229)  # rows sent twice
    stream = pd.concat([stream, again]).sort_values("timestamp", kind="stable")
    return pipes, stream.reset_index(drop=True)


def _late(stream):
    """The stream with one event in 50 a minute late (lateness places most of them)."""
    times = stream["timestamp"].to_numpy().copy()
    times[::50] -= 60
    return stream.assign(timestamp=times)


SETTINGS = {
    "auto": dict(lateness=120, ttl="6h", max_entities=120, max_exact_items=8, reasons="all"),
    "auto_duplicates": dict(ttl="1d", max_exact_items=4, drop_duplicates=True),
    "knn": dict(max_entities=200),
    "change": dict(ttl="3h", max_exact_items=16, max_entities=150),
}


def _pipe(pipes, case):
    return pipes[case.split("_")[0]]


def _stream(stream, case):
    return _late(stream) if SETTINGS[case].get("lateness") else stream


def _run(scorer, stream, cut=None, through=None):
    """Feed the stream in parts (batches, and every third part one event at a time);
    before part ``cut``, the scorer goes ``through`` a round trip. What came out:
    every part's scores and alerts (as text: exact), each event's answer, the warnings."""
    parts = np.array_split(np.arange(len(stream)), 12)
    said = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i, rows in enumerate(parts):
            if i == cut:
                scorer = through(scorer)
            part = stream.iloc[rows]
            if i % 3 == 2:
                for row in part[list(ROLES.values())].itertuples(index=False):
                    said.append(repr(tuple(scorer.update_one(*row))))
            else:
                out = scorer.update(part)
                said.append(out.scores.to_csv())
                said.append(out.alerts.to_csv())
                said.append((out.n_late_dropped, out.n_invalid, out.n_duplicates))
    return scorer, said, [f"{w.category.__name__}: {w.message}" for w in caught]


def _pickled(scorer):
    return pickle.loads(pickle.dumps(scorer, protocol=5))


def _same_end(a, b, stream):
    assert a.counters == b.counters
    assert a.threshold_ == b.threshold_ and a.threshold_history_ == b.threshold_history_
    ids = stream["user_id"].unique()
    pd.testing.assert_frame_equal(a.features(ids), b.features(ids))


@pytest.fixture(scope="module")
def straight_runs(fitted):
    """``straight_runs(case, stream)``: the scorer of ``case`` run through ``stream``
    without a break, run once per case for the three round trips compared with it (its
    scorer is only read after)."""
    pipes, _ = fitted
    done = {}

    def run(case, stream):
        if case not in done:
            done[case] = _run(StreamScorer(_pipe(pipes, case), **ROLES, **SETTINGS[case]), stream)
        return done[case]

    return run


@pytest.mark.parametrize("case", list(SETTINGS))
@pytest.mark.parametrize(
    "through", [_pickled, copy.deepcopy, copy.copy], ids=["pickle5", "deepcopy", "copy"]
)
def test_resumed_scorer_gives_the_alerts_of_the_one_that_ran_through(
    fitted, straight_runs, case, through
):
    pipes, stream = fitted
    stream = _stream(stream, case)
    straight, said, warned = straight_runs(case, stream)
    resumed, said_too, warned_too = _run(
        StreamScorer(_pipe(pipes, case), **ROLES, **SETTINGS[case]), stream, cut=5, through=through
    )
    assert said_too == said
    assert warned_too == warned
    _same_end(resumed, straight, stream)
    # The stream exercised what the state keeps.
    counters = straight.counters
    assert straight._unseen_types.by_key  # kept for reasons
    assert any("types the model never saw (refund, login" in w for w in warned)  # after the cut
    if case == "knn":  # alerts' reasons name them
        assert any("refund" in s or "chargeback" in s or "login" in s for s in said[10:])
    if case.startswith("auto") or case == "change":
        assert counters["n_evicted_ttl"] + counters["n_evicted_cap"] > 0
    if case == "auto":
        assert counters["n_late_accepted"] > 0
    if case == "auto_duplicates":
        assert counters["n_duplicates_dropped"] > 0


def test_a_copy_is_independent_of_its_original(fitted):
    pipes, stream = fitted
    scorer = StreamScorer(pipes["auto"], **ROLES)
    scorer.update(stream.iloc[:3000])
    before = scorer.counters
    for twin in (copy.copy(scorer), copy.deepcopy(scorer), _pickled(scorer)):
        twin.update(stream.iloc[3000:4000])
        assert scorer.counters == before
        assert twin.counters["n_events"] > before["n_events"]
        assert twin._store is not scorer._store
    assert copy.copy(scorer).pipeline is scorer.pipeline  # shared: scoring only reads it


def test_a_new_scorer_and_a_scorer_pickled_twice_resume(fitted):
    pipes, stream = fitted
    fresh = _pickled(StreamScorer(pipes["change"], **ROLES))
    assert fresh.counters["n_entities"] == 0 and fresh.scores_in_cpp_
    straight, said, _ = _run(StreamScorer(pipes["change"], **ROLES), stream)
    twice, said_too, _ = _run(fresh, stream, cut=7, through=lambda s: _pickled(_pickled(s)))
    assert said_too == said
    _same_end(twice, straight, stream)


def test_a_finished_refit_is_kept_and_a_running_one_refused(fitted):
    pipes, stream = fitted
    scorer = StreamScorer(pipes["auto"], **ROLES)
    scorer.update(stream.iloc[:4000])
    scorer.refit(stream.iloc[:4000]).result()  # done, not yet taken
    twin = _pickled(scorer)
    scorer.update(stream.iloc[4000:5000])
    twin.update(stream.iloc[4000:5000])
    assert len(scorer.threshold_history_) == 1
    assert twin.threshold_history_ == scorer.threshold_history_
    assert twin.threshold_ == scorer.threshold_
    scorer._refit = concurrent.futures.Future()  # a refit still running
    with pytest.raises(RuntimeError, match="background refit is running.*wait for it"):
        pickle.dumps(scorer)


def _state(pipes):
    scorer = StreamScorer(pipes["change"], **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (this log's own: not what is tested here)
        scorer.update(_log(229, 100).sort_values("timestamp", kind="stable"))
    return scorer, scorer._store.__getstate__()


def _read(blob):
    store = _core.StreamEntityStore.__new__(_core.StreamEntityStore)
    store.__setstate__(blob)
    return store


def test_a_damaged_state_is_refused_with_words(fitted):
    pipes, _ = fitted
    scorer, blob = _state(pipes)
    assert _read(blob).counters() == scorer._store.counters()
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 0x10
    for bad, words in (
        (blob[: len(blob) // 3], r"truncated: \d+ of its \d+ bytes"),
        (blob[:20], "truncated"),
        (bytes(flipped), "altered or damaged: its checksum"),
        (blob + b"\0", "1 bytes more than it holds"),
        (b"", "foreign bytes"),
        (pickle.dumps(scorer.pipeline)[:4000], "foreign bytes"),
        # (checkpoints of the formats before the sixtieth session's and this one's)
        (blob[:8] + b"\x01" + blob[9:], r"format version 1; this oddseq reads version 3 only \("),
        (blob[:8] + b"\x02" + blob[9:], r"format version 2; this oddseq reads version 3 only \("),
    ):
        with pytest.raises(ValueError, match=words):
            _read(bad)
    with pytest.raises(TypeError):
        _read("not bytes")


def test_a_damaged_pickle_is_refused_with_words(fitted):
    pipes, _ = fitted
    scorer, blob = _state(pipes)
    data = bytearray(pickle.dumps(scorer, protocol=5))
    at = bytes(data).find(blob[:200])
    assert at > 0
    data[at + len(blob) // 2] ^= 0x01
    with pytest.raises(ValueError, match="pickled entity state cannot be read back: .*checksum"):
        pickle.loads(bytes(data))
    state = scorer.__getstate__()
    for change, words in (
        ({"_checkpoint": (99, "0.1.0")}, "checkpoint format 99"),
        ({"_checkpoint": (1, "7.3.0")}, "pickled by oddseq 7.3.0"),
        ({"_store": None}, "holds no entity state"),
    ):
        fresh = StreamScorer.__new__(StreamScorer)
        with pytest.raises(ValueError, match=words):
            fresh.__setstate__({**state, **change})


def test_the_state_is_bytes_of_a_bounded_size(fitted):
    """The pickled state, for the report: bytes an entity against memory_bytes()."""
    pipes, stream = fitted
    scorer = StreamScorer(pipes["auto"], **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the stream's unseen types: said above)
        scorer.update(stream)
    n = scorer.counters["n_entities"]
    blob = scorer._store.__getstate__()
    assert isinstance(blob, bytes)
    assert len(blob) < 2 * scorer.memory_bytes(), (len(blob), scorer.memory_bytes(), n)
    buffer = io.BytesIO()
    pickle.dump(scorer, buffer, protocol=5)
    assert len(buffer.getvalue()) > len(blob)
