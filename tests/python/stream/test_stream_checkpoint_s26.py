"""``oddseq stream --checkpoint FILE`` (session 26, H3): a stream stopped (the end of its
input, SIGTERM, a crash) and started again with the same FILE goes on where it stopped:
its alerts are those of one run straight through on the same events. A file of another
model, release or options, cut short or not one at all, and a path the stream cannot
write, are refused with words before any input is read; a write that fails leaves the
previous checkpoint whole."""

import json
import os
import re
import select
import signal
import subprocess
import sys
import time

import pytest

from oddseq.stream._checkpoint import MAGIC, read_header

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def log(three_day_shop):
    """The shop's log in time order (the stream's events), its three roles."""
    frame = three_day_shop[0][["user_id", "behavior", "timestamp"]]
    return frame.sort_values("timestamp", kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def model_file(three_day_shop):
    return three_day_shop[1]


def _text(frame, form="csv") -> str:
    if form == "csv":
        return frame.to_csv(index=False)
    return "".join(json.dumps(r) + "\n" for r in frame.to_dict("records"))


def _alerts(stdout: str, shift: int = 0) -> list:
    """The alerts written, their line numbers moved by ``shift`` (to the straight run's)."""
    alerts = [json.loads(line) for line in stdout.splitlines()]
    for alert in alerts:
        alert["line"] += shift
    return alerts


def _stream(model_file, *options):
    return ["stream", "--model", model_file, *ROLES, *options]


@pytest.mark.parametrize(
    "form, options",
    [("csv", []), ("jsonl", []), ("csv", ["--drop-duplicates"]), ("csv", ["--calibrate"])],
    ids=["csv", "jsonl", "drop-duplicates", "calibrate"],
)
def test_stream_resumed_twice_alerts_as_one_run_straight_through(
    log, model_file, tmp_path, oddseq_here, form, options
):
    # The C++ line readers (CSV, JSON lines) and the events read in Python one by one
    # (--drop-duplicates), with a header line (CSV) at the start of each run's input;
    # --calibrate's cut travels in the file (its log is not replayed again).
    if options == ["--calibrate"]:
        options = ["--calibrate", tmp_path / "normal.csv"]
        log.iloc[:2000].to_csv(options[1], index=False)
    straight = oddseq_here(_stream(model_file, *options), _text(log, form))
    assert straight.returncode == 0, straight.stderr
    expected = _alerts(straight.stdout)
    ckpt = tmp_path / "stream.ckpt"
    # The third run starts before the straight run's last alert, so that it has one
    # to carry over (where the model's cut leaves none in the log's last third).
    last = max(alert["line"] for alert in expected) if expected else len(log)
    second = max(len(log) // 3 + 1, min(2 * len(log) // 3, last - 50))
    cuts = [0, len(log) // 3, second, len(log)]
    got, runs = [], []
    for k in range(3):
        part = log.iloc[cuts[k] : cuts[k + 1]]
        run = oddseq_here(_stream(model_file, "--checkpoint", ckpt, *options), _text(part, form))
        assert run.returncode == 0, run.stderr
        assert ckpt.is_file() and not (tmp_path / "stream.ckpt.tmp").exists()
        got += _alerts(run.stdout, shift=cuts[k])
        runs.append(run)
    assert got == expected
    assert len(expected) >= 3
    # Each resume says so, and its summary counts its own events (all of its part's
    # but the repeats dropped); the file those of all runs and the lines read by the last.
    applied = []
    for k, run in enumerate(runs):
        summary = run.stderr.strip().splitlines()[-1]
        applied.append(int(re.search(r"([\d,]+) events applied", summary)[1].replace(",", "")))
        assert 0.99 * (cuts[k + 1] - cuts[k]) <= applied[k] <= cuts[k + 1] - cuts[k], summary
        if k:
            assert f"resumed from --checkpoint {ckpt}" in run.stderr, run.stderr
            assert ("not replayed again" in run.stderr) == ("--calibrate" in options)
            assert f"{sum(applied[:k]):,} events applied before" in run.stderr, run.stderr
    header = read_header(ckpt)
    assert header["events"] == sum(applied) and header["entities"] == log["user_id"].nunique()
    assert header["lines_read"] == len(log) - cuts[2] + (form == "csv")
    if "--calibrate" in options:
        return  # (a cut above all but a few: the alerts come early, in the first part)
    # Without the checkpoint the last part's users are new: the resumed run tracks every
    # user of the log (the state carried them), a fresh run on the part its own. (Their
    # alerts were compared, and are the same where every user alerting in the last part
    # is new there.)
    assert len(_alerts(runs[2].stdout)) >= 1
    fresh = oddseq_here(_stream(model_file, *options), _text(log.iloc[cuts[2] :], form))

    def tracked(run):
        # (the summary's, the last line: a resume's line says those tracked before)
        summary = run.stderr.strip().splitlines()[-1]
        return int(re.search(r"([\d,]+) entit(?:y|ies) tracked", summary)[1].replace(",", ""))

    assert tracked(runs[2]) == log["user_id"].nunique()
    assert tracked(fresh) == log["user_id"].iloc[cuts[2] :].nunique() < tracked(runs[2])


def _written(model_file, log, folder):
    """A checkpoint written by a stream of the log's first half (its path and bytes)."""
    from oddseq.cli import main

    ckpt = folder / "done.ckpt"
    if not ckpt.exists():
        stdin = folder / "first.csv"
        stdin.write_text(_text(log.iloc[: len(log) // 2]))
        with open(stdin) as f:
            saved = sys.stdin
            sys.stdin = f
            try:
                assert main([str(a) for a in _stream(model_file, "--checkpoint", ckpt)]) == 0
            finally:
                sys.stdin = saved
    return ckpt, ckpt.read_bytes()


@pytest.fixture(scope="module")
def other_model(log, tmp_path_factory):
    """A model fitted on the first day alone: another model file."""
    from oddseq.cli import main

    folder = tmp_path_factory.mktemp("other")
    log.iloc[: len(log) // 3].to_csv(folder / "day.csv", index=False)
    path = folder / "other.oddseq"
    assert main(["fit", str(folder / "day.csv"), *ROLES, "--save", str(path)]) == 0
    return path


def _header_edited(data: bytes, **changes) -> bytes:
    end = data.index(b"\n", len(MAGIC))
    header = json.loads(data[len(MAGIC) : end])
    header.update(changes)
    return MAGIC + json.dumps(header).encode() + data[end:]


@pytest.mark.parametrize(
    "case, words",
    [
        ("folder", ["is a folder", "give a file path"]),
        ("in a file", ["is not a folder", "existing folder"]),
        ("no folder", ["does not exist", "mkdir -p"]),
        ("empty", ["is not an oddseq stream checkpoint", "rm "]),
        ("not one", ["is not an oddseq stream checkpoint", "rm "]),
        ("cut short", ["is not a whole checkpoint", "cut short", "rm "]),
        ("altered", ["is not a whole checkpoint", "altered", "rm "]),
        ("other model", ["another model", "resume with that --model", "rm "]),
        ("other release", ["written by oddseq 9.9.0", "rm "]),
        ("ttl", ["written without --ttl, and this run is with --ttl 1h", "resume without"]),
        ("lateness", ["with --lateness 0, and this run is with --lateness 5s", "resume with"]),
        ("every alone", ["--checkpoint-every 1min", "give --checkpoint FILE too"]),
    ],
)
def test_bad_checkpoint_is_refused_before_the_input_is_read(
    log, model_file, other_model, tmp_path, tmp_path_factory, oddseq_here, case, words
):
    ckpt, data = _written(model_file, log, tmp_path_factory.mktemp("written"))
    path = tmp_path / "stream.ckpt"
    model, options = model_file, ["--checkpoint", path]
    if case == "folder":
        options = ["--checkpoint", tmp_path]
    elif case == "in a file":
        (tmp_path / "plain").write_text("x")
        options = ["--checkpoint", tmp_path / "plain" / "stream.ckpt"]
    elif case == "no folder":
        options = ["--checkpoint", tmp_path / "nowhere" / "stream.ckpt"]
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "not one":
        path.write_bytes(b"user_id,behavior,timestamp\n")
    elif case == "cut short":
        path.write_bytes(data[: len(data) // 2])
    elif case == "altered":
        path.write_bytes(data[:-100] + bytes(b ^ 1 for b in data[-100:]))
    elif case == "other release":
        path.write_bytes(_header_edited(data, oddseq="9.9.0"))
    elif case == "every alone":
        options = ["--checkpoint-every", "1min"]
    else:
        path.write_bytes(data)
        if case == "other model":
            model = other_model
        else:
            options += ["--ttl", "1h"] if case == "ttl" else ["--lateness", "5s"]
    before = path.read_bytes() if path.is_file() else None
    # The second half of the log: the alerts a stream of it would write.
    done = oddseq_here(_stream(model, *options), _text(log.iloc[len(log) // 2 :]))
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and "events applied" not in done.stderr, done.stderr
    said = done.stderr.strip()
    assert len(said.splitlines()) == 1 and "Traceback" not in said, said
    assert case == "every alone" or "--checkpoint" in said, said
    for word in words:
        assert word in said, said
    # A refused file is left as it was.
    assert (path.read_bytes() if path.is_file() else None) == before


def test_failed_write_leaves_the_previous_checkpoint_whole(
    log, model_file, tmp_path, oddseq_here, monkeypatch
):
    ckpt = tmp_path / "stream.ckpt"
    half = len(log) // 2
    first = oddseq_here(_stream(model_file, "--checkpoint", ckpt), _text(log.iloc[:half]))
    assert first.returncode == 0, first.stderr
    before = ckpt.read_bytes()

    def full(fd):  # the disk fills up mid-write (after the bytes, before the rename)
        raise OSError(28, "No space left on device")

    import oddseq.stream._checkpoint as checkpoint

    monkeypatch.setattr(checkpoint.os, "fsync", full)
    done = oddseq_here(_stream(model_file, "--checkpoint", ckpt), _text(log.iloc[half:]))
    monkeypatch.undo()
    # The stream ran and said its summary; the failure is said last, with exit 2.
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "could not be written" in last and "No space left" in last, done.stderr
    assert ckpt.read_bytes() == before and not (tmp_path / "stream.ckpt.tmp").exists()
    # ... and it still resumes, from the first half.
    again = oddseq_here(_stream(model_file, "--checkpoint", ckpt), _text(log.iloc[half:]))
    assert again.returncode == 0, again.stderr
    assert again.stdout == done.stdout


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_live_stream_stopped_by_a_signal_resumes_from_its_checkpoint(
    log, model_file, tmp_path, oddseq_here, sig
):
    # A live stream (stdin left open) given the first half of the log; stopped by
    # SIGTERM once it alerts (it writes the checkpoint and exits 143), or killed once its
    # checkpoint, written every second, is there (the last periodic checkpoint stands).
    # Resumed on the lines after those the file says were read, the alerts are the
    # straight run's. (SIGTERM's with no periodic write: a stop with no line read since
    # the last write does not write again, session 27.)
    straight = oddseq_here(_stream(model_file), _text(log))
    ckpt = tmp_path / "stream.ckpt"
    every = "0" if sig == signal.SIGTERM else "1s"
    command = _stream(model_file, "--checkpoint", ckpt, "--checkpoint-every", every)
    process = subprocess.Popen(
        [sys.executable, "-m", "oddseq.cli", *map(str, command)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = b""  # (SIGTERM: the alerts read before it, at least one)
    try:
        process.stdin.write(_text(log.iloc[: len(log) // 2]).encode())
        process.stdin.flush()
        if sig == signal.SIGTERM:
            assert select.select([process.stdout], [], [], 90)[0], "no alert"
            first = os.read(process.stdout.fileno(), 1 << 16)
        else:
            end = time.monotonic() + 90
            while not ckpt.exists() and process.poll() is None and time.monotonic() < end:
                time.sleep(0.05)
            assert ckpt.exists(), process.stderr.read1().decode() if process.poll() else "no file"
        process.send_signal(sig)
        out, err = process.communicate(timeout=60)
        out = first + out
    finally:
        if process.poll() is None:
            process.kill()
    said = err.decode()
    assert "Traceback" not in said, said
    if sig == signal.SIGTERM:
        assert process.returncode == 143, said
        assert "stopped by SIGTERM" in said and f"checkpoint written to {ckpt}" in said, said
        lines = int(re.search(r"stopped by SIGTERM: ([\d,]+) lines", said)[1].replace(",", ""))
        assert read_header(ckpt)["lines_read"] == lines
    else:
        assert process.returncode == -signal.SIGKILL
    done = read_header(ckpt)["lines_read"] - 1  # (its header line aside)
    assert done > 0
    first = [a for a in _alerts(out.decode()) if a["line"] <= done + 1]
    rest = oddseq_here(command, _text(log.iloc[done:]))
    assert rest.returncode == 0, rest.stderr
    assert first + _alerts(rest.stdout, shift=done) == _alerts(straight.stdout)


def test_second_stream_on_one_checkpoint_is_refused(log, model_file, tmp_path, oddseq_here):
    # A restart while the old stream still writes its last checkpoint, or two services
    # given one FILE: the second is refused (its input unread) instead of overwriting.
    import fcntl

    ckpt = tmp_path / "stream.ckpt"
    command = _stream(model_file, "--checkpoint", ckpt)
    with open(tmp_path / "stream.ckpt.lock", "a+b") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = oddseq_here(command, _text(log))
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert "in use by another oddseq stream" in done.stderr and not ckpt.exists()
    # Released (the other stream ended), it runs, and lets the next one run.
    for k in range(2):  # (the next lines each time: the same ones would be a replay)
        done = oddseq_here(command, _text(log.iloc[100 * k : 100 * (k + 1)]))
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("options", [[], ["--drop-duplicates"]], ids=["csv", "drop-duplicates"])
def test_an_input_that_replays_what_the_checkpoint_read_is_refused(
    log, model_file, tmp_path, oddseq_here, options
):
    # The same file fed again after a restart (H5 s26: its events older than those the
    # checkpoint holds were dropped as too late, and those at an entity's newest time
    # applied twice, with other alerts than the straight run's): refused, the
    # checkpoint left as it was, and the lines after those it read resume as one run.
    ckpt = tmp_path / "stream.ckpt"
    command = _stream(model_file, "--checkpoint", ckpt, *options)
    half = len(log) // 2
    first = oddseq_here(command, _text(log.iloc[:half]))
    assert first.returncode == 0, first.stderr
    kept = ckpt.read_bytes()
    again = oddseq_here(command, _text(log))
    assert again.returncode == 2, again.stderr
    said = again.stderr
    assert "older than the events the checkpoint holds" in said, said
    assert f"tail -n +{half + 2} FILE" in said and "left as it was" in said, said
    assert ckpt.read_bytes() == kept
    rest = oddseq_here(command, _text(log.iloc[half:]))
    assert rest.returncode == 0, rest.stderr
    straight = oddseq_here(_stream(model_file, *options), _text(log))
    assert _alerts(first.stdout) + _alerts(rest.stdout, shift=half) == _alerts(straight.stdout)
    # The late-events warning of a resumed run counts this run's events only (H5 s26
    # M-1: the checkpoint's applied events hid a replay's drops).
    assert "warning" not in rest.stderr.replace("warning: the checkpoint", ""), rest.stderr
