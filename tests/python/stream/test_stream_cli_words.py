"""What oddseq stream (and StreamScorer) say to an analyst in the shell's words (session
22, H4's review of session 21, LOW 12, 14, 16, and a second header line): durations
that are no positive duration, models fitted on sessions or windows, unreadable times,
a header line again in the middle of the input."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp")
STREAM = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def log():
    events = make_ecommerce(n_users=60, random_state=205).events
    return events.sort_values("timestamp", kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def saved(tmp_path_factory, log):
    """A model of whole entities, saved."""
    path = tmp_path_factory.mktemp("words") / "m.oddseq"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        oddseq.AnomalyPipeline(random_state=0).fit(Sequences.from_events(log, **ROLES)).save(path)
    return path


# --- durations that are no positive duration ----------------------------------------


@pytest.mark.parametrize(
    "option, text",
    [
        ("--ttl", "nan"),
        ("--ttl", "NaT"),
        ("--ttl", ""),
        ("--ttl", "0s"),
        ("--ttl", "0"),
        ("--ttl", "-5min"),
        ("--lateness", "nan"),
        ("--lateness", "-5min"),
    ],
)
def test_a_duration_that_is_not_positive_is_said_in_the_shells_words(
    oddseq_here, saved, log, option, text
):
    # "ttl must be a positive duration, got 'nan'" (Python's name); --ttl 0 advised
    # "write it with one, e.g. '0s'", which was then refused.
    done = oddseq_here(["stream", "--model", saved, *STREAM, f"{option}={text}"], "")
    assert done.returncode == 2, done.stderr
    said = done.stderr.strip()
    assert said.startswith(f"oddseq stream: {option} {text.strip()!r} is no ")
    wanted = "duration of 0 or more" if option == "--lateness" else "positive duration"
    assert wanted in said and "e.g. '30s', '5min'" in said
    assert "ttl must" not in said and "lateness must" not in said


@pytest.mark.parametrize("text", ["0", "0s", "0min"])
def test_no_lateness_is_zero_in_any_unit(oddseq_here, saved, log, text):
    # --lateness 0 was taken, --lateness 0s refused as "not positive".
    csv = log.head(30).to_csv(index=False)
    done = oddseq_here(["stream", "--model", saved, *STREAM, "--lateness", text], csv)
    assert done.returncode == 0, done.stderr
    assert "30 events applied" in done.stderr


def test_a_duration_too_long_names_the_option(oddseq_here, saved):
    done = oddseq_here(["stream", "--model", saved, *STREAM, "--ttl", "300000d"], "")
    assert done.returncode == 2
    assert done.stderr.startswith("oddseq stream: --ttl is too long: '300000d'"), done.stderr


@pytest.mark.parametrize("text", ["-5min", "nan", "0s"])
def test_detect_session_gap_that_is_not_positive(oddseq_here, tmp_path, log, text):
    log.to_csv(tmp_path / "log.csv", index=False)
    done = oddseq_here(["detect", tmp_path / "log.csv", *STREAM, f"--session-gap={text}"])
    assert done.returncode == 2
    assert done.stderr.startswith(f"oddseq detect: --session-gap {text!r} is no positive ")
    assert "session_gap must" not in done.stderr


# --- models fitted on sessions, windows, or ids of two levels -----------------------


def _fit(seqs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oddseq.AnomalyPipeline(random_state=0).fit(seqs)


def test_the_shell_refuses_a_sessions_model_in_its_words(oddseq_here, tmp_path, log):
    # "this pipeline was fitted on sessions (...: built with session_gap=...), and
    # StreamScorer scores whole entities ...: fit the pipeline on whole entities,
    # without session_gap": Python's words, no way named in the shell.
    model = _fit(Sequences.from_events(log, **ROLES, session_gap="30min"))
    model.save(tmp_path / "s.oddseq")
    done = oddseq_here(["stream", "--model", tmp_path / "s.oddseq", *STREAM], "")
    assert done.returncode == 2
    said = done.stderr
    assert f"--model {tmp_path / 's.oddseq'} was fitted on sessions" in said
    assert "gaps over 30min" in said
    assert "oddseq score --model" in said and "oddseq fit" in said
    assert "StreamScorer" not in said and "pipeline" not in said
    with pytest.raises(ValueError, match=r"fitted on sessions .*'30min'"):
        StreamScorer(model, **ROLES)


def test_a_windows_model_is_refused_as_windows(log):
    model = _fit(Sequences.from_events(log, **ROLES).windows(5))
    with pytest.raises(ValueError, match="fitted on windows"):
        StreamScorer(model, **ROLES)


def test_ids_of_two_levels_that_are_no_sessions_stream(log):
    # Refused as "fitted on sessions" for any MultiIndex of ids: an entity keyed by two
    # columns (shop, user), built by hand, is no session.
    seqs = Sequences.from_events(log, **ROLES)
    ids = pd.MultiIndex.from_arrays(
        [np.asarray(seqs.ids) % 3, np.asarray(seqs.ids)], names=["shop", "user_id"]
    )
    two = Sequences(ids, seqs.offsets, seqs.events, seqs.event_labels, times=seqs.times)
    model = _fit(two)
    scorer = StreamScorer(model, **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = scorer.update(log)
    assert len(out.scores) == log["user_id"].nunique()


# --- unreadable times ---------------------------------------------------------------


def test_the_web_time_advice_is_judged_once(oddseq_here, saved, log, monkeypatch):
    # Each unreadable time was tried as a web server's time (a pandas Series built per
    # line) until one read so, where the advice speaks of the times.
    from oddseq.utils import _time

    calls = []
    judge = _time._common_log_format

    def counted(series):
        calls.append(len(series))
        return judge(series)

    monkeypatch.setattr(_time, "_common_log_format", counted)
    bad = log.head(40).assign(timestamp=[f"x{i}" for i in range(40)])
    done = oddseq_here(["stream", "--model", saved, *STREAM], bad.to_csv(index=False))
    assert done.returncode == 0, done.stderr
    assert "40 malformed lines" in done.stderr
    # once for the summary's advice, and once where the first event's date is read for the
    # early-dates check (838b3b6, 4737407): never per line
    assert len(calls) <= 2


def test_web_times_are_still_advised(oddseq_here, saved, log):
    later = log.head(30).copy()
    stamps = pd.to_datetime(later["timestamp"], unit="s")
    later["timestamp"] = "[" + stamps.dt.strftime("%d/%b/%Y:%H:%M:%S") + " +0000]"
    done = oddseq_here(["stream", "--model", saved, *STREAM], later.to_csv(index=False))
    assert done.returncode == 0
    assert done.stderr.count("--time-format '[%d/%b/%Y:%H:%M:%S %z]'") == 1, done.stderr


# --- a header line again ------------------------------------------------------------


@pytest.mark.parametrize("time", [True, False])
def test_a_second_header_line_is_said_to_be_one(oddseq_here, tmp_path, log, time):
    # cat a.csv b.csv | oddseq stream: "line 31: unreadable time 'timestamp'; skipped";
    # without --time the header line was an event of the entity 'user_id'.
    roles = dict(ROLES) if time else dict(entity="user_id", event="behavior")
    path = tmp_path / "m.oddseq"
    _fit(Sequences.from_events(log, **roles)).save(path)
    joined = log.iloc[:30].to_csv(index=False) + log.iloc[30:60].to_csv(index=False)
    args = ["stream", "--model", path, "--entity", "user_id", "--event", "behavior"]
    args += ["--time", "timestamp"] if time else []
    done = oddseq_here(args, joined)
    assert done.returncode == 0, done.stderr
    assert "line 32: the header line again" in done.stderr, done.stderr
    assert "unreadable time" not in done.stderr
    assert "60 events applied" in done.stderr, done.stderr
    users = log.iloc[:60]["user_id"].nunique()  # no entity 'user_id'
    assert f" {users} entities tracked" in done.stderr, done.stderr
