"""A file of one sequence per line (hdfs_xu's 'blk_1,5 5 22', DeepLog's '5 5 22') given to
the shell: the error says what the file looks like and what reads it, instead of showing
its first line as a header."""

import pandas as pd

from oddseq.cli import main
from oddseq.datasets import read_sequences_file

XU = "blk_-6535155942125829332,5 5 5 22 11 9 11 9\nblk_7,5 22 11 9 26 26\n"
DEEPLOG = "5 5 5 22 11 9 11 9 \n5 22 11 9 26 26 \n"


def _detect(tmp_path, text, capsys):
    path = tmp_path / "hdfs_train"
    path.write_text(text)
    code = main(["detect", str(path), "--entity", "block", "-o", str(tmp_path / "o.csv")])
    return path, code, " ".join(capsys.readouterr().err.split())


def test_id_events_lines_are_named_and_the_reader_given(tmp_path, capsys):
    path, code, err = _detect(tmp_path, XU, capsys)
    assert code == 2
    assert "not in" in err  # the missing column is still named
    assert "one sequence per line" in err and "an id, a comma" in err
    assert "oddseq.datasets.read_sequences_file" in err
    assert "to_pandas().to_csv" in err and "--entity entity --event event" in err
    assert "--names" not in err  # not a headerless event table


def test_event_ids_alone_per_line_are_named_too(tmp_path, capsys):
    _, code, err = _detect(tmp_path, DEEPLOG, capsys)
    assert code == 2
    assert "one sequence per line" in err and "event ids separated by spaces" in err
    assert "oddseq.datasets.read_sequences_file" in err


def test_the_advised_route_runs(tmp_path, capsys):
    path = tmp_path / "hdfs_train"
    path.write_text(XU * 1 + "".join(f"blk_{i},5 22 11 9\n" for i in range(20, 60)))
    table = tmp_path / "table.csv"
    read_sequences_file(path).to_pandas().to_csv(table, index=False)
    out = tmp_path / "o.csv"
    args = ["detect", str(table), "--entity", "entity", "--event", "event", "-o", str(out)]
    assert main(args) == 0
    assert len(pd.read_csv(out)) == 42


def test_an_ordinary_missing_column_gets_no_sequence_advice(tmp_path, capsys):
    path = tmp_path / "log.csv"
    path.write_text("user,event type\n1,view item\n")
    code = main(["detect", str(path), "--entity", "block", "-o", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "not in" in err and "read_sequences_file" not in err
