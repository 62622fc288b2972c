"""A Markov model's start and end: never ranked as the first event's alternative, and
never taken for an event type named "start" or "end"."""

from __future__ import annotations

import numpy as np
import pandas as pd

import oddseq
from oddseq.detect import MarkovDetector
from oddseq.sequences import Sequences


def _distinct_first_events(n=300):
    # Each sequence starts with an event no other starts with: after the start the
    # model backs off to the symbols' shares, where the end (one a sequence) outweighs
    # each of those rare first events.
    return [[f"e{i}", "x", "y"] for i in range(n)]


def test_the_end_is_no_alternative_to_the_first_event():
    seqs = Sequences.from_lists(_distinct_first_events())
    # After the start the first events rank under x and y (backed off to, each is a
    # third of the symbols) and under the end (a quarter): third with the end not
    # counted, fourth (outside the top 3) where it was.
    det = MarkovDetector(order=1, top_g=3).fit(seqs)
    stats = det.statistics(seqs)
    assert (stats["outside_top_g"] == 0).all()
    steps = det.explain(seqs[:5], top=4)
    first = steps[steps["position"] == 0]
    assert (first["typical"] != "(end)").all()


def test_events_named_start_and_end_are_not_the_sequence_markers():
    jobs = [["start", "work", "work", "end"]] * 200
    odd = ["start", "work", "work"]  # stopped without its "end" event
    seqs = Sequences.from_lists(jobs + [odd])
    det = MarkovDetector(order=2).fit(Sequences.from_lists(jobs))
    steps = det.explain(seqs[200:], top=4)
    last = steps[steps["position"] == "end"].iloc[0]
    # The sequence's end, where the model expected the event named "end".
    assert last["value"] == "(end)" and last["typical"] == "end"
    assert last["feature"] == "work → (end)"
    first = steps[steps["position"] == 0].iloc[0]
    assert first["feature"] == "(start) → start" and first["value"] == "start"


def test_a_reason_names_the_end_where_an_event_named_end_was_expected():
    rng = np.random.default_rng(1)
    rows = []
    for job in range(300):
        steps = ["start", "work", "work", "end"]
        if rng.random() < 0.3:  # other jobs check their work first
            steps = ["start", "check", "work", "work", "end"]
        if job == 299:
            steps = steps[:-1]  # stopped without its "end"
        rows += [(job, e, 60 * k) for k, e in enumerate(steps)]
    log = pd.DataFrame(rows, columns=["job", "event", "t"])
    table = oddseq.detect_anomalies(
        log, entity="job", event="event", time="t", method="markov", contamination=0.01
    )
    reason = table.loc[299, "reason"]
    # (the step to the end, unlike the one the model expected, is the reason's; before,
    # the end marker "end" equalled the expected event "end" and the step was dropped)
    assert "work → (end)" in reason and "(expected end)" in reason
