"""The stream bindings' constructors take keyword-built, read-only params records
instead of long positional argument lists (issue 17): each record reads back what it
was given, refuses positional arguments and writes, and the core checks it once, when
the object it configures is made."""

import numpy as np
import pytest

from oddseq import _core


def _store_params(**overrides):
    settings = dict(
        column_of_code=np.array([0, 1, 2, 2], dtype=np.int32),
        n_columns=3,
        has_times=True,
        has_items=True,
        has_values=False,
    )
    settings.update(overrides)
    return _core.StreamStoreParams(**settings)


def test_store_params_are_keyword_built_read_only_records():
    params = _store_params(view=0, buy=3, lateness_ns=5, ttl_ns=7, max_entities=9)
    assert params.column_of_code.tolist() == [0, 1, 2, 2]
    assert params.column_of_code.dtype == np.int32
    assert (params.n_columns, params.has_times, params.has_items, params.has_values) == (
        3,
        True,
        True,
        False,
    )
    assert (params.view, params.cart, params.fav, params.buy) == (0, -1, -1, 3)
    assert (params.max_exact_items, params.max_late_events) == (256, 8)  # the defaults
    assert (params.lateness_ns, params.ttl_ns, params.max_entities) == (5, 7, 9)
    with pytest.raises(AttributeError):
        params.n_columns = 4
    with pytest.raises(TypeError):
        _core.StreamStoreParams(np.zeros(1, np.int32), 1, True, False, False)
    with pytest.raises(TypeError):  # exact dtype, no silent copy
        _store_params(column_of_code=np.array([0, 1], dtype=np.int64))


def test_store_is_made_from_its_params_and_checks_them():
    store = _core.StreamEntityStore(_store_params(has_items=False))
    keys = np.array([11, 12, 11], dtype=np.uint64)
    applied = store.update(
        keys,
        np.array([0, 3, 1], dtype=np.int32),
        np.array([1, 2, 3], dtype=np.int64),
        None,
        None,
        None,
    )
    assert applied.touched.tolist() == [11, 12]
    assert store.counters()["n_entities"] == 2
    with pytest.raises(ValueError, match="count column 3 outside"):
        _core.StreamEntityStore(_store_params(column_of_code=np.array([0, 3], dtype=np.int32)))
    with pytest.raises(ValueError, match="max_exact_items"):
        _core.StreamEntityStore(_store_params(max_exact_items=0))
    with pytest.raises(ValueError, match="1-D"):
        _store_params(column_of_code=np.zeros((2, 2), dtype=np.int32))


def _model_params(members, **overrides):
    d = 2
    settings = dict(
        columns=np.array([0, 1], dtype=np.int64),
        evidence=np.zeros(d, dtype=np.int8),
        shrink_to=np.zeros(d),
        prior=0.0,
        log_signed=True,
        z_mean=np.zeros(d),
        z_scale=np.ones(d),
        members=members,
        threshold=1.5,
    )
    settings.update(overrides)
    return _core.StreamModelParams(**settings)


def _robust_z_model(d):
    """A robust z model over a store row's first d columns, as they are."""
    member = _core.StreamMember(
        median=np.zeros(d),
        scale=np.ones(d),
        q1=-np.ones(d),
        q3=np.ones(d),
        iqr=2 * np.ones(d),
        z=3.0,
        fence=1.5,
    )
    return _core.StreamModel(
        _model_params(
            [member],
            columns=np.arange(d, dtype=np.int64),
            evidence=np.zeros(d, dtype=np.int8),
            shrink_to=np.zeros(d),
            z_mean=np.zeros(d),
            z_scale=np.ones(d),
        )
    )


def _members():
    return [
        _core.StreamMember(centers=np.zeros(2, dtype=np.float32), large=np.ones(1, dtype=np.uint8)),
        _core.StreamMember(
            mean=np.zeros(2), components=np.eye(2).ravel(), variance=np.ones(2), t2=False
        ),
        _core.StreamMember(
            median=np.zeros(2),
            scale=np.ones(2),
            q1=-np.ones(2),
            q3=np.ones(2),
            iqr=2 * np.ones(2),
            z=3.0,
            fence=1.5,
        ),
    ]


