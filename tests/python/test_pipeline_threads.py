"""Threads sharing one fitted AnomalyPipeline: what a score() leaves for later calls
(the features explain(entity_ids) reads, the share alarm the shell's summary reads) is
each thread's own, as the side table given to score() is (session 18). Kept on the
instance, thread A's explain read thread B's last day. A thread that did not score
explains from the model's last score in any thread (session 19)."""

import copy
import pickle
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from oddseq import AnomalyPipeline, load
from oddseq._fitted_data import alarm_summary
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp")
DAY = 86_400


def test_threads_scoring_days_on_one_model_each_explain_their_own_score():
    log = make_ecommerce(n_users=200, random_state=1).events
    start = log["timestamp"].min()
    days = [
        log[(log.timestamp >= start + k * DAY) & (log.timestamp < start + (k + 1) * DAY)]
        for k in range(4)
    ]
    # The first day with its events renamed: the share alarm rings for it alone.
    days[0] = days[0].assign(behavior=days[0]["behavior"].astype(str).replace({"pv": "view"}))
    days = [Sequences.from_events(day, **ROLES) for day in days]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (a day's span is not the fitted week's)
        pipe = AnomalyPipeline(method="pca").fit(Sequences.from_events(log, **ROLES))
        # One thread: each day scored, then its top entities explained by id.
        alone = []
        for day in days:
            ids = list(pipe.score(day).index[:5])
            alone.append((ids, pipe.explain(ids, top=3), alarm_summary(pipe)))
        barrier = threading.Barrier(len(days))

        def score_then_explain(k):
            pipe.score(days[k])
            barrier.wait(timeout=30)  # every thread has scored before any explains
            return pipe.explain(alone[k][0], top=3), alarm_summary(pipe)

        with ThreadPoolExecutor(max_workers=len(days)) as pool:
            together = list(pool.map(score_then_explain, range(len(days))))
    assert alone[0][2] is not None and alone[1][2] is None
    for (_, why, alarm), (why_threaded, alarm_threaded) in zip(alone, together):
        pd.testing.assert_frame_equal(why_threaded, why)
        assert alarm_threaded == alarm


def test_what_threads_share_stays_the_models():
    """A guard (it passed before the per-thread change too: the race it guards is
    rarely lost): the fit's entities are every thread's to explain; the warning of a
    model fitted with entity_features and scored without them is said once per model,
    not per thread; the model pickles and copies after threads scored it (nothing per
    thread is saved)."""
    log = make_ecommerce(n_users=120, random_state=2).events
    seqs = Sequences.from_events(log, **ROLES)
    side = pd.DataFrame({"age": np.arange(seqs.ids.size, dtype=float)}, index=seqs.ids)
    pipe = AnomalyPipeline(method="pca", entity_features=side).fit(seqs)
    fitted = list(pipe.table_.index[:3])
    barrier = threading.Barrier(3)

    def score_and_explain(_):
        barrier.wait(timeout=30)
        pipe.score(seqs[:60])
        return pipe.explain(fitted[:1] + list(seqs.ids[:2]), top=2)

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        with ThreadPoolExecutor(max_workers=3) as pool:
            whys = list(pool.map(score_and_explain, range(3)))
    told = [w for w in said if "score(seqs, entity_features=" in str(w.message)]
    assert len(told) == 1
    for why in whys:
        pd.testing.assert_frame_equal(why, whys[0])
    with ThreadPoolExecutor(max_workers=1) as pool:  # a thread that scored nothing
        pd.testing.assert_frame_equal(
            pool.submit(pipe.explain, fitted, top=2).result(), pipe.explain(fitted, top=2)
        )
    for again in (pickle.loads(pickle.dumps(pipe)), copy.deepcopy(pipe)):
        assert not {"_per_thread", "_explain_rows", "_side_said"} & set(again.__dict__)
        pd.testing.assert_frame_equal(
            again.score(seqs[:60], entity_features=side),
            pipe.score(seqs[:60], entity_features=side),
        )


def test_a_thread_that_did_not_score_explains_the_models_last_score(tmp_path):
    """explain(entity_ids) in a thread that did not score (a Streamlit rerun, a web
    handler) reads the model's last score, from whichever thread made it: not the
    fit's features of the same ids (another span, stale), and on a loaded model no
    refusal asking to score first."""
    log = make_ecommerce(n_users=200, random_state=1).events
    day = Sequences.from_events(log[log.timestamp < log.timestamp.min() + DAY], **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (a day's span is not the fitted week's)
        pipe = AnomalyPipeline(method="pca").fit(Sequences.from_events(log, **ROLES))
        ids = list(pipe.score(day).index[:3])  # scored in the main thread
        here = pipe.explain(ids, top=3)
        pd.testing.assert_frame_equal(here, pipe.explain(day, ids, top=3))
        assert not here.equals(pipe.explain(Sequences.from_events(log, **ROLES), ids, top=3))
        loaded = load(pipe.save(tmp_path / "m.oddseq"))
        with ThreadPoolExecutor(max_workers=1) as pool:
            pd.testing.assert_frame_equal(pool.submit(pipe.explain, ids, top=3).result(), here)
            loaded.score(day)  # the loaded model scored in the main thread too
            there = pool.submit(loaded.explain, ids, top=3).result()
    pd.testing.assert_frame_equal(there, here)
