"""A new analyst's first runs on logs oddseq was not tuned to (session 20, H3): each
case is one a user met and the package got wrong (a crash from inside, a silent wrong
value, advice that does not fit)."""

import numpy as np
import pandas as pd
import pytest

from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences


def _log(n_users=20, per_user=6):
    rng = np.random.default_rng(186)
    users = np.repeat(np.arange(n_users), per_user)
    return pd.DataFrame(
        {
            "user_id": users,
            "behavior": rng.choice(["pv", "cart", "buy"], size=users.size),
            "timestamp": 1_511_539_000 + np.arange(users.size) * 60,
        }
    )


# --- a nullable integer time column with a missing value ----------------------------


@pytest.mark.parametrize("dtype", ["Int64", "int64[pyarrow]", "UInt32"])
def test_a_missing_time_in_a_nullable_integer_column_is_missing(dtype):
    # pd.read_csv(..., dtype_backend="numpy_nullable" or "pyarrow") gives such a column:
    # its <NA> was cast to a garbage time (a RuntimeWarning, an event in 1970 or before).
    log = _log()
    log["timestamp"] = log["timestamp"].astype(dtype)
    log.loc[3, "timestamp"] = pd.NA
    with pytest.raises(ValueError, match=r"missing values: 1 in 'timestamp'.*dropna=True"):
        Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
    with pytest.warns(UserWarning, match=r"dropped 1 of 120 rows with missing values"):
        seqs = Sequences.from_events(
            log, entity="user_id", event="behavior", time="timestamp", dropna=True
        )
    plain = _log().drop(index=3)
    again = Sequences.from_events(plain, entity="user_id", event="behavior", time="timestamp")
    np.testing.assert_array_equal(seqs.times, again.times)
    np.testing.assert_array_equal(seqs.offsets, again.offsets)


@pytest.mark.parametrize("dtype", ["Int64", "int64[pyarrow]"])
def test_a_nullable_integer_time_column_without_missing_values_reads_as_numbers(dtype):
    log = _log()
    plain = Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
    log["timestamp"] = log["timestamp"].astype(dtype)
    seqs = Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
    np.testing.assert_array_equal(seqs.times, plain.times)


# --- a value column of numbers written as text (JSON lines from an API) ---------------


def _priced(text):
    log = _log()
    prices = np.round(np.linspace(1.5, 99.5, len(log)), 2)
    log["price"] = [f"{p:.2f}" for p in prices] if text else prices
    return log


@pytest.mark.parametrize("dtype", [object, "string"])
def test_a_value_column_of_numbers_written_as_text_reads_as_numbers(dtype):
    # {"price": "965.34"} in JSON lines: times written so were read, prices refused.
    text = _priced(True)
    text["price"] = text["price"].astype(dtype)
    text.loc[[4, 9], "price"] = [None, " "]  # missing, and blank: missing too
    plain = _priced(False)
    plain.loc[[4, 9], "price"] = np.nan
    roles = dict(entity="user_id", event="behavior", time="timestamp", value="price")
    # (the blank text counted where it is read as missing, trial s41 F9)
    with pytest.warns(DataWarning, match="1 of 120 values of column 'price' are text read"):
        seqs = Sequences.from_events(text, **roles)
    again = Sequences.from_events(plain, **roles)
    np.testing.assert_array_equal(seqs.values, again.values)


@pytest.mark.parametrize("written", ["$12.50", "12,50", "1,234.50", "free"])
def test_a_value_column_with_text_that_is_no_number_names_it_and_the_fix(written):
    log = _priced(True)
    log.loc[7, "price"] = written
    with pytest.raises(TypeError) as error:
        Sequences.from_events(
            log, entity="user_id", event="behavior", time="timestamp", value="price"
        )
    message = str(error.value)
    assert "value column 'price'" in message
    assert f"such as {written!r}" in message
    assert "1 of 120" in message
    assert "plain numbers" in message and "errors='coerce'" in message


