"""oddseq.dask warns about the log once, on the client, in one machine's words and with
its totals: rows dropped with dropna (summed over the partitions, entity ids dropped
before the shuffle included) and a time unit that puts every time decades away. The
partitions collect the facts; no warning filter is swapped in the workers' threads."""

import warnings

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")

import oddseq  # noqa: E402
from oddseq.dask import detect_anomalies  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def shop():
    log = make_ecommerce(n_users=200, random_state=11).events.copy()
    log["behavior"] = log["behavior"].astype(str)
    return log


def _gappy(shop):
    log = shop.copy()
    log["user_id"] = log["user_id"].astype("float64")
    log["timestamp"] = log["timestamp"].astype("float64")
    log.loc[log.index[::53], "user_id"] = np.nan
    log.loc[log.index[::71], "behavior"] = None  # row 0 misses its user too
    log.loc[log.index[5::89], "timestamp"] = np.nan
    return log


def _about_the_log(caught):
    said = [str(w.message) for w in caught]
    return [m for m in said if m.startswith("dropped ") or " read with time_unit=" in m]


def _single(log, **options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, **COLUMNS, groups=False, **options)
    return _about_the_log(caught)


def _dask(log, scheduler="sync", **options):
    with dask.config.set(scheduler=scheduler), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detect_anomalies(dd.from_pandas(log, npartitions=4), **COLUMNS, npartitions=3, **options)
    return _about_the_log(caught)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_rows_dropped_warn_once_with_the_single_machines_words_and_totals(shop, scheduler):
    log = _gappy(shop)
    single = _single(log, dropna=True)
    n_dropped = int(log[["user_id", "behavior", "timestamp"]].isna().any(axis=1).sum())
    assert len(single) == 1 and single[0].startswith(f"dropped {n_dropped:,} of {len(log):,} rows")
    assert _dask(log, scheduler, dropna=True) == single


def test_a_time_unit_decades_away_warns_once_as_on_one_machine(shop):
    single = _single(shop, time_unit="ms")
    assert len(single) == 1 and "time_unit='ms'" in single[0] and "1970" in single[0]
    assert _dask(shop, time_unit="ms") == single


def test_both_warnings_together_and_none_on_a_clean_log(shop):
    log = _gappy(shop)
    single = _single(log, dropna=True, time_unit="ms")
    assert len(single) == 2
    assert sorted(_dask(log, "threads", dropna=True, time_unit="ms")) == sorted(single)
    assert _dask(shop) == [] == _single(shop)


# --- the column warnings: an event column of ids, entities of one event each ----------


def _about_the_columns(caught):
    said = [str(w.message) for w in caught if issubclass(w.category, oddseq.exceptions.DataWarning)]
    asked = ("Is it the right column", "have one event each", "given the other way round")
    return [m for m in said if any(a in m for a in asked)]


def _both(log, **roles):
    """The column warnings of one machine and of oddseq.dask (3 partitions) on ``log``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, groups=False, contamination=0.1, **roles)
    single = _about_the_columns(caught)
    with dask.config.set(scheduler="sync"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ddf = dd.from_pandas(log, npartitions=3)
        detect_anomalies(ddf, npartitions=3, contamination=0.1, **roles)
    return single, _about_the_columns(caught)


def _clicks(n_users=60, per_user=20, seed=190):
    rng = np.random.default_rng(seed)
    users = np.repeat(np.arange(n_users), per_user)
    return pd.DataFrame(
        {
            "user_id": users,
            "behavior": rng.choice(["pv", "pv", "pv", "cart", "buy"], size=users.size),
            "item_id": rng.integers(0, 5_000, size=users.size),
            "timestamp": 1_511_539_000 + np.sort(rng.integers(0, 86_400 * 7, size=users.size)),
        }
    )


def _with_singles(seed=191):
    """1,000 users of one event each beside 40 of ten: 96% of one event."""
    rng = np.random.default_rng(seed)
    singles = pd.DataFrame(
        {
            "user_id": np.arange(1_000) + 5_000,
            "behavior": rng.choice(["pv", "cart"], size=1_000),
            "item_id": rng.integers(0, 50_000, size=1_000),
            "timestamp": 1_511_539_000 + rng.integers(0, 86_400, size=1_000),
        }
    )
    return pd.concat([_clicks(40, 10, seed), singles], ignore_index=True)


def _blocks(seed=192):
    """A whole sequence in each row (hdfs_100k_blocks.csv's event_ids)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "block_id": [f"blk_{i:03d}" for i in range(300)],
            "event_ids": [
                " ".join(map(str, rng.integers(1, 6, size=rng.integers(3, 9)))) for _ in range(300)
            ],
        }
    )


