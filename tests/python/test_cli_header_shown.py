"""What the shell shows of a header that lacks a wanted column: the separator the header
shows when the guessed one left spaces around its names (' | '), a long first line
shortened, and a file of one sequence per line named as such by oddseq stream too."""

import pytest

from oddseq.cli import main
from oddseq.datasets import make_ecommerce

LONG = "blk_-6535155942125829332," + " ".join(["5", "22", "11", "9"] * 60)


def _detect(tmp_path, text, capsys, *options):
    path = tmp_path / "log.txt"
    path.write_text(text)
    code = main(["detect", str(path), *options, "-o", str(tmp_path / "o.csv"), "--force"])
    return code, " ".join(capsys.readouterr().err.split())


def test_a_guessed_pipe_with_spaces_around_advises_the_spaced_separator(tmp_path, capsys):
    text = "LineId | user | event | time\n1 | a | x | 1\n2 | b | y | 2\n"
    code, err = _detect(tmp_path, text, capsys, "--entity", "user")
    assert code == 2 and "pass --sep ' | '" in err
    # the advice followed reads the file
    code, err = _detect(tmp_path, text * 1, capsys, "--entity", "user", "--sep", " | ")
    assert "not in" not in err


def test_a_long_first_line_is_shortened(tmp_path, capsys):
    code, err = _detect(tmp_path, LONG + "\nblk_7,5 22 11 9\n", capsys, "--entity", "block")
    assert code == 2
    assert LONG.split(",")[1] not in err and "5 22 11 9 5 22 11 9" in err and "..." in err
    assert "one sequence per line" in err  # the advice still reads the whole line


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seqfile")
    make_ecommerce(n_users=60, random_state=2).events.to_csv(folder / "log.csv", index=False)
    path = folder / "m.oddseq"
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    assert main(["fit", str(folder / "log.csv"), *roles, "--save", str(path)]) == 0
    return path


def test_stream_names_a_file_of_one_sequence_per_line(model_file, oddseq_here):
    run = oddseq_here(
        ["stream", "--model", str(model_file)]
        + ["--entity", "block", "--event", "event", "--time", "time"],
        LONG + "\nblk_7,5 22 11 9\n",
    )
    err = " ".join(run.stderr.split())
    assert run.returncode == 2
    assert "one sequence per line" in err and "read_sequences_file" in err
    assert "oddseq stream" in err and "..." in err
    assert LONG.split(",")[1] not in err
