"""drop_duplicates and event types the pipeline never saw: they share one code
(``count[<other>]``), but a repeat is the same event, so different unseen types at one
time for one entity are all kept (as the batch's ``df.drop_duplicates()`` keeps them),
through ``update_one``, ``update`` and ``oddseq stream --drop-duplicates``; an unseen
type sent twice is still dropped."""

import pandas as pd
import pytest

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp")
T = 1_511_600_000
UNSEEN = ["login", "logout", "password_reset"]  # none of them in the fitted log


@pytest.fixture(scope="module")
def pipe():
    log = make_ecommerce(n_users=200, n_days=3, random_state=4).events
    assert not set(UNSEEN) & set(log["behavior"])
    return AnomalyPipeline().fit(Sequences.from_events(log, **ROLES))


def _scorer(pipe):
    return StreamScorer(pipe, **ROLES, drop_duplicates=True)


def _other(scorer, entity):
    return int(scorer.features([entity])["count[<other>]"].iloc[0])


def test_update_one_keeps_different_unseen_types(pipe):
    scorer = _scorer(pipe)
    for event in UNSEEN:
        scorer.update_one("u1", event, T)
    assert scorer.counters["n_events"] == 3
    assert scorer.counters["n_duplicates_dropped"] == 0
    assert _other(scorer, "u1") == 3
    # A true repeat of an unseen type is still dropped, and a seen type after it kept.
    assert scorer.update_one("u1", "password_reset", T).length == 3
    assert scorer.counters["n_duplicates_dropped"] == 1
    scorer.update_one("u1", "pv", T)
    assert scorer.counters["n_events"] == 4 and scorer.counters["n_duplicates_dropped"] == 1


def test_update_keeps_different_unseen_types(pipe):
    frame = pd.DataFrame({"user_id": ["u1"] * 3, "behavior": UNSEEN, "timestamp": [T] * 3})
    scorer = _scorer(pipe)
    out = scorer.update(frame)
    assert out.n_duplicates == 0 and scorer.counters["n_duplicates_dropped"] == 0
    assert scorer.counters["n_events"] == 3 and _other(scorer, "u1") == 3
    # Repeats of the same time: in the next batch and within one (as categories too),
    # the last one's and an earlier one's (a batch sent again in part: H6 s32).
    again = frame.iloc[[2, 2, 0]].astype({"behavior": "category"})
    assert scorer.update(again).n_duplicates == 3
    assert scorer.counters["n_events"] == 3 and _other(scorer, "u1") == 3
    # update and update_one key an unseen type alike: its repeat across the two is dropped.
    assert scorer.update_one("u1", "login", T).length == 3
    assert scorer.counters["n_duplicates_dropped"] == 4
    # and a type not among that time's is kept
    assert scorer.update_one("u1", "refund", T).length == 4


def test_numeric_types_never_seen_are_told_apart_by_number():
    log = make_ecommerce(n_users=200, n_days=3, random_state=4).events
    log["behavior"] = log["behavior"].astype("category").cat.codes.astype("int64")
    numeric = AnomalyPipeline().fit(Sequences.from_events(log, **ROLES))
    scorer = _scorer(numeric)
    for event in (97, 98, "99"):
        scorer.update_one("u1", event, T)
    assert scorer.counters["n_duplicates_dropped"] == 0
    # "99.0" is the number 99, as the scorer reads a numeric type given as text.
    scorer.update_one("u1", "99.0", T)
    scorer.update(pd.DataFrame({"user_id": ["u1"], "behavior": [99], "timestamp": [T]}))
    assert scorer.counters["n_duplicates_dropped"] == 2


def test_the_shell_keeps_different_unseen_types(pipe, tmp_path, oddseq_here):
    pipe.save(tmp_path / "m.oddseq")
    rows = [f"u1,{event},{T}" for event in UNSEEN]
    text = "\n".join(["user_id,behavior,timestamp", *rows, rows[-1]]) + "\n"
    roles = [f"--{role}={column}" for role, column in ROLES.items()]
    args = ["stream", "--model", tmp_path / "m.oddseq", *roles, "--drop-duplicates"]
    done = oddseq_here(args, text)
    assert done.returncode == 0, done.stderr
    summary = done.stderr.strip().splitlines()[-1]
    assert "3 events applied" in summary and "1 repeat" in summary, summary
