"""The group search's patience from the one call, and where a search ended (TR s48 H2:
whether the stage found anything was decided by a stop rule the one call did not
expose and nothing said; TR s49 H2: a flash sale's blocks ended the search before a
review ring)."""

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.graph import GroupDetector

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
ENDS = {"patience", "spent", "most blocks"}


@pytest.fixture(scope="module")
def log():
    events = make_ecommerce(n_users=600, random_state=3).events
    # a device per user, shared by a household of three (for group_by)
    events["device"] = (events["user_id"].astype(np.int64) // 3).astype(str)
    return events


def _fit(log, patience):
    return GroupDetector(patience=patience).fit(
        log, entity="user_id", object="item_id", time="timestamp"
    )


def test_search_ends_says_where_and_after_how_many_blocks(log):
    short, long = _fit(log, 1), _fit(log, 40)
    for finder in (short, long):
        assert set(finder.search_ends_) == {"temporal"}
        end = finder.search_ends_["temporal"]
        assert end["end"] in ENDS
        assert end["blocks"] >= 1
    # patience 1 stops on the first block in a row that is no group (its candidates are
    # the blocks met); a longer patience meets at least as many
    assert short.search_ends_["temporal"]["end"] == "patience"
    assert long.search_ends_["temporal"]["blocks"] >= short.search_ends_["temporal"]["blocks"]
    assert len(long.candidates_) >= len(short.candidates_)
    # the limit of blocks, where patience never ends it
    most = 5 * long.max_groups_ + 4 * long.patience
    assert long.search_ends_["temporal"]["blocks"] <= most


def test_a_spent_search_says_spent():
    # three entities on three items, no times read as lockstep (static): a block or two,
    # then nothing left to search
    log = pd.DataFrame(
        {
            "user": [1, 1, 2, 2, 3, 3, 3],
            "item": [10, 11, 10, 11, 10, 11, 12],
            "ts": [0, 1, 2, 3, 4, 5, 6],
        }
    )
    finder = GroupDetector(method="static", patience=50).fit(
        log, entity="user", object="item", time="ts"
    )
    assert finder.search_ends_["static"]["end"] == "spent"


def test_the_one_call_takes_a_group_detector_with_its_settings(log):
    given = GroupDetector(patience=1, threshold=3.0, window="30min")
    table, pipe = oddseq.detect_anomalies(log, **ROLES, groups=given, return_pipeline=True)
    finder = pipe.groups_
    assert finder is not given and not hasattr(given, "groups_")  # a clone is fitted
    assert (finder.patience, finder.threshold, finder.window) == (1, 3.0, "30min")
    assert finder.method == "auto"  # the one call's choice on the items
    assert finder.search_ends_["temporal"]["end"] in ENDS
    assert "group" in table
    # the same search as GroupDetector alone with those settings
    alone = GroupDetector(patience=1, threshold=3.0, window="30min").fit(
        log, entity="user_id", object="item_id", time="timestamp"
    )
    assert len(finder.candidates_) == len(alone.candidates_)
    assert finder.search_ends_ == alone.search_ends_


def test_its_method_is_kept_where_set_else_the_one_calls(log):
    _, pipe = oddseq.detect_anomalies(
        log, **ROLES, group_by=["device"], groups=GroupDetector(patience=2), return_pipeline=True
    )
    assert pipe.groups_.method == "both"  # shared columns: both ways, as by default
    assert set(pipe.groups_.search_ends_) == {"static", "temporal"}
    _, pipe = oddseq.detect_anomalies(
        log,
        **ROLES,
        group_by=["device"],
        groups=GroupDetector(method="static", patience=2),
        return_pipeline=True,
    )
    assert pipe.groups_.method == "static"
    assert set(pipe.groups_.search_ends_) == {"static"}


def test_the_normal_logs_groups_are_searched_the_same_way(log, monkeypatch):
    from oddseq import _pipeline

    seen = []
    real = _pipeline.normal_referee

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        seen.append(out)
        return out

    monkeypatch.setattr(_pipeline, "normal_referee", spy)
    users = log["user_id"].unique()
    normal = log[log["user_id"].isin(users[: len(users) // 2])]
    scored = log[~log["user_id"].isin(users[: len(users) // 2])]
    # a ring of 8 buying the same 4 items within 20 minutes on 5 days, in the scored half
    t0, items = int(log["timestamp"].min()), log["item_id"].unique()[:4]
    rng = np.random.default_rng(0)
    ring = pd.DataFrame(
        [
            (10**7 + u, item, "buy", t0 + day * 86_400 + rng.uniform(0, 1_200))
            for day in range(5)
            for u in range(8)
            for item in items
        ],
        columns=["user_id", "item_id", "behavior", "timestamp"],
    )
    ring["timestamp"] = ring["timestamp"].astype(log["timestamp"].dtype)
    ring["device"] = "ring"
    scored = pd.concat([scored, ring], ignore_index=True)
    _, pipe = oddseq.detect_anomalies(
        scored,
        **ROLES,
        normal=normal,
        groups=GroupDetector(patience=2, threshold=2.5),
        return_pipeline=True,
    )
    # (the normal log's groups are read only where the scored log has some: the ring)
    assert len(pipe.groups_.groups_) and seen
    assert (seen[0].patience, seen[0].threshold) == (2, 2.5)
    referee = _pipeline.group_finder(GroupDetector(patience=4), "auto")
    assert (referee.patience, referee.method) == (4, "auto")
    assert _pipeline.group_finder("auto", "both").get_params()["patience"] == 3


def test_a_group_detector_runs_the_stage_as_true_does(log):
    with pytest.raises(ValueError, match="needs item=... or group_by"):
        oddseq.detect_anomalies(
            log, entity="user_id", event="behavior", time="timestamp", groups=True
        )
    # without item or group_by, as groups=True: nothing to look for groups on
    with pytest.raises(ValueError, match="groups=a GroupDetector needs item=... or group_by"):
        oddseq.detect_anomalies(
            log,
            entity="user_id",
            event="behavior",
            time="timestamp",
            groups=GroupDetector(patience=5),
        )


@pytest.mark.parametrize("bad", ["yes", 1, GroupDetector])
def test_a_bad_groups_value_names_the_detector(log, bad):
    with pytest.raises(ValueError, match="or a GroupDetector .*patience=10"):
        oddseq.detect_anomalies(log, **ROLES, groups=bad)


def test_the_shell_refuses_group_patience_it_cannot_use(log, tmp_path, capsys):
    from oddseq.cli import main

    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    base = ["detect", str(path), "--entity", "user_id", "--event", "behavior"]
    base += ["--time", "timestamp", "--item", "item_id", "-o", str(tmp_path / "t.csv")]
    assert main([*base, "--group-patience", "2", "--no-groups"]) == 2
    assert "--group-patience sets how far" in capsys.readouterr().err
    assert main([*base, "--group-patience", "0"]) == 2
    assert "--group-patience must be at least 1, got 0" in capsys.readouterr().err
    # nothing to group on: said in the shell's words, before the file is read (RV s50 L4)
    no_item = [a for a in base if a not in ("--item", "item_id")]
    no_item[1] = str(tmp_path / "not-there.csv")  # (never read: refused first)
    for option in (["--group-patience", "5"], ["--groups"]):
        assert main([*no_item, *option]) == 2
        err = capsys.readouterr().err
        assert f"{option[0]} needs --item or --group-by" in err
        assert "item=..." not in err and "GroupDetector" not in err


def test_nothing_to_group_on_is_refused_before_any_fit(log, monkeypatch):
    from oddseq import _pipeline

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted before the refusal")

    monkeypatch.setattr(_pipeline.AnomalyPipeline, "fit", no_fit)
    roles = {k: v for k, v in ROLES.items() if k != "item"}
    for groups in (True, GroupDetector(patience=5)):
        with pytest.raises(ValueError, match=r"needs item=\.\.\. or group_by="):
            oddseq.detect_anomalies(log, **roles, groups=groups)


@pytest.mark.parametrize(
    ("finder", "error", "words"),
    [
        (GroupDetector(patience=0), ValueError, "patience must be an int >= 1"),
        (GroupDetector(method="lockstep"), ValueError, "method must be one of"),
        (GroupDetector(threshold=-1.0), ValueError, "threshold"),
    ],
)
def test_a_detector_it_would_refuse_is_refused_before_any_fit(log, finder, error, words):
    # (review RV s50 M1: refused only after the per-entity model, and never on an empty
    # log; its own words read as the one call's method=)
    for frame in (log, log.head(0)):
        with pytest.raises(error, match=rf"^groups=GroupDetector\(\.\.\.\): .*{words}"):
            oddseq.detect_anomalies(frame, **ROLES, groups=finder)


def test_dask_takes_it_too():
    pytest.importorskip("dask.dataframe")
    from oddseq.dask._pipeline import _check_groups

    _check_groups(GroupDetector(patience=5), "item")
    with pytest.raises(ValueError, match="groups=a GroupDetector needs item="):
        _check_groups(GroupDetector(patience=5), None)
    with pytest.raises(ValueError, match="or a GroupDetector"):
        _check_groups("sometimes", "item")
    with pytest.raises(ValueError, match=r"^groups=GroupDetector\(\.\.\.\): patience"):
        _check_groups(GroupDetector(patience=0), "item")


def test_the_shell_says_where_a_search_without_a_group_stopped(log, tmp_path, capsys):
    """TR s52 H1 (review RV s50 M3): an ad network's 30-device farm was the block after
    the three that ended the search, and the shell's closing line said nothing of it."""
    from oddseq.cli import _group_search_ended, main

    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    base = ["detect", str(path), "--entity", "user_id", "--event", "behavior"]
    base += ["--time", "timestamp", "--item", "item_id", "-o", str(tmp_path / "t.csv")]
    code = main(base)
    said = capsys.readouterr()
    assert code == 0, said.err
    out = said.out
    assert (
        "the group search stopped after 5 blocks, none a group: it stops at 3 blocks in a row "
        "that are no group, crowds aside (--group-patience 3); --group-patience 10 searches on "
        "to 10 in a row"
    ) in out
    code = main([*base, "--group-patience", "12", "--force"])
    said = capsys.readouterr()
    assert code == 0, said.err
    out = said.out
    # the advice taken, not repeated (TR s53 M1: 10 -> 20 -> 60, never a group)
    assert "stopped after" in out and "at --group-patience 12, none a group" in out
    assert "searches on" not in out
    # no word where it found a group, or ran to the end
    assert _group_search_ended(None) == ""
    finder = _fit(log, 3)
    finder.groups_ = [object()]
    assert _group_search_ended(finder) == ""
    spent = GroupDetector(patience=3)
    spent.search_ends_, spent.groups_ = {"temporal": {"end": "spent", "blocks": 2}}, []
    assert _group_search_ended(spent) == ""


def test_score_says_nothing_of_a_saved_models_group_search(log, tmp_path, capsys):
    """Review RV s52 M1: oddseq score with a model saved from the one call repeated its
    fit's "the group search stopped ... --group-patience 10", an option score refuses."""
    from oddseq.cli import main

    _, pipe = oddseq.detect_anomalies(log, **ROLES, return_pipeline=True)
    assert pipe.groups_.search_ends_["temporal"]["end"] == "patience"
    model = tmp_path / "m.oddseq"
    pipe.save(model)
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    args = ["score", str(path), "--entity", "user_id", "--event", "behavior"]
    args += ["--time", "timestamp", "--item", "item_id", "--model", str(model)]
    assert main([*args, "-o", str(tmp_path / "s.csv")]) == 0
    assert "group search" not in capsys.readouterr().out


def test_no_word_where_the_normal_log_held_the_groups_found():
    """Review RV s52 L1: the groups the search found, all held by the normal log, are no
    "none a group"."""
    from oddseq._pipeline import NORMAL_HOLDS_IT
    from oddseq.cli import _group_search_ended

    finder = GroupDetector(patience=3)
    finder.search_ends_ = {"temporal": {"end": "patience", "blocks": 5}}
    finder.groups_ = pd.DataFrame({"members": []})
    finder.candidates_ = pd.DataFrame({"is_group": [False, False], "why_not": [None, "x"]})
    assert _group_search_ended(finder).startswith("the group search stopped after 5 blocks")
    finder.candidates_.loc[1, "why_not"] = NORMAL_HOLDS_IT
    assert _group_search_ended(finder) == ""
