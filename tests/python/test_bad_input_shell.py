"""A user's mistake in the shell or a file reader gets an error or a warning that names
the argument and the fix, never a silently wrong result (issue 14 house-keeping)."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq import detect_anomalies
from oddseq.cli import main
from oddseq.datasets import make_ecommerce, read_sequences_file
from oddseq.sequences import Sequences

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def log():
    return make_ecommerce(n_users=150, random_state=5).events


@pytest.fixture(scope="module")
def log_file(log, tmp_path_factory):
    path = tmp_path_factory.mktemp("log") / "log.csv"
    log.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model_file(log_file, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.oddseq"
    assert main(["fit", str(log_file), *ROLES, "--save", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def _stream(oddseq_here):
    """``oddseq stream ARGS`` with STDIN (text), in this process."""

    def run(args, stdin):
        return oddseq_here(["stream", *args], stdin)

    return run


# ---- 1. durations without a unit ----------------------------------------------------


def test_detect_refuses_a_session_gap_without_a_unit(log_file, tmp_path, capsys):
    out = tmp_path / "t.csv"
    args = ["detect", str(log_file), *ROLES, "-o", str(out)]
    assert main([*args, "--session-gap", "30"]) == 2
    err = capsys.readouterr().err
    assert "--session-gap 30" in err and "30min" in err and "30s" in err
    assert not out.exists()
    assert main([*args, "--session-gap", "30min"]) == 0


@pytest.mark.parametrize("text", ["30", "30.5", " 1800 ", "1e3"])
def test_python_session_gap_as_text_needs_a_unit(log, text):
    """A number is seconds (documented); text that is a bare number has no unit
    (pandas would read "30" as 30 nanoseconds)."""
    with pytest.raises(ValueError, match=r"session_gap=.*no unit.*min'"):
        detect_anomalies(
            log, entity="user_id", event="behavior", time="timestamp", session_gap=text
        )
    with pytest.raises(ValueError, match="session_gap"):
        Sequences.from_events(
            log, entity="user_id", event="behavior", time="timestamp", session_gap=text
        )


def test_python_session_gap_number_is_seconds(log):
    seconds = Sequences.from_events(
        log, entity="user_id", event="behavior", time="timestamp", session_gap=1800
    )
    text = Sequences.from_events(
        log, entity="user_id", event="behavior", time="timestamp", session_gap="30min"
    )
    assert len(seconds) == len(text)
    np.testing.assert_array_equal(seconds.offsets, text.offsets)


@pytest.mark.parametrize(("option", "value"), [("--ttl", "3600"), ("--lateness", "5")])
def test_stream_refuses_durations_without_a_unit(model_file, option, value, capsys):
    assert main(["stream", "--model", str(model_file), *ROLES, option, value]) == 2
    err = capsys.readouterr().err
    assert f"{option} {value}" in err and f"{value}s" in err


def test_stream_takes_durations_with_units_and_a_bare_zero_lateness(model_file, log, _stream):
    text = log.head(40).to_csv(index=False)
    args = ["--model", str(model_file), *ROLES, "--ttl", "1h", "--lateness", "0"]
    done = _stream(args, text)
    assert done.returncode == 0, done.stderr
    done = _stream(["--model", str(model_file), *ROLES, "--lateness", "5s"], text)
    assert done.returncode == 0, done.stderr


# ---- 2. a time unit that puts the times decades away -------------------------------


def test_detect_warns_when_time_unit_ms_reads_seconds(log_file, tmp_path, capsys):
    out = tmp_path / "t.csv"
    args = ["detect", str(log_file), *ROLES, "--time-unit", "ms", "-o", str(out)]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "1970" in err and "--time-unit s" in err


def test_python_time_unit_that_lands_in_1970_warns_with_the_fix(log):
    for call in (
        lambda: Sequences.from_events(
            log, entity="user_id", event="behavior", time="timestamp", time_unit="ms"
        ),
        lambda: detect_anomalies(
            log, entity="user_id", event="behavior", time="timestamp", time_unit="ns"
        ),
    ):
        with pytest.warns(UserWarning, match=r"look like seconds.*time_unit='s'"):
            call()


def test_python_seconds_read_as_milliseconds_stays_refused(log):
    as_ms = log.assign(timestamp=log["timestamp"] * 1000)
    with pytest.raises(ValueError, match="time_unit='ms'"):
        Sequences.from_events(as_ms, entity="user_id", event="behavior", time="timestamp")


@pytest.mark.parametrize("unit", ["s", "ms"])
def test_no_warning_for_the_right_unit_or_for_relative_times(log, unit):
    times = log["timestamp"] * (1000 if unit == "ms" else 1)
    relative = log.assign(timestamp=log["timestamp"] - log["timestamp"].min())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Sequences.from_events(
            log.assign(timestamp=times),
            entity="user_id",
            event="behavior",
            time="timestamp",
            time_unit=unit,
        )
        for relative_unit in ("s", "ms"):
            Sequences.from_events(
                relative,
                entity="user_id",
                event="behavior",
                time="timestamp",
                time_unit=relative_unit,
            )


def test_stream_warns_once_when_time_unit_reads_seconds_as_ms(model_file, log, _stream):
    text = log.head(300).to_csv(index=False)
    done = _stream(["--model", str(model_file), *ROLES, "--time-unit", "ms"], text)
    assert done.returncode == 0, done.stderr
    warned = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(warned) == 1 and "--time-unit s" in warned[0], done.stderr
    jsonl = log.head(50).to_json(orient="records", lines=True)
    done = _stream(["--model", str(model_file), *ROLES, "--time-unit", "ms"], jsonl)
    assert "--time-unit s" in done.stderr
    done = _stream(["--model", str(model_file), *ROLES], text)
    assert "warning" not in done.stderr


def test_stream_scorer_update_warns_on_an_implausible_unit(model_file, log):
    from oddseq import load
    from oddseq.stream import StreamScorer

    live = StreamScorer(
        load(model_file), entity="user_id", event="behavior", time="timestamp", time_unit="ms"
    )
    with pytest.warns(UserWarning, match="time_unit='s'"):
        live.update(log.head(100))


# ---- 3. read_sequences_file: id,events rows -----------------------------------------


def test_read_sequences_file_reads_id_comma_events_rows(tmp_path):
    path = tmp_path / "hdfs_train"
    path.write_text("blk_-123,5 5 22\nblk_7,5 11 9 \n")
    seqs = read_sequences_file(path)
    assert list(seqs.ids) == ["blk_-123", "blk_7"]
    assert seqs[0]["event"].tolist() == [5, 5, 22]
    assert seqs[1]["event"].tolist() == [5, 11, 9]
    assert seqs.lengths.tolist() == [3, 3]


def test_read_sequences_file_plain_lines_keep_line_numbers_as_ids(tmp_path):
    path = tmp_path / "deeplog"
    path.write_text("5 5 22 \n22 5\n")
    seqs = read_sequences_file(path)
    assert list(seqs.ids) == [0, 1] and seqs.lengths.tolist() == [3, 2]
    spaced = tmp_path / "blank"
    spaced.write_text("5 5\n\n22\n")
    with pytest.warns(UserWarning, match="1 blank line"):
        seqs = read_sequences_file(spaced)
    assert list(seqs.ids) == [0, 2] and seqs.lengths.tolist() == [2, 1]


def test_read_sequences_file_refuses_a_csv_table_with_the_fix(tmp_path):
    path = tmp_path / "blocks.csv"
    path.write_text(
        "block_id,split,label,length,event_ids\nblk_-1,train,0,3,1 2 2\nblk_2,test,1,2,1 3\n"
    )
    with pytest.raises(ValueError, match=r"line 1.*5 comma-separated fields.*pd\.read_csv"):
        read_sequences_file(path)


def test_read_sequences_file_refuses_mixed_rows(tmp_path):
    path = tmp_path / "mixed"
    path.write_text("blk_1,5 5 22\n5 11 9\n")
    with pytest.raises(ValueError, match="line 2"):
        read_sequences_file(path)


def test_read_sequences_file_with_a_separator_refuses_spaces_inside_an_event(tmp_path):
    commas = tmp_path / "commas"
    commas.write_text("5,5,22\n5,11\n")
    assert read_sequences_file(commas, sep=",").lengths.tolist() == [3, 2]
    glued = tmp_path / "glued"
    glued.write_text("blk_1,5 5 22\n")
    with pytest.raises(ValueError, match=r"sep=','.*'5 5 22'.*sep=None"):
        read_sequences_file(glued, sep=",")


def test_read_sequences_file_with_a_separator_keeps_event_names_with_spaces(tmp_path):
    # Only "id,events separated by spaces" is the other format (review).
    named = tmp_path / "named"
    named.write_text("view item;add to cart;pay\nview item;view item\n")
    seqs = read_sequences_file(named, sep=";")
    assert seqs.lengths.tolist() == [3, 2]
    assert seqs[0]["event"].tolist() == ["view item", "add to cart", "pay"]


def test_read_sequences_file_refuses_a_repeated_id(tmp_path):
    path = tmp_path / "twice"
    path.write_text("blk_1,5 5\nblk_2,5\nblk_1,22\n")
    with pytest.raises(ValueError, match=r"'blk_1'.*lines 1 and 3"):
        read_sequences_file(path)


# ---- 4. counts in the stream summary agree with their numbers ----------------------


def test_stream_summary_counts_agree_in_number(model_file, log, _stream):
    lines = log.head(1).to_csv(index=False)
    done = _stream(["--model", str(model_file), *ROLES], lines + "broken\n")
    assert done.returncode == 0, done.stderr
    summary = done.stderr.strip().splitlines()[-1]
    assert "3 lines, 1 event applied," in summary
    assert "1 malformed line (line 3)" in summary
    assert "1 entity tracked" in summary
    assert "alerts" not in summary or " 0 alerts" in summary
    single = json.loads(log.head(1).to_json(orient="records", lines=True).strip())
    done = _stream(["--model", str(model_file), *ROLES], json.dumps(single) + "\n")
    assert "1 line, 1 event applied, 0 alerts, 0 malformed lines" in done.stderr


def test_stream_summary_says_one_alert_and_many_malformed_lines():
    from oddseq.stream._cli import _summary

    counts = dict(n_events=2, n_late_dropped=0, n_invalid=0, n_evicted_ttl=0)
    counts.update(n_evicted_cap=0, n_entities=1)
    line = _summary(2, 1, [], counts, 0.0)
    assert "2 lines, 2 events applied, 1 alert, 0 malformed lines, 0 too late" in line
    assert "1 entity tracked" in line
    line = _summary(30, 2, list(range(1, 25)), dict(counts, n_entities=2), 0.0)
    assert "2 alerts, 24 malformed lines (lines 1, 2," in line and "20 and 4 more)" in line
    assert "2 entities tracked" in line


def test_detect_top_one_and_fit_say_one_row(log_file, tmp_path, capsys):
    out = tmp_path / "t.csv"
    assert main(["detect", str(log_file), *ROLES, "--top", "1", "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "(the top row)" in said and "150 scored" in said
    assert main(["demo", "--n-users", "300", "--top", "1", "--no-progress"]) == 0
    assert "The odd-most user:" in capsys.readouterr().out


# ---- 5. more of the same kind -------------------------------------------------------


def test_a_time_format_reads_numbers_written_as_dates(tmp_path, capsys):
    df = pd.DataFrame(
        {
            "u": [1, 1, 2, 2],
            "e": ["a", "b", "a", "b"],
            "t": [20171201, 20171202, 20171201, 20171203],
        }
    )
    seqs = Sequences.from_events(df, entity="u", event="e", time="t", time_format="%Y%m%d")
    assert str(pd.Timestamp(seqs.times[0])) == "2017-12-01 00:00:00"
    floats = df.assign(t=df["t"].astype(float))
    again = Sequences.from_events(floats, entity="u", event="e", time="t", time_format="%Y%m%d")
    np.testing.assert_array_equal(again.times, seqs.times)
    epoch = df.assign(t=[1511540087, 1511540090, 1511540095, 1511540099])
    with pytest.raises(ValueError, match=r"check time_format='%Y'"):
        Sequences.from_events(epoch, entity="u", event="e", time="t", time_format="%Y")


def test_detect_names_must_match_the_fields_and_not_repeat_a_header(log, tmp_path, capsys):
    bare = tmp_path / "bare.csv"
    log.to_csv(bare, index=False, header=False)
    out = tmp_path / "t.csv"
    args = ["--entity", "a", "--event", "c", "-o", str(out)]
    assert main(["detect", str(bare), "--names", "a,b,c", *args]) == 2
    err = capsys.readouterr().err
    assert "--names gives 3 names" in err and "6 fields" in err and not out.exists()
    seven = "a,b,c,d,e,f,g"
    assert main(["detect", str(bare), "--names", seven, *args]) == 2
    assert "--names gives 7 names" in capsys.readouterr().err
    headed = tmp_path / "headed.csv"
    log.to_csv(headed, index=False)
    names = ",".join(log.columns)
    assert main(["detect", str(headed), "--names", names, *ROLES, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "header" in err and "leave out --names" in err
    fit = ["fit", str(headed), "--names", names, *ROLES, "--save", str(tmp_path / "m.oddseq")]
    assert main(fit) == 2 and "leave out --names" in capsys.readouterr().err
    assert main(["detect", str(bare), "--names", "a,b,c,d,e,f", *args]) == 0


def test_names_with_a_regular_expression_separator(log, tmp_path, capsys):
    # pandas reads a separator of several characters as a regular expression: --names
    # counts the fields the same way (review: r'\s+' was split literally, "1 fields").
    spaced = tmp_path / "spaced.txt"
    spaced.write_text(log.head(60).to_csv(index=False, header=False).replace(",", "  "))
    out = tmp_path / "t.csv"
    names = ",".join(log.columns)
    args = ["detect", str(spaced), "--sep", r"\s+", "--names", names, *ROLES, "-o", str(out)]
    assert main(args) == 0, capsys.readouterr().err
    assert main([*args[:5], "a,b", *args[6:], "--force"]) == 2
    assert f"have {len(log.columns)} fields" in capsys.readouterr().err


@pytest.mark.parametrize("top", ["0", "-2"])
def test_demo_top_must_be_positive(top, capsys):
    assert main(["demo", "--n-users", "300", "--top", top, "--no-progress"]) == 2
    assert f"--top must be at least 1, got {top}" in capsys.readouterr().err


def test_detect_refuses_options_that_contradict(log_file, tmp_path, capsys):
    out = tmp_path / "t.csv"
    args = ["detect", str(log_file), *ROLES, "-o", str(out)]
    assert main([*args, "--contamination", "0.1", "--false-alarm-rate", "0.2"]) == 2
    err = capsys.readouterr().err
    assert "--false-alarm-rate" in err and "--contamination auto" in err
    assert main([*args, "--item", "item_id", "--group-by", "item_id", "--no-groups"]) == 2
    err = capsys.readouterr().err
    assert "--group-by" in err and "--no-groups" in err and not out.exists()


@pytest.mark.parametrize("command", ["detect", "fit", "stream"])
def test_an_empty_separator_is_refused_naming_sep(command, log_file, model_file, tmp_path, capsys):
    where = {
        "detect": [str(log_file), "-o", str(tmp_path / "t.csv")],
        "fit": [str(log_file), "--save", str(tmp_path / "m.oddseq")],
        "stream": ["--model", str(model_file)],
    }[command]
    assert main([command, *where, *ROLES, "--sep", ""]) == 2
    assert "--sep must be" in capsys.readouterr().err


# ---- 6. the other readers ---------------------------------------------------------


def test_read_taobao_names_a_header_a_column_count_and_milliseconds(tmp_path):
    from oddseq.datasets import read_taobao

    header = tmp_path / "header.csv"
    header.write_text("user_id,item_id,category_id,behavior_type,timestamp\n1,10,7,pv,1511544070\n")
    with pytest.raises(ValueError, match=r"header line.*no header"):
        read_taobao(header)
    six = tmp_path / "six.csv"
    six.write_text("1,10,7,pv,1511544070,5\n")
    with pytest.raises(ValueError, match=r"6 fields.*5: user_id,item_id"):
        read_taobao(six)
    ms = tmp_path / "ms.csv"
    ms.write_text("1,10,7,pv,1511544070000\n")
    with pytest.raises(ValueError, match=r"milliseconds.*seconds"):
        read_taobao(ms)


def test_read_retailrocket_warns_on_seconds_and_names_missing_columns(tmp_path):
    from oddseq.datasets import read_rees46, read_retailrocket

    seconds = tmp_path / "events.csv"
    seconds.write_text(
        "timestamp,visitorid,event,itemid,transactionid\n1433221332,257597,view,355908,\n"
    )
    with pytest.warns(UserWarning, match=r"look like seconds"):
        read_retailrocket(seconds)
    bare = tmp_path / "bare.csv"
    bare.write_text("1433221332117,257597,view,355908,\n")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['event', 'itemid'"):
        read_retailrocket(bare)
    rees = tmp_path / "rees.csv"
    rees.write_text("2019-10-01 00:00:00 UTC,view,44600062,2103807459595387724,,x,35.79,5,7\n")
    with pytest.raises(
        ValueError,
        match=r"missing column\(s\) \['event_time', 'event_type', 'product_id', 'user_id'\]",
    ):
        read_rees46(rees)


@pytest.fixture
def loghub_log(tmp_path):
    log = tmp_path / "HDFS.log_structured.csv"
    log.write_text(
        "LineId,Date,Time,Pid,Level,Component,Content,EventId,EventTemplate\n"
        "1,081109,203615,148,INFO,x,Receiving block blk_-16,E5,Receiving <*>\n"
        "2,081109,203616,148,INFO,x,Served block blk_-16,E22,Served <*>\n"
        "3,081109,203617,148,INFO,x,Served block blk_4,E22,Served <*>\n"
    )
    return log


def test_read_loghub_refuses_label_words_it_does_not_know(loghub_log, tmp_path):
    from oddseq.datasets import read_loghub

    labels = tmp_path / "labels.csv"
    labels.write_text("BlockId,Label\nblk_-16,Anomalous\nblk_4,Normal\n")
    assert read_loghub(loghub_log, labels).labels.to_dict() == {"blk_-16": 1, "blk_4": 0}
    labels.write_text("BlockId,Label\nblk_-16,Attack\nblk_4,Normal\n")
    with pytest.raises(ValueError, match=r"'Attack'.*0/1"):
        read_loghub(loghub_log, labels)


def test_read_loghub_warns_when_labels_miss_the_entities(loghub_log, tmp_path):
    from oddseq.datasets import read_loghub

    labels = tmp_path / "labels.csv"
    labels.write_text("LineId,Label\n1,Anomaly\n2,Normal\n")
    with pytest.warns(UserWarning, match=r"0 of the 2 entities"):
        read_loghub(loghub_log, labels)


def test_read_loghub_entity_pattern_with_several_groups_is_refused(loghub_log):
    from oddseq.datasets import read_loghub

    with pytest.raises(ValueError, match=r"entity_pattern.*2 groups.*\(\?:"):
        read_loghub(loghub_log, entity_pattern=r"(blk)_(-?\d+)")
    seqs = read_loghub(loghub_log, entity_pattern=r"blk_-?\d+").sequences
    assert sorted(seqs.ids) == ["blk_-16", "blk_4"]


def test_sequences_repr_counts_agree_in_number():
    assert repr(Sequences.from_lists([["a"]])) == (
        "Sequences(1 sequence, 1 event, 1 event type, untimed)"
    )
    assert repr(Sequences.from_lists([[5, 22], [5]])) == (
        "Sequences(2 sequences, 3 events, 2 event types, untimed)"
    )


def test_a_missing_id_names_the_shell_option_alone(log, tmp_path, capsys):
    # TR s47b L10: "pass dropna=True to drop those rows (--dropna from the shell)" in the
    # shell gave the Python argument first
    path = tmp_path / "blank.csv"
    log.assign(user_id=log["user_id"].astype(object).where(log.index != 5, None)).to_csv(
        path, index=False
    )
    assert main(["detect", str(path), *ROLES, "-o", str(tmp_path / "t.csv")]) == 2
    err = capsys.readouterr().err
    assert "pass --dropna to drop those rows" in err and "dropna=True" not in err
