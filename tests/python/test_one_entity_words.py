"""One entity, or a log with no rows: the refusal names the fix, in Python's spelling
from Python and in the shell's from the shell (H2's fifteenth-session finding 8)."""

import pytest

import oddseq
from oddseq.cli import main
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def log():
    return make_ecommerce(n_users=60, random_state=3).events


@pytest.fixture(scope="module")
def one(log):
    return log[log.user_id == log.user_id.iloc[0]]


def test_python_names_the_fix_in_python_words(one):
    with pytest.raises(ValueError) as info:
        oddseq.detect_anomalies(one, entity="user_id", event="behavior", time="timestamp")
    text = str(info.value)
    assert "min_events=1" in text and "got 1" in text
    assert "pipeline.score" in text and "--model" not in text


def test_shell_names_the_fix_in_shell_words(one, tmp_path, capsys):
    path = tmp_path / "one.csv"
    one.to_csv(path, index=False)
    for command in ("detect", "fit"):
        extra = ["-o", str(tmp_path / "x.csv")] if command == "detect" else []
        extra = extra or ["--save", str(tmp_path / "m.oddseq")]
        assert main([command, str(path), *ROLES, *extra]) == 2
        err = capsys.readouterr().err
        assert "--min-events 1" in err and "min_events=" not in err, err
        assert "oddseq score" in err and "--model" in err, err
        assert "pipeline." not in err, err


def test_shell_says_the_file_has_no_rows(log, tmp_path, capsys):
    path = tmp_path / "empty.csv"
    log.iloc[:0].to_csv(path, index=False)
    # nothing to fit on (fit, detect --normal); detect and score write an empty table
    # for a day without events (exit 0, tests/python/test_cli_id_labels.py)
    assert main(["fit", str(path), *ROLES, "--save", str(tmp_path / "m.oddseq")]) == 2
    err = capsys.readouterr().err
    assert f"{path} has no rows" in err and "df" not in err, err


def test_python_says_df_has_no_rows(log):
    # a day without events: an empty table and a warning (tests/python/test_empty_day.py)
    with pytest.warns(DataWarning, match="df has no rows"):
        table = oddseq.detect_anomalies(
            log.iloc[:0], entity="user_id", event="behavior", time="timestamp"
        )
    assert len(table) == 0


def test_too_few_after_min_events_advises_lowering_it(log):
    counts = log.groupby("user_id").size()
    big = int(counts.max())
    with pytest.raises(ValueError, match=r"min_events=.*lower"):
        oddseq.detect_anomalies(
            log, entity="user_id", event="behavior", time="timestamp", min_events=big
        )
