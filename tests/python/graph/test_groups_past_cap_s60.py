"""Groups past the default cap are said (TR s59, 20,000 customers: 20 office groups
listed, 6 more blocks judged groups and set aside past ``max_groups``, silently). The
search keeps the ``max_groups`` most significant; a ring weaker than the cap's groups is
listed nowhere, and its members are scored alone. Where the cap is the default (one the
caller never chose) a DataWarning counts what it left out and names the setting that
lists it, in Python and in the shell (``--max-groups``)."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.cli import main
from oddseq.exceptions import DataWarning
from oddseq.graph import GroupDetector

ROLES = dict(entity="user", event="event", time="time", item="item")


def rings_log(n_rings=25, n_users=1500, size=3, seed=0):
    """Background users on 3,000 items at random times over a fortnight, and n_rings
    rings of ``size`` accounts that each view their ring's 3 items within the same 20
    minutes on 4 days."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2026-03-02").value // 10**9
    rows = []
    for u in range(n_users):
        for _ in range(8):
            event = rng.choice(["view", "cart", "buy"], p=[0.8, 0.15, 0.05])
            at = t0 + int(rng.integers(0, 14 * 86400))
            rows.append((f"u{u}", event, at, rng.integers(0, 3000)))
    for r in range(n_rings):
        for day in rng.choice(14, 4, replace=False):
            start = t0 + int(day) * 86400 + int(rng.integers(8, 20)) * 3600
            for m in range(size):
                for k in range(3):
                    at = start + int(rng.integers(0, 1200))
                    rows.append((f"r{r}_{m}", "view", at, 5000 + 3 * r + k))
    return pd.DataFrame(rows, columns=["user", "event", "time", "item"])


@pytest.fixture(scope="module")
def log():
    return rings_log()


def past_cap_warnings(caught):
    said = [w for w in caught if "past the" in str(w.message)]
    assert all(issubclass(w.category, DataWarning) for w in said)
    return [str(w.message) for w in said]


def test_groups_past_the_default_cap_are_counted_with_the_setting_that_lists_them(log):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table, pipe = oddseq.detect_anomalies(log, **ROLES, return_pipeline=True)
    finder = pipe.groups_
    past = finder.candidates_[finder.candidates_["why_not"] == "past max_groups"]
    assert len(finder.groups_) == finder.max_groups_ == 20 and len(past) >= 1
    (said,) = past_cap_warnings(caught)
    k = len(past)
    members = set().union(*map(set, past["members"])) - set().union(
        *map(set, finder.groups_["members"])
    )
    assert f"judged {k} more block{'s' if k > 1 else ''} to be groups, past the 20 it" in said
    assert f"their {len(members)} entities are scored alone" in said
    assert "pipeline.groups_.candidates_" in said and "why_not 'past max_groups'" in said
    route = f"groups=oddseq.graph.GroupDetector(max_groups={20 + k})"
    assert route in said and f"--max-groups {20 + k} from the shell" in said
    # what the blocks past the cap are, beside the groups listed (TR s62 M5)
    from oddseq._pipeline import _span

    alone = past[
        past["members"].map(lambda m: bool(set(m) - set().union(*finder.groups_["members"])))
    ]
    assert f"They hold {_span(alone['n_members'])} members on " in said, said
    listed = f"the groups listed: {_span(finder.groups_['significance'], 1)})"
    assert listed in said and "read a few before listing them" in said
    assert (
        _span([3, 3.2]) == "3" and _span([2, 5]) == "2-5" and _span([38.51, 39.3], 1) == "38.5-39.3"
    )
    # The advice taken lists them (and says nothing more of a cap the caller chose).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, wider = oddseq.detect_anomalies(
            log, **ROLES, groups=GroupDetector(max_groups=20 + k), return_pipeline=True
        )
    assert len(wider.groups_.groups_) == 20 + k and not past_cap_warnings(caught)
    listed = set().union(*map(set, wider.groups_.groups_["members"]))
    assert members <= listed


def test_the_route_keeps_the_callers_other_settings(log):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, **ROLES, groups=GroupDetector(patience=5))
    (said,) = past_cap_warnings(caught)
    route = r"groups=oddseq\.graph\.GroupDetector\(max_groups=\d+, patience=5\)"
    assert re.search(route, said), said


