"""A reason that names a side column's sharing says the value and the counts behind it.

Two trials' analysts read "entities on its most shared country, times a country's usual
1.25 (typical 1)" as noise, at the top of their lists (TR s49 L1: ten takeovers from one
country that no other account used; TR s48 L12: "a ratio of a ratio about a country").
The one call now follows it with "10 entities on country VN, where 8 is usual", as it
says a crowd's item and hour."""

import re

import numpy as np
import pandas as pd

import oddseq
from oddseq._reasons import reason_name
from oddseq.cli import main
from oddseq.encode._context import log_pairs, tables_from_pairs

ROLES = dict(entity="user", event="event", time="ts")


def _facts(frame):
    """The device column's facts (the context table's own pass)."""
    logs = [log_pairs(frame, "user", ["device"], time_unit="s", time_format=None, dayfirst=None)]
    facts = {}
    tables_from_pairs(logs, "user", ["device"], timed=False, facts=facts)
    return facts["device"]


def _log(seed=0, n_users=400, farm=6):
    # users of 10 days, each on its own phone and its own address; a farm of fresh
    # accounts on one phone "farm-phone" and the office address "10.0.0.7"
    rng = np.random.default_rng(seed)
    rows = []
    t0 = 1_767_225_600
    for u in range(n_users):
        for day in rng.choice(10, int(rng.integers(3, 7)), replace=False):
            start = t0 + day * 86_400 + rng.uniform(17, 22) * 3600
            for k, t in enumerate(start + np.cumsum(rng.exponential(60, rng.integers(5, 25)))):
                rows.append((f"u{u}", t, "cart" if k % 4 == 0 else "view", f"p{u}", f"a{u}"))
    for f in range(farm):
        start = t0 + 8 * 86_400 + rng.uniform(0, 3600)
        for t in start + np.cumsum(rng.exponential(5, 40)):
            rows.append((f"farm{f}", t, "view", "farm-phone", "10.0.0.7"))
    log = pd.DataFrame(rows, columns=["user", "ts", "event", "device", "ip"])
    log["ts"] = pd.to_datetime(log["ts"], unit="s", utc=True)
    return log


def test_the_facts_are_each_entitys_most_shared_private_value():
    # d1: 3 sharers, d2: 2, the others 1 each; "pub", used by 10 of the 16, is public
    # (more than sqrt(16) = 4 entities: a country, a gateway)
    users = list("abcdefghijklmnop")
    devices = ["d1", "d1", "d1", "d2", "d2"] + [f"own{k}" for k in range(11)]
    log = pd.DataFrame(
        {"user": users + ["a"] + users[:10], "device": devices + ["x9"] + ["pub"] * 10}
    )
    facts, usual = _facts(log)
    assert usual == 1.0
    # the entities on a value of more sharers than the usual, each its most shared one:
    # a's d1 (3) over its x9 (1); pub is public, the others' own devices no more than usual
    assert facts.to_dict("index") == {
        "a": {"value": "d1", "sharers": 3},
        "b": {"value": "d1", "sharers": 3},
        "c": {"value": "d1", "sharers": 3},
        "d": {"value": "d2", "sharers": 2},
        "e": {"value": "d2", "sharers": 2},
    }
    # a tie of sharers: the first value by its text, whatever the rows' order
    tied = pd.DataFrame(
        {"user": list("abab") + list("cdefgh"), "device": list("yyzz") + list("klmnop")}
    )
    for frame in (tied, tied.iloc[::-1]):
        facts, _ = _facts(frame)
        assert facts.loc["a"].tolist() == ["y", 2]


