"""A user's mistake in the shell or a file reader gets an error or a warning that names
the argument and the fix, never a silently wrong result (issue 14 house-keeping)."""

import subprocess
import sys

import numpy as np
import pytest

from oddseq import detect_anomalies
from oddseq.cli import main
from oddseq.datasets import make_ecommerce
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


def _stream(args, stdin):
    return subprocess.run(
        [sys.executable, "-m", "oddseq.cli", "stream", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


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


def test_stream_takes_durations_with_units_and_a_bare_zero_lateness(model_file, log):
    text = log.head(40).to_csv(index=False)
    args = ["--model", str(model_file), *ROLES, "--ttl", "1h", "--lateness", "0"]
    done = _stream(args, text)
    assert done.returncode == 0, done.stderr
    done = _stream(["--model", str(model_file), *ROLES, "--lateness", "5s"], text)
    assert done.returncode == 0, done.stderr
