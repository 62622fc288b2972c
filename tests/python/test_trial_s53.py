"""TR s53 (a grocery chain's loyalty and coupon app): the findings fixed, each on a
small log of the behaviour it names."""

import numpy as np
import pandas as pd

from oddseq.encode import context_features

DAY = 86_400


def test_a_phone_left_on_the_first_day_is_no_brief_stretch():
    # upgrader: the old phone on its first trip (day 0), then the new one for ten days;
    # hijacked: its own phone for ten days, then a night on another (day 11)
    rows = [("upgrader", "old", h * 3_600) for h in range(4)]
    rows += [("upgrader", "new", d * DAY) for d in range(1, 11)]
    rows += [("hijacked", "own", d * DAY) for d in range(11)]
    rows += [("hijacked", "thief", 11 * DAY + h * 600) for h in range(4)]
    log = pd.DataFrame(rows, columns=["user", "device", "ts"])
    table = context_features(log, "user", "device", time="ts", time_unit="s")
    assert table.loc["upgrader", "brief_share[device]"] == 0
    assert table.loc["hijacked", "brief_share[device]"] == 4 / 15
    assert (table["values[device]"] == 2).all()  # (both used two: said as such)


def test_a_value_begun_after_the_everyday_one_is_brief_whatever_the_order():
    rng = np.random.default_rng(0)
    rows = [("u", "home", d * DAY) for d in range(8)] + [("u", "cafe", 3 * DAY + 60)]
    log = pd.DataFrame(rows, columns=["user", "ip", "ts"])
    shuffled = log.iloc[rng.permutation(len(log))].reset_index(drop=True)
    tables = [context_features(f, "user", "ip", time="ts", time_unit="s") for f in (log, shuffled)]
    pd.testing.assert_frame_equal(*tables)
    assert tables[0].loc["u", "brief_share[ip]"] == 1 / 9


def _chain_log(seed: int = 0) -> pd.DataFrame:
    """400 shoppers of a chain's 6 stores (each store held by ~200 of them: public), on
    their own phones; 12 scripts, each on its own phone, that scan at every store in
    different weeks; a ring of 8 fresh accounts on 2 shared phones."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(400):
        for _ in range(int(rng.integers(4, 12))):
            rows.append((f"u{u}", f"p{u}", int(rng.integers(0, 6)), int(rng.integers(0, 28 * DAY))))
    for b in range(12):
        start = int(rng.integers(0, 20)) * DAY
        for i in range(60):
            rows.append((f"farm{b}", f"fp{b}", i % 6, start + i * 600))
    for r in range(8):
        for i in range(3):
            rows.append(
                (
                    f"ring{r}",
                    f"rp{(r + i) % 2}",
                    int(rng.integers(0, 6)),
                    3 * DAY + r * 900 + i * 60,
                )
            )
    return pd.DataFrame(rows, columns=["user", "device", "store", "ts"]).assign(event="scan")


def test_a_public_value_is_no_sign_of_a_ring():
    import warnings

    import oddseq
    from oddseq._pipeline import public_values_left_out

    log = _chain_log()
    left, private = public_values_left_out(log, ["store", "device"], "user")
    assert left["store"].isna().all() and left["device"].notna().all()  # every store public
    assert private == ["device"]
    assert log["store"].notna().all()  # (the caller's frame as it was)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table, pipe = oddseq.detect_anomalies(
            log,
            entity="user",
            event="event",
            time="ts",
            group_by=["device", "store"],
            time_unit="s",
            return_pipeline=True,
        )
    said = [str(w.message) for w in caught if "group_by column 'store'" in str(w.message)]
    assert len(said) == 1 and "each of its 6 values is held by more than" in said[0]
    members = (
        set().union(*map(set, pipe.groups_.groups_["members"]))
        if len(pipe.groups_.groups_)
        else set()
    )
    assert not any(m.startswith("farm") for m in members)  # (no "group" on the stores)
    assert {f"ring{r}" for r in range(8)} <= members  # the shared phones still are one


def test_group_by_a_column_of_public_values_only_is_said_and_runs_no_stage(tmp_path, capsys):
    import pytest

    import oddseq
    from oddseq.cli import main
    from oddseq.exceptions import DataWarning

    log = _chain_log()
    with pytest.warns(DataWarning, match="group_by column 'store': each of its 6 values"):
        table = oddseq.detect_anomalies(
            log, entity="user", event="event", time="ts", group_by="store", time_unit="s"
        )
    assert "group" not in table and len(table) == log["user"].nunique()
    # the same with a normal log (the referee reads its own public values)
    normal = _chain_log(seed=1)  # (other shoppers, under other ids)
    normal = normal[normal["user"].str.startswith("u")].assign(user=lambda f: "n" + f["user"])
    with pytest.warns(DataWarning, match="group_by column 'store'"):
        scored = oddseq.detect_anomalies(
            log,
            entity="user",
            event="event",
            time="ts",
            group_by=["device", "store"],
            time_unit="s",
            normal=normal,
        )
    assert scored.loc[[f"ring{r}" for r in range(8)], "is_anomaly"].all()
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user", "--event", "event", "--time", "ts"]
    out = tmp_path / "out.csv"
    code = main([*args, "--time-unit", "s", "--group-by", "store", "-o", str(out)])
    assert code == 0 and len(pd.read_csv(out)) == log["user"].nunique()
    err = capsys.readouterr().err
    assert "group_by column 'store': each of its 6 values" in err
    assert "Traceback" not in err


def _app_log(seed: int = 0, n: int = 1_500, changed: float = 0.05) -> pd.DataFrame:
    """Shoppers of varied pace (views, lists, scans), ``changed`` of them with one
    change_phone or change_email, and 10 takeovers (both changes, then redeems)."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n):
        k = int(rng.integers(5, 40))
        times = np.sort(rng.integers(0, 28 * DAY, k))
        kinds = rng.choice(["browse", "add_to_list", "scan"], k, p=[0.7, 0.2, 0.1])
        rows += [(f"u{u}", e, int(t)) for e, t in zip(kinds, times)]
        if rng.random() < changed:
            rows.append(
                (f"u{u}", str(rng.choice(["change_phone", "change_email"])), int(times[-1]))
            )
    for t in range(10):
        start = int(rng.integers(0, 20 * DAY))
        rows += [(f"t{t}", "browse", start + i * 86_400) for i in range(6)]
        rows += [
            (f"t{t}", e, 25 * DAY + i * 30)
            for i, e in enumerate(["change_phone", "change_email"] + ["redeem"] * 4)
        ]
    return pd.DataFrame(rows, columns=["user", "event", "ts"])


