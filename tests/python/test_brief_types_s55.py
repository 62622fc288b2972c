"""``brief_types[<column>]``: the event types an entity did only on a brief value.

TR s54 M3 (a classifieds site): without the city column the account takeovers vanished
from the flags (0 of 26): their night on a new device gave a brief device share like the
8% of casual users who once used a second phone. What set them apart was what they did
there: changed the password and the phone number, posted, which the owner never did on
their own phone. The feature counts such types, less the count the entity's brief share
would put there by chance (a type of ``c`` events wholly on the brief values with
probability ``share ** c``), at least 0; the reasons name the types."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.cli import main
from oddseq.encode import context_features

DAY = 86_400
T0 = 1_767_225_600  # 2026-01-01 00:00 UTC


def _entity(rows, user, days, device, kinds=("view", "search"), start=0.0):
    for day in days:
        for k in range(6):
            rows.append(
                (user, T0 + day * DAY + 18 * 3600 + start + 60 * k, kinds[k % len(kinds)], device)
            )


def _hand_log():
    rows = []
    # the owner views and searches on its phone for ten days; one night a thief on a new
    # phone logs in, changes the password and the phone number, and views
    _entity(rows, "owner", range(10), "p-owner")
    for k, kind in enumerate(["login", "change_password", "change_phone", "view"]):
        rows.append(("owner", T0 + 5 * DAY + 2 * 3600 + 60 * k, kind, "p-thief"))
    # a reader on a friend's tablet one evening, doing what it does every day
    _entity(rows, "reader", range(10), "p-reader")
    _entity(rows, "reader", [4], "tablet", start=3600)
    # a newcomer of one day, on two phones: its day is its whole history
    _entity(rows, "newcomer", [2], "p-new", kinds=("signup", "view"))
    _entity(rows, "newcomer", [2], "p-new2", kinds=("change_phone",), start=600)
    return pd.DataFrame(rows, columns=["user", "ts", "event", "device"])


def test_the_types_done_only_on_a_brief_value_less_chance():
    log = _hand_log()
    table = context_features(log, "user", "device", "ts", event="event")
    assert list(table.columns) == [
        "values[device]",
        "sharing[device]",
        "brief_share[device]",
        "brief_types[device]",
    ]
    share = table.loc["owner", "brief_share[device]"]
    assert share == pytest.approx(4 / 64)
    # login, change_password and change_phone (one event each) only there; view not
    assert table.loc["owner", "brief_types[device]"] == pytest.approx(3 * (1 - share))
    # the tablet's evening: a brief share, but no type of its own
    assert table.loc["reader", "brief_share[device]"] > 0
    assert table.loc["reader", "brief_types[device]"] == 0
    assert table.loc["newcomer", "brief_types[device]"] == 0
    # without the event column there is no such column; event= without times is refused
    assert "brief_types[device]" not in context_features(log, "user", "device", "ts").columns
    with pytest.raises(ValueError, match="event= is read with time="):
        context_features(log, "user", "device", event="event")


def test_a_rotating_address_puts_rare_acts_on_brief_values_by_chance():
    # an entity whose address changes every day: every value but its everyday one is
    # brief, and a type done once lands on a brief value by chance
    rows = []
    for day in range(12):
        _entity(rows, "rotating", [day], f"ip-{day}")
    rows.append(("rotating", T0 + 7 * DAY + 18 * 3600 + 150, "pay", "ip-7"))  # (mid-visit)
    log = pd.DataFrame(rows, columns=["user", "ts", "event", "ip"])
    table = context_features(log, "user", "ip", "ts", event="event")
    share = table.loc["rotating", "brief_share[ip]"]
    assert share > 0.8
    # "pay" (1 event) counts 1 - share; "view" and "search" (36 events each) nothing
    expected = (1 - share) + 2 * (0 - share**36)
    assert table.loc["rotating", "brief_types[ip]"] == pytest.approx(max(expected, 0.0))
    assert table.loc["rotating", "brief_types[ip]"] < 0.2


def test_rows_without_a_value_or_a_type_and_the_rows_order():
    log = _hand_log()
    # an event with no type is still an event on its value; a row without a value is none
    extra = pd.DataFrame(
        [("owner", T0 + 5 * DAY + 2 * 3600 + 600, None, "p-thief"), ("gap", T0, "view", None)],
        columns=log.columns,
    )
    with_gaps = pd.concat([log, extra], ignore_index=True)
    table = context_features(with_gaps, "user", "device", "ts", event="event")
    share = table.loc["owner", "brief_share[device]"]
    assert share == pytest.approx(5 / 65)
    assert table.loc["owner", "brief_types[device]"] == pytest.approx(3 * (1 - share))
    assert np.isnan(table.loc["gap", "brief_types[device]"])
    shuffled = with_gaps.sample(frac=1.0, random_state=3)
    again = context_features(shuffled, "user", "device", "ts", event="event")
    pd.testing.assert_frame_equal(again.loc[table.index], table)


def test_the_event_column_is_checked():
    log = _hand_log()
    with pytest.raises(ValueError, match="event must name a column of df"):
        context_features(log, "user", "device", "ts", event="kind")
    with pytest.raises(ValueError, match="'event' is the event"):
        context_features(log, "user", ["device", "event"], "ts", event="event")
    with pytest.raises(TypeError, match="event must be a column name"):
        context_features(log, "user", "device", "ts", event=["event"])
    with pytest.raises(ValueError, match=r"reference lacks the columns \['event'\]"):
        context_features(
            log, "user", "device", "ts", event="event", reference=log.drop(columns="event")
        )
    # the one call: a log (or a normal log) without the event column is refused in the
    # sequences' words, not by a KeyError of the context pass (review RV s55 M1)
    roles = dict(entity="user", time="ts", context="device")
    with pytest.raises(ValueError, match="nope"):
        oddseq.detect_anomalies(log, event="nope", **roles)
    with pytest.raises(ValueError, match=r"normal lacks the columns \['event'\]"):
        oddseq.detect_anomalies(log, event="event", normal=log.drop(columns="event"), **roles)


def test_reference_and_normal_read_the_types_of_each_log():
    log = _hand_log()
    other = log.assign(user=log["user"] + "-2")
    alone = context_features(log, "user", "device", "ts", event="event")
    both = context_features(log, "user", "device", "ts", event="event", reference=other)
    # sharers are counted over both logs; the types are each entity's own
    pd.testing.assert_series_equal(both["brief_types[device]"], alone["brief_types[device]"])
    scored, hijacked = _takeover_log(seed=4, n_users=200, n_hijacked=4)
    clean, _ = _takeover_log(seed=5, n_users=200, n_hijacked=0)
    clean["user"] = "n" + clean["user"]
    table, pipe = _detect(scored, context="device", normal=clean, return_pipeline=True)
    assert "brief_types[device]" in list(pipe._side_table().columns)
    assert pipe.context_["event"] == "event"
    assert table.loc[hijacked, "is_anomaly"].all()


def test_a_long_column_name_stays_in_the_reason_and_a_bare_table_is_told_the_call():
    log, hijacked = _takeover_log(n_users=200, n_hijacked=4)
    long = "device_fingerprint_from_the_mobile_sdk_v2_of_the_app"
    log = log.rename(columns={"device": long})
    table, pipe = _detect(log, context=long, random_state=0, return_pipeline=True)
    reasons = table.loc[hijacked, "reason"].astype(str)
    said = reasons[reasons.str.contains("event types done only on a device_fingerpr…")]
    assert len(said) and said.str.contains("of one day in a longer history, beyond chance").all()
    # a later log's table read without event= lacks the types: the refusal names the call
    from oddseq.sequences import Sequences

    seqs = Sequences.from_events(log, entity="user", event="event", time="ts")
    bare = context_features(log, "user", long, "ts")
    with pytest.raises(
        ValueError, match=r"read as fitted: oddseq\.encode\.context_features\(.*event='event'"
    ):
        pipe.score(seqs, entity_features=bare)


def _takeover_log(seed=0, n_users=300, n_hijacked=8):
    """Users on their phone for a fortnight; a few on a tablet one evening doing as they
    do; the hijacked: one night on a new phone, changing the password and the phone
    number and posting."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        for day in sorted(rng.choice(14, int(rng.integers(5, 10)), replace=False)):
            start = T0 + day * DAY + rng.uniform(17, 22) * 3600
            gaps = np.cumsum(rng.exponential(90, int(rng.integers(5, 25))))
            for k, t in enumerate(start + gaps):
                rows.append((f"u{u}", t, "view" if k % 3 else "search", f"phone{u}"))
        if u % 10 == 0:  # a tablet's evening
            start = T0 + 9 * DAY + 20 * 3600
            for k in range(8):
                rows.append((f"u{u}", start + 60 * k, "view", f"tablet{u}"))
    hijacked = [f"u{u}" for u in rng.choice(np.arange(1, n_users, 10), n_hijacked, replace=False)]
    for h in hijacked:
        start = T0 + int(rng.integers(4, 11)) * DAY + 2 * 3600
        acts = ["login", "change_password", "change_phone", "post", "post", "view"]
        for k, kind in enumerate(acts):
            rows.append((h, start + 90 * k, kind, f"new-{h}"))
    log = pd.DataFrame(rows, columns=["user", "ts", "event", "device"])
    log["ts"] = pd.to_datetime(log["ts"], unit="s", utc=True)
    return log, hijacked


