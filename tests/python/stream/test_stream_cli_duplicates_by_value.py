"""oddseq stream --drop-duplicates compares what the events mean, as
StreamScorer(drop_duplicates=True) does: a line that repeats its entity's previous event
with a number written another way (a time 1511539256.0 after 1511539256) is a repeat
(the shell compared the lines' text, and kept it)."""

import sys

import pandas as pd

from oddseq import AnomalyPipeline
from oddseq.cli import main
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


def test_the_shell_drops_repeats_written_another_way_as_python_does(tmp_path, monkeypatch, capsys):
    log = make_ecommerce(n_users=60, n_days=2, random_state=4).events
    pipe = AnomalyPipeline(method="pca", contamination=0.1).fit(Sequences.from_events(log, **ROLES))
    ordered = log.sort_values("timestamp", kind="stable").drop_duplicates(list(ROLES.values()))
    ordered = ordered[list(ROLES.values())].reset_index(drop=True)
    # Every third event sent twice, the copy's time written as a float.
    again = ordered.iloc[::3].assign(timestamp=lambda d: d.timestamp.map(lambda t: f"{t}.0"))
    lines = pd.concat([ordered.astype({"timestamp": str}), again]).sort_index(kind="stable")
    python = StreamScorer(pipe, **ROLES, drop_duplicates=True)
    python.update(lines.assign(timestamp=pd.to_numeric(lines.timestamp)))
    n = python.counters["n_duplicates_dropped"]
    assert n == len(again)
    pipe.save(tmp_path / "m.oddseq")
    lines.to_csv(tmp_path / "events.csv", index=False)
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    with open(tmp_path / "events.csv", "rb") as stdin:  # in-process, as test_stream_fast
        monkeypatch.setattr(sys, "stdin", stdin)
        command = ["stream", "--model", str(tmp_path / "m.oddseq"), *roles, "--drop-duplicates"]
        assert main(command) == 0
    summary = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"{n:,} repeats dropped" in summary and f"{len(ordered):,} events applied" in summary
