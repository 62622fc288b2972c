"""TR s53 (a grocery chain's loyalty and coupon app): the findings fixed, each on a
small log of the behaviour it names."""

import numpy as np
import pandas as pd
import pytest

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


def test_a_night_between_an_old_and_a_new_phone_is_brief():
    # phone A on days 0-19, a thief's device one night on day 10, phone B days 20-40: B
    # is the everyday one (the longest), and the night began after the first event
    # (review RV s53 M1: exempting all that began before B hid it)
    rows = [("u", "A", d * DAY) for d in range(20)] + [("u", "thief", 10 * DAY + 3_600)]
    rows += [("u", "B", d * DAY) for d in range(20, 41)]
    log = pd.DataFrame(rows, columns=["user", "device", "ts"])
    table = context_features(log, "user", "device", time="ts", time_unit="s")
    assert table.loc["u", "brief_share[device]"] == 1 / 42


def test_a_value_begun_after_the_everyday_one_is_brief_whatever_the_order():
    rng = np.random.default_rng(0)
    rows = [("u", "home", d * DAY) for d in range(8)] + [("u", "cafe", 3 * DAY + 60)]
    log = pd.DataFrame(rows, columns=["user", "ip", "ts"])
    shuffled = log.iloc[rng.permutation(len(log))].reset_index(drop=True)
    tables = [context_features(f, "user", "ip", time="ts", time_unit="s") for f in (log, shuffled)]
    pd.testing.assert_frame_equal(*tables)
    assert tables[0].loc["u", "brief_share[ip]"] == 1 / 9


def _chain_log(seed: int = 0, farm_phone: int = 0) -> pd.DataFrame:
    """400 shoppers of a chain's 6 stores (each store held by ~200 of them: public), on
    their own phones; 12 scripts, each on its own phone, that scan at every store in
    different weeks; a ring of 8 fresh accounts on 2 shared phones; and ``farm_phone``
    fresh accounts on a farm's 2 phones (each held by more than the square root of the
    holders)."""
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
    for f in range(farm_phone):
        for i in range(4):
            rows.append((f"fresh{f}", f"farm_phone{i % 2}", i % 2, 5 * DAY + f * 3_600 + i * 60))
    return pd.DataFrame(rows, columns=["user", "device", "store", "ts"]).assign(event="scan")


ROLES = dict(entity="user", event="event", time="ts", time_unit="s")


def _grouped(log, **kw):
    """(table, members of any group, the DataWarnings said) of the one call."""
    import warnings

    import oddseq
    from oddseq.exceptions import DataWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table, pipe = oddseq.detect_anomalies(log, **ROLES, return_pipeline=True, **kw)
    found = pipe.groups_.groups_
    members = set().union(*map(set, found["members"])) if len(found) else set()
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    return table, members, said


def test_a_column_of_public_values_is_no_sign_of_a_ring():
    from oddseq._pipeline import public_columns

    log = _chain_log()
    assert set(public_columns(log, ["store", "device"], "user")) == {"store"}
    table, members, said = _grouped(log, group_by=["device", "store"])
    said = [m for m in said if m.startswith("group_by: 'store' (6 of its 6 values")]
    assert len(said) == 1 and "reads only 'device'" in said[0]
    assert not any(m.startswith("farm") for m in members)  # (no "group" on the stores)
    assert {f"ring{r}" for r in range(8)} <= members  # the shared phones still are one
    assert "group" in table and log["store"].dtype.kind == "i"  # (the caller's log as it was)


def test_a_phone_many_accounts_share_is_still_a_ring():
    # 40 fresh accounts on a farm's 2 phones: each held by more than the square root of
    # the holders (review RV s53 H1), but a device column is not public for them
    log = _chain_log(farm_phone=40)
    table, members, said = _grouped(log, group_by=["device", "store"])
    assert {f"fresh{f}" for f in range(40)} <= members
    assert table.loc[[f"fresh{f}" for f in range(40)], "is_anomaly"].all()


