"""The shell line oddseq gives for a live CSV file keeps its header (session 27, H8).

`tail -f FILE` starts at the file's last 10 lines: a CSV file's header line is left
out, and `oddseq stream` stops at the first line ("the CSV header (line 1) lacks ...;
pass --names"). The advice in `oddseq stream`'s help and in its refusal of a file
argument is the line that works as typed: `tail -n +1 -f FILE`, from the first line on.
"""

import re

from oddseq.cli import main

TAIL = re.compile(r"tail(?: -[nf]| \+\d+| -n \+\d+)* [\w.]+ \| oddseq stream")


def _tails(text):
    return TAIL.findall(" ".join(text.split()))


def test_the_refusal_of_a_file_argument_advises_a_tail_that_keeps_the_header(capsys):
    assert main(["stream", "--model", "m.oddseq", "--entity", "user_id", "log.csv"]) == 2
    err = capsys.readouterr().err
    tails = _tails(err)
    assert tails and all("-n +1 -f" in t for t in tails), err


def test_the_stream_help_advises_a_tail_that_keeps_the_header(capsys):
    try:
        main(["stream", "--help"])
    except SystemExit:
        pass
    out = capsys.readouterr().out
    tails = _tails(out)
    assert tails and all("-n +1 -f" in t for t in tails), out
