"""How many newest events a late event is placed among: `max_late_events` in Python,
`--max-late-events` in the shell; a late event within the lateness but older than the
events kept is counted apart, and the shell's summary advises the option then only."""

from pathlib import Path

import pandas as pd
import pytest

from oddseq import AnomalyPipeline
from oddseq.cli import main
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def log():
    return make_ecommerce(n_users=150, random_state=5).events


@pytest.fixture(scope="module")
def model_file(log, tmp_path_factory):
    folder = tmp_path_factory.mktemp("late")
    log.to_csv(folder / "log.csv", index=False)
    path = folder / "m.oddseq"
    assert main(["fit", str(folder / "log.csv"), *ROLES, "--save", str(path)]) == 0
    return path


def _late_lines():
    """One user's 20 events a minute apart, then one 15 minutes back (behind 15 events:
    within --lateness 1h, older than the 8 newest kept) and one 3 hours back (beyond it)."""
    times = [1_511_539_000 + 60 * k for k in range(20)] + [1_511_539_000 + 60 * 4 + 30]
    times.append(1_511_539_000 - 3 * 3600)
    rows = ["user_id,behavior,timestamp"] + [f"7,pv,{t}" for t in times]
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def _stream(oddseq_here):
    """``oddseq stream --model MODEL_FILE ... OPTIONS`` of the late lines, in this
    process."""

    def run(model_file, *options):
        return oddseq_here(["stream", "--model", str(model_file), *ROLES, *options], _late_lines())

    return run


def test_counters_tell_late_events_beyond_the_kept_ones(log):
    seqs = Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
    pipe = AnomalyPipeline().fit(seqs)
    roles = dict(entity="user_id", event="behavior", time="timestamp")
    events = pd.DataFrame(
        {
            "user_id": [7] * 6,
            "behavior": ["pv"] * 6,
            "timestamp": [100, 200, 300, 400, 150, 10],
        }
    )
    kept_two = StreamScorer(pipe, lateness=300, max_late_events=2, **roles)
    out = kept_two.update(events)
    counts = kept_two.counters
    # 150 is within 300 s but older than 300 and 400 (the two kept); 10 is 390 s behind.
    assert out.n_late_dropped == 2 and counts["n_late_dropped"] == 2
    assert counts["n_late_beyond_kept"] == 1
    kept_eight = StreamScorer(pipe, lateness=300, **roles)
    kept_eight.update(events)
    counts = kept_eight.counters
    assert (counts["n_late_dropped"], counts["n_late_beyond_kept"]) == (1, 0)
    assert counts["n_late_accepted"] == 1


def test_summary_advises_max_late_events_where_it_would_place_them(model_file, _stream):
    done = _stream(model_file, "--lateness", "1h")
    assert done.returncode == 0, done.stderr
    summary = done.stderr.strip().splitlines()[-1]
    assert "2 too late" in summary
    assert "1 of them within --lateness" in summary and "--max-late-events" in summary
    assert "8 newest" in summary
    done = _stream(model_file, "--lateness", "1h", "--max-late-events", "32")
    assert done.returncode == 0, done.stderr
    summary = done.stderr.strip().splitlines()[-1]
    assert "1 too late" in summary and "--max-late-events" not in summary


def test_summary_says_nothing_of_max_late_events_where_it_would_not_help(model_file, _stream):
    done = _stream(model_file, "--lateness", "1h", "--max-late-events", "16")
    summary = done.stderr.strip().splitlines()[-1]
    assert "1 too late" in summary and "max-late-events" not in summary
    done = _stream(model_file)  # no lateness: every late event dropped, --lateness advised
    summary = done.stderr.strip().splitlines()[-1]
    assert "2 too late (older than their entity's newest event: --lateness" in summary
    assert "max-late-events" not in summary


@pytest.mark.parametrize("value", ["0", "-3", str(2**31)])
def test_max_late_events_out_of_range_is_refused_in_shell_words(model_file, value, capsys):
    args = ["stream", "--model", str(model_file), *ROLES, "--lateness", "1h"]
    assert main([*args, "--max-late-events", value]) == 2
    err = capsys.readouterr().err
    assert "--max-late-events must be" in err and value in err and "max_late_events" not in err


def test_max_late_events_without_lateness_is_refused(model_file, capsys):
    args = ["stream", "--model", str(model_file), *ROLES, "--max-late-events", "16"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--max-late-events" in err and "--lateness" in err


def test_help_and_readme_describe_max_late_events(capsys):
    with pytest.raises(SystemExit):
        main(["stream", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert "--max-late-events" in said and "--lateness" in said
    # The README's Live scoring section links docs/stream.md, which holds the stream's
    # options since session 34.
    assert "(docs/stream.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    doc = " ".join((ROOT / "docs" / "stream.md").read_text(encoding="utf-8").split())
    assert "--max-late-events" in doc


def test_summary_advises_lateness_only_where_it_can_be_given():
    from oddseq.stream._cli import _summary

    counts = dict(n_events=5, n_late_dropped=3, n_late_beyond_kept=0, n_invalid=0)
    counts.update(n_evicted_ttl=0, n_evicted_cap=0, n_entities=1)
    assert "3 too late (older than their entity's newest event: --lateness" in _summary(
        5, 0, [], counts, 0.0, late=False
    )
    # A model fitted with recent_change=True refuses lateness: no advice.
    assert "3 too late, 0 invalid" in _summary(5, 0, [], counts, 0.0, late=None)
