"""``oddseq stream ... | head`` ends quietly with exit 0 where the alerts' reader left
(c40c131); any other broken pipe is an error (review RV s34 L6: every BrokenPipeError
ended the stream with 0, whatever pipe it came from). Seed 800."""

import io
import sys

import pytest

from oddseq.cli import main
from oddseq.datasets import make_ecommerce

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    where = tmp_path_factory.mktemp("pipe")
    log = make_ecommerce(n_users=150, n_days=3, random_state=800).events
    log = log.sort_values("timestamp", kind="stable")[["user_id", "behavior", "timestamp"]]
    path = where / "log.csv"
    log.to_csv(path, index=False)
    model = where / "m.oddseq"
    assert main(["fit", str(path), *ROLES, "--save", str(model), "--contamination", "0.1"]) == 0
    return path, model


class _Left(io.StringIO):
    """A standard output whose reader left: every write and flush breaks."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self):
        return sys.__stdout__.fileno()


def _stream(setup, monkeypatch, *more):
    path, model = setup
    with open(path) as lines:  # (the stream reads its standard input's file)
        monkeypatch.setattr(sys, "stdin", lines)
        return main(["stream", "--model", str(model), *ROLES, *more])


def test_the_alerts_reader_leaving_ends_the_stream_quietly(setup, monkeypatch, capsys):
    from oddseq import cli

    monkeypatch.setattr(cli, "_quiet", lambda stream: None)  # (no dup2 over the test's)
    monkeypatch.setattr(sys, "stdout", _Left())
    assert _stream(setup, monkeypatch) == 0
    assert "Broken pipe" not in capsys.readouterr().err


def test_another_pipe_breaking_is_an_error(setup, monkeypatch, capsys):
    """A broken pipe that is not the alerts' (here raised where the lines are scored, as
    a pipe the stream read or wrote besides standard output would): said, exit 2."""
    from oddseq.stream import StreamScorer

    def broken(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(StreamScorer, "_feed_lines", broken)
    code = _stream(setup, monkeypatch)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "oddseq stream: [Errno 32] Broken pipe" in err, err
