"""oddseq.dask on a log whose event column is missing (all of it, or all of some
entities'): refused or dropped as one machine does, with the whole frame's counts, not
one shuffled partition's (on 30 users in 3 partitions it said "654 in 'behavior'" where
one machine said 1,381, and it refused a log one machine ranks after dropping rows)."""

import warnings

import numpy as np
import pytest

import oddseq

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")

from oddseq.dask import detect_anomalies  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402
from oddseq.exceptions import MissingValuesError  # noqa: E402

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def log():
    events = make_ecommerce(n_users=40, random_state=7).events
    return events.assign(behavior=events["behavior"].astype(str))


def _both(log, **options):
    """(one machine's, dask's) table, or the ValueError each raised, and their warnings."""
    got = []
    for call in (
        lambda: oddseq.detect_anomalies(log, **COLUMNS, groups=False, **options),
        lambda: detect_anomalies(dd.from_pandas(log, npartitions=3), **COLUMNS, **options),
    ):
        with warnings.catch_warnings(record=True) as said, dask.config.set(scheduler="sync"):
            warnings.simplefilter("always")
            try:
                out = call()
                out = out.compute() if hasattr(out, "compute") else out
            except ValueError as error:
                out = error
        got.append((out, [str(w.message) for w in said]))
    return got


def _missed(refusal) -> dict:
    """The columns a refusal counts rows missing in (dask also lists checked columns
    with none missing)."""
    return {column: n for column, n in refusal.counts.items() if n}


@pytest.mark.parametrize("dropna", [True, False])
def test_an_event_column_all_missing_is_refused_with_the_whole_frames_count(log, dropna):
    (one, _), (many, _) = _both(log.assign(behavior=None), dropna=dropna)
    assert isinstance(one, MissingValuesError) and isinstance(many, MissingValuesError)
    assert f"{len(log):,} in 'behavior'" in str(one)
    assert str(many) == str(one)
    # the same class and counts a caller reads (catching MissingValuesError missed dask's)
    assert (many.n_rows, many.dropna) == (one.n_rows, one.dropna)
    assert _missed(many) == _missed(one)


def test_entities_whose_events_all_miss_their_type_are_dropped_as_on_one_machine(log):
    """Every event of the lower half of the users lacks its type: one shuffled partition
    holds only such rows. One machine drops them and ranks the rest; so does dask, with
    the same warning (it refused the whole log, counting that partition's rows)."""
    users = np.sort(log["user_id"].unique())
    some = log.assign(behavior=log["behavior"].where(log["user_id"] > users[19]))
    (one, one_said), (many, many_said) = _both(some, dropna=True)
    assert not isinstance(many, ValueError), many
    assert sorted(many.index) == sorted(one.index) == list(users[20:])
    dropped = [m for m in one_said if m.startswith("dropped")]
    assert dropped == [m for m in many_said if m.startswith("dropped")] and len(dropped) == 1
    # and without dropna, the refusal counts the whole frame's missing types
    (one, _), (many, _) = _both(some, dropna=False)
    assert str(many) == str(one) and f"{some['behavior'].isna().sum():,} in" in str(one)
    assert isinstance(many, MissingValuesError) and _missed(many) == _missed(one)