def test_the_one_call_names_the_value_and_the_usual():
    log = _log()
    table = oddseq.detect_anomalies(log, **ROLES, context=["device", "ip"])
    farm = table.loc[[f"farm{f}" for f in range(6)]]
    words = reason_name("sharing[device]")
    named = farm["reason"].str.contains(words, regex=False)
    assert named.sum() >= 4
    for reason in farm.loc[named, "reason"]:
        # ("typical" or "entities like it have": the K-means cluster the farm's own phone
        # is read against, by the draw)
        said = f"{words} 6 ({{}} 1): 6 entities on device farm-phone, where 1 is usual"
        assert any(said.format(peers) in reason for peers in ("typical", "entities like it have"))
    # an ordinary user's reason never has them
    assert not table.drop(index=farm.index)["reason"].str.contains("entities on device").any()
    # entity ids as numbers: the same words
    numbered = log.assign(user=log["user"].str.replace("farm", "900").str.lstrip("u").astype(int))
    again = oddseq.detect_anomalies(numbered, **ROLES, context=["device", "ip"])
    assert again.loc[9000, "reason"] == farm.loc["farm0", "reason"]
    # "an ip", not "a ip"
    assert reason_name("sharing[ip]") == "entities on its most shared ip, times an ip's usual"
    assert reason_name("brief_share[email]").startswith("share of its events with an email that")
    assert reason_name("brief_share[device]").startswith("share of its events with a device that")


def test_with_normal_the_sharers_are_counted_over_both_logs():
    log = _log(seed=1)
    farm = [f"farm{f}" for f in range(6)]
    # the normal log: the ordinary half of the users; the scored log, the rest with the
    # farm, whose phone three vetted accounts also used once
    users = log["user"].unique()
    vetted = [u for u in users if u.startswith("u") and int(u[1:]) % 2 == 0]
    normal = log[log["user"].isin(vetted)].copy()
    normal.loc[normal["user"].isin(vetted[:3]), "device"] = "farm-phone"
    scored = log[~log["user"].isin(vetted)]
    table = oddseq.detect_anomalies(scored, **ROLES, context="device", normal=normal)
    said = table.loc[farm, "reason"]
    said = said[said.str.contains(reason_name("sharing[device]"), regex=False)]
    assert len(said)
    assert said.str.contains("9 entities on device farm-phone, where 1 is usual").all()


def test_the_shell_says_them_too(tmp_path, capsys):
    path = tmp_path / "log.csv"
    _log().to_csv(path, index=False)
    out = tmp_path / "out.csv"
    code = main(
        ["detect", str(path), "--entity", "user", "--event", "event", "--time", "ts"]
        + ["--context", "device,ip", "-o", str(out)]
    )
    assert code == 0
    table = pd.read_csv(out, index_col=0)
    assert table["reason"].str.contains("6 entities on device farm-phone, where 1 is usual").any()
    # the same words as the Python call's, row for row (the file's times read back)
    log = pd.read_csv(path)
    python = oddseq.detect_anomalies(log, **ROLES, context=["device", "ip"])
    assert table["reason"].fillna("").tolist() == python["reason"].fillna("").tolist()


def test_short_flags_that_share_a_value_are_said_before_the_advice_to_drop_them():
    # TR s52 H2: 50 fresh device ids of a farm, 3 events each on one datacenter IP, were
    # the short flags, and the short-flag warning's advice (min_events=5) left them out
    import warnings as _warnings

    from oddseq.exceptions import DataWarning

    log = _log(seed=4, n_users=800, farm=0)
    rng = np.random.default_rng(4)
    rows = []
    t0 = 1_767_225_600 + 8 * 86_400
    for f in range(12):
        start = t0 + rng.uniform(0, 3 * 3600)
        for k, t in enumerate(start + np.cumsum(rng.exponential(20, 3))):
            rows.append((f"fresh{f}", t, ["view", "cart", "view"][k], f"fp{f}", "203.0.113.9"))
    fresh = pd.DataFrame(rows, columns=log.columns)
    fresh["ts"] = pd.to_datetime(fresh["ts"], unit="s", utc=True)
    both = pd.concat([log, fresh], ignore_index=True)
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        table = oddseq.detect_anomalies(both, **ROLES, context=["device", "ip"], groups=False)
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    (short,) = [m for m in said if "have fewer than 5 events" in m]
    flagged = table.loc[[f"fresh{f}" for f in range(12)], "is_anomaly"].sum()
    assert flagged >= 10
    named = int(re.search(r" (\d+) of them share a value", short).group(1))
    assert named == flagged  # each reason names the IP: "12 entities on ip 203.0.113.9"
    assert short.index("read those before leaving short entities out") < short.index("min_events=5")
