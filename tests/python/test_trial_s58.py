"""Trial TR s58 (a music streaming service's log): findings fixed."""

import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq import Sequences
from oddseq._pipeline import one_off_flag_counts, rare_only_flag_counts, warn_one_off_flags
from oddseq.exceptions import DataWarning


def _table(reasons, flagged=None):
    ids = [f"a{i}" for i in range(len(reasons))]
    flagged = np.ones(len(reasons), bool) if flagged is None else np.asarray(flagged)
    table = pd.DataFrame({"is_anomaly": flagged, "reason": reasons}, index=ids)
    seqs = Sequences.from_lists([["play"] * 10] * len(ids), ids=ids)
    return table, seqs


def test_a_one_off_in_the_k_means_words_is_counted_as_in_the_population_words():
    """H1: a churner's one cancel leads its reason as "count[cancel] 1 (entities like it
    have 0)" where the K-means member explains it, the same fact as "(most entities have
    none)": 33 of the trial's 39 flagged churners were said so and the one-off warning
    counted 6 of 107 flags, under its fifth, and said nothing."""
    reasons = (
        ["count[cancel] 1 (entities like it have 0); time from first to last event 3 days"] * 33
        + ["count[cancel] 1 (most entities have none); plays per hour 0.2 (typical 1.5)"] * 6
        + ["count[cancel] 1 (normal entities like it have 0)"] * 2
        + ["plays per hour 40 (typical 1.5)"] * 66
    )
    table, seqs = _table(reasons)
    n, types = one_off_flag_counts(table, seqs)
    assert n == 107 and types.to_dict() == {"cancel": 41}
    with pytest.warns(DataWarning, match=r"^41 of the 107 flagged entities .*\(cancel 41\)"):
        warn_one_off_flags(n, types)


def test_a_second_rare_count_in_either_words_is_no_one_off():
    """One act and a second act of a rare type, in any of the words: no one-off (the
    rare-only warning's, where the entity is busy); nor is a lead of more than one act or
    of a usual count."""
    reasons = [
        "count[cancel] 1 (entities like it have 0); count[refund] 2 (most entities have none)",
        "count[cancel] 1 (most entities have none); count[refund] 1 (entities like it have 0)",
        "count[cancel] 2 (entities like it have 0)",
        "count[cancel] 1 (typical 0.4)",
        "count[cancel] 1 (entities like it have 0.5)",
    ]
    table, seqs = _table(reasons)
    assert one_off_flag_counts(table, seqs)[1].empty
    # the rare-only count reads the same words (its own bar of busy entities aside)
    busy = Sequences.from_lists([["play"] * 10] * len(reasons), ids=table.index)
    _, k, named = rare_only_flag_counts(table, busy, median_length=1.0)
    # (two acts of one rare type alone are rare-only too)
    assert k == 3 and named.to_dict() == {"cancel": 3, "refund": 2}


def test_unflagged_and_group_rows_are_not_counted():
    reasons = ["count[cancel] 1 (entities like it have 0)"] * 6
    table, seqs = _table(reasons, flagged=[True, True, True, True, False, True])
    table["group"] = [-1, -1, -1, 0, -1, -1]
    n, types = one_off_flag_counts(table, seqs)
    assert n == 4 and types.to_dict() == {"cancel": 4}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_one_off_flags(n, types)  # under five: nothing


def _ring_log(seed=3):
    """Independent shoppers, and eight accounts that act together on four items in
    rounds, the most on item 100_000 (three rounds), the fewest on item 9 (one), two on
    each of 90_001 and 90_002 (the labels sort 9 < 90_001 < 90_002 < 100_000 as
    numbers, "100000" < "9" < "90001" < "90002" as text)."""
    rng = np.random.default_rng(seed)
    n = 3000 * 12
    log = pd.DataFrame(
        {
            "user": np.repeat(np.arange(3000), 12),
            "item": np.minimum(rng.zipf(1.3, n), 20_000) + 200_000,
            "ts": rng.integers(0, 10 * 86_400, n),
        }
    )
    members = np.arange(5000, 5008)
    rounds = []
    for item, start, repeat in [(9, 30, 1), (90_001, 80, 2), (90_002, 150, 2), (100_000, 200, 3)]:
        for _ in range(repeat):
            rounds.append(
                pd.DataFrame(
                    {
                        "user": members,
                        "item": item,
                        "ts": start * 3600 + rng.integers(0, 20 * 60, members.size),
                    }
                )
            )
    return pd.concat([log, *rounds], ignore_index=True), members


def test_a_groups_objects_are_named_by_its_acts_whatever_the_ids_type():
    """L7: a group's first three objects were its objects in the order their labels
    sort, so the one call (track ids as numbers) and the shell (the same ids read as
    text) named other tracks of the same group. Now the most acted on first, ties by
    the label's text: the same words either way."""
    from oddseq.graph import GroupDetector

    log, members = _ring_log()
    found = {}
    for kind, ids in (("numbers", log), ("text", log.assign(item=log["item"].astype(str)))):
        det = GroupDetector().fit(ids, entity="user", object="item", time="ts")
        group = det.groups_.iloc[0]
        assert group["members"] == members.tolist()
        found[kind] = [str(o) for o in group["objects"]]
        sentence = det.explain(members[:1]).iloc[0]
        found[kind + " said"] = sentence.split(" between ")[0].split(" on ")[-1]
    assert found["numbers"] == ["100000", "90001", "90002", "9"]  # (ties by text)
    assert found["numbers"] == found["text"]
    assert found["numbers said"] == found["text said"]