TIMED = dict(entity="user_id", time="timestamp")


@pytest.mark.parametrize(
    "case",
    ["item ids as the event", "a line id as the entity", "a sequence in each row", "min_events=2"],
)
def test_the_column_warnings_are_one_machines_on_dask(case):
    # oddseq.dask gave neither warning: an event column of item ids was scored on its 30
    # most frequent values, and 1,200 entities of one event each were judged on it,
    # without a word. The partitions count a few numbers; the client says the words.
    if case == "item ids as the event":
        single, on_dask = _both(_clicks(), event="item_id", **TIMED)
        wanted = ["Is it the right column"]
    elif case == "a line id as the entity":
        log = _clicks().reset_index(names="line_id")
        single, on_dask = _both(log, entity="line_id", event="behavior", time="timestamp")
        wanted = ["1,200 of 1,200 entities (100%) have one event each"]
    elif case == "a sequence in each row":  # the split advice; the ids warning not repeated
        single, on_dask = _both(_blocks(), entity="block_id", event="event_ids")
        wanted = [".str.split()"]
    else:  # the one-event entities left out, and the types counted before they are
        single, on_dask = _both(_with_singles(), event="item_id", min_events=2, **TIMED)
        wanted = ["Is it the right column"]
    assert len(single) == len(wanted) and all(w in m for w, m in zip(wanted, single)), single
    assert on_dask == single


def test_the_entity_and_event_given_the_other_way_round_are_asked_on_both():
    # (TR s60 L3: a shop's 4 kinds of event as the entities, its users as the events)
    log = _clicks(n_users=300, per_user=10)
    single, on_dask = _both(log, entity="behavior", event="user_id", time="timestamp")
    assert len(single) == 1 and single[0].startswith(
        "entity column 'behavior' holds only 3 distinct values and event column 'user_id' 300: "
        "are they given the other way round?"
    ), single
    assert (
        "swap the two: entity= and event= in Python, --entity and --event in the shell"
        in (single[0])
    )
    assert on_dask == single


def test_a_good_log_gets_no_column_warning_on_either():
    assert _both(_clicks(), event="behavior", **TIMED) == ([], [])
    log = _with_singles()  # 96% of one event each, min_events=2: left out, silent
    assert _both(log, event="behavior", min_events=2, **TIMED) == ([], [])


def test_spreadsheet_serial_dates_warn_once_as_on_one_machine():
    # Days since 1899-12-30 (Excel, Google Sheets): the partitions count how many
    # numbers and how many with a fraction; the client warns once, in one machine's words.
    log = _clicks(seed=193)
    days = (log["timestamp"] - pd.Timestamp("1899-12-30").timestamp()) / 86_400
    log["timestamp"] = days.round(10)

    def serial(caught):
        return [str(w.message) for w in caught if "spreadsheet serial dates" in str(w.message)]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, **TIMED, event="behavior", contamination=0.1)
    single = serial(caught)
    with dask.config.set(scheduler="sync"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ddf = dd.from_pandas(log, npartitions=3)
        detect_anomalies(ddf, **TIMED, event="behavior", contamination=0.1, npartitions=3)
    assert len(single) == 1 and f"{len(log):,} numbers" in single[0]
    assert serial(caught) == single
