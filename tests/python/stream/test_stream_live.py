"""A live stream in the shell (``tail -f log | oddseq stream ...``): it ends by a signal,
and then says what it said at the end of its input; what it drops or reads oddly is said
while it runs (events dropped as too late, rows repeated)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def log(three_day_shop):
    return three_day_shop[0].copy()


@pytest.fixture(scope="module")
def model_file(three_day_shop):
    return three_day_shop[1]


def _command(model_file):
    return ["stream", "--model", str(model_file)]


def _csv(frame) -> str:
    return frame[["user_id", "behavior", "timestamp"]].to_csv(index=False)


def _jsonl(frame) -> str:
    rows = frame[["user_id", "behavior", "timestamp"]].to_dict("records")
    return "".join(
        json.dumps({k: (int(v) if k != "behavior" else v) for k, v in r.items()}) + "\n"
        for r in rows
    )


# ---- a live stream ended by a signal


def _live(model_file, text, *options):
    """The stream fed ``text`` with stdin kept open (a live tail)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "oddseq.cli", *_command(model_file), *ROLES, *options],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdin.write(text.encode())
    process.stdin.flush()
    return process


def _wait_for(process, words, timeout=90.0):
    """stderr read (without closing anything) until it holds ``words``."""
    os.set_blocking(process.stderr.fileno(), False)
    said = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        chunk = process.stderr.read()
        if chunk:
            said += chunk
            if words.encode() in said:
                return said.decode()
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"no {words!r} on stderr; it said {said.decode()!r}")


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_ends_a_live_stream_with_its_summary(log, model_file, sig, code):
    # Rows out of time order: most are dropped as too late (--lateness 0), which is said
    # while the stream runs, not only in the summary at the end.
    shuffled = log.sample(frac=1.0, random_state=0)
    process = _live(model_file, _csv(shuffled))
    try:
        early = _wait_for(process, "too late")
        assert "--lateness" in early
        process.send_signal(sig)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    said = early + err.decode()
    assert process.returncode == code, said
    assert "Traceback" not in said and "KeyboardInterrupt" not in said
    summary = said.strip().splitlines()[-1]
    assert "events applied" in summary and "too late" in summary, said
    assert f"stopped by {signal.Signals(sig).name}" in said
    # The alerts written so far are whole lines of JSON.
    for line in out.decode().splitlines():
        json.loads(line)


def test_too_late_warning_is_said_once_and_not_on_sorted_input(log, model_file, oddseq_here):
    shuffled = log.sample(frac=1.0, random_state=1)
    done = oddseq_here([*_command(model_file), *ROLES], _csv(shuffled))
    assert done.returncode == 0, done.stderr
    warned = [line for line in done.stderr.splitlines() if "warning" in line and "too late" in line]
    assert len(warned) == 1, done.stderr
    assert "--lateness" in warned[0]
    ordered = log.sort_values("timestamp", kind="stable")
    clean = oddseq_here([*_command(model_file), *ROLES], _csv(ordered))
    assert clean.returncode == 0, clean.stderr
    assert "warning" not in clean.stderr, clean.stderr


# ---- rows repeated (each line sent twice, a retry): warned while running; dropped on demand


def _doubled(log, share=0.3, seed=0):
    """The log in time order without repeats, and with ``share`` of its users' rows each
    written twice in a row."""
    import numpy as np

    ordered = log.sort_values("timestamp", kind="stable")
    # Without the log's own few repeats (a user's two views in one second).
    ordered = ordered.drop_duplicates(["user_id", "behavior", "timestamp"]).reset_index(drop=True)
    users = ordered["user_id"].unique()
    chosen = np.random.default_rng(seed).choice(users, int(share * len(users)), replace=False)
    twice = ordered["user_id"].isin(chosen).to_numpy()
    return ordered, ordered.loc[ordered.index.repeat(np.where(twice, 2, 1))]


def _alerts(stdout: str) -> list:
    return [(r["entity"], r["score"], r["events"]) for r in map(json.loads, stdout.splitlines())]


@pytest.mark.parametrize("form", ["csv", "jsonl"])
def test_repeated_rows_are_warned_once_naming_drop_duplicates(log, model_file, form, oddseq_here):
    _, doubled = _doubled(log)
    text = _csv(doubled) if form == "csv" else _jsonl(doubled)
    done = oddseq_here([*_command(model_file), *ROLES], text)
    assert done.returncode == 0, done.stderr
    warned = [line for line in done.stderr.splitlines() if "repeat their entity's previous" in line]
    assert len(warned) == 1, done.stderr
    assert "--drop-duplicates" in warned[0] and "warning" in warned[0]


def test_drop_duplicates_streams_as_the_log_without_them(log, model_file, oddseq_here):
    ordered, doubled = _doubled(log)
    clean = oddseq_here([*_command(model_file), *ROLES], _csv(ordered))
    dropped = oddseq_here([*_command(model_file), *ROLES, "--drop-duplicates"], _csv(doubled))
    assert clean.returncode == 0 and dropped.returncode == 0, dropped.stderr
    # The same alerts as the log without repeats (their line numbers aside), read in C++.
    assert len(clean.stdout.splitlines()) >= 2
    assert _alerts(dropped.stdout) == _alerts(clean.stdout)
    assert "repeat their entity's previous" not in dropped.stderr
    n_repeats = len(doubled) - len(ordered)
    assert f"{n_repeats:,} repeats dropped" in dropped.stderr.strip().splitlines()[-1]
    # Without repeats nothing is dropped, and the alerts are those of the plain stream.
    plain = oddseq_here([*_command(model_file), *ROLES, "--drop-duplicates"], _csv(ordered))
    assert plain.stdout == clean.stdout
    assert "0 repeats dropped" in plain.stderr
