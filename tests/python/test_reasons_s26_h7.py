"""Reasons' words of session 26 (H7): a Markov step said with how often, and the
recent-change facts as a phrase of their own."""

import warnings

import numpy as np
import pandas as pd

import oddseq
from oddseq._reasons import before_evidence
from oddseq.sequences import Sequences


def test_a_repeated_markov_step_says_its_least_likely_occurrence_of_them():
    # Before: "5 times view → buy, the least likely p=0.035 (expected view)", where the
    # reason names this one step only: "the least likely" read as a comparison with
    # other steps that it does not name. The lowest p is that of its own occurrences.
    normal = [["login", "view", "view", "view", "logout"]] * 60
    normal += [["login", "view", "buy", "logout"]] * 10
    odd = [["login"] + ["view", "view", "buy"] * 5 + ["logout"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few sequences for the automatic cut
        pipe = oddseq.AnomalyPipeline(method="markov").fit(Sequences.from_lists(normal + odd))
    reason = pipe.table_.loc[70, "reason"]
    assert reason.startswith("5 times view → buy, the least likely of them p=0.035"), reason
    # a step made once keeps its words; "the least likely" only with how often
    reasons = pipe.table_["reason"]
    assert reasons[60].startswith("view → buy p=0.13 (expected view); buy → logout p=0.75")
    assert reasons.str.count("least likely of them").equals(reasons.str.count("least likely"))
    assert reasons.str.count("least likely").equals(reasons.str.count(r"\d times "))


def test_the_recent_change_facts_are_a_phrase_of_their_own():
    # Before: "mean value 245 (log-scale average 51.6) (recent: 5 of 24 events buy
    # ...)": the facts in brackets after the last feature's phrase read as that
    # feature's.
    reason = (
        "recent activity against its own past: values x8 (log-scale average x1); "
        "mean value 245 (log-scale average 51.6)"
    )
    facts = "recent: 5 of 24 events buy (21%), against 0 of 31 earlier, spread over 1.6 d"
    assert before_evidence(reason, facts) == (
        reason + "; recent change: 5 of 24 events buy (21%), against 0 of 31 earlier, "
        "spread over 1.6 d"
    )
    assert before_evidence(reason + " (rests on 4 events)", facts).endswith(
        "; recent change: 5 of 24 events buy (21%), against 0 of 31 earlier, spread over "
        "1.6 d (rests on 4 events)"
    )


def test_a_table_reason_ends_with_the_recent_change_phrase():
    rng = np.random.default_rng(0)
    day, hour = 86_400, 3_600
    rows = [
        (u, "view", d * day + 20 * hour + k * 60 + int(rng.integers(0, 300)), 20.0)
        for u in range(300)
        for d in range(6)
        for k in range(int(rng.integers(3, 8)))
    ]
    rows += [(999, "view", 20 * hour + k * 60, 20.0) for k in range(6)]
    rows += [(999, "buy", 5 * day + 3 * hour + k, 900.0) for k in range(6)]
    log = pd.DataFrame(rows, columns=["user", "event", "time", "value"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = oddseq.detect_anomalies(
            log, entity="user", event="event", time="time", value="value", recent_change=True
        )
    reason = table.loc[999, "reason"]
    assert "recent activity against its own past" in reason, reason
    assert "; recent change: 6 of " in reason, reason
    assert "(recent:" not in reason, reason
