"""One entity's rows ingested twice, under the log's 10% bar for duplicated rows, is
said (H6's F4: one user's batch read twice put it at the top without a word): one
DataWarning naming how many entities, some of their ids and df.drop_duplicates()
(the shell's --drop-duplicates); silent on ordinary logs and on a script that repeats
one action within a second. Warning only: scores and flags unchanged."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce, make_marketplace
from oddseq.exceptions import DataWarning
from oddseq.preprocessing._quality import exact_repeats, repeated_batches
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")


@pytest.fixture(scope="module")
def log():
    return make_ecommerce(n_users=400, random_state=4).events


def _heavy_user(log):
    sizes = log.groupby("user_id").size()
    return sizes[sizes >= 40].index[0]


def test_one_users_batch_read_twice_is_said(log):
    user = _heavy_user(log)
    twice = pd.concat([log, log[log.user_id == user]], ignore_index=True)
    assert twice.duplicated().mean() < 0.10  # under the log's bar
    with pytest.warns(DataWarning, match=r"1 entity has more than 20% of its events") as said:
        table = oddseq.detect_anomalies(twice, groups=False, **ROLES)
    text = " ".join(str(w.message) for w in said if "20%" in str(w.message))
    assert f"entity {user}" in text and "df.drop_duplicates()" in text
    # warning only: the table is what it was without the check
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        again = oddseq.detect_anomalies(twice, groups=False, **ROLES)
    pd.testing.assert_frame_equal(table, again)


def test_the_repeats_are_found_in_any_row_order(log):
    user = _heavy_user(log)
    twice = pd.concat([log, log[log.user_id == user]], ignore_index=True)
    shuffled = twice.sample(frac=1.0, random_state=1)
    a = exact_repeats(Sequences.from_events(twice, **ROLES))[0]
    b = exact_repeats(Sequences.from_events(shuffled, **ROLES))[0]
    np.testing.assert_array_equal(a, b)
    seqs = Sequences.from_events(twice, **ROLES)
    assert seqs.ids[repeated_batches(seqs)].tolist() == [user]
    assert a[seqs.ids.get_loc(user)] == (log.user_id == user).sum()


def test_the_shell_says_its_option(log, tmp_path, capsys):
    from oddseq.cli import main

    user = _heavy_user(log)
    path = tmp_path / "twice.csv"
    pd.concat([log, log[log.user_id == user]]).to_csv(path, index=False)
    out = tmp_path / "t.csv"
    args = ["detect", str(path), "--entity", "user_id", "--event", "behavior"]
    args += ["--time", "timestamp", "--item", "item_id", "--output", str(out), "--no-groups"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "1 entity has more than 20%" in err and "--drop-duplicates" in err, err
    assert "df.drop_duplicates" not in err


@pytest.mark.parametrize(
    "events",
    [
        lambda: make_ecommerce(n_users=2000, random_state=7).events,
        lambda: make_marketplace(n_users=2000, random_state=7, difficulty="hard").events,
    ],
    ids=["make_ecommerce", "make_marketplace"],
)
def test_silent_on_ordinary_logs(events):
    log = events()
    kw = dict(entity="user_id", time="timestamp", item="item_id")
    kw["event"] = "behavior" if "behavior" in log else "event"
    seqs = Sequences.from_events(log, **kw)
    assert repeated_batches(seqs).size == 0


def test_silent_on_a_script_repeating_one_action_within_a_second():
    rng = np.random.default_rng(0)
    rows = []
    for user in range(60):
        t = 1_700_000_000 + np.sort(rng.integers(0, 86_400, 30))
        rows += [(user, "pv", int(x), int(i)) for x, i in zip(t, rng.integers(0, 500, 30))]
    # a scalper refreshing one item about twice a second for 40 s, on whole seconds
    t = 1_700_000_000 + np.sort(rng.integers(0, 40, 80))
    rows += [(999, "refresh", int(x), 7) for x in t]
    # another refreshing 8 sale items, 400 times in a minute (the held-out shop's)
    t = 1_700_000_000 + np.sort(rng.integers(0, 60, 400))
    rows += [(998, "refresh", int(x), int(i)) for x, i in zip(t, rng.integers(0, 8, 400))]
    log = pd.DataFrame(rows, columns=["user_id", "behavior", "timestamp", "item_id"])
    seqs = Sequences.from_events(log, **ROLES)
    repeats, kinds = exact_repeats(seqs)
    one, eight = seqs.ids.get_loc(999), seqs.ids.get_loc(998)
    assert repeats[one] > 0.2 * 80 and kinds[one] == 1
    assert repeats[eight] > 0.2 * 400 and kinds[eight] == 8
    assert repeated_batches(seqs).size == 0


def test_silent_where_times_are_whole_minutes(log):
    user = _heavy_user(log)
    twice = pd.concat([log, log[log.user_id == user]], ignore_index=True)
    twice["timestamp"] = twice.timestamp // 60 * 60
    assert repeated_batches(Sequences.from_events(twice, **ROLES)).size == 0
