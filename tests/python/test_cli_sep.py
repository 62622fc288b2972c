"""A --sep of several characters (#14): pandas takes it as a regular expression, so
'||' split every character (its empty alternatives match everywhere) and ' | ' split
at single spaces. The shell now reads it as the text it is, unless it is plainly a
regular expression (an escape, a class, a quantifier), and refuses what could be
either ('a|b') or what no reading can use, with the spelling of each reading."""

import re

import pandas as pd
import pytest

from oddseq.cli import header_advice, main, separator_pattern
from oddseq.datasets import make_ecommerce

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sep")
    log = make_ecommerce(n_users=60, random_state=3).events
    log = log[["user_id", "behavior", "timestamp", "item_id"]].copy()
    # An event type with a space: a ' | ' read as a regular expression splits it.
    log["behavior"] = log["behavior"].astype(str).replace({"cart": "add to cart"})
    model = folder / "m.oddseq"
    plain = folder / "plain.csv"
    log.to_csv(plain, index=False)
    assert main(["fit", str(plain), *ROLES, "--save", str(model)]) == 0
    reference = folder / "reference.csv"
    assert main(["detect", str(plain), *ROLES, "-o", str(reference)]) == 0
    return folder, log, model, pd.read_csv(reference, index_col=0)


def _write(path, log, sep, header=True):
    rows = [sep.join(log.columns)] if header else []
    rows += [sep.join(map(str, row)) for row in log.itertuples(index=False)]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("sep", ["||", " | ", "::", "..", "$$"])
def test_a_several_character_sep_is_read_as_its_text(shop, sep, capsys):
    folder, log, _, reference = shop
    path = _write(folder / f"log{len(sep)}{ord(sep[0])}.txt", log, sep)
    out = folder / f"t{len(sep)}{ord(sep[0])}.csv"
    assert main(["detect", str(path), *ROLES, "--sep", sep, "-o", str(out), "--force"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out, index_col=0), reference)
    # --names counts the fields the same way
    bare = _write(folder / f"bare{len(sep)}{ord(sep[0])}.txt", log, sep, header=False)
    names = ",".join(log.columns)
    args = ["detect", str(bare), *ROLES, "--sep", sep, "--names", names]
    assert main([*args, "-o", str(out), "--force"]) == 0, capsys.readouterr().err


def test_a_plain_regular_expression_stays_one(shop):
    folder, log, _, reference = shop
    log = log.replace({"behavior": {"add to cart": "cart"}})  # no space inside a field
    spaced = folder / "spaced.txt"
    rows = [log.columns, *log.itertuples(index=False)]
    # Runs of one to three spaces between fields.
    spaced.write_text("\n".join((" " * (1 + k % 3)).join(map(str, r)) for k, r in enumerate(rows)))
    out = folder / "spaced.csv"
    assert main(["detect", str(spaced), *ROLES, "--sep", r"\s+", "-o", str(out)]) == 0
    assert len(pd.read_csv(out, index_col=0)) == len(reference)
    assert separator_pattern(r"\s+") == r"\s+"
    assert separator_pattern(r"\|\|") == r"\|\|"
    assert separator_pattern("[;,]") == "[;,]"
    assert separator_pattern("||") == re.escape("||")
    assert separator_pattern(",") == ","


@pytest.mark.parametrize(
    ("sep", "words"),
    [
        (",|;", ["--sep ',\\|;' for the text", "--sep '[,;]'"]),  # the text, or either?
        ("ab|cd", ["--sep 'ab\\|cd' for the text", "--sep '(?:ab|cd)'"]),
        ("a*", ["empty"]),
        ("(\\s)", ["(?:"]),
        ("(,|;)", ["captures a group", "(?:"]),  # a group: judged as the expression it is
        ("[,", ["regular expression"]),
    ],
)
def test_ambiguous_or_unusable_seps_are_refused_with_each_reading(shop, sep, words, capsys):
    folder, log, _, reference = shop
    path = _write(folder / "comma.csv", log, ",")
    assert main(["detect", str(path), *ROLES, "--sep", sep, "-o", str(folder / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert f"--sep '{sep}'" in err
    for word in words:
        assert word in err


@pytest.fixture(scope="module")
def _stream(oddseq_here):
    """``oddseq stream --model MODEL ... --sep SEP`` with TEXT on stdin, in this process."""

    def run(model, sep, text):
        return oddseq_here(["stream", "--model", str(model), *ROLES, "--sep", sep], text)

    return run


def test_stream_reads_a_several_character_sep_as_its_text(shop, _stream):
    folder, log, model, _ = shop
    text = _write(folder / "s.txt", log.sort_values("timestamp", kind="stable"), "||").read_text()
    done = _stream(model, "||", text)
    assert done.returncode == 0, done.stderr
    assert f"{len(log):,} events applied" in done.stderr and "0 malformed lines" in done.stderr
    done = _stream(model, r"\s+", text)
    assert done.returncode == 2 and "--sep" in done.stderr and "regular expression" in done.stderr


def test_a_header_holding_a_longer_separator_advises_it():
    assert "pass --sep ' | '" in header_advice(["user_id | behavior | timestamp"], ",", False)
    assert "pass --sep '||'" in header_advice(["user_id||behavior||timestamp"], ",", False)
    assert "pass --sep '|'" in header_advice(["user_id|behavior|timestamp"], ",", False)


@pytest.mark.parametrize("sep", [",|;", "ab|cd", "a.b|c"])
def test_the_text_each_refusal_advises_reads_as_that_text(sep):
    # Followed, the advice for the text gives a pattern that matches exactly the text.
    with pytest.raises(ValueError) as refused:
        separator_pattern(sep)
    advised = re.search(r"--sep '([^']*)' for the text", str(refused.value)).group(1)
    pattern = re.compile(separator_pattern(advised))
    assert pattern.fullmatch(sep) and pattern.findall(f"x{sep}y") == [sep]
    if "." in sep:  # a dot, not any character
        assert not pattern.search(sep.replace(".", "X"))


def test_stream_takes_a_sep_with_a_bar_as_its_text(shop, _stream):
    # stream splits at a separator's text and never at a regular expression, so ',|;'
    # can mean only the text there: taken, not refused with advice stream refuses.
    folder, log, model, _ = shop
    text = _write(folder / "bar.txt", log.sort_values("timestamp", kind="stable"), ",|;")
    done = _stream(model, ",|;", text.read_text())
    assert done.returncode == 0, done.stderr
    assert f"{len(log):,} events applied" in done.stderr and "0 malformed lines" in done.stderr
