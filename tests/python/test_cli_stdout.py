"""detect and score write their ranked table to standard output without -o (or with
``-o -``), as CSV, so that a shell user can pipe it (``| head``, ``| sort``); the closing
line then goes to stderr, so standard output holds the table alone."""

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

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


def test_a_reader_that_stops_early_ends_the_command_quietly(log_path):
    # `oddseq detect ... | head`: the pipe closes under the writer (here before it
    # writes: `true` reads nothing); no traceback, no "could not write", exit status 0.
    oddseq = Path(sys.executable).with_name("oddseq")
    command = f"{oddseq} detect {log_path} {' '.join(ROLES)} --no-groups | true"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "could not write" not in done.stderr
