"""Groups of ordinary people that fill the flags are said (TR s59 H1).

On a food-delivery app's log, office colleagues who order lunch together from one
restaurant were 20 groups of 4-10, 174 of 3,000 customers and 174 of the 231 flags, with
nothing said; with ``contamination=0.0307`` the table flagged 8.9%. Each group alone is
far under the large-group warning's 5%, but together they are 5.8% of the log (planted
rings and farms of every labelled source: under 2% together). Now the groups together
are said, and a share given as ``contamination=`` that the groups' members carry past
half as many again is said too.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq._pipeline import warn_groups_past_the_share
from oddseq.exceptions import DataWarning

ROLES = dict(entity="customer", event="event", time="ts", item="restaurant", funnel={})
TOGETHER = "groups hold"
PAST_THE_SHARE = "the share holds for the score cut"


def _lunch_log(n_users=1200, n_offices=12, size=6, seed=0):
    """Customers who order now and then from 400 restaurants; offices of six colleagues
    who order lunch together, five weekdays of a fortnight, from one of two places."""
    rng = np.random.default_rng(seed)
    day, t0 = 86_400, 1_772_409_600  # 2026-03-02 00:00 UTC, a Monday
    rows = []

    def order(user, t, place):
        for k, event in enumerate(("view_menu", "add_to_basket", "checkout")):
            rows.append((f"c{user:05d}", event, t + 60 * k + int(rng.integers(0, 40)), place))

    for u in range(n_users):
        for _ in range(int(rng.integers(2, 8))):
            t = t0 + int(rng.integers(0, 14)) * day + int(rng.integers(8 * 3600, 22 * 3600))
            order(u, t, f"r{int(rng.integers(0, 400)):03d}")
    for _ in range(n_offices):
        members = rng.choice(n_users, size, replace=False)
        places = [f"r{int(x):03d}" for x in rng.integers(0, 400, 2)]
        for d in rng.choice(10, 5, replace=False):
            t = t0 + int(d) * day + 12 * 3600 + int(rng.integers(0, 1200))
            place = places[int(rng.integers(0, 2))]
            for m in members:
                order(int(m), t + int(rng.integers(0, 900)), place)
    return pd.DataFrame(rows, columns=["customer", "event", "ts", "restaurant"])


@pytest.fixture(scope="module")
def lunches():
    return _lunch_log()


def _said(log, **options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table, pipe = oddseq.detect_anomalies(
            log, **ROLES, random_state=0, return_pipeline=True, **options
        )
    return table, pipe, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def test_groups_that_together_hold_a_large_share_are_said(lunches):
    table, pipe, said = _said(lunches)
    groups = pipe.groups_.groups_
    members = set().union(*map(set, groups["members"]))
    assert len(groups) >= 8 and groups["n_members"].max() < 0.05 * len(table)  # none large
    assert len(members) >= 0.05 * len(table)
    (together,) = [s for s in said if TOGETHER in s]
    assert together.startswith(
        f"the {len(groups)} groups hold {len(members)} of the 1,200 entities "
        f"({len(members) / 1200:.1%}) together, each member flagged whatever the cut"
    )
    assert "colleagues who order lunch together" in together
    for option in ("pipeline.groups_.groups_", "normal=", "groups=False", "--no-groups"):
        assert option in together
    assert not any(PAST_THE_SHARE in s for s in said)  # (no share was given)


def test_a_few_groups_are_not_said(lunches):
    # the same log with two offices: 12 members of 1,200, a ring's share
    few = _lunch_log(n_offices=2)
    _, pipe, said = _said(few)
    assert len(pipe.groups_.groups_) >= 1
    assert not any(TOGETHER in s for s in said)


def test_a_share_the_groups_carry_past_is_said(lunches):
    table, pipe, said = _said(lunches, contamination=0.01)
    flagged = int(table["is_anomaly"].sum())
    assert flagged > 1.5 * 0.01 * len(table)
    (past,) = [s for s in said if PAST_THE_SHARE in s]
    assert past.startswith("contamination=0.01 flags 12 of the 1,200 entities by score")
    assert f"bring the flags to {flagged} ({flagged / 1200:.1%} of them)" in past
    assert "groups=False" in past and "--no-groups" in past
    # without the group stage the share holds, and nothing is said
    table, _, said = _said(lunches, contamination=0.01, groups=False)
    assert int(table["is_anomaly"].sum()) == 12
    assert not any(PAST_THE_SHARE in s or TOGETHER in s for s in said)


def test_the_check_is_said_once_where_both_warnings_speak(lunches):
    """Review RV s59b L4: the together warning and the share warning both said "Check
    what the groups acted on and when (...) before acting on their members"; the share
    warning now points to the one before it, and says the check where it speaks alone."""
    _, _, said = _said(lunches, contamination=0.01)
    (together,) = [s for s in said if TOGETHER in s]
    (past,) = [s for s in said if PAST_THE_SHARE in s]
    check = "Check what the groups acted on and when"
    assert check in together and check not in past
    assert "for the group stage (the groups the warning before counts); groups=False" in past
    # two offices: no together warning, and the share warning says the check itself
    _, _, said = _said(_lunch_log(n_offices=2), contamination=0.002)
    assert not any(TOGETHER in s for s in said)
    (past,) = [s for s in said if PAST_THE_SHARE in s]
    assert check in past and "the warning before" not in past


def test_the_share_warning_speaks_only_past_half_as_many_again():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_groups_past_the_share("auto", 1000, 10, 300)  # (no share given)
        warn_groups_past_the_share(None, 1000, 10, 300)
        warn_groups_past_the_share(0.02, 1000, 20, 30)  # 30 of 1.5 x 20: silent
    with pytest.warns(DataWarning, match="contamination=0.02 flags 20 of the 1,000"):
        warn_groups_past_the_share(0.02, 1000, 20, 31)


def test_oddseq_dask_says_the_share_as_one_machine_does(lunches):
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    with warnings.catch_warnings(record=True) as caught, dask.config.set(scheduler="synchronous"):
        warnings.simplefilter("always")
        table = detect_anomalies(
            dd.from_pandas(lunches, npartitions=3), **ROLES, random_state=0, contamination=0.01
        ).compute()
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    # (oddseq.dask counts no crowds: one machine's call without them)
    one, _, mine = _said(lunches, contamination=0.01, crowds=False)
    assert int(table["is_anomaly"].sum()) == int(one["is_anomaly"].sum())
    assert [s for s in said if PAST_THE_SHARE in s] == [s for s in mine if PAST_THE_SHARE in s]
    # (the same groups, said alike; oddseq.dask takes no group_by=, and names no such route)
    heads = [[s.split(" before acting")[0] for s in w if TOGETHER in s] for w in (said, mine)]
    assert heads[0] == heads[1] and len(heads[0]) == 1


def test_a_lockstep_group_s_sentence_says_its_days_and_hours(lunches):
    # "between 11:46 on 03 Mar and 12:07 on 13 Mar" read as ten days of lockstep where
    # the colleagues ordered lunch together on a few weekdays (TR s59 H1)
    table, pipe, _ = _said(lunches)
    groups = pipe.groups_
    acts = groups.group_acts_[groups.group_acts_["in_block"]]
    for gid in groups.groups_.index[:3]:
        mine = pd.DatetimeIndex(acts.loc[acts["group"] == gid, "time"])
        days = mine.normalize().nunique()
        said = groups.explain(groups.groups_.loc[gid, "members"][:1]).iloc[0]
        assert f", on {days} days, each time between 12:" in said, said
        hours = said.split("each time between ")[1][:15]
        assert hours[:5] <= hours[-5:] and hours[-5:] <= "12:40"


def _ring_in_bursts(seed, starts):
    """600 users browsing 300 items over ten days from 2026-03-02 00:00 UTC, and eight
    accounts acting on the ring's three items within 30 minutes from each of ``starts``
    (seconds after that midnight): the GroupDetector fitted."""
    from oddseq.graph import GroupDetector

    rng = np.random.default_rng(seed)
    t0 = 1_772_409_600  # 2026-03-02 00:00 UTC
    rows = [
        (f"u{u}", f"i{int(rng.integers(0, 300))}", t0 + int(rng.integers(0, 10 * 86_400)))
        for u in range(600)
        for _ in range(int(rng.integers(3, 9)))
    ]
    for start in starts:
        for m in range(8):
            for k, item in enumerate(("i900", "i901", "i902")):
                rows.append((f"ring{m}", item, t0 + start + 600 * k + int(rng.integers(0, 300))))
    log = pd.DataFrame(rows, columns=["user", "item", "ts"])
    return GroupDetector().fit(log, entity="user", object="item", time="ts")


def test_the_hours_of_a_night_s_work_are_said_across_midnight():
    # eight accounts at 23:50-00:20 on three nights
    det = _ring_in_bursts(3, [night * 86_400 + 23 * 3600 + 50 * 60 for night in (0, 2, 5)])
    assert len(det.groups_) == 1
    said = det.explain(["ring0"]).iloc[0]
    assert ", on " in said and "each time between 23:5" in said and " and 00:" in said, said


def test_the_shell_says_both_warnings_in_its_own_words(tmp_path, oddseq_here):
    # (review RV s59b M1: pipeline.groups_ and normal= are no routes in the shell)
    path = tmp_path / "lunches.csv"
    _lunch_log().to_csv(path, index=False)
    args = ["detect", path, "--entity", "customer", "--event", "event", "--time", "ts"]
    done = oddseq_here(
        [*args, "--item", "restaurant", "--funnel", "none", "--contamination", "0.01"]
    )
    assert done.returncode == 0, done.stderr
    err = " ".join(done.stderr.split())
    assert TOGETHER in err and PAST_THE_SHARE in err
    assert "pipeline.groups_" not in err and "normal=" not in err and "groups=False" not in err
    assert "Read the objects, days and hours the members' reasons name" in err
    assert "--normal FILE" in err and "--no-groups" in err
    assert "--group-by" in err


def test_sessions_and_listed_members_are_counted_as_the_score_cut_read_them(lunches):
    # (review RV s59b M2: the rows the score cut read, not with the members min_events
    # left out, and said as sessions where the rows are sessions)
    table, pipe, said = _said(lunches, contamination=0.01, min_events=30)
    listed = int(table["reason"].astype(str).str.contains("listed for its group").sum())
    scored = len(table) - listed
    (past,) = [s for s in said if PAST_THE_SHARE in s]
    assert listed and f" of the {scored:,} entities by score" in past, (listed, past)
    _, _, said = _said(lunches, contamination=0.01, session_gap="2h")
    assert any(PAST_THE_SHARE in s and " sessions by score" in s for s in said)


def test_the_normal_log_is_not_advised_where_one_was_given():
    # (review RV s59b L1: with normal= given, the groups left are those it did not hold)
    from types import SimpleNamespace

    from oddseq._pipeline import _warn_groups_together

    groups = pd.DataFrame({"members": [[f"u{g}-{m}" for m in range(6)] for g in range(10)]})
    finder = SimpleNamespace(groups_=groups)
    for normal in (False, True):
        with pytest.warns(DataWarning, match=TOGETHER) as caught:
            _warn_groups_together(finder, 1_000, True, normal)
        said = str(caught[0].message)
        assert said.startswith("the 10 groups hold 60 of the 1,000 entities (6.0%) together")
        assert ("normal=" in said) is not normal


def test_bursts_at_other_hours_on_other_days_say_their_length():
    # "each time between 21:39 and 14:44" read as 17-hour bursts where a follower farm's
    # were 30 minutes each at a different hour each day (TR s66 L1)
    starts = [
        day * 86_400 + hour * 3600 + 40 * 60 for day, hour in ((0, 21), (2, 3), (4, 9), (6, 14))
    ]
    det = _ring_in_bursts(4, starts)
    assert len(det.groups_) == 1
    said = det.explain(["ring0"]).iloc[0]
    assert ", on 4 days, each time within " in said and " minutes (at other hours" in said, said
    within = int(said.split("each time within ")[1].split(" minutes")[0])
    assert 20 <= within <= 30
    assert "each time between" not in said