def _detect(log, **kw):
    """The one call on a log of _takeover_log's columns, its warnings left out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oddseq.detect_anomalies(log, entity="user", event="event", time="ts", **kw)


def test_the_one_call_finds_the_hijacked_and_its_reasons_name_the_types():
    log, hijacked = _takeover_log()
    table = _detect(log, context="device", random_state=0)
    top = table.index[: len(hijacked)]
    assert set(top) == set(hijacked)
    tablets = [f"u{u}" for u in range(0, 300, 10) if f"u{u}" not in hijacked]
    assert not table.loc[tablets, "is_anomaly"].any()
    words = "event types done only on a device of one day in a longer history"
    reasons = table.loc[hijacked, "reason"].astype(str)
    named = reasons[reasons.str.contains(words, regex=False)]
    assert len(named) >= len(hijacked) // 2
    for reason in named:
        assert ": change_password, change_phone, login, post" in reason


def test_dask_gives_the_one_machines_table_and_reasons():
    pytest.importorskip("dask")
    import dask.dataframe as dd

    from oddseq.dask._context import context_features as dask_context

    log, _ = _takeover_log(n_users=120, n_hijacked=3)
    log.loc[log.index[::17], "event"] = None  # (events without a type still count)
    expected = context_features(log, "user", ["device"], "ts", event="event")
    # rows shuffled over seven partitions (an entity's rows in several), and the event
    # column as text and as a categorical
    shuffled = log.sample(frac=1.0, random_state=1)
    for frame in (shuffled, shuffled.astype({"event": "category"})):
        (got,) = dask_context(
            [dd.from_pandas(frame, npartitions=7, sort=False)],
            "user",
            ["device"],
            "ts",
            event="event",
        )
        pd.testing.assert_frame_equal(got.loc[expected.index], expected, check_index_type=False)


def test_fit_and_score_from_the_shell_read_the_types(tmp_path, capsys):
    log, hijacked = _takeover_log(seed=1)
    middle = log["ts"].min() + pd.Timedelta(days=7)
    first, later = tmp_path / "first.csv", tmp_path / "later.csv"
    log[log["ts"] < middle].to_csv(first, index=False)
    log[log["ts"] >= middle].to_csv(later, index=False)
    model, out = tmp_path / "m.oddseq", tmp_path / "o.csv"
    shell = ["--entity", "user", "--event", "event", "--time", "ts"]
    fit = ["fit", str(first), *shell, "--context", "device", "--save", str(model)]
    assert main(fit) == 0
    fitted = oddseq.load(model)
    assert fitted.context_["event"] == "event"
    assert "brief_types[device]" in list(fitted._side_table().columns)
    assert main(["score", str(later), "--model", str(model), *shell, "-o", str(out)]) == 0
    capsys.readouterr()
    got = pd.read_csv(out, index_col="user")
    said = got["reason"].astype(str).str.contains(": change_password, change_phone", regex=False)
    assert said.any() and set(got.index[said]) <= set(hijacked)
    # a model that read the types scores a file with its event column only
    bare = ["--entity", "user", "--time", "ts"]
    again = ["-o", str(tmp_path / "again.csv")]
    assert main(["score", str(later), "--model", str(model), *bare, *again]) == 2
    assert "--event" in capsys.readouterr().err


def test_the_dask_call_names_the_types_as_one_machine(client):
    pytest.importorskip("dask")
    import dask.dataframe as dd

    from oddseq.dask import detect_anomalies as over_partitions

    log, hijacked = _takeover_log(seed=2, n_users=200, n_hijacked=5)
    roles = dict(entity="user", event="event", time="ts", context="device", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = oddseq.detect_anomalies(log, **roles)
        got = over_partitions(dd.from_pandas(log, npartitions=3), **roles).compute()
    got = got.loc[expected.index]
    np.testing.assert_allclose(got["score"], expected["score"], rtol=1e-9)
    assert (got["reason"] == expected["reason"]).all()
    assert got.loc[hijacked, "reason"].str.contains(": change_password, change_phone").any()


def test_a_model_fitted_before_the_types_scores_without_them(tmp_path, monkeypatch):
    # a model of the previous release: its context table had no brief_types, and its
    # context_ no "event"; oddseq score reads the later file's table as it was fitted
    from oddseq import _pipeline

    log, _ = _takeover_log(seed=3, n_users=150, n_hijacked=3)
    middle = log["ts"].min() + pd.Timedelta(days=7)
    reading = _pipeline._context_features

    def without_types(frames, entity, columns, time, event=None, **kw):
        return reading(frames, entity, columns, time, None, **kw)

    monkeypatch.setattr(_pipeline, "_context_features", without_types)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, pipe = oddseq.detect_anomalies(
            log[log["ts"] < middle],
            entity="user",
            event="event",
            time="ts",
            context="device",
            return_pipeline=True,
        )
    monkeypatch.undo()
    assert pipe.context_["event"] is None
    del pipe.context_["event"]  # (as the previous release saved it)
    model = pipe.save(tmp_path / "old.oddseq")
    later = tmp_path / "later.csv"
    log[log["ts"] >= middle].to_csv(later, index=False)
    shell = ["--entity", "user", "--event", "event", "--time", "ts"]
    out = tmp_path / "o.csv"
    assert main(["score", str(later), "--model", str(model), *shell, "-o", str(out)]) == 0
    assert not pd.read_csv(out)["reason"].astype(str).str.contains("event types done").any()


def test_two_columns_with_the_same_types_say_them_once():
    log, hijacked = _takeover_log(seed=6, n_users=200, n_hijacked=4)
    # the thief's night from a country of no other day too: the same types on both
    log["country"] = np.where(log["device"].str.startswith("new-"), "VN", "FR")
    table = _detect(log, context=["device", "country"], random_state=0)
    reasons = table.loc[hijacked, "reason"].astype(str)
    both = reasons[reasons.str.count("event types done only on") == 2]
    assert len(both)
    for reason in both:
        assert reason.count("change_password, change_phone") == 1
        assert "beyond chance" in reason and ": the same" in reason


def test_the_same_refers_back_to_a_list_the_reason_has_said():
    """TR s59 L1: "...on a city of one day ... 2.58 (typical 0): the same; ... on a
    device_id of one day ...: add_card, change_address": the columns were taken in the
    facts' order, not the reason's, and "the same" stood before its list."""
    from oddseq._pipeline import say_brief_types
    from oddseq._reasons import reason_name
    from oddseq.encode._context import TYPES_FACTS

    class Types:  # (BriefTypes' surface: the entities, each one's types in words)
        index = pd.Index(["u1", "u2"])

        def text(self, k):
            return ["add_card, change_address", "change_phone"][k]

    city, device = (reason_name(f"brief_types[{c}]") for c in ("city", "device_id"))
    table = pd.DataFrame(
        {
            "reason": [
                f"{city} 2.58 (typical 0); {device} 2.1 (typical 0)",
                f"{device} 3 (typical 0)",
            ]
        },
        index=["u1", "u2"],
    )
    facts = {TYPES_FACTS: {"device_id": Types(), "city": Types()}}
    said = say_brief_types(table, facts)["reason"].tolist()
    assert said[0] == (
        f"{city} 2.58 (typical 0): add_card, change_address; {device} 2.1 (typical 0): the same"
    )
    assert said[1] == f"{device} 3 (typical 0): change_phone"