def test_a_mean_whole_by_chance_is_said_as_means_are():
    """L8: "mean value 583,904" (the mean of whole milliseconds, whole by chance) beside
    "mean value 628,000": means and spreads in three significant digits always, as the
    vectorised and the one-by-one writers both say them; counts and the largest or total
    value keep all their digits."""
    from oddseq._reasons import _FEW_TEXTS, feature_texts, format_value

    assert format_value("value_mean", 583_904.0) == "584,000"
    assert format_value("value_mean", 628_123.4) == "628,000"
    assert format_value("value_std", 1_311.0) == "1,310"
    assert format_value("value_max", 583_904.0) == "583,904"
    assert format_value("count[play_start]", 1_311.0) == "1,311"
    names = np.array(["value_mean", "value_std", "value_max"])
    cols = np.arange(3 * _FEW_TEXTS) % 3
    values = np.full(cols.size, 583_904.0)
    many = feature_texts(names, cols, values)
    few = np.concatenate(
        [feature_texts(names, cols[i : i + 1], values[i : i + 1]) for i in range(3)]
    )
    assert many[:3].tolist() == few.tolist() == ["584,000", "584,000", "583,904"]


def test_few_flags_on_a_log_too_small_to_check_the_cut_are_said():
    """M4: on a music service's first 400 accounts (ROC-AUC 0.91, 10 of its 16 anomalies
    in the top 20) the automatic cut flagged 1 and said nothing: under about 730
    entities not even no flags contradict the tail model at the repair's level, so a
    group at the top that pushed the cut past itself is never repaired. Said now, where
    the cut's rule flags so few that a right tail model gives it at most a 5% chance
    (Poisson's, by the repair's own bound) and the cut as bagged flags under half the
    rate's share too."""
    import oddseq
    from oddseq._pipeline import _checkable_from, _uncheckable_cut

    assert _checkable_from(0.01) == 728 and _checkable_from(0.001) == 7_272
    # 386 entities of the bulk, 14 a group far above it (6.50, 6.51, ..., 6.63)
    scores = np.r_[np.linspace(0.0, 3.0, 386), 6.5 + 0.01 * np.arange(14)]
    assert _uncheckable_cut(scores, 0.01, cut=20.0) == 0  # past the group: none flagged
    # one of 3.8 expected: not unlikely enough (Poisson's chance of at most 1: 11%)
    assert _uncheckable_cut(scores, 0.01, cut=6.625) is None
    # on 300, none of 2.85 expected is not unlikely enough either (6%)
    assert _uncheckable_cut(scores[100:], 0.01, cut=20.0) is None
    mid = np.r_[np.linspace(0.0, 3.0, 686), 6.5 + 0.01 * np.arange(14)]
    assert _uncheckable_cut(mid, 0.01, cut=6.625) == 1  # one of 6.65 expected on 700
    big = np.r_[np.linspace(0.0, 3.0, 786), 6.5 + 0.01 * np.arange(14)]
    assert _uncheckable_cut(big, 0.01, cut=20.0) is None  # (the repair's test acts there)
    # under half of the rate's share by the rule, not by the bag: the rule's chance
    assert _uncheckable_cut(scores, 0.01, cut=20.0, flagged=1) == 0
    assert _uncheckable_cut(scores, 0.01, cut=20.0, flagged=2) is None  # (1.9 expected / 2)
    # Where the next cut down takes a tie of over the rate's share, no cut within the
    # rate flags more: 6 of 20 tied at the top at the rate 0.2 (CI's draw, fifty-ninth
    # session), 0 or 6 flagged. A tie within the share is still said.
    tied = np.r_[np.full(11, 0.03), 1.03, 1.04, 1.05, np.full(6, 2.04)]
    assert _uncheckable_cut(tied, 0.2, cut=2.04) is None
    assert _uncheckable_cut(np.r_[tied[:-3], 1.5, 1.6, 1.7], 0.2, cut=2.04) == 0
    # ... and a tied group within the top fifth, though over the rate's share, is said
    # (the 14 of 400 above, tied: review RV s59 M1)
    assert _uncheckable_cut(np.r_[np.linspace(0.0, 3.0, 386), np.full(14, 6.5)], 0.01, 20.0) == 0
    # a held-out accounts log of 700 (4% planted; benchmarks/heldout_accounts.py)
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from heldout_accounts import make_heldout_accounts

    events, _ = make_heldout_accounts(700, seed=902, anomaly_share=0.04)
    roles = dict(entity="account_id", event="event", time="timestamp", random_state=0)
    with pytest.warns(DataWarning, match="the automatic cut's tail rule flags") as caught:
        table, pipe = oddseq.detect_anomalies(events, **roles, return_pipeline=True)
    said = [str(w.message) for w in caught if "cut's tail rule flags" in str(w.message)]
    flagged, rule = int(table["is_anomaly"].sum()), pipe.threshold_info_["bagged"]
    assert len(said) == 1 and rule["plain_n_flagged"] == 1 and flagged == 2
    assert said[0].startswith(
        "the automatic cut's tail rule flags 1 of 700 entities (the cut, bagged over draws "
        "of them, 2), under half of the 7 that false_alarm_rate=0.01 lets"
    )
    assert "from about 728 entities on" in said[0] and "threshold_info_" not in said[0]
    assert "contamination=" in said[0]
