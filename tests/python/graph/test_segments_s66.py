"""A block of a large share of the entities is a segment of the population, no group
(TR s66: a mobile carrier's customers behind its pool of shared addresses, read with
group_by=["device_id", "ip"], were five groups of 294-486 of 3,000 accounts, and 68.6% of
the accounts were flagged)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.exceptions import DataWarning
from oddseq.graph import GroupDetector
from oddseq.graph._detector import SEGMENT_MIN, segment_floor


def _log(seed=0, n=3000, n_carrier=400, n_farm=12, farm_on_carrier=False):
    """Accounts on a phone and a home address of their own; a carrier's customers each
    on 2-6 of its pool of 40 shared addresses (and their own phones); a farm of 12
    accounts on 3 phones and 2 addresses of its own (``farm_on_carrier``: on 3 phones
    of its own and the carrier's addresses, as its customers)."""
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(n):
        rows.append((f"a{a}", f"phone{a}", f"home{a}", a))
    pool = [f"100.64.0.{k}" for k in range(40)]
    for a in rng.choice(n, n_carrier, replace=False):
        for ip in rng.choice(pool, rng.integers(2, 7), replace=False):
            rows.append((f"a{a}", f"phone{a}", ip, int(rng.integers(0, 10**6))))
    for f in range(n_farm):
        for k in range(4):
            ip = str(rng.choice(pool)) if farm_on_carrier else f"farmip{k % 2}"
            rows.append((f"farm{f}", f"farmphone{(f + k) % 3}", ip, 10**6 + k))
    return pd.DataFrame(rows, columns=["account", "device", "ip", "t"])


def _fit(log, **kw):
    return GroupDetector(method="static", **kw).fit(log, entity="account", object=["device", "ip"])


def _members(det):
    groups = det.candidates_[det.candidates_.is_group]
    return set().union(*map(set, groups.members)) if len(groups) else set()


@pytest.mark.parametrize("seed", [0, 1])
def test_a_carriers_customers_are_a_segment_and_the_farm_a_group(seed):
    det = _fit(_log(seed))
    assert _members(det) == {f"farm{f}" for f in range(12)}
    segments = det.candidates_[det.candidates_.why_not == "a segment"]
    assert len(segments) >= 1
    assert (segments.n_members >= segment_floor(0.05, 3012)).all()
    # (on the carrier's addresses)
    assert all(str(o[1]).startswith("100.64.") for o in segments.objects.iloc[0][:5])


def test_a_farm_among_the_carriers_customers_is_taken_in_and_found_on_its_phones():
    # (a limit: its phones go with the segment's block; the device alone finds it)
    log = _log(0, farm_on_carrier=True)
    det = _fit(log)
    assert not _members(det) & {f"farm{f}" for f in range(12)}
    assert (det.candidates_.why_not == "a segment").any()
    alone = GroupDetector(method="static").fit(log, entity="account", object="device")
    assert _members(alone) == {f"farm{f}" for f in range(12)}


def test_without_the_bar_the_carrier_is_a_group():
    det = _fit(_log(0), max_share=None)
    members = _members(det)
    assert {f"farm{f}" for f in range(12)} <= members
    assert len(members) > 150  # (the carrier's customers, as before TR s66)


def test_the_bar_follows_the_share_and_at_least_segment_min():
    assert segment_floor(0.05, 3000) == 150
    assert segment_floor(0.05, 500) == SEGMENT_MIN  # (a ring of 60 in 560 stays a group)
    assert segment_floor(0.2, 3000) == 600
    assert segment_floor(None, 3000) == np.inf
    # a higher bar keeps the carrier a group
    assert len(_members(_fit(_log(0), max_share=0.5))) > 150


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, float("nan")])
def test_a_share_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match="max_share"):
        _fit(_log(0, n=200, n_carrier=20), max_share=bad)


def test_a_share_not_a_number_is_refused():
    with pytest.raises(TypeError, match="max_share"):
        _fit(_log(0, n=200, n_carrier=20), max_share="0.05")


