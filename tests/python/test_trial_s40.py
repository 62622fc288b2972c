"""A new analyst's trial on the real logs (s40): messages that name what is at fault."""

import pytest

import oddseq
from oddseq.cli import main
from oddseq.datasets import make_ecommerce

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


def test_normal_data_of_one_entity_is_named_as_the_fault():
    # F8: "scoring needs at least 2 sequences ... score them with pipeline.score" where the
    # log ranked held 300 users and the one said normal held 1.
    log = make_ecommerce(n_users=300, random_state=2).events
    one = log[log.user_id == log.user_id.iloc[0]]
    with pytest.raises(ValueError, match="the normal data holds 1") as error:
        oddseq.detect_anomalies(log, **ROLES, normal=one)
    assert "fit on a log of many normal ones" in str(error.value)
    assert "score" not in str(error.value)
    # the same words where the normal data are sequences, fitted on (review s40 D6)
    seqs = oddseq.Sequences.from_events(one, **ROLES)
    with pytest.raises(ValueError, match="the normal data holds 1.*fit on a log of many"):
        oddseq.AnomalyPipeline().fit(seqs, normal=True)


def test_the_shell_names_the_normal_file(tmp_path, capsys):
    log = make_ecommerce(n_users=300, random_state=2).events
    log.to_csv(tmp_path / "log.csv", index=False)
    log[log.user_id == log.user_id.iloc[0]].to_csv(tmp_path / "one.csv", index=False)
    args = ["detect", str(tmp_path / "log.csv"), "--entity", "user_id", "--event", "behavior"]
    args += ["--time", "timestamp", "--normal", str(tmp_path / "one.csv"), "--no-progress"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "the --normal file holds 1" in err and "give --normal a file of many" in err
    assert "oddseq score" not in err


def test_a_value_column_of_amounts_in_wei_is_read():
    # F5: amounts of 1e18 (wei) stopped the call in the log scaler with "X has values
    # as large as ... pass it as float64", about a matrix the analyst never passed.
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 6_000
    log = pd.DataFrame(
        {
            "wallet": rng.integers(0, 300, n),
            "action": rng.choice(["transfer", "swap", "approve"], n),
            "t": np.sort(rng.integers(1_600_000_000, 1_600_086_400, n)),
            "amount_wei": rng.gamma(2, 0.5, n) * 1e18,
        }
    )
    log.loc[log.wallet == 7, "amount_wei"] *= 50  # one wallet moves 50 times more
    table = oddseq.detect_anomalies(
        log, entity="wallet", event="action", time="t", value="amount_wei"
    )
    assert np.isfinite(table["score"]).all()
    assert table.index[0] == 7 and table["is_anomaly"].iloc[0]
    assert "e+19" in table["reason"].iloc[0]  # not 20 digits of float32 noise


@pytest.mark.parametrize(
    ("value", "text"),
    [(1312.47, "1,310"), (-1312.47, "-1,310"), (999.6, "1,000"), (54_330.2, "54,300"),
     (0.0123, "0.0123"), (1052.0, "1,052"), (9_999_999.0, "9,999,999"),
     (1_004_613_074_944.0, "1e+12"), (12_345_678.0, "1.23e+07"), (5.43e19, "5.43e+19")],
)  # fmt: skip
def test_numbers_in_reasons_read_without_a_power_of_ten_below_ten_million(value, text):
    # F11: a price of 1,312.47 read "1.31e+03".
    from oddseq._reasons import format_value

    assert format_value("value_max", value) == text


def _log_with_bad_dates():
    import pandas as pd

    log = make_ecommerce(n_users=200, random_state=3).events
    log["when"] = pd.to_datetime(log["timestamp"], unit="s").dt.strftime("%Y-%m-%d %H:%M:%S UTC")
    log.loc[5, "when"] = "0000-00-00 00:00:00"  # a MySQL zero date
    log.loc[9, "when"] = "not a date"
    return log.drop(columns="timestamp")


def test_a_few_unreadable_dates_are_counted_and_shown_with_their_rows():
    # F6: one bad value refused the log, quoting a valid date, and no advice worked.
    import re

    log = _log_with_bad_dates()
    roles = dict(entity="user_id", event="behavior", time="when")
    with pytest.raises(ValueError, match="has 2 values of [0-9,]+ that are no date") as error:
        oddseq.detect_anomalies(log, **roles, dropna=True)
    said = str(error.value)
    assert "'0000-00-00 00:00:00' (row 5), 'not a date' (row 9)" in said
    fix = re.search(r"make those values missing: (.*), and pass dropna=True", said).group(1)
    df = log
    exec(fix)  # the advice, as written
    with pytest.warns(Warning, match="dropped 2 of"):
        table = oddseq.detect_anomalies(df, **roles, dropna=True)
    assert len(table) == log["user_id"].nunique()


def _advice_followed(values, **options):
    """The unreadable-dates error's fix run on ``values``, then read as parse_times would."""
    import re

    import pandas as pd

    from oddseq.utils._time import parse_times

    df = pd.DataFrame({"t": values})
    with pytest.raises(ValueError, match="that (is|are) no date") as error:
        parse_times(df["t"], "t", **options)
    exec(re.search(r"make those values missing: (.*), and pass dropna", str(error.value)).group(1))
    ns, missing, _ = parse_times(df["t"], "t", **options)
    return pd.to_datetime(ns[~missing]), int(missing.sum())


def test_the_unreadable_dates_advice_keeps_how_the_rest_is_read():
    # Review s40: the advice read day-first dates month-first, and failed on offsets that
    # change with summer time; dates of another format than time_format are no such values.
    import pandas as pd

    from oddseq.utils._time import parse_times

    days = [f"{d:02d}/{m:02d}/2024 10:00" for d, m in [(1, 2), (13, 2), (25, 3), (3, 4)] * 5]
    read, missing = _advice_followed(days + ["0000-00-00 00:00:00"])
    assert missing == 1 and read[0] == pd.Timestamp("2024-02-01 10:00")  # day first
    stamps = pd.date_range("2024-03-20", "2024-04-10", periods=30, tz="Europe/Berlin")
    read, missing = _advice_followed([t.isoformat() for t in stamps] + ["not a date"])
    assert missing == 1 and len(read) == 30
    many = [f"2024-01-{d % 28 + 1:02d} 10:00:00" for d in range(300)] + [f"x{i}" for i in range(30)]
    read, missing = _advice_followed(many)
    assert missing == 30 and len(read) == 300
    with pytest.raises(ValueError, match="check time_format"):
        parse_times(
            pd.Series(["2024-01-05 10:00:00"] * 10 + ["2024-01-05"]),
            "t",
            time_format="%Y-%m-%d %H:%M:%S",
        )


def test_the_shell_says_to_remove_the_unreadable_rows(tmp_path, capsys):
    _log_with_bad_dates().to_csv(tmp_path / "log.csv", index=False)
    args = ["detect", str(tmp_path / "log.csv"), "--entity", "user_id", "--event", "behavior"]
    assert main([*args, "--time", "when", "--dropna", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "has 2 values of" in err and "Remove those rows from the file" in err
    assert "pd.to_datetime" not in err


def test_markov_never_expects_the_end_right_after_the_start():
    # F10: with thousands of rare event types the end's share of the symbols, backed off
    # to, outweighed each of them: "start → e2808 p=0.00024 (expected end)".
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 8_000
    log = pd.DataFrame(
        {
            "user": rng.integers(0, 300, n),
            "event": [f"e{e}" for e in rng.integers(0, 1_000, n)],
            "t": np.sort(rng.integers(1_600_000_000, 1_600_259_200, n)),
        }
    )
    table, pipeline = oddseq.detect_anomalies(
        log, entity="user", event="event", time="t", method="markov", return_pipeline=True
    )
    steps = pipeline.detector_.explain(_seqs(log), top=30)
    first = steps[steps["feature"].str.startswith("(start) → ")]
    assert len(first) and (first["typical"] != "(end)").all()
    expected_end = r"\(start\) → \S+ (?:p=\S+|never seen) \(expected \(end\)\)"
    assert not table["reason"].str.contains(expected_end).any()


def _seqs(log):
    from oddseq.sequences import Sequences

    return Sequences.from_events(log, entity="user", event="event", time="t")


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (["--contamination", "0"], "--contamination must be in (0, 0.5]"),
        (["--false-alarm-rate", "0.5"], "--false-alarm-rate must be in (0, 0.5)"),
        (["--min-events", "0"], "--min-events must be an integer >= 1"),
        (["--group-by", "nope"], "--group-by column(s) ['nope'] not in the file"),
        (["--method", "KMEANS"], "--method must be one of"),
        (["--funnel", "view=view,buy=purchase"], "give --funnel one of them for each role"),
    ],
)
def test_shell_errors_name_the_shell_options(tmp_path, capsys, option, said):
    # F13: "contamination must be ...", "group_by column(s) ... not in the DataFrame"
    make_ecommerce(n_users=60, random_state=1).events.to_csv(tmp_path / "log.csv", index=False)
    args = ["detect", str(tmp_path / "log.csv"), "--entity", "user_id", "--event", "behavior"]
    args += ["--time", "timestamp", "-o", str(tmp_path / "out.csv"), "--no-progress"]
    assert main([*args, *option]) == 2
    assert said in capsys.readouterr().err
