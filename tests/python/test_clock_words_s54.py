"""Clock times in reasons and warnings name the zone the times carry, and only that.

TR s53 L: a grocery app's log of naive local times ("2026-03-02 00:01:59") had every
window in its reasons said "(UTC)", a zone its times never named: an analyst pasting
"between 18:55 on 03 Mar 2026 and 02:04 on 22 Mar 2026 (UTC)" into a ticket sends a
colleague to the wrong hours. Numbers since the epoch are instants, in UTC, and are said
so; tz-aware times name their zone; naive ones are said as the log writes them, of no
zone."""

import re

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.encode import CrowdEncoder
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences
from oddseq.utils._time import parse_times

HOUR = 3600
NAIVE = "(the log's clock, no zone given)"


def _crowd_log():
    rows = [(f"u{u}", "ip1", 10 * HOUR + u) for u in range(3)]  # the usual: 3 an hour
    rows += [(f"u{u}", "ip1", 30 * HOUR + u) for u in range(3)]
    rows += [(f"x{i}", "ip1", 50 * HOUR + 7 * i) for i in range(12)]  # then a crowd of 12
    return pd.DataFrame(rows, columns=["user", "item", "t"]).assign(event="login")


def _as(log, how):
    seconds = log["t"]
    if how == "epoch":
        return log
    stamps = pd.to_datetime(seconds, unit="s")
    if how == "naive":
        return log.assign(t=stamps)
    if how == "text":
        return log.assign(t=stamps.dt.strftime("%Y-%m-%d %H:%M:%S"))
    return log.assign(t=stamps.dt.tz_localize("UTC").dt.tz_convert("Asia/Shanghai"))


@pytest.mark.parametrize(
    "how, said",
    [
        ("epoch", "between 02:00 and 03:00 on 03 Jan 1970 (UTC)"),
        ("naive", f"between 02:00 and 03:00 on 03 Jan 1970 {NAIVE}"),
        ("text", f"between 02:00 and 03:00 on 03 Jan 1970 {NAIVE}"),
        ("aware", "between 10:00 and 11:00 on 03 Jan 1970 (Asia/Shanghai)"),
    ],
)
def test_a_crowds_hour_is_said_on_the_clock_the_times_carry(how, said):
    log = _as(_crowd_log(), how)
    seqs = Sequences.from_events(log, entity="user", event="event", time="t", item="item")
    facts = dict(zip(seqs.ids, CrowdEncoder().fit(seqs).crowd_facts(seqs, np.arange(len(seqs)))))
    assert facts["x0"] == f"12 entities on ip1 {said}, where 3 is usual"


def test_naive_times_are_marked_and_numbers_are_not():
    seconds = pd.Series([0, 60, 120])
    log = pd.DataFrame({"user": ["a", "a", "b"], "event": "v", "t": seconds})

    def read(times):
        seqs = Sequences.from_events(log.assign(t=times), entity="user", event="event", time="t")
        return seqs.tz, seqs.naive_clock

    assert read(seconds) == (None, False)
    assert read(seconds.astype(float)) == (None, False)
    assert read(seconds.astype(str)) == (None, False)  # (numbers written as text)
    stamps = pd.to_datetime(seconds, unit="s")
    assert read(stamps) == (None, True)
    assert read(stamps.dt.strftime("%Y-%m-%d %H:%M:%S")) == (None, True)
    assert read(stamps.dt.tz_localize("Europe/Paris")) == ("Europe/Paris", False)
    # kept through take and sessions; the clock hours the same either way
    naive = Sequences.from_events(log.assign(t=stamps), entity="user", event="event", time="t")
    assert naive[[1]].naive_clock and naive.session("30min").naive_clock
    plain = Sequences.from_events(log, entity="user", event="event", time="t")
    assert (naive.times == plain.times).all()
    clock: dict = {}
    parse_times(stamps, "t", clock=clock)
    assert clock == {"naive": True}


@pytest.fixture(scope="module")
def ring_log():
    return make_ecommerce(n_users=1500, rings=2, random_state=5).events


