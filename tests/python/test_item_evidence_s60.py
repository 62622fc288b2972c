"""The item variety and repeats of an entity without an item rest on no observation
(TR s60 M1): 0 by construction there, they took the population's value only in the
reasons; the detectors read the 0s, so riders who never rode (no driver) stood apart on
"share of events repeating the previous item 0 (typical 0.75)". Now the evidence
shrinkage gives them the population's value (kind 6: the entity's events where it has an
item, none where it has none), in the batch, the stream and a model read back."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import oddseq
from oddseq.preprocessing._evidence import ITEM_KINDS, EvidenceColumns, EvidenceShrinker
from oddseq.stream import StreamScorer

sys.path.insert(0, str(Path(__file__).parent))
from ride_logs import ROLES, rides  # noqa: E402

NAMES = ["length", "n_items", "distinct_item_ratio", "top_item_share", "repeat_previous_item_share"]


def test_item_features_take_the_median_where_there_is_no_item():
    X = np.array(
        [
            [10, 2, 0.2, 0.5, 0.6],
            [12, 3, 0.25, 0.4, 0.7],
            [40, 5, 0.125, 0.5, 0.8],
            [300, 0, 0.0, 0.0, 0.0],  # a scraper: many events, none with an item
        ]
    )
    lengths = X[:, 0]
    shrinker = EvidenceShrinker(prior=2.0).fit(X, lengths, NAMES)
    assert shrinker.kinds_.tolist() == [0, 0, 6, 6, 6]
    assert shrinker.items_column_ == 1 and shrinker.reads_items()
    out = shrinker.transform(X, lengths)
    # the medians are over the entities with an item; the scraper takes them
    np.testing.assert_allclose(out[3, 2:], np.median(X[:3, 2:], axis=0))
    # an entity with an item is weighed by its events, as the shares always were
    shares = ["length", "x", "a_share", "b_share", "c_share"]  # (kind 1: the events)
    plain = EvidenceShrinker(prior=2.0).fit(X[:3], lengths[:3], shares)
    np.testing.assert_allclose(out[:3, 2:], plain.transform(X[:3], lengths[:3])[:, 2:])
    # the reasons' columns (EvidenceColumns) read as the whole matrix does
    view = shrinker.valued_share(X)
    assert isinstance(view, EvidenceColumns) and view.share is None
    np.testing.assert_array_equal(
        shrinker._observations(lengths, view), shrinker._observations(lengths, X)
    )


def test_the_item_categories_rest_on_the_events_with_an_item_too():
    """Review RV s60 M2: an entity without an item has no category either."""
    names = ["length", "n_items", "n_categories", "category_entropy_bits"]
    names += ["distinct_category_ratio", "new_category_share_last_session"]
    X = np.array([[10, 2, 2, 0.9, 0.2, 0.5], [20, 3, 2, 1.0, 0.1, 0.4], [300, 0, 0, 0, 0, 0]])
    shrinker = EvidenceShrinker(prior=2.0).fit(X, X[:, 0], names)
    assert shrinker.kinds_.tolist() == [0, 0, 0, 6, 6, 6]
    np.testing.assert_allclose(shrinker.transform(X, X[:, 0])[2, 3:], shrinker.median_[3:])


def test_item_kinds_name_diversity_columns():
    from oddseq.encode._behaviour import DIVERSITY_CATEGORY_NAMES, DIVERSITY_ITEM_NAMES

    assert set(ITEM_KINDS) < set(DIVERSITY_ITEM_NAMES) | set(DIVERSITY_CATEGORY_NAMES)
    assert "n_items" in DIVERSITY_ITEM_NAMES


def test_a_model_saved_before_reads_no_item_kind():
    shrinker = EvidenceShrinker(prior=2.0)
    state = {"prior": 2.0, "kinds_": np.array([1, 1]), "median_": np.zeros(2)}
    shrinker.__setstate__(state)
    assert shrinker.items_column_ == -1 and not shrinker.reads_items()


@pytest.fixture(scope="module")
def log():
    return rides(n_riders=300, n_browsers=40)


def test_browsers_without_a_driver_are_not_set_apart_by_driver_features(log):
    """40 of 340 riders never rode: their item features were 0 against riders' 0.8,
    which read as the log's oddest; now their events alone judge them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table, pipe = oddseq.detect_anomalies(log, **ROLES, random_state=0, return_pipeline=True)
    assert pipe.evidence_.reads_items()
    browsers = table.index.str.startswith("b")
    variety = ("the previous", "item variety", "items per event", "most used item")
    for reason in table.loc[browsers, "reason"]:
        assert not any(words in reason for words in variety), reason
    assert not table.loc[browsers, "is_anomaly"].any()


def test_the_stream_scores_as_the_batch(log):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seqs = oddseq.Sequences.from_events(log, **ROLES)
        pipe = oddseq.AnomalyPipeline(random_state=0).fit(seqs)
        live = StreamScorer(pipe, **ROLES)
        got = live.update(log.sort_values("t", kind="stable")).scores["score"]
        batch = pipe.score(seqs)["score"]
    assert pipe.evidence_.reads_items() and live.scores_in_cpp_
    np.testing.assert_allclose(got.reindex(batch.index), batch, rtol=0, atol=1e-9)


def test_a_model_read_back_scores_alike(log, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seqs = oddseq.Sequences.from_events(log, **ROLES)
        pipe = oddseq.AnomalyPipeline(random_state=0).fit(seqs)
        pipe.save(tmp_path / "m.oddseq")
        again = oddseq.load(tmp_path / "m.oddseq")
        assert again.evidence_.items_column_ == pipe.evidence_.items_column_
        np.testing.assert_array_equal(again.score(seqs)["score"], pipe.score(seqs)["score"])


def test_oddseq_dask_scores_as_one_machine(log):
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # (oddseq.dask counts no crowds: one machine's call without them)
        one = oddseq.detect_anomalies(log, **ROLES, random_state=0, crowds=False)
        with dask.config.set(scheduler="synchronous"):
            parts = dd.from_pandas(log, npartitions=3)
            two = detect_anomalies(parts, **ROLES, random_state=0).compute()
    two = two.reindex(one.index)
    np.testing.assert_array_equal(two["score"], one["score"])
    np.testing.assert_array_equal(two["is_anomaly"], one["is_anomaly"])
