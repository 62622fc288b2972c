"""drop_duplicates and lateness (review s32 H8 MEDIUM-1 on 9ce8241): a late event placed
by ``lateness`` and then sent again (the same line twice, a retry) is dropped as a
repeat, as it was before runs of equal times were kept, and as the repeats warning,
which counts it and advises ``drop_duplicates=True``, says."""

import copy
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")
COLUMNS = list(ROLES.values())


@pytest.fixture(scope="module")
def pipe():
    fit = make_ecommerce(n_users=300, random_state=669).events
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AnomalyPipeline(method="kmeans").fit(Sequences.from_events(fit, **ROLES))


def _frame(rows):
    return pd.DataFrame(rows, columns=COLUMNS)


def _scorer(pipe, **options):
    return StreamScorer(pipe, **ROLES, **options)


A, B = (1, "pv", 100, 10, 2.0), (1, "cart", 70, 11, 3.0)


def test_a_late_events_retry_is_dropped(pipe):
    """A at 100, B at 70 (late, placed), B at 70 again: the retry is dropped, by update
    and by update_one, and the entity holds A and one B."""
    batch = _scorer(pipe, drop_duplicates=True, lateness=60)
    update = batch.update(_frame([A, B, B]))
    assert update.n_duplicates == 1
    assert batch.counters["n_late_accepted"] == 1
    single = _scorer(pipe, drop_duplicates=True, lateness=60)
    lengths = [single.update_one(*row).length for row in (A, B, B)]
    assert lengths[:2] == [1, 2] and single.counters["n_duplicates_dropped"] == 1
    users = [1]
    pd.testing.assert_frame_equal(single.features(users), batch.features(users))
    assert int(batch.features(users)["length"].iloc[0]) == 2
    # a late batch sent again in part (B, C of one late time, then B, C again)
    c = (1, "fav", 70, 12, 4.0)
    parted = _scorer(pipe, drop_duplicates=True, lateness=60)
    assert parted.update(_frame([A, B, c, B, c])).n_duplicates == 2


def test_the_next_event_in_time_ends_the_late_run(pipe):
    """What is not a retry stays: a late event equal to one that came before the
    entity's newer events (B at 70, A at 110, B at 70) is placed again, as before; two
    late events of different times are both kept, and a checkpoint keeps the late run."""
    later = (1, "fav", 110, 12, 4.0)
    scorer = _scorer(pipe, drop_duplicates=True, lateness=60)
    assert scorer.update(_frame([A, B, later, B])).n_duplicates == 0
    assert scorer.counters["n_late_accepted"] == 2
    other = (1, "cart", 80, 11, 3.0)
    kept = _scorer(pipe, drop_duplicates=True, lateness=60)
    assert kept.update(_frame([A, B, other])).n_duplicates == 0
    resumed = pickle.loads(pickle.dumps(kept))
    assert resumed.update(_frame([other])).n_duplicates == 1
    copied = copy.deepcopy(kept)
    assert copied.update(_frame([B])).n_duplicates == 0  # not the last late run: placed


def test_a_checkpoint_written_before_the_late_runs_resumes(pipe):
    """A scorer pickled by this release before the late runs were kept (its
    PreviousEvents has no ``late``) resumes and drops a late retry."""
    scorer = _scorer(pipe, drop_duplicates=True, lateness=60)
    scorer.update(_frame([A]))
    state = scorer.__getstate__()
    old = copy.copy(state["_previous"].__dict__)
    del old["late"]
    state["_previous"].__dict__.clear()
    state["_previous"].__setstate__(old)
    resumed = StreamScorer.__new__(StreamScorer)
    resumed.__setstate__(state)
    assert resumed.update(_frame([B, B])).n_duplicates == 1


def test_retried_late_lines_warned_of_are_dropped_by_the_advised_option(pipe):
    """Each of 1,200 entities' events: pv at t, cart at t - 30 s, the cart again. Without
    drop_duplicates the warning counts the retries and names the option; with it they
    are dropped (1,200), each entity counting two events."""
    rows = []
    for user in range(1_200):
        t = 1_000 + 7 * user
        rows += [(user, "pv", t, 10, 2.0), (user, "cart", t - 30, 11, 3.0)]
        rows.append((user, "cart", t - 30, 11, 3.0))
    frame = _frame(rows)
    counting = _scorer(pipe, lateness=60)
    with pytest.warns(DataWarning, match="drop_duplicates=True"):
        counting.update(frame)
    dropping = _scorer(pipe, drop_duplicates=True, lateness=60)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        update = dropping.update(frame)
    assert update.n_duplicates == 1_200
    lengths = dropping.features(np.arange(1_200))["length"].to_numpy()
    assert (lengths == 2).all()
