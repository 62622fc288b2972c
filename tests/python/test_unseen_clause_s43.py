"""A reason of an entity with event types the model was not fitted on says so, where the
reason does not name count[<other>] (trial s42b L2: 3% of a day's views renamed 'share'
flagged two more normal users, each read as "favourites per view 1 (typical 0.012)"
without a word of the new type): "; 1 event of a type not seen in fitting: 'share'"."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import AnomalyPipeline
from oddseq._reasons import unseen_clause
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

CLAUSE = "not seen in fitting"


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (a later day's warnings: unseen types)
        return call(*args, **kwargs)


def _log(n_users=200, types=("view", "cart", "buy"), seed=0, new=()):
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        n = int(rng.integers(4, 12))
        kinds = list(rng.choice(list(types), n, p=None))
        if user < len(new):
            kinds[0] = new[user]
        times = np.cumsum(rng.integers(10, 600, n)) + user * 50
        rows += [(user, k, int(t)) for k, t in zip(kinds, times)]
    return pd.DataFrame(rows, columns=["user", "event", "ts"])


ROLES = dict(entity="user", event="event", time="ts")


def test_the_words():
    assert unseen_clause(1, 1, "'share'") == "; 1 event of a type not seen in fitting: 'share'"
    assert unseen_clause(3, 2, "'a', 'b'") == "; 3 events of types not seen in fitting: 'a', 'b'"


def test_a_later_day_names_its_new_types_and_the_fitted_log_none():
    seqs = Sequences.from_events(_log(), **ROLES)
    model = AnomalyPipeline(random_state=0).fit(seqs)
    assert not model.table_["reason"].str.contains(CLAUSE).any()
    later = Sequences.from_events(_log(seed=1, new=["share", "share", "refund"]), **ROLES)
    table = _quiet(model.score, later)
    said = table["reason"].str.contains(CLAUSE)
    assert said.sum() == 3 and said.loc[[0, 1, 2]].all()
    assert table.loc[0, "reason"].endswith("1 event of a type not seen in fitting: 'share'")
    assert table.loc[2, "reason"].endswith("1 event of a type not seen in fitting: 'refund'")


def test_types_the_count_features_pooled_are_fitted_ones():
    # 40 types: the count features keep 30 by name, and the rest are fitted all the same
    types = [f"e{k}" for k in range(40)]
    seqs = Sequences.from_events(_log(types=types), **ROLES)
    model = AnomalyPipeline(random_state=0).fit(seqs)
    assert len(model._fitted_event_labels()) < 40
    assert not model.table_["reason"].str.contains(CLAUSE).any()
    later = Sequences.from_events(_log(types=types, seed=1, new=["zz"]), **ROLES)
    table = _quiet(model.score, later)
    said = table["reason"].str.contains(CLAUSE)
    assert said[said].index.tolist() == [0]
    assert "1 event of a type not seen in fitting: 'zz'" in table.loc[0, "reason"]


def test_the_stream_says_it_as_the_table():
    model = AnomalyPipeline(random_state=0).fit(Sequences.from_events(_log(), **ROLES))
    # a script's 30 buys a second apart, and one event of a new type
    odd = pd.DataFrame({"user": 0, "event": ["buy"] * 30 + ["share"], "ts": 10 + np.arange(31)})
    later = pd.concat([_log(seed=1).query("user != 0"), odd])
    words = "; 1 event of a type not seen in fitting: 'share'"
    table = _quiet(model.score, Sequences.from_events(later, **ROLES))
    assert table.loc[0, "is_anomaly"] and table.loc[0, "reason"].endswith(words)
    alerts = _quiet(StreamScorer(model, **ROLES, reasons="all").update, later).alerts
    assert alerts.loc[0, "reason"] == table.loc[0, "reason"]
    assert alerts["reason"].astype(str).str.contains(CLAUSE).sum() == 1


def test_dask_says_it_as_one_machine():
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    fitted, later = _log(), _log(seed=1, new=["share", "share", "refund"])
    one = _quiet(oddseq.detect_anomalies, later, **ROLES, normal=fitted, groups=False)
    many = _quiet(
        lambda: detect_anomalies(
            dd.from_pandas(later, npartitions=3),
            **ROLES,
            normal=dd.from_pandas(fitted, npartitions=2),
            groups=False,
        ).compute()
    )
    assert one["reason"].str.contains(CLAUSE).sum() == 3
    pd.testing.assert_series_equal(
        many["reason"].sort_index(), one["reason"].sort_index(), check_names=False
    )


def test_the_most_frequent_two_are_named_and_the_rest_counted():
    from oddseq._reasons import unseen_types_of

    model = AnomalyPipeline(random_state=0).fit(Sequences.from_events(_log(), **ROLES))
    later = Sequences.from_lists(
        [
            ["view", "zz", "yy", "yy", "xx", "ww", "ww", "ww"],  # ww 3, yy 2, then two more
            ["view", "cart"],
            ["buy", "qq", "pp"],  # a tie: the first met first, as the stream keeps them
            ["view", 7],  # a number among text types: as text
        ],
        ids=[10, 11, 12, 13],
    )
    rows, totals, kinds, words = unseen_types_of(model, later)
    assert rows.tolist() == [0, 2, 3] and totals.tolist() == [7, 2, 1]
    assert kinds.tolist() == [4, 2, 1]
    assert list(words) == ["'ww', 'yy' and 2 more", "'qq', 'pp'", "'7'"]
