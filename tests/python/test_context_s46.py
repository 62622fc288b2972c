"""context=: what an entity's devices, addresses and countries say of it.

Trial s45's music log: 100 hijacked accounts, each a night of plays on a new phone in
another country, were 1 of 100 flagged from the events alone; the device and country
columns were read by no default feature, and the docs offered only entity_features= for
them. ``oddseq.encode.context_features`` reads such side columns per entity (distinct
values, sharing against the column's usual, the share on a value of one day in a longer
history), and ``detect_anomalies(context=...)`` / ``oddseq detect --context`` score them
with the behaviour."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.cli import main
from oddseq.encode import context_features

DAY = 86_400


def _log(seed=0, n_users=1000, n_hijacked=12, farm=10):
    # users on 14 days, 2-5 sessions a week in the evening, each on its own phone in its
    # own country (three countries); the hijacked: one night of 60-120 events between
    # 01:00 and 04:00 on a phone and from a country of no other day; a farm: fresh
    # accounts on two shared phones
    rng = np.random.default_rng(seed)
    rows = []
    t0 = 1_767_225_600  # 2026-01-01 00:00 UTC
    for u in range(n_users):
        country = ["FR", "DE", "ES"][u % 3]
        for day in rng.choice(14, int(rng.integers(4, 10)), replace=False):
            start = t0 + day * DAY + rng.uniform(17, 22) * 3600
            for k, t in enumerate(start + np.cumsum(rng.exponential(60, int(rng.integers(5, 30))))):
                event = "view" if k % 4 else "cart"
                rows.append((f"u{u}", t, event, f"phone{u}", country))
    hijacked = [f"u{u}" for u in rng.choice(n_users, n_hijacked, replace=False)]
    for h in hijacked:
        start = t0 + int(rng.integers(3, 11)) * DAY + rng.uniform(1, 2) * 3600
        for k, t in enumerate(start + np.cumsum(rng.exponential(60, int(rng.integers(60, 120))))):
            rows.append((h, t, "view" if k % 4 else "cart", f"new-{h}", "VN"))
    for f in range(farm):
        start = t0 + 12 * DAY + rng.uniform(0, 3600)
        for t in start + np.cumsum(rng.exponential(60, 20)):
            rows.append((f"farm{f}", t, "view", f"shared{f % 2}", "FR"))
    log = pd.DataFrame(rows, columns=["user", "ts", "event", "device", "country"])
    log["ts"] = pd.to_datetime(log["ts"], unit="s", utc=True)
    return log, hijacked


def test_features_say_values_sharing_and_brief_stretches():
    log, hijacked = _log(n_users=300)
    table = context_features(log, "user", ["device", "country"], time="ts")
    assert table.index.name == "user"
    assert list(table.columns) == [
        "values[device]",
        "sharing[device]",
        "brief_share[device]",
        "values[country]",
        "sharing[country]",
        "brief_share[country]",
    ]
    normal = table.drop(index=hijacked + [f"farm{f}" for f in range(10)])
    # the hijacked: two devices, a night's share on the new one; the others: none
    assert (table.loc[hijacked, "values[device]"] == 2).all()
    assert (table.loc[hijacked, "brief_share[device]"] > 0.3).all()
    assert (table.loc[hijacked, "brief_share[country]"] > 0.3).all()
    assert (normal["brief_share[device]"] == 0).all() and (normal["values[device]"] == 1).all()
    # a farm's phones are shared by 5 where a phone is usually its user's alone; a
    # country of a hundred users is public (more than sqrt(310) entities): no sharing
    assert (table.loc[[f"farm{f}" for f in range(10)], "sharing[device]"] == 5).all()
    assert (normal["sharing[device]"] == 1).all()
    assert (table["sharing[country]"] == 1).all()
    # the farm's accounts live one day: their day is their whole history, not a stretch
    assert (table.loc[[f"farm{f}" for f in range(10)], "brief_share[device]"] == 0).all()


def test_times_as_numbers_and_text_and_missing_values():
    log, hijacked = _log(n_users=60, n_hijacked=3, farm=0)
    expected = context_features(log, "user", "device", time="ts")
    epoch = log.assign(ts=log["ts"].astype("int64") // 10**9)
    pd.testing.assert_frame_equal(context_features(epoch, "user", "device", time="ts"), expected)
    text = log.assign(ts=log["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    pd.testing.assert_frame_equal(context_features(text, "user", "device", time="ts"), expected)
    # a missing device is no value: left out of the counts, the caller's frame unchanged
    holes = log.copy()
    holes.loc[::7, "device"] = None
    before = holes.copy()
    table = context_features(holes, "user", "device", time="ts")
    pd.testing.assert_frame_equal(holes, before)
    assert table["values[device]"].max() == 2
    # without times: no brief share
    assert list(context_features(log, "user", "device").columns) == [
        "values[device]",
        "sharing[device]",
    ]


def test_the_one_call_finds_the_hijacked_with_context():
    log, hijacked = _log(seed=1)
    roles = dict(entity="user", event="event", time="ts")
    plain = oddseq.detect_anomalies(log, **roles)
    table = oddseq.detect_anomalies(log, **roles, context=["device", "country"])
    found_plain = plain.loc[hijacked, "is_anomaly"].sum()
    found = table.loc[hijacked, "is_anomaly"].sum()
    assert found >= 10 and found > found_plain
    # the reasons say the side columns in words
    said = table.loc[hijacked, "reason"].str.contains(
        "share of its events with a device that were on one of one day in a longer history"
        "|distinct device values"
    )
    assert said.all()
    # few false alarms among the 978 others
    others = table.drop(index=hijacked + [f"farm{f}" for f in range(10)])
    assert others["is_anomaly"].mean() <= 0.01


def test_context_beside_entity_features_and_with_normal():
    log, hijacked = _log(seed=2)
    roles = dict(entity="user", event="event", time="ts")
    ids = log["user"].unique()
    side = pd.DataFrame({"account_age_days": np.arange(len(ids)) % 50 + 100.0}, index=ids)
    table = oddseq.detect_anomalies(log, **roles, context="device", entity_features=side)
    assert table.loc[hijacked, "is_anomaly"].sum() >= 10
    # a column of both: refused, with the fix
    clash = side.assign(**{"values[device]": 1.0})
    with pytest.raises(ValueError, match=r"entity_features has columns \['values\[device\]'\]"):
        oddseq.detect_anomalies(log, **roles, context="device", entity_features=clash)
    # normal=: fitted on a clean log's own context, the scored log's read on its own
    clean, _ = _log(seed=3, n_hijacked=0, farm=0)  # (the same users, another draw)
    with pytest.warns(UserWarning, match="entities of the normal log too"):
        scored = oddseq.detect_anomalies(log, **roles, context="device", normal=clean)
    assert scored.loc[hijacked, "is_anomaly"].sum() >= 10


@pytest.mark.parametrize(
    ("context", "error", "match"),
    [
        (3, TypeError, "context must be a column name or a list of column names"),
        ([], ValueError, "context names no column"),
        (["device", "device"], ValueError, r"names \['device'\] more than once"),
        (["phone"], ValueError, r"context names columns the log lacks: \['phone'\]"),
        (["event"], ValueError, "'event' is the event"),
    ],
)
def test_bad_context_is_refused_with_the_fix(context, error, match):
    log, _ = _log(n_users=30, n_hijacked=0, farm=0)
    with pytest.raises(error, match=match):
        oddseq.detect_anomalies(log, entity="user", event="event", time="ts", context=context)


def test_a_normal_log_without_the_column_is_refused():
    log, _ = _log(n_users=30, n_hijacked=0, farm=0)
    with pytest.raises(ValueError, match=r"context \(in normal\) names columns the log lacks"):
        oddseq.detect_anomalies(
            log,
            entity="user",
            event="event",
            time="ts",
            context="device",
            normal=log.drop(columns="device"),
        )


def test_the_shell_takes_context(tmp_path, capsys):
    log, hijacked = _log(seed=4)
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    out = tmp_path / "out.csv"
    args = ["detect", str(path), "--entity", "user", "--event", "event", "--time", "ts"]
    assert main([*args, "--context", "device,country", "-o", str(out)]) == 0
    table = pd.read_csv(out).set_index("user")
    assert table.loc[hijacked, "is_anomaly"].sum() >= 10
    assert main([*args, "--context", "phone", "-o", str(out), "--force"]) == 2
    err = capsys.readouterr().err
    assert "--context names columns the log lacks: ['phone']" in err


def test_gaps_and_empty_columns_and_sessions(tmp_path, capsys):
    # review RV s46 H1-H3, M1
    from oddseq.exceptions import DataWarning

    log, hijacked = _log(seed=5)
    roles = dict(entity="user", event="event", time="ts")
    # an entity with no device in the log is no odd one: NaN, the fitted median, said
    quiet = [f"u{i}" for i in range(10) if f"u{i}" not in hijacked]
    gaps = log.assign(device=log["device"].where(~log["user"].isin(quiet)))
    table = context_features(gaps, "user", "device", time="ts")
    assert table.loc[quiet].isna().all().all()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scored = oddseq.detect_anomalies(gaps, **roles, context="device")
    assert not scored.loc[quiet, "is_anomaly"].any()
    assert any(issubclass(w.category, DataWarning) and "median" in str(w.message) for w in caught)
    # a column with no value at all: refused, named; an empty log: an empty table
    with pytest.raises(ValueError, match=r"context names columns with no value in the log"):
        oddseq.detect_anomalies(log.assign(country=None), **roles, context=["device", "country"])
    assert context_features(log.iloc[:0], "user", "device", time="ts").empty
    path = tmp_path / "blank.csv"
    log.assign(country="").to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user", "--event", "event", "--time", "ts"]
    assert main([*args, "--context", "country", "-o", str(tmp_path / "o.csv")]) == 2
    assert "--context names columns with no value" in capsys.readouterr().err
    # sessions would each take the entity's context: refused, with the way out
    with pytest.raises(ValueError, match=r"context= \(leave out session_gap\), or give"):
        oddseq.detect_anomalies(log, **roles, context="device", session_gap="30min")
    # ... in the shell's words (TR s53 L: "(leave session_gap out; --session-gap from the
    # shell)" read as an instruction to pass --session-gap)
    for command in ("detect", "fit"):
        where = ["-o", str(tmp_path / "s.csv")] if command == "detect" else []
        where = where or ["--save", str(tmp_path / "s.oddseq")]
        both = ["--context", "device", "--session-gap", "30min"]
        assert main([command, *args[1:], *both, *where]) == 2
        said = capsys.readouterr().err
        assert "Score whole entities with --context: leave --session-gap out" in said
        assert "session_gap" not in said and "entity_features" not in said
    # a side table of some of the entities: the others keep their context
    some = pd.DataFrame({"age": 1.0}, index=log["user"].unique()[:700])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table, pipe = oddseq.detect_anomalies(
            log, **roles, context="device", entity_features=some, return_pipeline=True
        )
    side = pipe._side_table()
    assert side["values[device]"].notna().all() and len(side) == log["user"].nunique()
