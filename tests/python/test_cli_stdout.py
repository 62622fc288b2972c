"""detect and score write their ranked table to standard output without -o (or with
``-o -``), as CSV, so that a shell user can pipe it (``| head``, ``| sort``); the closing
line then goes to stderr, so standard output holds the table alone."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import oddseq
from oddseq import cli
from oddseq.cli import main
from oddseq.datasets import make_ecommerce

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def log_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("stdout") / "log.csv"
    events = make_ecommerce(n_users=120, random_state=5).events
    events[["user_id", "behavior", "timestamp"]].to_csv(path, index=False)
    return path


@pytest.mark.parametrize("output", [[], ["-o", "-"]])
def test_detect_writes_the_table_to_stdout_without_a_file(log_path, tmp_path, capsys, output):
    file_out = tmp_path / "odd.csv"
    assert main(["detect", str(log_path), *ROLES, "--no-groups", "-o", str(file_out)]) == 0
    capsys.readouterr()
    assert main(["detect", str(log_path), *ROLES, "--no-groups", "--top", "7", *output]) == 0
    said = capsys.readouterr()
    shown = pd.read_csv(io.StringIO(said.out))
    pd.testing.assert_frame_equal(shown, pd.read_csv(file_out).head(7))
    assert "120 scored" in said.err and "standard output" in said.err


def test_score_writes_the_table_to_stdout(log_path, tmp_path, capsys):
    model = tmp_path / "m.oddseq"
    assert main(["fit", str(log_path), *ROLES, "--save", str(model)]) == 0
    capsys.readouterr()
    assert main(["score", str(log_path), "--model", str(model), *ROLES, "-o", "-"]) == 0
    said = capsys.readouterr()
    table = pd.read_csv(io.StringIO(said.out))
    assert len(table) == 120 and list(table.columns[:3]) == ["user_id", "score", "rank"]
    assert "standard output" in said.err


def _oddseq_process(args, **kwargs):
    """``oddseq ARGS`` in a new process of this interpreter, importing the package under
    test (not whatever console script is installed)."""
    env = dict(os.environ, PYTHONPATH=str(Path(oddseq.__file__).parents[1]))
    # An editable install's import hook comes before PYTHONPATH: the child checks that it
    # imported the same package, so a mismatch fails rather than tests another tree.
    code = (
        "import sys, oddseq; want = sys.argv.pop(1); "
        "assert oddseq.__file__ == want, (oddseq.__file__, want); "
        "from oddseq.cli import main; sys.exit(main())"
    )
    command = [sys.executable, "-c", code, oddseq.__file__, *args]
    return subprocess.Popen(command, env=env, **kwargs)


def test_a_reader_that_stops_early_ends_the_command_quietly(log_path):
    # `oddseq detect ... | head`: the pipe closes under the writer (here before it writes:
    # the read end is closed at once); no traceback, no "could not write", exit status 0.
    process = _oddseq_process(
        ["detect", str(log_path), *ROLES, "--no-groups"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    err = err.decode()
    assert process.returncode == 0, err
    assert "Traceback" not in err and "could not write" not in err


def test_the_table_on_stdout_is_utf8_whatever_the_console_code_page(tmp_path, monkeypatch):
    """A console in cp1252 (Windows' default for a redirected stdout): the CSV comes out as
    -o FILE.csv writes it, UTF-8 with plain line ends, ids outside the code page too."""
    path = tmp_path / "log.csv"
    events = make_ecommerce(n_users=40, random_state=2).events[["user_id", "behavior", "timestamp"]]
    events["user_id"] = "用户" + events["user_id"].astype(str)
    events.to_csv(path, index=False)
    file_out = tmp_path / "odd.csv"
    assert main(["detect", str(path), *ROLES, "--no-groups", "-o", str(file_out)]) == 0
    console = io.TextIOWrapper(io.BytesIO(), encoding="cp1252", newline="\r\n")
    monkeypatch.setattr(sys, "stdout", console)
    assert main(["detect", str(path), *ROLES, "--no-groups"]) == 0
    console.flush()
    assert console.buffer.getvalue() == file_out.read_bytes()


def test_stdout_closed_or_a_named_pipe_that_breaks_are_said(
    log_path, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(sys, "stdout", None)  # started with `>&-`
    assert main(["detect", str(log_path), *ROLES, "--no-groups"]) == 2
    assert "standard output is closed; give -o FILE" in capsys.readouterr().err
    monkeypatch.undo()

    def broken(*args):
        raise BrokenPipeError(32, "Broken pipe")

    # -o FIFO whose reader left: an error, not the quiet end of `| head`
    monkeypatch.setattr(cli, "_write", broken)
    out = tmp_path / "odd.csv"
    assert main(["detect", str(log_path), *ROLES, "--no-groups", "-o", str(out)]) == 2
    assert f"could not write {out}: its reader closed it" in capsys.readouterr().err


def test_a_stream_whose_reader_stops_early_ends_quietly(log_path, tmp_path):
    # `oddseq stream ... | head` (RD s34: it ended with "oddseq stream: [Errno 32] Broken
    # pipe" on stderr): as oddseq detect, no word and exit status 0.
    model = tmp_path / "model.oddseq"
    assert main(["fit", str(log_path), *ROLES, "--save", str(model)]) == 0
    process = _oddseq_process(
        ["stream", "--model", str(model), *ROLES],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    lines = log_path.read_bytes()
    header, _, body = lines.partition(b"\n")
    _, err = process.communicate(header + b"\n" + body * 20, timeout=300)
    err = err.decode()
    assert process.returncode == 0, err
    assert "Broken pipe" not in err and "Traceback" not in err, err