def test_the_value_column_refusal_before_any_work_names_the_fix():
    log = _priced(False)
    log["price"] = pd.to_datetime(log["timestamp"], unit="s")
    with pytest.raises(TypeError, match=r"value column 'price' must hold numbers .*datetime"):
        Sequences.from_events(
            log, entity="user_id", event="behavior", time="timestamp", value="price"
        )


# --- the wrong column as the event type ---------------------------------------------


def _shop(n_users=60, per_user=20):
    rng = np.random.default_rng(187)
    users = np.repeat(np.arange(n_users), per_user)
    n = users.size
    return pd.DataFrame(
        {
            "user_id": users,
            "behavior": rng.choice(["pv", "pv", "pv", "cart", "buy"], size=n),
            "item_id": rng.integers(0, 5_000, size=n),
            "price": np.round(rng.uniform(1, 500, size=n), 2),
            "timestamp": 1_511_539_000 + np.sort(rng.integers(0, 86_400 * 7, size=n)),
        }
    )


@pytest.mark.parametrize("column", ["item_id", "price", "timestamp"])
def test_an_event_column_of_ids_or_numbers_is_warned_about(column):
    # event="item_id" (or the price, or the time): 1,000 "event types" seen about once
    # each, 30 of them counted, the rest pooled; the table read count[72754] 19, silently.
    import oddseq
    from oddseq.exceptions import DataWarning

    log = _shop()
    with pytest.warns(DataWarning, match=rf"event column '{column}' holds [\d,]+ distinct") as w:
        oddseq.detect_anomalies(
            log, entity="user_id", event=column, time="timestamp", contamination=0.1
        )
    message = next(str(x.message) for x in w if "event column" in str(x.message))
    assert "item=" in message and "--item" in message


def test_a_log_of_many_event_types_each_seen_often_is_not_warned_about():
    import warnings

    import oddseq

    log = _shop(per_user=60)
    log["behavior"] = "E" + (log["item_id"] % 250).astype(str)  # 250 templates, ~14 each
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        oddseq.detect_anomalies(
            log, entity="user_id", event="behavior", time="timestamp", contamination=0.1
        )


def test_scoring_a_few_entities_of_a_log_of_many_event_types_is_not_warned_about():
    # The event-column warning counted the Sequences' vocabulary (every label of the log,
    # kept by a subset) and ran in score() too: a model fitted silently on 250 templates
    # warned "Is it the right column?" on every small batch scored. It asks where the
    # vocabulary is learned (fit, detect_anomalies), of the types present.
    import warnings

    from oddseq import AnomalyPipeline
    from oddseq.preprocessing._quality import warn_about_the_log

    log = _shop(per_user=60)
    log["behavior"] = "E" + (log["item_id"] % 250).astype(str)
    seqs = Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
    few = seqs.take(np.arange(5))  # 300 events over the log's 250 labels
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe = AnomalyPipeline(contamination=0.1).fit(seqs)
        pipe.score(few)
        warn_about_the_log(few)  # learning from these: about 160 types present, ~2 each
    assert len(few.event_labels) == 250