def test_a_cap_the_caller_chose_is_not_second_guessed(log):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, pipe = oddseq.detect_anomalies(
            log, **ROLES, groups=GroupDetector(max_groups=5), return_pipeline=True
        )
    assert (pipe.groups_.candidates_["why_not"] == "past max_groups").any()
    assert not past_cap_warnings(caught)


def test_no_word_where_nothing_is_past_the_cap():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, pipe = oddseq.detect_anomalies(rings_log(n_rings=4), **ROLES, return_pipeline=True)
    assert len(pipe.groups_.groups_) == 4
    assert not past_cap_warnings(caught)


def test_the_shell_says_it_in_its_words_and_takes_max_groups(log, tmp_path, capsys):
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user", "--event", "event", "--time", "time"]
    args += ["--item", "item", "--output", str(tmp_path / "out.csv")]
    assert main(args) == 0
    err = capsys.readouterr().err
    said = next(line for line in err.splitlines() if "past the 20 it lists" in line)
    assert "pipeline." not in said  # (no pipeline in the shell)
    k = int(re.search(r"--max-groups (\d+)", said).group(1)) - 20
    assert main(args + ["--max-groups", str(20 + k), "--force"]) == 0
    err = capsys.readouterr().err
    assert "past the" not in err
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["group"].max() == 20 + k - 1


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--max-groups", "0"], "--max-groups must be at least 1, got 0"),
        (["--max-groups", "3", "--no-groups"], "--max-groups sets how many groups"),
    ],
)
def test_max_groups_refusals_in_shell_words(tmp_path, capsys, extra, words):
    path = tmp_path / "log.csv"
    rings_log(n_rings=1, n_users=30).to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user", "--event", "event", "--time", "time"]
    assert main(args + ["--item", "item", *extra]) == 2
    assert words in capsys.readouterr().err


def test_max_groups_needs_objects_to_share(tmp_path, capsys):
    path = tmp_path / "log.csv"
    rings_log(n_rings=1, n_users=30).to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user", "--event", "event", "--time", "time"]
    assert main(args + ["--max-groups", "30"]) == 2
    assert "--max-groups needs --item or --group-by" in capsys.readouterr().err


def test_oddseq_dask_says_it_as_one_machine_does_without_the_shell(log):
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    with warnings.catch_warnings(record=True) as caught, dask.config.set(scheduler="synchronous"):
        warnings.simplefilter("always")
        detect_anomalies(dd.from_pandas(log, npartitions=3), **ROLES, random_state=0).compute()
    (said,) = past_cap_warnings(caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, **ROLES, random_state=0)
    (mine,) = past_cap_warnings(caught)
    assert "--max-groups" not in said  # (no shell behind oddseq.dask)
    assert said == re.sub(r" \(--max-groups \d+ from the shell\)", "", mine)


def test_no_word_where_every_member_past_the_cap_is_listed_anyway():
    from oddseq._pipeline import warn_groups_past_the_cap

    class Finder:  # (a fitted GroupDetector's record, as the warning reads it)
        max_groups, max_groups_ = None, 2
        groups_ = pd.DataFrame({"members": [["a", "b", "c"], ["d", "e", "f"]]})
        candidates_ = pd.DataFrame(
            {"members": [["a", "b", "c"], ["d", "e", "f"], ["a", "d", "e"]]}
        ).assign(why_not=[None, None, "past max_groups"])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_groups_past_the_cap(Finder())


def test_the_shell_reads_the_route_of_a_detector_of_several_settings(log, tmp_path, capsys):
    """Review RV s60 M1: with --group-patience the route was a GroupDetector of two
    settings, which the shell's general rewrite cut in two ("GroupDetector(max_groups=25,
    --max-groups 25 lists them too"); the cap is said by its option's name too."""
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user", "--event", "event", "--time", "time"]
    args += ["--item", "item", "--group-patience", "5", "-o", str(tmp_path / "out.csv")]
    assert main(args) == 0
    err = capsys.readouterr().err
    said = next(line for line in err.splitlines() if "past the 20 it lists" in line)
    route = (
        r"\(--max-groups: by default 20,.*nowhere\. They hold [\d,-]+ members on [\d,-]+ "
        r"objects each, at significance [\d.,-]+ \(in log10 units beyond chance; the groups "
        r"listed: [\d.,-]+\): read a few before listing them; --max-groups \d+ lists them too$"
    )
    assert re.search(route, said), said
    assert "GroupDetector" not in said and "max_groups" not in said, said
