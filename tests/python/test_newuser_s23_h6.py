"""Session 23, H6: a new analyst's hunt with the input as analysts hold it (nullable and
Arrow-backed columns, float32 and Period times, odd ids and names, the shell's files)."""

import decimal
import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences
from oddseq.utils._time import parse_times

EPOCH = [1_511_539_960, 1_511_539_961, 1_511_540_020, 1_511_543_600]


def _log(times, **extra):
    n = len(times)
    return pd.DataFrame({"u": [1, 2] * (n // 2), "e": ["a"] * n, "t": times, **extra})


@pytest.mark.parametrize(
    "dtype, unit, scale",
    [("float32", "s", 1), ("Float32", "s", 1), ("float32", "ms", 1000)],
)
def test_float32_epoch_times_read_as_their_values_and_warn(dtype, unit, scale):
    # float32 epoch seconds (a column cast to save memory, a float Parquet column) were
    # multiplied in float32: [1511539960, 1511539961, 1511540020, 1511543600] all read as
    # 1511540003.83 s, 36 s from what the column holds (1511539968 for the first three),
    # without a word.
    column = pd.Series(np.array(EPOCH, dtype=np.float64) * scale).astype(dtype)
    held = column.to_numpy(dtype=np.float64)
    with pytest.warns(DataWarning, match=r"float32 numbers.*steps of 1(28|31) s"):
        ns, bad, _ = parse_times(column, "t", time_unit=unit)
    assert bad is None
    np.testing.assert_array_equal(ns, np.rint(held * 1e9 / scale).astype(np.int64))
    assert ns[-1] - ns[0] > 3000 * 10**9  # the hour between them kept


def test_float32_relative_times_are_read_silently():
    # Seconds from a start in float32 keep their fractions: nothing to say.
    column = pd.Series(np.array([0.5, 1.5, 2.25, 3600.0], dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ns, _, _ = parse_times(column, "t")
    assert ns.tolist() == [500_000_000, 1_500_000_000, 2_250_000_000, 3_600_000_000_000]


def test_float16_times_are_read_as_their_values():
    # float16 times became int64's minimum, with numpy's overflow warnings.
    column = pd.Series(np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float16))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ns, _, _ = parse_times(column, "t")
    assert ns.tolist() == [10**9, 2 * 10**9, 3 * 10**9, 4 * 10**9]


@pytest.mark.parametrize("arrow", ["date32[pyarrow]", "date64[pyarrow]"])
def test_arrow_dates_read_as_midnight_utc(arrow):
    # read_parquet(dtype_backend="pyarrow") of a date column: AttributeError
    # "'pyarrow.lib.DataType' object has no attribute 'tz'".
    pytest.importorskip("pyarrow")
    days = pd.to_datetime(["2020-01-01", "2020-01-02", None, "2020-01-04"])
    column = pd.Series(days.date).astype(arrow)
    ns, bad, tz = parse_times(column, "t")
    assert tz is None and bad.tolist() == [False, False, True, False]
    expected = days.to_numpy().astype("datetime64[ns]").view(np.int64)
    np.testing.assert_array_equal(ns[~bad], expected[~bad])


@pytest.mark.parametrize("arrow", [False, True])
def test_tz_aware_dates_beyond_nanoseconds_are_a_clear_value_error(arrow):
    # Naive ones said which dates nanoseconds cannot hold; tz-aware ones raised pandas'
    # OutOfBoundsDatetime ("Out of bounds nanosecond timestamp: 1500-01-01 00:00:00").
    days = np.array(["1500-01-01", "2020-01-01", "2020-01-02", "2020-01-03"], "datetime64[s]")
    column = pd.Series(days).dt.tz_localize("UTC")
    if arrow:
        pytest.importorskip("pyarrow")
        column = column.astype("timestamp[s, tz=UTC][pyarrow]")
    with pytest.raises(ValueError, match=r"column 't' holds dates outside 1677-09-22"):
        Sequences.from_events(_log(column), "u", "e", "t")


@pytest.mark.parametrize("freq", ["s", "h", "D"])
def test_period_times_read_as_their_start(freq):
    # A Period column was refused with "pass time_format ... or numbers with
    # time_unit", neither of which reads a Period.
    start = pd.Timestamp("2020-03-01 10:20:30")
    periods = pd.Series(pd.period_range(start, periods=4, freq=freq))
    seqs = Sequences.from_events(_log(periods), "u", "e", "t")
    expected = periods.dt.to_timestamp().astype("datetime64[ns]").to_numpy().view(np.int64)
    assert sorted(seqs.times.tolist()) == sorted(expected.tolist())


def test_arrow_decimal_values_with_missing_ones_read_as_numbers():
    # Prices as Parquet DECIMAL read with dtype_backend="pyarrow": pandas' to_numeric
    # dropped the nulls, "Length of values (3) does not match length of index (4)".
    pa = pytest.importorskip("pyarrow")
    prices = [decimal.Decimal("1.50"), None, decimal.Decimal("3"), decimal.Decimal("4.25")]
    log = _log(EPOCH, v=pd.array(prices, dtype=pd.ArrowDtype(pa.decimal128(10, 2))))
    seqs = Sequences.from_events(log, "u", "e", "t", value="v")
    # Entity 1: rows 0 and 2; entity 2: rows 1 and 3.
    np.testing.assert_array_equal(seqs.values, [1.5, 3.0, np.nan, 4.25])


@pytest.fixture(scope="module")
def shop():
    from oddseq.datasets import make_ecommerce

    return make_ecommerce(n_users=150, random_state=211).events


@pytest.mark.parametrize("name", ["score", "rank", "group", "cluster"])
def test_an_entity_column_named_like_a_table_column_ranks(shop, name):
    # entity="score" raised pandas' "'score' is both an index level and a column label,
    # which is ambiguous" after the whole fit.
    from oddseq import detect_anomalies

    kw = dict(event="behavior", time="timestamp", groups=False)
    base = detect_anomalies(shop, entity="user_id", **kw)
    table = detect_anomalies(shop.rename(columns={"user_id": name}), entity=name, **kw)
    assert table.index.name == name
    pd.testing.assert_frame_equal(table, base.rename_axis(name))


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("name", ["rank", "score", "group"])
def test_the_shell_writes_an_entity_column_named_like_a_table_column(
    shop, tmp_path, capsys, name, fmt
):
    # `oddseq detect log.csv --entity rank` failed after the scoring: "cannot insert
    # rank, already exists"; with --entity score, pandas' "ambiguous" error.
    from oddseq.cli import main

    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    read = {"csv": pd.read_csv, "parquet": lambda p: pd.read_parquet(p).reset_index()}.get(fmt)
    # groups looked for (--item) where the entity is "group": the table has its own
    roles = ["--event", "behavior", "--time", "timestamp"]
    roles += ["--item", "item_id"] if name == "group" else ["--no-groups"]
    path = tmp_path / "log.csv"
    shop.to_csv(path, index=False)
    base = tmp_path / f"base.{fmt}"
    assert main(["detect", str(path), "--entity", "user_id", *roles, "-o", str(base)]) == 0
    base = read(base) if read else pd.read_json(base, lines=True)
    assert name in base.columns
    shop.rename(columns={"user_id": name}).to_csv(path, index=False)
    capsys.readouterr()
    out = tmp_path / f"out.{fmt}"
    assert main(["detect", str(path), "--entity", name, *roles, "-o", str(out)]) == 0
    written = read(out) if read else pd.read_json(out, lines=True)
    pd.testing.assert_frame_equal(written, base.rename(columns={"user_id": f"{name}_id"}))
    assert f"'{name}_id'" in capsys.readouterr().err


@pytest.mark.parametrize("indent", [None, 2])
@pytest.mark.parametrize("suffix", [".json", ".json.gz", ".txt"])
def test_the_shell_reads_a_json_array_of_records_as_json_lines(
    shop, tmp_path, capsys, indent, suffix
):
    # A JSON array ([{...}, ...]: what -o table.json writes, and many exports) was read
    # as CSV: "column(s) ['user_id', ...] not in log.json; it has ['[{"user_id":289',
    # 'item_id:72206', ...]" (a pretty-printed one: "not a CSV table ... give the
    # separator with --sep").
    from oddseq.cli import main

    log = shop.head(3000).assign(user_id=shop["user_id"].head(3000).astype(str).str.zfill(6))
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    roles += ["--item", "item_id", "--no-groups"]
    lines = tmp_path / "log.jsonl"
    log.to_json(lines, orient="records", lines=True)
    array = tmp_path / f"log{suffix}"
    log.to_json(array, orient="records", indent=indent)
    tables = []
    for path in (lines, array):
        out = tmp_path / f"out{len(tables)}.csv"
        assert main(["detect", str(path), *roles, "-o", str(out)]) == 0
        tables.append(pd.read_csv(out, dtype={"user_id": str}))
    pd.testing.assert_frame_equal(tables[1], tables[0])
    assert tables[1]["user_id"].str.len().eq(6).all()  # ids as written: "000288"


def test_the_shell_says_what_a_broken_json_array_needs(tmp_path, capsys):
    from oddseq.cli import main

    path = tmp_path / "log.json"
    path.write_text('[{"u": 1, "e": "a"},\n{"u": 2,')
    assert main(["detect", str(path), "--entity", "u", "--event", "e"]) == 2
    err = capsys.readouterr().err
    assert "is not a JSON array of objects pandas can read" in err
    assert "--sep" not in err


def test_a_frame_of_another_library_is_refused_with_its_conversion():
    # A polars DataFrame was refused as "df must be a pandas DataFrame, got DataFrame".
    from oddseq import detect_anomalies

    class DataFrame:  # what polars' DataFrame shows of itself here
        __module__ = "polars.dataframe.frame"
        columns = ["u", "e"]

        def __len__(self):
            return 2

        def to_pandas(self):
            return pd.DataFrame({"u": [1, 2], "e": ["a", "b"]})

    for call in (Sequences.from_events, detect_anomalies):
        with pytest.raises(
            TypeError, match=r"got a polars DataFrame; convert it: df\.to_pandas\(\)"
        ):
            call(DataFrame(), "u", "e")
    pa = pytest.importorskip("pyarrow")
    with pytest.raises(TypeError, match=r"got a pyarrow Table; convert it: df\.to_pandas\(\)"):
        Sequences.from_events(pa.table({"u": [1, 2], "e": ["a", "b"]}), "u", "e")
    with pytest.raises(TypeError, match=r"got a dict; convert it: pd\.DataFrame\(df\)"):
        Sequences.from_events({"u": [1, 2], "e": ["a", "b"]}, "u", "e")


@pytest.mark.parametrize("role", ["entity", "event", "item"])
def test_ids_equal_as_text_but_not_as_values_warn(role):
    # pd.concat of a CSV's int ids and an API's text ids: 1 and "1" were two entities
    # (two event types, two items) without a word.
    column = pd.Series([1, "1", 2, "2", 3, 3], dtype=object)
    log = pd.DataFrame({"u": [7, 8, 7, 8, 7, 8], "e": ["a"] * 6, "i": [5] * 6, "t": range(6)})
    log[{"entity": "u", "event": "e", "item": "i"}[role]] = column
    name = {"entity": "u", "event": "e", "item": "i"}[role]
    with pytest.warns(
        DataWarning,
        match=rf"column '{name}' holds 2 ids in more than one type .*1 and '1'.*astype\(str\)",
    ):
        Sequences.from_events(log, "u", "e", "t", item="i")


def test_ids_of_one_type_and_mixed_ids_unlike_as_text_are_silent():
    log = pd.DataFrame(
        {"u": pd.Series([1, "a", 2, "b"], dtype=object), "e": ["a"] * 4, "t": range(4)}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(Sequences.from_events(log, "u", "e", "t")) == 4
        log["u"] = ["1", "2", "3", "1"]
        assert len(Sequences.from_events(log, "u", "e", "t")) == 3


def test_nat_text_among_dates_of_two_forms_is_a_missing_time():
    # df["t"].astype(str) writes a missing time as "NaT": among dates with and without a
    # time of day it was "holds neither numbers nor dates that can be read (time data
    # "2020-01-02" doesn't match format ...); pass time_format ...".
    times = ["2020-01-01 10:00", "NaT", "2020-01-01 11:00", "2020-01-02"]
    with pytest.raises(ValueError, match=r"missing values: 1 in 't'"):
        Sequences.from_events(_log(times), "u", "e", "t")
    with pytest.warns(DataWarning, match="dropped 1 of 4 rows"):
        seqs = Sequences.from_events(_log(times), "u", "e", "t", dropna=True)
    expected = pd.to_datetime(
        ["2020-01-01 10:00", "2020-01-01 11:00", "2020-01-02"], format="ISO8601"
    )
    assert seqs.times.tolist() == expected.as_unit("ns").asi8.tolist()


@pytest.mark.parametrize("index", [["user_id"], ["user_id", "item_id"], ["behavior"]])
def test_the_shell_reads_the_columns_a_parquet_file_keeps_as_its_index(
    shop, tmp_path, capsys, index
):
    # A Parquet file written from a frame indexed by its ids (df.set_index("user_id")
    # .to_parquet(...)) was "column(s) ['user_id'] not in log.parquet; it has
    # ['item_id', ...]": the file holds the column, as pandas' index, and the shell
    # has no reset_index.
    from oddseq.cli import main

    pytest.importorskip("pyarrow")
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    roles += ["--no-groups"]
    tables = []
    for name, frame in (("plain", shop), ("indexed", shop.set_index(index))):
        path, out = tmp_path / f"{name}.parquet", tmp_path / f"{name}.csv"
        frame.to_parquet(path)
        assert main(["detect", str(path), *roles, "-o", str(out)]) == 0
        tables.append(pd.read_csv(out))
    pd.testing.assert_frame_equal(tables[1], tables[0])


def test_a_name_among_two_level_columns_is_shown_its_full_name():
    # Columns of two levels (a pivot, pd.concat(keys=...)): entity="user_id" listed the
    # tuples without saying that one of them is the column meant.
    log = _log(EPOCH)
    log.columns = pd.MultiIndex.from_product([["day1"], log.columns])
    with pytest.raises(ValueError, match=r"pass its full name: entity=\('day1', 'u'\)"):
        Sequences.from_events(log, "u", "e", "t")
    seqs = Sequences.from_events(log, ("day1", "u"), ("day1", "e"), ("day1", "t"))
    assert len(seqs) == 2


@pytest.fixture(scope="module")
def ringed_shop():
    from oddseq.datasets import make_ecommerce

    return make_ecommerce(n_users=300, random_state=211, rings=2).events


@pytest.mark.parametrize(
    "form",
    [
        lambda t: pd.to_datetime(t, unit="s").dt.strftime("%Y-%m-%d %H:%M:%S"),
        lambda t: pd.to_datetime(t, unit="s").dt.strftime("%d/%m/%Y %H:%M:%S"),
        lambda t: t.astype(str),
    ],
    ids=["iso text", "day-first text", "epoch text"],
)
def test_groups_on_a_log_with_times_as_text_read_the_times(ringed_shop, form):
    # With group_by= (or item= with session_gap=), the group stage read the log itself
    # and took its times only where they were numbers or datetimes: a CSV's text dates
    # left it without times, so it found no group (make_ecommerce 212, two rings: 12
    # members with int times, 0 with the same times as text; 15 flagged, 3).
    from oddseq import detect_anomalies

    kw = dict(entity="user_id", event="behavior", time="timestamp", group_by="item_id")
    base = detect_anomalies(ringed_shop, **kw)
    assert (base["group"] >= 0).sum() > 0
    text = ringed_shop.assign(timestamp=form(ringed_shop["timestamp"]))
    table = detect_anomalies(
        text, **kw, dayfirst=True if "/" in text["timestamp"].iloc[0] else None
    )
    _same_but_the_clock(table, base, naive=":" in text["timestamp"].iloc[0])


def _same_but_the_clock(table, base, naive):
    """The tables equal, but that a group's window of naive text times is said on the log's
    clock, not as UTC's (numbers since the epoch: TR s53 L)."""
    if naive:
        said = table["reason"].str.contains("(the log's clock, no zone given)", regex=False)
        assert said.sum() == (table["group"] >= 0).sum() > 0
        table = table.assign(
            reason=table["reason"].str.replace(
                "(the log's clock, no zone given)", "(UTC)", regex=False
            )
        )
    pd.testing.assert_frame_equal(table, base)


def test_groups_on_text_times_with_missing_ones_dropped(ringed_shop):
    from oddseq import detect_anomalies

    kw = dict(entity="user_id", event="behavior", time="timestamp", group_by="item_id")
    text = ringed_shop.assign(
        timestamp=pd.to_datetime(ringed_shop["timestamp"], unit="s").dt.strftime(
            "%Y-%m-%d %H:%M:%S"
        )
    )
    text.loc[text.index[:3], "timestamp"] = "N/A"
    with pytest.warns(DataWarning, match="dropped 3 of"):
        table = detect_anomalies(text, **kw, dropna=True)
    base = detect_anomalies(ringed_shop.iloc[3:], **kw)
    _same_but_the_clock(table, base, naive=True)


@pytest.mark.parametrize("objects", [False, True])
def test_times_without_a_zone_among_times_with_one_say_they_were_read_as_utc(objects):
    # Text: "2020-01-01 11:00" among "+01:00" times was read as 11:00 UTC without a word
    # (an hour after the local 11:00 it may be); Timestamps: refused with "Cannot mix
    # tz-aware with tz-naive values; pass time_format ...", which no format changes.
    times = ["2020-01-01T10:00:00+01:00", "2020-01-01 11:00", "2020-01-01T12:00:00+01:00"]
    column = pd.Series([pd.Timestamp(t) for t in times], dtype=object) if objects else times
    log = pd.DataFrame({"u": [1, 1, 2], "e": ["a"] * 3, "t": column})
    with pytest.warns(DataWarning, match=r"column 't' holds 1 time without a zone .*read as UTC"):
        seqs = Sequences.from_events(log, "u", "e", "t")
    utc = pd.to_datetime(["2020-01-01 09:00", "2020-01-01 11:00", "2020-01-01 11:00"])
    assert sorted(seqs.times.tolist()) == sorted(utc.as_unit("ns").asi8.tolist())


def test_times_of_several_zones_all_with_one_are_read_silently():
    times = ["2020-01-01T10:00:00+01:00", "2020-01-01T11:00:00Z", "2020-01-01T12:00:00+09:00"]
    log = pd.DataFrame({"u": [1, 1, 2], "e": ["a"] * 3, "t": times})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Sequences.from_events(log, "u", "e", "t")


def test_a_time_warning_is_said_once_where_the_group_stage_reads_the_log(ringed_shop):
    # With group_by=, the group stage read the numeric times again and said the log's
    # time warnings (here float32's steps) a second time.
    from oddseq import detect_anomalies

    log = ringed_shop.assign(timestamp=ringed_shop["timestamp"].astype("float32"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detect_anomalies(
            log, entity="user_id", event="behavior", time="timestamp", group_by="item_id"
        )
    assert sum("float32 numbers" in str(w.message) for w in caught) == 1