def test_entities_min_events_leaves_out_are_not_said_to_be_judged_on_one_event():
    import warnings

    import oddseq

    rng = np.random.default_rng(188)
    singles = pd.DataFrame(
        {
            "user_id": np.arange(1_000),
            "behavior": rng.choice(["pv", "cart"], size=1_000),
            "timestamp": 1_511_539_000 + rng.integers(0, 86_400, size=1_000),
        }
    )
    regulars = _shop(n_users=40, per_user=10)[["user_id", "behavior", "timestamp"]]
    log = pd.concat([singles, regulars.assign(user_id=regulars["user_id"] + 5_000)])
    roles = dict(entity="user_id", event="behavior", time="timestamp", contamination=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = oddseq.detect_anomalies(log, min_events=2, **roles)
    assert len(table) == 40
    with pytest.warns(oddseq.exceptions.DataWarning, match=r"1,000 of 1,040 entities"):
        oddseq.detect_anomalies(log, **roles)


# --- a fitted model's methods given what its neighbours take ------------------------


@pytest.fixture(scope="module")
def fitted():
    import warnings

    import oddseq

    seqs = Sequences.from_events(_shop(), entity="user_id", event="behavior", time="timestamp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = oddseq.AnomalyPipeline(contamination=0.1).fit(seqs)
    return pipe, seqs


def test_p_normal_of_sequences_or_a_table_names_what_it_takes(fitted):
    # pipe.p_normal(seqs), as pipe.predict_proba(seqs): a pandas "could not convert
    # string to float: 'pv'" from inside.
    pipe, seqs = fitted
    with pytest.raises(TypeError, match=r"p_normal takes scores.*predict_proba\(seqs\)"):
        pipe.p_normal(seqs)
    table = pipe.score(seqs)
    with pytest.raises(TypeError, match=r"p_normal takes scores.*table\['score'\]"):
        pipe.p_normal(table)
    np.testing.assert_allclose(pipe.p_normal(table["score"]), table["p_normal"])


def test_explain_names_unknown_ids_as_written(fitted):
    # ids taken from seqs.ids or a table's index are numpy integers: the refusal read
    # "entity_ids [np.int64(9)]".
    pipe, seqs = fitted
    unknown = [np.int64(10_001), np.int64(10_002)]
    for call in (
        lambda: pipe.explain(unknown),
        lambda: pipe.explain(seqs, unknown),
        lambda: pipe.explain(unknown[0]),
    ):
        with pytest.raises(ValueError, match=r"entity_ids \[10001(, 10002)?\] are not among"):
            call()


# --- scoring sequences built without a column the model was fitted with --------------


@pytest.mark.parametrize("missing", ["item", "value"])
def test_scoring_without_a_fitted_column_names_the_argument(missing):
    import warnings

    import oddseq

    log = _shop()
    roles = dict(entity="user_id", event="behavior", time="timestamp")
    full = Sequences.from_events(log, item="item_id", value="price", **roles)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = oddseq.AnomalyPipeline(contamination=0.1).fit(full)
    kept = {"item": {"value": "price"}, "value": {"item": "item_id"}}[missing]
    seqs = Sequences.from_events(log, **kept, **roles)
    with pytest.raises(ValueError, match=rf"fitted with {missing}s.*{missing}="):
        pipe.score(seqs)


# --- one event per entity: a row id as the entity, or a sequence in each row ---------


def test_an_entity_column_of_row_ids_is_warned_about():
    # --entity LineId on a loghub file: 2,000 entities of one event each, 74 flagged
    # "(rests on 1 event)", without a word about the column.
    import oddseq
    from oddseq.exceptions import DataWarning

    log = _shop().reset_index(names="line_id")
    with pytest.warns(DataWarning, match=r"1,200 of 1,200 entities .* have one event") as w:
        oddseq.detect_anomalies(
            log, entity="line_id", event="behavior", time="timestamp", contamination=0.1
        )
    message = next(str(x.message) for x in w if "have one event" in str(x.message))
    assert "If 'line_id' is a row or line id" in message
    assert "entity=" in message and "--entity" in message


def test_a_sequence_in_each_row_is_warned_about_with_the_way_to_one_event_per_row():
    # hdfs_100k_blocks.csv: block_id,...,event_ids ("1 2 2 2 3 4"), --event event_ids:
    # every block one "event" whose type is its whole sequence; 0 flagged, silently.
    import oddseq
    from oddseq.exceptions import DataWarning

    rng = np.random.default_rng(188)
    blocks = pd.DataFrame(
        {
            "block_id": [f"blk_{i}" for i in range(300)],
            "event_ids": [
                " ".join(map(str, rng.integers(1, 6, size=rng.integers(3, 9)))) for _ in range(300)
            ],
        }
    )
    with pytest.warns(DataWarning, match=r"300 of 300 entities .* have one event") as w:
        oddseq.detect_anomalies(blocks, entity="block_id", event="event_ids", contamination=0.1)
    message = next(str(x.message) for x in w if "have one event" in str(x.message))
    assert "whole sequence" in message
    assert ".str.split()" in message and ".explode(" in message
    # the advice, followed, gives one row per event and no warning
    table = blocks.assign(event=blocks["event_ids"].str.split()).explode("event")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        oddseq.detect_anomalies(table, entity="block_id", event="event", contamination=0.1)


@pytest.mark.parametrize("written", ["pandas", "bare"])
def test_a_list_in_each_row_gets_advice_that_reads_its_events_cleanly(written):
    # A column pandas wrote from lists reads "['E4', 'E3']": the advice was to strip the
    # brackets and split at commas, which kept the quotes and the spaces ("'E1'" and
    # " 'E1'", two types for one). The advice, taken literally, must give the events.
    import ast
    import re
    import warnings

    import oddseq
    from oddseq.exceptions import DataWarning

    rng = np.random.default_rng(189)
    lists = [[f"E{e}" for e in rng.integers(1, 6, size=rng.integers(3, 9))] for _ in range(300)]
    text = [str(x) if written == "pandas" else "[" + ",".join(x) + "]" for x in lists]
    blocks = pd.DataFrame({"block_id": [f"blk_{i}" for i in range(300)], "event_ids": text})
    with pytest.warns(DataWarning, match=r"300 of 300 entities .* have one event") as w:
        oddseq.detect_anomalies(blocks, entity="block_id", event="event_ids", contamination=0.1)
    message = next(str(x.message) for x in w if "have one event" in str(x.message))
    advised = re.search(r"\.str\.findall\((r\".*?\")\)\)\.explode", message)
    assert advised, message
    table = blocks.assign(
        event=blocks["event_ids"].str.findall(ast.literal_eval(advised.group(1)))
    ).explode("event")
    assert sorted(table["event"].unique()) == ["E1", "E2", "E3", "E4", "E5"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        oddseq.detect_anomalies(table, entity="block_id", event="event", contamination=0.1)


def test_a_log_where_many_entities_have_one_event_is_not_warned_about():
    import warnings

    import oddseq

    log = _shop()
    singles = log.groupby("user_id").head(1).copy()
    singles["user_id"] += 1_000  # 60 of 120 entities with one event: bounced visits
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        oddseq.detect_anomalies(
            pd.concat([log, singles]),
            entity="user_id",
            event="behavior",
            time="timestamp",
            contamination=0.1,
        )


# --- dates and clock times written as one number: 20171124160048 --------------------


@pytest.mark.parametrize("fmt", ["%Y%m%d%H%M%S", "%Y%m%d%H%M"])
@pytest.mark.parametrize("as_text", [False, True])
def test_date_and_time_digits_beyond_2262_advise_the_format(fmt, as_text):
    # An export's 20171124160048: "beyond the year 2262 ... check time_unit: s, ms, us or
    # ns", and --time-unit us then read it as 1970. The format is the fix.
    log = _log()
    stamps = pd.to_datetime(log["timestamp"], unit="s")
    digits = stamps.dt.strftime(fmt)
    log["timestamp"] = digits if as_text else digits.astype(np.int64)
    roles = dict(entity="user_id", event="behavior", time="timestamp")
    with pytest.raises(ValueError) as error:
        Sequences.from_events(log, **roles)
    message = str(error.value)
    assert f"time_format={fmt!r}" in message and f"--time-format {fmt}" in message
    assert "check time_unit" not in message
    seqs = Sequences.from_events(log, time_format=fmt, **roles)  # the advice, followed
    kept = stamps if fmt.endswith("%S") else stamps.dt.floor("min")
    expected = kept.to_numpy().astype("datetime64[ns]").view(np.int64)
    assert set(seqs.times) == set(expected)


@pytest.mark.parametrize("scale", [10**7, 1e20])
def test_numbers_beyond_2262_that_are_no_dates_keep_the_unit_advice(scale):
    # (1e20, a float beyond int64, gave a RuntimeWarning in the digits check)
    log = _log()
    log["timestamp"] = log["timestamp"] * scale  # not a unit, not digits of a date
    with pytest.raises(ValueError, match=r"beyond the year 2262.*time_unit"):
        Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")


# --- a DataFrame that is not one event per row of plain values -------------------------


def test_a_duplicated_column_name_is_refused_naming_it():
    # pd.concat([log, more], axis=1) kept two 'user_id' columns: "times and codes differ
    # in length", from inside.
    log = _log()
    both = pd.concat([log, log[["user_id"]]], axis=1)
    with pytest.raises(ValueError, match=r"df has 2 columns named 'user_id'.*duplicated"):
        Sequences.from_events(both, entity="user_id", event="behavior", time="timestamp")


@pytest.mark.parametrize("role", ["event", "entity"])
@pytest.mark.parametrize("kind", ["list", "dict"])
def test_lists_or_objects_as_labels_are_refused_naming_the_column(role, kind):
    # JSON lines with "behavior": ["pv"] or "user": {"id": 1}: pandas' "unhashable
    # type: 'list'" from inside its hashtable.
    log = _log()
    column = "user_id" if role == "entity" else "behavior"
    wrap = (lambda x: [x]) if kind == "list" else (lambda x: {"id": x})
    log[column] = log[column].map(wrap)
    with pytest.raises(TypeError) as error:
        Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
    message = str(error.value)
    assert f"column {column!r} holds {kind} values" in message
    assert ".str.get(" in message and ".astype(str)" in message


@pytest.mark.parametrize("role", ["event", "item", "time"])
def test_the_entity_column_given_again_as_another_role_is_refused(role):
    log = _log()
    log["item_id"] = log["user_id"] * 7
    roles = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
    roles[role] = "user_id"
    with pytest.raises(ValueError, match=rf"entity='user_id' and {role}='user_id' name"):
        Sequences.from_events(log, **roles)


def test_dask_refuses_the_entity_column_given_again_as_one_machine_does():
    # oddseq.dask read the partitions and failed inside one ("input partition 0 could not
    # be read (AttributeError ...) fix or leave out that file": wrong advice).
    pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    log = _log()
    with pytest.raises(ValueError, match=r"entity='user_id' and event='user_id' name"):
        detect_anomalies(
            dd.from_pandas(log, npartitions=2), entity="user_id", event="user_id", time="timestamp"
        )


# --- the demo's printed table ----------------------------------------------------------


def test_the_demo_prints_short_left_aligned_reasons_and_leaves_pandas_options_alone():
    # The demo's table printed reasons of 300 characters (to_string ignores
    # display.max_colwidth), right-aligned: the top users' reasons began ~200 columns to
    # the right on the Taobao head. And it set pandas' display options for the caller.
    import io

    from oddseq._demo import run_demo

    before = pd.get_option("display.width"), pd.get_option("display.max_colwidth")
    out = io.StringIO()
    table = run_demo(n_users=400, seed=188, top=12, progress=False, out=out)
    assert (pd.get_option("display.width"), pd.get_option("display.max_colwidth")) == before
    lines = out.getvalue().splitlines()
    header = next(i for i, line in enumerate(lines) if line.rstrip().endswith("reason"))
    rows = lines[header + 2 : header + 2 + 12]
    start = lines[header].index("reason")
    for line, reason in zip(rows, table["reason"].head(12)):
        assert line[start:].startswith(reason[:20])  # left-aligned under its header
        assert len(line.rstrip()) <= start + 90


# --- oddseq stream and a value that is no number ---------------------------------------


@pytest.mark.parametrize("path", ["lines", "duplicates", "batch"])
def test_stream_reports_a_value_that_is_no_number_as_a_malformed_line(tmp_path, oddseq_here, path):
    # $374.95 was read as a missing value: each such entity alerted on "largest value 0
    # (log-scale average 1.37e+03)", 11 alerts for 11 entities. oddseq detect refuses it.
    # Three ways through the command: the C++ line reader (which leaves such a line to
    # Python), --drop-duplicates (one by one), a --time-format (in batches).
    import warnings

    import oddseq

    log = _shop()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seqs = Sequences.from_events(
            log, entity="user_id", event="behavior", time="timestamp", value="price"
        )
        oddseq.AnomalyPipeline(contamination=0.1).fit(seqs).save(tmp_path / "m.oddseq")
    later = log.head(12).copy()
    later["price"] = later["price"].map("{:.2f}".format).astype(object)
    later.loc[3, "price"] = "$374.95"
    later.loc[5, "price"] = "N/A"  # missing, as pd.read_csv reads it
    later.loc[7, "price"] = ""
    args = ["stream", "--model", tmp_path / "m.oddseq", "--entity", "user_id"]
    args += ["--event", "behavior", "--time", "timestamp", "--value", "price"]
    if path == "duplicates":
        args += ["--drop-duplicates"]
    if path == "batch":
        stamps = pd.to_datetime(later["timestamp"], unit="s")
        later["timestamp"] = stamps.dt.strftime("%Y-%m-%d %H:%M:%S")
        args += ["--time-format", "%Y-%m-%d %H:%M:%S"]
    text = later[["user_id", "behavior", "timestamp", "price"]].to_csv(index=False)
    done = oddseq_here(args, text)
    assert done.returncode == 0, done.stderr
    assert "line 5: unreadable value '$374.95'" in done.stderr
    assert "11 events applied" in done.stderr and "1 malformed line (line 5)" in done.stderr


def test_stream_scorer_skips_and_counts_a_value_that_is_no_number():
    # StreamScorer.update / update_one read '$374.95' as a missing value and alerted on
    # "largest value 0", where the shell's stream now skips and reports the line.
    import warnings

    import oddseq
    from oddseq.stream import StreamScorer

    log = _shop()
    roles = dict(entity="user_id", event="behavior", time="timestamp", value="price")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seqs = Sequences.from_events(log, **roles)
        pipe = oddseq.AnomalyPipeline(contamination=0.1).fit(seqs)
    later = log.head(12).copy()
    later["price"] = later["price"].map("{:.2f}".format).astype(object)
    later.loc[3, "price"] = "$374.95"
    later.loc[5, "price"] = "N/A"  # missing, as pd.read_csv reads it
    later.loc[7, "price"] = ""
    scorer = StreamScorer(pipe, **roles)
    scorer.update(later)
    assert scorer.n_invalid_ == 1
    # the same rows one by one: the same count, and the same states as the batch's
    one = StreamScorer(pipe, **roles)
    for row in later.itertuples(index=False):
        one.update_one(row.user_id, row.behavior, row.timestamp, value=row.price)
    assert one.n_invalid_ == 1
    users = later["user_id"].unique()
    pd.testing.assert_frame_equal(one.features(users), scorer.features(users))


@pytest.mark.parametrize("case", ["list", "dollar", "entity twice"])
def test_the_shell_gives_its_own_fix_for_refusals_whose_python_fix_is_pandas_code(
    tmp_path, oddseq_here, case
):
    # oddseq detect on files the command reads itself printed df[...] = ... fixes
    # (.str.get(0), pd.to_numeric, entity='user' and event='user'): nothing a shell
    # user can run.
    import json

    log = _shop(n_users=30, per_user=10)
    args = ["detect", None, "--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    if case == "list":
        path = tmp_path / "nest.jsonl"
        rows = log[["user_id", "behavior", "timestamp"]].to_dict("records")
        lines = (json.dumps({**r, "behavior": [r["behavior"]]}) + "\n" for r in rows)
        path.write_text("".join(lines))
        said = "Write one value per row in that field of the file"
    elif case == "dollar":
        path = tmp_path / "dollar.csv"
        log["price"] = log["price"].map("{:.2f}".format)
        log.loc[4, "price"] = "$37.40"
        log.to_csv(path, index=False)
        args += ["--value", "price"]
        said = "or leave those cells empty (missing)"
    else:
        path = tmp_path / "log.csv"
        log.to_csv(path, index=False)
        args[5] = "user_id"
        said = "--entity 'user_id' and --event 'user_id' name the same column"
    args[1] = path
    done = oddseq_here(args)
    assert done.returncode == 2, done.stderr
    assert said in done.stderr and "df[" not in done.stderr and "entity=" not in done.stderr


# --- a web server's log times ------------------------------------------------------------


@pytest.mark.parametrize("zone", [" +0000", ""])
@pytest.mark.parametrize("brackets", [False, True])
def test_common_log_format_times_are_refused_advising_their_format(zone, brackets):
    # Apache / nginx's 24/Nov/2017:16:02:43 +0000: the refusal's example was
    # '%d/%m/%Y %H:%M:%S', which does not read them either.
    log = _log()
    stamps = pd.to_datetime(log["timestamp"], unit="s")
    text = stamps.dt.strftime("%d/%b/%Y:%H:%M:%S") + zone
    log["timestamp"] = ("[" + text + "]") if brackets else text
    roles = dict(entity="user_id", event="behavior", time="timestamp")
    with pytest.raises(ValueError) as error:
        Sequences.from_events(log, **roles)
    fmt = "%d/%b/%Y:%H:%M:%S" + (" %z" if zone else "")
    fmt = f"[{fmt}]" if brackets else fmt
    assert f"time_format={fmt!r}" in str(error.value)
    seqs = Sequences.from_events(log, time_format=fmt, **roles)  # the advice, followed
    expected = stamps.to_numpy().astype("datetime64[ns]").view(np.int64)
    assert set(seqs.times) == set(expected)


# --- a side table keyed by a column of another name -----------------------------------


def test_a_side_table_with_its_ids_in_a_column_of_another_name_advises_that_column():
    # side.reset_index() with the ids in 'uid': the refusal advised
    # side.set_index('user_id'), a column the table does not have.
    import oddseq

    log = _shop()
    log["user_id"] += 1_000  # ids that are not row numbers
    ids = log["user_id"].unique()
    side = pd.DataFrame({"uid": ids, "age_days": np.arange(len(ids)) * 3 + 1})
    with pytest.raises(ValueError, match=r"its column 'uid' holds them: side.set_index\('uid'\)"):
        oddseq.detect_anomalies(
            log,
            entity="user_id",
            event="behavior",
            time="timestamp",
            contamination=0.1,
            entity_features=side,
        )


# --- NA-like text among dates ------------------------------------------------------------


@pytest.mark.parametrize("written", ["N/A", "null", "NaN", " none "])
def test_na_like_text_among_dates_is_a_missing_time(written):
    # Python's object column with "N/A" among ISO dates was refused with "pass
    # time_format"; the same file through the shell (read_csv reads N/A as missing) gave
    # "missing values: 1 ... dropna=True". Now both say the latter.
    log = _log()
    stamps = pd.to_datetime(log["timestamp"], unit="s")
    log["timestamp"] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S").astype(object)
    log.loc[5, "timestamp"] = written
    roles = dict(entity="user_id", event="behavior", time="timestamp")
    with pytest.raises(ValueError, match=r"missing values: 1 in 'timestamp'"):
        Sequences.from_events(log, **roles)
    with pytest.warns(UserWarning, match=r"dropped 1 of 120 rows"):
        seqs = Sequences.from_events(log, dropna=True, **roles)
    assert seqs.n_events == 119


def test_na_like_text_among_dates_is_found_by_position_not_index_label():
    # pd.concat of two days repeats the index labels 0..n-1: the N/A row's label is also a
    # valid row's, which was counted missing too (and dropped with dropna=True).
    day = _log()
    stamps = pd.to_datetime(day["timestamp"], unit="s")
    day["timestamp"] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S").astype(object)
    later = day.copy()
    later["user_id"] = later["user_id"] + 1000
    log = pd.concat([day, later])
    assert log.index.duplicated().any()
    log.iloc[5, log.columns.get_loc("timestamp")] = "N/A"
    roles = dict(entity="user_id", event="behavior", time="timestamp")
    with pytest.raises(ValueError, match=r"missing values: 1 in 'timestamp'"):
        Sequences.from_events(log, **roles)
    with pytest.warns(UserWarning, match=rf"dropped 1 of {len(log)} rows"):
        seqs = Sequences.from_events(log, dropna=True, **roles)
    assert seqs.n_events == len(log) - 1


def test_text_that_is_no_date_and_not_na_like_keeps_its_refusal():
    log = _log()
    stamps = pd.to_datetime(log["timestamp"], unit="s")
    log["timestamp"] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S").astype(object)
    log.loc[5, "timestamp"] = "yesterday"
    with pytest.raises(ValueError, match=r"1 value of [0-9,]+ that is no date: 'yesterday'"):
        Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