def test_model_members_are_told_apart_by_their_keywords():
    assert [m.kind for m in _members()] == ["kmeans", "pca", "robust_z"]
    with pytest.raises(TypeError):  # a mix of two kinds' fields matches no constructor
        _core.StreamMember(centers=np.zeros(2, dtype=np.float32), mean=np.zeros(2))
    with pytest.raises(TypeError):  # exact dtypes
        _core.StreamMember(centers=np.zeros(2), large=np.ones(1, dtype=np.uint8))


def test_model_params_are_keyword_built_read_only_records():
    members = _members()
    params = _model_params(
        members,
        combine="mean",
        centre=np.zeros(3),
        spread=np.ones(3),
        explain_with=np.array([1, 0, 1], dtype=np.uint8),
        min_events=2,
    )
    assert params.columns.tolist() == [0, 1]
    assert (params.prior, params.log_signed, params.combine) == (0.0, True, "mean")
    assert (params.threshold, params.min_events) == (1.5, 2)
    assert [m.kind for m in params.members] == ["kmeans", "pca", "robust_z"]
    with pytest.raises(AttributeError):
        params.threshold = 2.0
    model = _core.StreamModel(params)
    assert model.n_features == 2
    single = _model_params(members[:1])
    assert (single.combine, single.min_events) == ("single", 1)  # the defaults
    assert _core.StreamModel(single).n_features == 2
    with pytest.raises(ValueError, match="combine must be 'single', 'mean' or 'max'"):
        _model_params(members, combine="median")
    with pytest.raises(ValueError, match="a single detector has one member"):
        _core.StreamModel(_model_params(members))
    with pytest.raises(ValueError, match="a centre and a spread per member"):
        _core.StreamModel(_model_params(members, combine="max"))
    with pytest.raises(ValueError, match="need 2 values each"):
        _core.StreamModel(_model_params(members[:1], z_mean=np.zeros(3)))
    with pytest.raises(TypeError):
        _core.StreamModelParams(np.array([0], dtype=np.int64))


def test_stream_model_scores_as_the_pipeline():
    """The C++ model made from the pipeline's params scores entities as the pipeline
    does (every default detector kind and the ensemble's combination)."""
    from oddseq import AnomalyPipeline
    from oddseq.datasets import make_ecommerce
    from oddseq.sequences import Sequences
    from oddseq.stream import StreamScorer

    log = make_ecommerce(n_users=300, random_state=5).events
    roles = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
    seqs = Sequences.from_events(log, **roles)
    for method in ("auto", "kmeans", "pca", "robust_z"):
        pipe = AnomalyPipeline(method=method).fit(seqs)
        scorer = StreamScorer(pipe, max_exact_items=10_000, **roles)
        assert scorer.scores_in_cpp_, method
        out = scorer.update(log).scores["score"]
        batch = pipe.score(seqs)["score"].reindex(out.index)
        np.testing.assert_allclose(out, batch, rtol=0, atol=1e-12, err_msg=method)


def _event_params(**overrides):
    settings = dict(
        labels=["view", "buy", 7],
        other_code=3,
        has_event=True,
        has_times=True,
        has_items=False,
        has_values=False,
        time_factor=1_000_000_000,
    )
    settings.update(overrides)
    return _core.StreamEventParams(**settings)


def test_event_params_are_keyword_built_read_only_records():
    events = _event_params()
    assert (events.n_labels, events.other_code, events.time_factor) == (3, 3, 1_000_000_000)
    assert (events.has_event, events.has_times, events.has_items, events.has_values) == (
        True,
        True,
        False,
        False,
    )
    assert _event_params(time_factor=1).time_factor == 1
    with pytest.raises(AttributeError):
        events.other_code = 0
    with pytest.raises(ValueError, match="time_factor must be >= 1"):
        _event_params(time_factor=0)
    with pytest.raises(ValueError, match="other_code must be >= 0"):
        _event_params(other_code=-1)
    with pytest.raises(TypeError):
        _core.StreamEventParams(["view"], 1, True, True, False, False, 1)