def _one_off_said(caught) -> list:
    return [str(w.message) for w in caught if "flagged first for one event" in str(w.message)]


def test_flags_filled_by_one_routine_event_of_a_rare_type_are_said():
    import warnings

    import oddseq
    from oddseq._pipeline import one_off_flag_counts

    log = _app_log()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = oddseq.detect_anomalies(log, entity="user", event="event", time="ts", time_unit="s")
    n, types = one_off_flag_counts(table)
    assert n == int(table["is_anomaly"].sum()) and types.sum() >= 5
    said = _one_off_said(caught)
    assert len(said) == 1 and f"{int(types.sum()):,} of the {n:,} flagged entities" in said[0]
    assert "normal=..., oddseq detect --normal FILE" in said[0]
    # the takeovers (their redeems lead) are flagged, and none is counted among them
    takeovers = table.loc[[f"t{t}" for t in range(10)]]
    n_takeovers, types_of_takeovers = one_off_flag_counts(takeovers)
    assert takeovers["is_anomaly"].all() and n_takeovers == 10 and types_of_takeovers.empty
    # a log where nobody changes anything once: nothing said
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(
            _app_log(changed=0.0), entity="user", event="event", time="ts", time_unit="s"
        )
    assert not _one_off_said(caught)


def test_oddseq_dask_says_it_as_one_machine_does():
    import warnings

    import pytest

    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    import oddseq
    from oddseq.dask import detect_anomalies

    log = _app_log(seed=1)
    roles = dict(entity="user", event="event", time="ts", time_unit="s", groups=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, crowds=False, **roles)
    single = _one_off_said(caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detect_anomalies(dd.from_pandas(log, npartitions=3), **roles).compute()
    assert _one_off_said(caught) == single and len(single) == 1


def test_a_whole_number_read_as_a_float_is_named_as_the_integer():
    from oddseq.graph._detector import _object_words

    assert _object_words(("store_id", 12.0)) == "store_id 12"
    assert _object_words(("price", 2.5)) == "price 2.5"
    assert _object_words(np.float64(7.0)) == "7" and _object_words("07") == "07"
    assert _object_words(("ip", "45.137.21.10")) == "ip 45.137.21.10"
    assert _object_words(float("nan")) == "nan"