def _said(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = call()
    return out, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def _one_call(log, **kw):
    log = log.assign(event="login", t=pd.to_datetime(log["t"], unit="s"))
    return oddseq.detect_anomalies(
        log, entity="account", event="event", time="t", group_by=["device", "ip"], **kw
    )


def test_the_one_call_says_the_segments_and_how_to_keep_them():
    table, said = _said(lambda: _one_call(_log(0)))
    line = [s for s in said if "segments of the population" in s]
    assert len(line) == 1, said
    assert "no group" in line[0] and "ip 100.64.0." in line[0]
    assert "groups=oddseq.graph.GroupDetector(max_share=None)" in line[0]
    assert "(--group-max-share none from the shell)" in line[0]
    # the farm is flagged as a group, the carrier's customers are not flagged for one
    in_groups = set(table.index[table.group >= 0])
    assert in_groups == {f"farm{f}" for f in range(12)}
    # and no large-group warning: nothing so large is a group
    assert not [s for s in said if "seldom so large" in s and "segments of the" not in s]


def test_kept_as_groups_the_large_group_warning_says_them():
    finder = GroupDetector(max_share=None)
    table, said = _said(lambda: _one_call(_log(0), groups=finder))
    assert not [s for s in said if "segments of the population" in s]
    assert [s for s in said if "a ring is seldom so large a share" in s]


def test_the_shell_takes_the_bar(tmp_path, capsys):
    from oddseq.cli import main

    path = tmp_path / "log.csv"
    log = _log(0).assign(event="login")
    log.to_csv(path, index=False)
    base = ["detect", str(path), "--entity", "account", "--event", "event", "--time", "t"]
    base += ["--time-unit", "s", "--group-by", "device,ip", "-o"]
    assert main(base + [str(tmp_path / "a.csv")]) == 0
    err = capsys.readouterr().err
    assert "segments of the population" in err and "--group-max-share none" in err
    assert "pipeline" not in err.split("segments of the population")[1].split("\n")[0]
    a = pd.read_csv(tmp_path / "a.csv")
    assert main(base + [str(tmp_path / "b.csv"), "--group-max-share", "none"]) == 0
    b = pd.read_csv(tmp_path / "b.csv")
    assert (b["group"] >= 0).sum() > (a["group"] >= 0).sum() + 100


@pytest.mark.parametrize("bad", ["0", "1", "5%", "big"])
def test_the_shell_refuses_a_bad_bar(tmp_path, capsys, bad):
    from oddseq.cli import main

    path = tmp_path / "not-there.csv"  # (refused before any file is read)
    args = ["detect", str(path), "--entity", "account", "--event", "event", "--time", "t"]
    assert main([*args, "--group-by", "device,ip", "--group-max-share", bad]) == 2
    assert "--group-max-share must be a share of the entities in (0, 1)" in capsys.readouterr().err
    assert main([*args, "--item", "device", "--group-max-share", "0.1", "--no-groups"]) == 2
    assert "--group-max-share sets how large a group may be" in capsys.readouterr().err


def test_a_segment_of_the_normal_log_holds_a_smaller_block_of_its_population():
    # (review RV s66 H2: the normal log's carrier a segment, this log's smaller block of
    # its customers, under this log's bar, was a group and flagged)
    def timed(log):
        return log.assign(event="login", t=pd.to_datetime(log["t"], unit="s"))

    scored, normal = timed(_log(0, n_carrier=300)), timed(_log(1, n_carrier=400, n_farm=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = GroupDetector(method="static").fit(
            scored, entity="account", object=["device", "ip"]
        )
    table, said = _said(
        lambda: oddseq.detect_anomalies(
            scored,
            entity="account",
            event="event",
            time="t",
            group_by=["device", "ip"],
            normal=normal,
        )
    )
    # (the warning that sets it aside says a segment can hold it)
    assert [s for s in said if "are no groups" in s and "a segment of its population" in s]
    # alone, this log's carrier block is a group under its bar
    assert len(_members(finder) - {f"farm{f}" for f in range(12)}) > 100
    assert set(table.index[table.group >= 0]) == {f"farm{f}" for f in range(12)}


def _shared_devices_log(seed=0, n=3000, core=30, devices=12, core_use=10, grown=130, grown_use=5):
    """Accounts of a phone and 10 addresses of their own; a core of ``core`` accounts on
    ``core_use`` of ``devices`` shared phones each, and ``grown`` others on
    ``grown_use`` of them each (a weaker tie: the peeling leaves them out of the core's
    block, and the group's expansion takes them in)."""
    rng = np.random.default_rng(seed)
    rows = [(f"a{a}", f"phone{a}", f"home{a}_{j}", a) for a in range(n) for j in range(10)]
    shared = [f"shared{k}" for k in range(devices)]
    for r in range(core):
        for d in rng.choice(shared, core_use, replace=False):
            rows.append((f"core{r}", str(d), f"core_home{r}", 10**6))
    for a in rng.choice(n, grown, replace=False):
        for d in rng.choice(shared, grown_use, replace=False):
            rows.append((f"a{a}", str(d), f"home{a}_0", int(rng.integers(0, 10**6))))
    return pd.DataFrame(rows, columns=["account", "device", "ip", "t"])


@pytest.mark.parametrize("seed", [0, 1])
def test_a_block_grown_past_the_bar_by_its_expansion_is_a_segment(seed, monkeypatch):
    # (review RV s66 M2: the path where the peeled block, the core of 30, is under the
    # bar and the members the peeling left out take it past; no test reached it)
    import oddseq.graph._detector as detector

    log = _shared_devices_log(seed)
    n = log["account"].nunique()
    kept = _fit(log, max_share=None)
    groups = kept.candidates_[kept.candidates_.is_group]
    assert len(groups) == 1 and groups.n_members.iloc[0] == 160
    expanded = []
    hits_of = detector._unit_hits  # (read by the group's expansion alone)

    def recorded(*args):
        hits = hits_of(*args)
        expanded.append(int((hits[0] >= 2).sum()))
        return hits

    monkeypatch.setattr(detector, "_unit_hits", recorded)
    det = _fit(log)
    assert expanded and expanded[0] >= 160  # (the core and the 130 it grew by)
    assert not _members(det)
    segment = det.candidates_[det.candidates_.why_not == "a segment"]
    assert len(segment) == 1
    assert segment.n_members.iloc[0] == 160 >= segment_floor(0.05, n) > 30
    # a bar above the grown block keeps it a group
    assert _members(_fit(log, max_share=0.06)) >= {f"core{r}" for r in range(30)}