def test_one_event_reads_labels_through_the_event_params():
    """update_one's C++ path codes text and int labels by position (the first of
    duplicates), unknown ones as other_code, and leaves to Python what it cannot read
    as the Python path would: a number given as text when some label is a number, or
    any event once a label is neither str nor int."""
    params = _store_params(
        column_of_code=np.array([0, 1, 2, 3, 3], dtype=np.int32),
        n_columns=4,
        has_items=False,
    )
    store = _core.StreamEntityStore(params)
    model = _robust_z_model(4)
    labels = ["view", "buy", 7, "view"]
    one = _core.StreamOneEvent(store, model, _event_params(labels=labels, other_code=4))
    # code -> count column: 0 -> 0, 1 -> 1, 2 -> 2, 3 and other_code 4 -> 3
    for event, column in [("view", 0), ("buy", 1), (7, 2), (8, 3)]:
        entity = f"u-{event}"
        assert one(entity, event, 1, None, None) is not None
        row = store.features(np.array([_core.stream_hash_id(entity)], np.uint64), 4)
        assert row.rows[0, :4].tolist() == [float(c == column) for c in range(4)], event
    assert one("u", "teleport", 1, None, None) is None  # text unseen among int labels
    assert one("u", "7", 1, None, None) is None  # a number as text: Python's to compare
    text_only = _core.StreamOneEvent(store, model, _event_params(labels=["view", "buy"]))
    assert text_only("u", "teleport", 1, None, None) is not None  # unseen: other_code
    floats = _core.StreamOneEvent(store, model, _event_params(labels=["view", 2.5]))
    assert floats("u", "view", 1, None, None) is None
    no_event = _core.StreamOneEvent(store, model, _event_params(has_event=False))
    assert no_event("u", "view", 1, None, None) is None
    assert no_event("u", None, 1, None, None) is not None


def test_line_format_is_a_keyword_built_read_only_record():
    csv = _core.StreamLineFormat(sep=";", n_fields=3, entity=0, event=2)
    assert (csv.sep, csv.n_fields, csv.entity, csv.event, csv.time) == (";", 3, 0, 2, -1)
    assert (csv.item, csv.value, csv.json, csv.keys) == (-1, -1, False, [""] * 5)
    with pytest.raises(AttributeError):
        csv.n_fields = 4
    with pytest.raises(ValueError, match="sep must be one character"):
        _core.StreamLineFormat(sep=";;", n_fields=3, entity=0)
    with pytest.raises(TypeError):
        _core.StreamLineFormat(",", 3, 0)
    events = _event_params(labels=["view", "buy"], time_factor=1)
    with pytest.raises(ValueError, match="outside"):
        _core.StreamLineFeed(_core.StreamLineFormat(sep=",", n_fields=2, entity=0, event=2), events)
    with pytest.raises(ValueError, match="event field as the events do"):
        _core.StreamLineFeed(_core.StreamLineFormat(sep=",", n_fields=2, entity=0), events)
    with pytest.raises(ValueError, match="JSON roles need their keys"):
        _core.StreamLineFeed(
            _core.StreamLineFormat(sep=",", n_fields=1, entity=0, event=0, json=True), events
        )


def test_line_feed_reads_lines_as_update_one_reads_their_fields():
    """The reader made from (StreamLineFormat, StreamEventParams) codes each line's event
    as update_one codes the same fields given one at a time."""
    params = _store_params(
        column_of_code=np.array([0, 1, 2], dtype=np.int32), n_columns=3, has_items=False
    )
    model = _robust_z_model(3)
    events = _event_params(labels=["view", "buy"], other_code=2, time_factor=1)
    lines = _core.StreamEntityStore(params)
    feed = _core.StreamLineFeed(
        _core.StreamLineFormat(sep=",", n_fields=3, entity=0, event=1, time=2), events
    )
    data = b"a,view,1\nb,buy,2\na,teleport,3\na,view,4\n"
    run = feed.feed(lines, model, data, 0, 1, 0)
    assert (run.stop, run.lines, run.offset) == (0, 4, len(data))
    ones = _core.StreamEntityStore(params)
    one = _core.StreamOneEvent(ones, model, events)
    for entity, event, time in [("a", "view", 1), ("b", "buy", 2), ("a", "teleport", 3)]:
        one(entity, event, time, None, None)
    one("a", "view", 4, None, None)
    keys = np.array([_core.stream_hash_id("a"), _core.stream_hash_id("b")], np.uint64)
    assert lines.features(keys, 3).rows.tobytes() == ones.features(keys, 3).rows.tobytes()
    assert lines.features(keys, 3).rows[:, :3].tolist() == [[2, 0, 1], [0, 1, 0]]
