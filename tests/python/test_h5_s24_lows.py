"""H5's session-24 review, LOWs 1, 3 and 4 (session 25, H4): a side table keyed by the
entity id that covers few entities is not blamed on its index; "an LSTMDetector" (the
article by sound); a windows model of an entity column named ``window_start`` is still a
windows model to the stream. (LOW 2, e16e46e's test: in test_newuser_s24_h6.py.) Data
seed 236."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def weeks():
    """(last week, this week): the first and second half of one shop's days (most users
    act in both)."""
    log = make_ecommerce(n_users=300, random_state=236).events
    cut = log["timestamp"].quantile(0.5)
    return log[log["timestamp"] < cut], log[log["timestamp"] >= cut]


def _part_table(log, share):
    """A side table indexed by 'user_id' with rows for the first ``share`` of the log's
    users only."""
    ids = pd.Index(log["user_id"].unique(), name="user_id")
    ids = ids[: int(share * ids.size)]
    return pd.DataFrame({"age": np.random.default_rng(236).normal(40, 9, ids.size)}, index=ids)


def _said(call, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(*args, **kwargs)
    return " ".join(str(w.message) for w in caught if issubclass(w.category, DataWarning))


# ---- LOW 1: a side table keyed right that covers few entities -----------------------


def test_a_table_given_to_score_keyed_by_the_entity_is_not_blamed_on_its_index(weeks):
    # A table indexed by 'user_id' given to score() that has rows for under half of the
    # scored users (a partial export): the warning said "its index must be the entity
    # id: index it by 'user_id' (side.set_index('user_id'))". It is.
    last, this = weeks
    pipe = oddseq.AnomalyPipeline(entity_features=_part_table(last, 1.0))
    pipe.fit(Sequences.from_events(last, **COLUMNS))
    seqs = Sequences.from_events(this, **COLUMNS)
    side = _part_table(this, 0.3)
    said = _said(pipe.score, seqs, entity_features=side)
    assert "entity_features has rows for" in said, said
    assert "index must be" not in said and "set_index" not in said, said
    assert "its index is the entity id ('user_id')" in said, said
    assert "a row per entity" in said, said
    # The same rows indexed by something else: still told to index it by the entity.
    renumbered = side.set_axis(pd.RangeIndex(len(side)) + 10**6)
    said = _said(pipe.score, seqs, entity_features=renumbered)
    assert "index it by 'user_id'" in said, said


def test_a_fit_refuses_a_table_keyed_by_the_entity_that_covers_few_without_blaming_its_index(
    weeks,
):
    last, _ = weeks
    seqs = Sequences.from_events(last, **COLUMNS)
    pipe = oddseq.AnomalyPipeline(entity_features=_part_table(last, 0.3))
    with pytest.raises(ValueError, match="entity_features has rows for") as refused:
        pipe.fit(seqs)
    assert "index must be" not in str(refused.value)
    assert "its index is the entity id ('user_id')" in str(refused.value)


# ---- LOW 3: the article by sound ------------------------------------------------------


@pytest.mark.parametrize(
    "name, said",
    [
        ("LSTMDetector", "an LSTMDetector"),
        ("LOF", "an LOF"),
        ("HMM", "an HMM"),
        ("MCD", "an MCD"),
        ("ECOD", "an ECOD"),
        ("AnomalyPipeline", "an AnomalyPipeline"),
        ("IsolationForest", "an IsolationForest"),
        ("EncoderUnion", "an EncoderUnion"),
        ("KMeans", "a KMeans"),
        ("KNNDetector", "a KNNDetector"),
        ("PCA", "a PCA"),
        ("DBSCAN", "a DBSCAN"),
        ("StandardScaler", "a StandardScaler"),
        ("MinHashEncoder", "a MinHashEncoder"),
        ("UnseenTypes", "an UnseenTypes"),
        ("UniformScaler", "a UniformScaler"),
        ("OneClassSVM", "a OneClassSVM"),
        ("UMAP", "a UMAP"),
    ],
)
def test_a_class_name_takes_its_article_by_sound(name, said):
    from oddseq._persist import _a

    assert _a(name) == said


def test_oddseq_score_names_a_saved_lof_with_an(tmp_path, oddseq_here):
    # The shell's refusal of another estimator's file said "holds a LOF" (its own copy
    # of the vowel-letter test).
    from oddseq.detect import LOF

    model = LOF().fit(np.random.default_rng(236).normal(size=(30, 2)))
    path = model.save(tmp_path / "m.oddseq")
    log = tmp_path / "log.csv"
    pd.DataFrame({"user_id": [1, 1], "behavior": ["a", "b"], "timestamp": [1, 2]}).to_csv(
        log, index=False
    )
    args = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    done = oddseq_here(["score", log, "--model", path, *args])
    assert done.returncode == 2
    assert "holds an LOF, not a model of oddseq fit" in done.stderr, done.stderr


# ---- LOW 4: a windows model of an entity column named window_start --------------------


def test_a_windows_model_of_an_entity_named_window_start_is_refused_by_the_stream(weeks):
    from oddseq.stream import StreamScorer
    from oddseq.stream._scorer import fitted_on_parts

    last, _ = weeks
    named = last.rename(columns={"user_id": "window_start"})
    roles = dict(COLUMNS, entity="window_start")
    seqs = Sequences.from_events(named, **roles).windows(5)
    assert list(seqs.ids.names) == ["window_start", "window_start_id"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = oddseq.AnomalyPipeline(random_state=0).fit(seqs)
    assert fitted_on_parts(pipe)[0] == "windows"
    with pytest.raises(ValueError, match="fitted on windows"):
        StreamScorer(pipe, **roles)
    # Ids of two levels built by hand, the second ending in _id, are entities.
    plain = Sequences.from_events(last, **COLUMNS)
    ids = pd.MultiIndex.from_arrays(
        [np.asarray(plain.ids) % 3, np.asarray(plain.ids)], names=["shop", "window_start_id"]
    )
    two = Sequences(ids, plain.offsets, plain.events, plain.event_labels, times=plain.times)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hand = oddseq.AnomalyPipeline(random_state=0).fit(two)
    assert fitted_on_parts(hand) is None
