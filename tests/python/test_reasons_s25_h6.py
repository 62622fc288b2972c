"""The reasons against the truth counted by hand from the raw events (H6, session 25):
every number a reason states is one an analyst finds again in the log."""

import warnings

import oddseq
from oddseq.sequences import Sequences


def _markov_table(normal, odd):
    seqs = Sequences.from_lists(normal + odd)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few sequences for the automatic cut
        return oddseq.AnomalyPipeline(method="markov").fit(seqs).table_


def test_a_markov_reason_says_a_repeated_improbable_step_once_with_how_often():
    # Before: "view → buy p=0.035 (expected view); view → buy p=0.035 (expected view)",
    # one step said twice and not how many the score counted (it counts 5 misses).
    normal = [["login", "view", "view", "view", "logout"]] * 60
    normal += [["login", "view", "buy", "logout"]] * 10
    odd = [["login"] + ["view", "view", "buy"] * 5 + ["logout"]]
    table = _markov_table(normal, odd)
    reason = table.loc[70, "reason"]
    assert reason.count("view → buy") == 1, reason
    assert reason.startswith("5 times view → buy, the least likely p=0.035 (expected view)")
    # by hand: the odd sequence makes the step view → buy five times
    events = odd[0]
    assert sum(a == "view" and b == "buy" for a, b in zip(events, events[1:])) == 5


def test_a_markov_reason_of_steps_made_once_reads_as_before():
    normal = [["login", "view", "view", "view", "logout"]] * 60
    odd = [["login", "buy", "view", "logout"]]
    reason = _markov_table(normal, odd).loc[60, "reason"]
    assert " times " not in reason, reason
    assert reason.startswith("login → buy "), reason
