"""The reasons against the truth counted by hand from the raw events (H6, session 25):
every number a reason states is one an analyst finds again in the log."""

import warnings

import numpy as np

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
    assert reason.startswith("5 times view → buy, the least likely of them p=0.035 (expected view)")
    # by hand: the odd sequence makes the step view → buy five times
    events = odd[0]
    assert sum(a == "view" and b == "buy" for a, b in zip(events, events[1:])) == 5


def test_a_markov_reason_of_steps_made_once_reads_as_before():
    normal = [["login", "view", "view", "view", "logout"]] * 60
    odd = [["login", "buy", "view", "logout"]]
    reason = _markov_table(normal, odd).loc[60, "reason"]
    assert " times " not in reason, reason
    assert reason.startswith("login → buy "), reason


def _recent_facts(times, events):
    from oddseq.encode import RecentChangeEncoder

    seqs = Sequences.from_arrays([0, len(times)], list(events), times=list(times))
    return RecentChangeEncoder().fit(seqs).recent_facts(seqs)[0]


def test_the_recent_facts_say_the_clock_hours_they_count_and_the_span_in_its_unit():
    # Before: "... against 1 of 3 over the 0.00046 days before; last session at 07:00,
    # 3 of 3 earlier events within an hour of it": 40 s said in days, and events at
    # 06:01 counted "within an hour" of a session that began at 07:42 (1 h 41 min
    # apart: the count is of the clock hours 06:00-08:59).
    day, hour = 86_400, 3_600
    earlier = [6 * hour + 60, 6 * hour + 80, 6 * hour + 100]
    recent = [3 * day + 7 * hour + 42 * 60 + 10 * k for k in range(4)]
    facts = _recent_facts(earlier + recent, ["view", "view", "buy"] + ["buy"] * 4)
    what, when = facts.split("; ")
    assert (
        what == "recent: 4 of 4 events buy (100%), against 1 of 3 earlier (33.3%), spread over 40 s"
    )
    assert when == (
        "last session began in the 07:00 hour, 3 of 3 earlier events in the hours 06:00-08:59"
    )
    # by hand: the earlier events' clock hours, and their span
    assert sum(6 <= (t % day) // hour <= 8 for t in earlier) == 3
    assert earlier[-1] - earlier[0] == 40


def test_the_recent_facts_hours_wrap_at_midnight():
    from oddseq.encode._change import change_facts_text

    # hour, near, type, its recent and earlier counts, recent and earlier events, days
    facts = np.array([[0, 5, 0, 2, 0, 2, 9, 2.5]])
    (text,) = change_facts_text(facts, np.array(["buy"], dtype=object))
    assert text == (
        "recent: 2 of 2 events buy (100%), against 0 of 9 earlier, spread over 2.5 d; "
        "last session began in the 00:00 hour, 5 of 9 earlier events in the hours 23:00-01:59"
    )


def _lockstep_log():
    """400 users at random over a week's 3,000 items, and 6 members (1000-1005) acting on
    item 9001 at hours 10, 30 and 50 and item 9002 at hour 70: the log, the members and
    a GroupDetector fitted on it."""
    import pandas as pd

    from oddseq.graph import GroupDetector

    rng = np.random.default_rng(3)
    hour = 3_600
    rows = [
        (u, int(rng.integers(0, 3_000)), int(rng.integers(0, 7 * 24 * hour)))
        for u in range(400)
        for _ in range(12)
    ]
    members = list(range(1_000, 1_006))
    for m in members:
        for h, item in [(10, 9_001), (30, 9_001), (50, 9_001), (70, 9_002)]:
            rows.append((m, item, h * hour + 60 + int(rng.integers(0, 600))))
    log = pd.DataFrame(rows, columns=["user", "item", "time"])
    return log, members, GroupDetector().fit(log, entity="user", object="item", time="time")


def test_a_lockstep_groups_reason_counts_its_object_windows_as_such():
    # Before: "each acted on 4.0 of the group's objects in their windows" of a group of
    # two objects: the count is of (object, window) pairs, 4 per member here.
    log, members, det = _lockstep_log()
    hour = 3_600
    reason = det.explain(members).iloc[0]
    # by hand: each member acted on 2 objects, in 4 (object, hour) windows
    mine = log[log.user.isin(members)]
    assert mine.groupby("user").item.nunique().eq(2).all()
    windows = mine.assign(h=mine.time // hour).drop_duplicates(["user", "item", "h"])
    assert windows.groupby("user").size().eq(4).all()
    assert "on objects 9001, 9002 " in reason, reason
    assert "each acted in 4.0 of the group's (object, 1 h window) pairs, where " in reason, reason
    assert "4.0 of the group's objects" not in reason


def test_a_value_of_an_entity_whose_events_carry_none_is_said_as_none():
    # Before: "share of events without a value 1 (...); largest value 0 (log-scale
    # average 752)": no event of it has a value (a game's players without gold moved:
    # 51 reasons of heldout game seed 239 said "largest value 0").
    import pandas as pd

    rng = np.random.default_rng(0)
    rows = [
        (u, "buy" if k % 4 == 3 else "view", 1_000_000 + u * 50_000 + k * 60, rng.gamma(4, 100))
        for u in range(300)
        for k in range(int(rng.integers(8, 20)))
    ]
    rows += [(999, "buy" if k % 4 == 3 else "view", 50_000_000 + k * 60, np.nan) for k in range(12)]
    log = pd.DataFrame(rows, columns=["user", "event", "time", "gold"])
    assert log.loc[log.user == 999, "gold"].isna().all()  # by hand: no value at all
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table, pipe = oddseq.detect_anomalies(
            log, entity="user", event="event", time="time", value="gold", return_pipeline=True
        )
    reason = table.loc[999, "reason"]
    assert "total gold none (no event has a value) (" in reason, reason
    assert "largest gold 0 " not in reason and " 0 (" not in reason
    why = pipe.explain([999], top=len(pipe.feature_names_)).droplevel(0).set_index("feature")
    assert why.loc["value_max", "note"] == "none (no event has a value)"
    assert why.loc["value_max", "value"] == 0  # (its own statistic: none)
    # and the detector read the population's largest value there, not 0: the value
    # statistics rest on the valued events, of which it has none (fifty-third session)
    assert (
        why.loc["value_max", "value_read"]
        == pipe.evidence_.median_[list(pipe.feature_names_).index("value_max")]
    )
    assert "largest gold" not in reason


def test_the_item_novelty_column_is_said_as_the_change_it_is():
    # Before: "recent activity against its own past: share on new items -0.551": a
    # share below 0. The column is the recent share on new items less the earlier
    # sessions' (RecentChangeEncoder), from -1 to 1.
    from oddseq._reasons import reason_name

    name = reason_name("change_item_novelty")
    assert name == "recent activity against its own past: change in share on new items"


def test_the_recent_facts_never_round_a_count_to_none_or_all():
    # Before: "recent: 1 of 300 events buy (0%), against 1 of 5000 (0.0%)": a count
    # said as none; and 299 of 300 as "(100%)"; counts now with thousands separators.
    from oddseq.encode._change import change_facts_text

    # hour, near, type, its recent and earlier counts, recent and earlier events, days
    facts = np.array([[3, 0, 0, 1, 1, 300, 5_000, 9], [3, 0, 0, 299, 4_999, 300, 5_000, 9]])
    low, high = change_facts_text(facts, np.array(["buy"], dtype=object))
    assert low.startswith("recent: 1 of 300 events buy (<1%), against 1 of 5,000 earlier (<0.1%)")
    assert high.startswith(
        "recent: 299 of 300 events buy (>99%), against 4,999 of 5,000 earlier (>99.9%)"
    )


def test_a_groups_chances_are_said_to_one_digit_not_rounded_to_a_power_of_ten():
    # Before: "chance 1e-17, 1e-13 after allowing ..." for 10 ** -16.53 = 3e-17 and
    # 10 ** -12.97 = 1.1e-13; a significance of 2.6 read "1e-3" (2.5e-3: two and a half
    # times stronger than it is).
    members, det = _lockstep_log()[1:]
    group = det.groups_.iloc[0]
    chance, corrected = 10 ** -group["log10_p"], 10 ** -group["significance"]
    said = f"(chance {chance:.0e}, {corrected:.0e} after allowing".replace("e-0", "e-")
    assert said in det.explain(members).iloc[0], (said, det.explain(members).iloc[0])


def test_the_recent_facts_come_before_the_note_of_few_events():
    # Before: "... time from first to last event 4.29 d (typical 5 d) (rests on 4
    # events) (recent: 2 of 2 events buy ...)": the facts of the recent-change phrase
    # after the note on the whole reason.
    import pandas as pd

    rng = np.random.default_rng(0)
    day, hour = 86_400, 3_600
    rows = [
        (u, "view", d * day + 20 * hour + k * 60 + int(rng.integers(0, 300)), 20.0)
        for u in range(300)
        for d in range(6)
        for k in range(int(rng.integers(3, 8)))
    ]
    rows += [(999, "view", 20 * hour, 20.0), (999, "view", 20 * hour + 60, 20.0)]
    rows += [(999, "buy", 5 * day + 3 * hour, 900.0), (999, "buy", 5 * day + 3 * hour + 5, 900.0)]
    log = pd.DataFrame(rows, columns=["user", "event", "time", "value"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = oddseq.detect_anomalies(
            log, entity="user", event="event", time="time", value="value", recent_change=True
        )
    reason = table.loc[999, "reason"]
    assert "recent activity against its own past" in reason, reason
    assert reason.endswith(" earlier events in the hours 02:00-04:59 (rests on 4 events)"), reason
    assert reason.count("(rests on") == 1