@pytest.mark.parametrize("how, zone", [("epoch", "(UTC)"), ("naive", NAIVE), ("text", NAIVE)])
@pytest.mark.parametrize("by", ["item", "group_by"])  # (the sequences' items; the log read)
def test_a_groups_window_is_said_on_the_clock_the_times_carry(ring_log, how, zone, by):
    log = _as(ring_log.rename(columns={"timestamp": "t"}), how)
    table = oddseq.detect_anomalies(
        log, entity="user_id", event="behavior", time="t", **{by: "item_id"}
    )
    reasons = table.loc[table["group"] >= 0, "reason"]
    assert len(reasons) >= 2
    assert reasons.str.contains(re.escape(zone)).all()
    assert (zone == "(UTC)") == reasons.str.contains("(UTC)", regex=False).any()


@pytest.mark.parametrize("how, zone", [("epoch", " UTC"), ("naive", "")])
def test_a_stray_events_times_name_no_zone_the_log_does_not(how, zone):
    rng = np.random.default_rng(0)
    seconds = (1_767_225_600 + rng.uniform(0, 2 * HOUR, 3000)).astype(np.int64)
    log = pd.DataFrame({"user": rng.integers(0, 200, 3000).astype(str), "event": "v", "t": seconds})
    log.loc[0, "t"] = 1_767_225_600 - 300 * 86_400  # a stray, ten months before the rest
    log = _as(log, how)
    with pytest.warns(DataWarning, match="outside the log's main time window") as caught:
        oddseq.detect_anomalies(log, entity="user", event="event", time="t")
    said = next(str(w.message) for w in caught if "main time window" in str(w.message))
    assert f"(2026-01-01 00:00 to 2026-01-01 01:59{zone}), on 2025-03-07 00:00{zone}:" in said


def _stray_log(how):
    rng = np.random.default_rng(1)
    seconds = (1_767_225_600 + rng.uniform(0, 2 * HOUR, 3000)).astype(np.int64)
    log = pd.DataFrame({"user": rng.integers(0, 200, 3000).astype(str), "event": "v", "t": seconds})
    log.loc[0, "t"] = 1_767_225_600 - 300 * 86_400
    return _as(log, how)


@pytest.mark.parametrize("how, zone", [("epoch", " UTC"), ("naive", "")])
def test_the_quality_report_says_the_clock_as_the_one_call_does(how, zone):
    from oddseq.preprocessing import quality_report

    report = quality_report(_stray_log(how), entity="user", event="event", time="t")
    said = " ".join(str(v) for v in report.astype(str).to_numpy().ravel())
    assert f"the rest from 2026-01-01 00:00 to 2026-01-01 01:59{zone}" in said


def test_sequences_from_arrays_mark_naive_times():
    stamps = pd.to_datetime([0, 60], unit="s")
    assert Sequences.from_arrays([0, 2], ["a", "b"], times=stamps).naive_clock
    assert not Sequences.from_arrays([0, 2], ["a", "b"], times=[0, 60]).naive_clock


@pytest.mark.parametrize("how, zone", [("epoch", "(UTC)"), ("naive", NAIVE)])
def test_the_dask_call_says_the_clock_as_one_machine(client, ring_log, how, zone):
    dd = pytest.importorskip("dask.dataframe")
    from oddseq.dask import detect_anomalies

    log = _as(ring_log.rename(columns={"timestamp": "t"}), how)
    roles = dict(entity="user_id", event="behavior", time="t", item="item_id")
    table = detect_anomalies(dd.from_pandas(log, npartitions=2), **roles).compute()
    reasons = table.loc[table["group"] >= 0, "reason"]
    assert len(reasons) >= 2 and reasons.str.contains(re.escape(zone)).all()
    # the stray event's warning too
    strays = dd.from_pandas(_stray_log(how), npartitions=2)
    with pytest.warns(DataWarning) as caught:
        detect_anomalies(strays, entity="user", event="event", time="t").compute()
    said = next(str(w.message) for w in caught if "main time window" in str(w.message))
    assert f"01:59{'' if how == 'naive' else ' UTC'}), on 2025-03-07 00:00" in said