def test_group_by_public_columns_only_is_refused_before_fitting(tmp_path, capsys, monkeypatch):
    import pytest

    import oddseq
    from oddseq import _pipeline
    from oddseq.cli import main

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted before the refusal")

    monkeypatch.setattr(_pipeline.AnomalyPipeline, "fit", no_fit)
    log = _chain_log()
    with pytest.raises(ValueError, match=r"^group_by reads shared values, and every one"):
        oddseq.detect_anomalies(log, **ROLES, group_by="store")
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user", "--event", "event", "--time", "ts"]
    code = main([*args, "--time-unit", "s", "--group-by", "store", "-o", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "every one it names is public: 'store'" in err and "Traceback" not in err
    assert "leave out group_by (--group-by from the shell)" in err


def test_public_columns_with_a_normal_log():
    normal = _chain_log(seed=1)  # (other shoppers, under other ids)
    normal = normal[normal["user"].str.startswith("u")].assign(user=lambda f: "n" + f["user"])
    table, members, said = _grouped(_chain_log(), group_by=["device", "store"], normal=normal)
    assert any(m.startswith("group_by: 'store'") for m in said)
    assert table.loc[[f"ring{r}" for r in range(8)], "is_anomaly"].all()


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
    seqs = oddseq.Sequences.from_events(log, "user", "event", "ts")
    n, types = one_off_flag_counts(table, seqs)
    assert n == int(table["is_anomaly"].sum()) and types.sum() >= 5
    # (over entities of 5 events or more: a history of one act is the act itself)
    one = table.copy()
    one["reason"] = "count[change_phone] 1 (most entities have none)"
    short = oddseq.Sequences.from_lists([["change_phone"]] * len(one), ids=one.index)
    assert one_off_flag_counts(one, short)[1].empty
    said = _one_off_said(caught)
    assert len(said) == 1 and f"{int(types.sum()):,} of the {n:,} flagged entities" in said[0]
    assert "normal=..., oddseq detect --normal FILE" in said[0]
    # the takeovers (their redeems lead) are flagged, and none is counted among them
    takeovers = table.loc[[f"t{t}" for t in range(10)]]
    n_takeovers, types_of_takeovers = one_off_flag_counts(takeovers, seqs)
    assert takeovers["is_anomaly"].all() and n_takeovers == 10 and types_of_takeovers.empty
    # a log where nobody changes anything once: nothing said
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(
            _app_log(changed=0.0), entity="user", event="event", time="ts", time_unit="s"
        )
    assert not _one_off_said(caught)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_trials_share_of_changers_is_said_though_every_one_is_flagged(seed):
    """At the trial's 1% of changers every one of them is flagged (53 of 53 there), so
    no unflagged entity did the act: it is said all the same (review RV s58 H1: a guard
    that wanted as many unflagged doers as flags silenced it in 8 of 8 such logs)."""
    import warnings

    import oddseq

    log = _app_log(seed=seed, changed=0.01)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = oddseq.detect_anomalies(log, entity="user", event="event", time="ts", time_unit="s")
    changers = log.loc[log["event"].isin(["change_phone", "change_email"]), "user"].unique()
    assert table.loc[changers, "is_anomaly"].all()
    assert len(_one_off_said(caught)) == 1


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


def test_the_one_off_note_at_its_bounds_and_in_the_shell(tmp_path, capsys):
    import warnings

    import pytest

    from oddseq._pipeline import ONE_OFF_MIN, ONE_OFF_SHARE, warn_one_off_flags
    from oddseq.cli import main
    from oddseq.exceptions import DataWarning

    assert (ONE_OFF_MIN, ONE_OFF_SHARE) == (5, 0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_one_off_flags(20, pd.Series({"change_phone": 4}))  # under 5: nothing
        warn_one_off_flags(26, pd.Series({"change_phone": 5}))  # under a fifth: nothing
    # ties among the types: named by count, then by their text
    with pytest.warns(DataWarning, match=r"^5 of the 25 flagged entities .*\(a 1, b 1, c 1 and 2"):
        warn_one_off_flags(25, pd.Series({"e": 1, "d": 1, "c": 1, "b": 1, "a": 1}))
    path = tmp_path / "log.csv"
    _app_log().to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user", "--event", "event", "--time", "ts"]
    assert main([*args, "--time-unit", "s", "-o", str(tmp_path / "t.csv")]) == 0
    err = capsys.readouterr().err
    assert "flagged first for one event of a type most entities, or entities like them, " in err
    assert "oddseq detect --normal FILE" in err


def test_the_tied_top_words_and_the_patience_line_at_ten():
    import pytest

    from oddseq._pipeline import _warn_tied_top
    from oddseq.cli import _group_search_ended
    from oddseq.exceptions import DataWarning

    with pytest.warns(DataWarning, match=r"the 50 \(5\.00%\) share the highest score"):
        _warn_tied_top(1_000, 50, 0)

    class Finder:  # a search that stopped on its patience, no group
        search_ends_ = {"item": {"end": "patience", "blocks": 13}}
        groups_ = ()
        candidates_ = None

        def __init__(self, patience):
            self.patience = patience

    assert _group_search_ended(Finder(9)).endswith(
        "it stops at 9 blocks in a row that are no group, crowds aside (--group-patience 9); "
        "--group-patience 10 searches on to 10 in a row"
    )
    assert _group_search_ended(Finder(10)) == (
        "the group search stopped after 13 blocks at --group-patience 10, none a group"
    )


def test_value_statistics_rest_on_the_valued_events():
    import pickle

    from oddseq.preprocessing._evidence import EvidenceShrinker

    names = ["length", "value_mean", "value_max", "value_std", "share_value_missing"]
    # 40 entities of 10 events, all valued around 30; a scraper of 500 events none of
    # which has a value; a browser of 20 events with one valued event (an expensive view)
    rows = [[10, 30.0 + i % 5, 40.0, 5.0, 0.0] for i in range(40)]
    rows += [[500, 0.0, 0.0, 0.0, 1.0], [20, 900.0, 900.0, 0.0, 0.95]]
    X = np.array(rows)
    lengths = X[:, 0]
    shrinker = EvidenceShrinker().fit(X, lengths, names)
    assert shrinker.kinds_.tolist() == [0, 4, 4, 5, 1] and shrinker.valued_column_ == 4
    assert shrinker.valued(lengths, X)[-2:].tolist() == [0.0, 1.0]
    out = shrinker.transform(X, lengths)
    median = shrinker.median_
    # none valued: the population's; one valued of 20: a third of its own (prior 2)
    np.testing.assert_allclose(out[-2, 1:4], median[1:4])
    np.testing.assert_allclose(out[-1, 1], 900.0 / 3 + median[1] * 2 / 3)
    np.testing.assert_allclose(out[-1, 3], median[3])  # (a spread of one value: none)
    # single cells read the same (the reasons' reading)
    cells = shrinker.transform_at(X[-1, [1, 3]], lengths[[-1, -1]], [1, 3], X[[-1, -1]])
    np.testing.assert_allclose(cells, out[-1, [1, 3]])
    # (or with the share column alone, as the reasons hand it: no copy of the rows;
    # EvidenceColumns, with no item column where no item feature is)
    share = shrinker.valued_share(X, [41, 41])
    assert share.share.ndim == 1 and share.items is None
    cells = shrinker.transform_at(X[-1, [1, 3]], lengths[[-1, -1]], [1, 3], share)
    np.testing.assert_allclose(cells, out[-1, [1, 3]])
    # saved and loaded, it reads the same
    again = pickle.loads(pickle.dumps(shrinker))
    assert again.valued_column_ == 4
    np.testing.assert_allclose(again.transform(X, lengths), out)
    # without a value column the statistics' names keep their event kinds
    assert EvidenceShrinker().fit(X[:, :4], lengths, names[:4]).valued_column_ == -1
    # a shrinker saved before (event kinds on the value statistics, no valued_column_)
    # loads and reads as it was fitted, without the raw features
    state = dict(pickle.loads(pickle.dumps(shrinker)).__dict__)
    state["kinds_"] = np.array([0, 1, 0, 2, 1], dtype=np.int8)
    del state["valued_column_"]
    old = EvidenceShrinker.__new__(EvidenceShrinker)
    old.__setstate__(state)
    assert old.valued_column_ == -1
    weight = old.weights(lengths)  # (no raw= needed)
    np.testing.assert_allclose(weight[-2, 1], 500 / 502)


def test_the_stream_reads_the_valued_events_as_the_batch_does():
    import warnings

    from oddseq import AnomalyPipeline
    from oddseq.datasets import make_ecommerce
    from oddseq.sequences import Sequences
    from oddseq.stream import StreamScorer

    roles = dict(
        entity="user_id", event="behavior", time="timestamp", item="item_id", value="price"
    )
    log = make_ecommerce(n_users=200, random_state=5).events
    # a fifth of the users' events without a price, a few users with none at all
    users = log["user_id"].unique()
    log.loc[log["user_id"].isin(users[::5]), "price"] = np.nan
    log.loc[log.index[::7], "price"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline(random_state=0).fit(Sequences.from_events(log, **roles))
        assert pipe.evidence_.valued_column_ >= 0
        out = StreamScorer(pipe, max_exact_items=10_000, **roles).update(log)
        batch = pipe.score(Sequences.from_events(log, **roles))["score"]
    np.testing.assert_allclose(
        out.scores["score"], batch.reindex(out.scores.index), rtol=0, atol=1e-9
    )
