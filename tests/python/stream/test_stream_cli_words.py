"""What oddseq stream (and StreamScorer) say to an analyst in the shell's words (session
22, H4's review of session 21, LOW 12, 14, 16, and a second header line): durations
that are no positive duration, models fitted on sessions or windows, unreadable times,
a header line again in the middle of the input."""

import warnings

import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences

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
