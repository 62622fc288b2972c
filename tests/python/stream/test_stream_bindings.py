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
