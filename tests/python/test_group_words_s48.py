"""A group's sentence counts the members its table lists under another group (TR s47 M8:
"one of 50 entities (group 0)" beside 26 rows of group 0, the other 24 under their own
stronger groups 2-4)."""

import numpy as np
import pandas as pd
from test_normal_groups_s47 import DAY, T0, _log

from oddseq.graph import GroupDetector
from oddseq.graph._detector import _and_list


def _two_groups_sharing_x():
    log = _log(seed=0, n_users=300, staff=[], ring=False)
    rng = np.random.default_rng(5)
    rows = []
    for name, shows, days, hour in (
        ("a", ("EV38", "EV39"), (1, 3, 5, 7, 9), 21),
        ("b", ("EV30", "EV31"), (2, 4, 6, 8), 22),
    ):
        for day in days:
            start = T0 + day * DAY + hour * 3600
            for member in [f"{name}{i}" for i in range(8)] + ["x"]:
                for show in shows:
                    rows.append((member, start + rng.uniform(0, 1800), "buy", show))
    extra = pd.DataFrame(rows, columns=["user", "ts", "event", "show"])
    extra["ts"] = pd.to_datetime(extra["ts"], unit="s", utc=True)
    return GroupDetector().fit(
        pd.concat([log, extra], ignore_index=True), entity="user", object="show", time="ts"
    )


def test_the_sentence_counts_members_listed_under_another_group():
    finder = _two_groups_sharing_x()
    assert len(finder.groups_) == 2
    home = int(finder.group_of(["x"])[0])
    other = 1 - home
    mate = next(m for m in finder.groups_["members"].iloc[other] if m != "x")
    said = finder.explain([mate, "x"]).tolist()
    assert said[0].startswith(
        f"one of 9 entities (group {other}; 1 of them listed under group {home}, its "
        "strongest) that acted"
    )
    # x's own group lists every member under its number: said as before
    assert said[1].startswith(f"one of 9 entities (group {home}) that acted")
    # the table's rows: 9 + 8 carry a group number, as the two sentences now say
    labels = finder.group_of(list(finder.entity_ids_))
    assert [int((labels == g).sum()) for g in (home, other)] == [9, 8]


def test_and_list():
    assert _and_list([2]) == "2"
    assert _and_list([2, 3]) == "2 and 3"
    assert _and_list([2, 3, 4]) == "2, 3 and 4"
    assert _and_list(range(8)) == "0, 1, 2, 3, 4 and 3 more"
