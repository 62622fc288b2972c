"""Reading errors from the shell name the fix (#14): --sep for another separator, the
escape '\\t' read as a tab by every command, --names for a headerless file."""

import warnings

import pandas as pd
import pytest

from oddseq.cli import main
from oddseq.datasets import make_ecommerce

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reading")
    log = make_ecommerce(n_users=120, random_state=2).events
    log = log[["user_id", "item_id", "behavior", "timestamp"]]
    tabbed = folder / "log.tsv"
    log.to_csv(tabbed, index=False, sep="\t")
    bare = folder / "bare.csv"
    log.to_csv(bare, index=False, header=False)
    model = folder / "m.oddseq"
    assert main(["fit", str(tabbed), *ROLES, "--save", str(model)]) == 0
    return folder, log, tabbed, bare, model


@pytest.fixture(scope="module")
def stream(oddseq_here):
    """``oddseq stream --model MODEL ... MORE`` with TEXT on stdin, in this process."""

    def run(model, text, *more):
        return oddseq_here(["stream", "--model", str(model), *ROLES, *more], text)

    return run


def test_stream_on_tabs_with_the_default_sep_advises_sep(shop, stream):
    _, _, tabbed, _, model = shop
    done = stream(model, tabbed.read_text())
    assert done.returncode == 2
    assert "lacks" in done.stderr and "--sep" in done.stderr and "tab" in done.stderr
    semi = tabbed.read_text().replace("\t", ";")
    done = stream(model, semi)
    assert done.returncode == 2 and "--sep ';'" in done.stderr


@pytest.mark.parametrize("sep", ["\\t", "tab"])
def test_the_escape_backslash_t_is_a_tab_for_every_command(shop, sep, capsys, stream):
    folder, log, tabbed, _, model = shop
    done = stream(model, tabbed.read_text(), "--sep", sep)
    assert done.returncode == 0, done.stderr
    assert "1-character" not in done.stderr
    assert f"{len(log):,} events applied" in done.stderr
    out = folder / f"d{len(sep)}.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no pandas engine warning either
        assert main(["detect", str(tabbed), *ROLES, "--sep", sep, "-o", str(out)]) == 0
    assert "warning" not in capsys.readouterr().err
    assert len(pd.read_csv(out)) == log["user_id"].nunique()
    saved = folder / f"m{len(sep)}.oddseq"
    assert main(["fit", str(tabbed), *ROLES, "--sep", sep, "--save", str(saved)]) == 0


def test_a_multi_character_sep_reads_without_an_engine_warning(shop, capsys):
    folder, log, _, _, _ = shop
    odd = folder / "odd.txt"
    log.to_csv(odd, index=False, sep="\t")
    odd.write_text(odd.read_text().replace("\t", "::"))
    out = folder / "odd.csv"
    assert main(["detect", str(odd), *ROLES, "--sep", "::", "-o", str(out)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_a_headerless_file_advises_names(shop, capsys, stream):
    folder, log, _, bare, model = shop
    out = str(folder / "h.csv")
    assert main(["detect", str(bare), *ROLES, "-o", out]) == 2
    err = capsys.readouterr().err
    assert "--names" in err and "header" in err
    names = ",".join(log.columns)
    assert main(["detect", str(bare), *ROLES, "--names", names, "-o", out]) == 0
    # stream: the same advice, and --names through the shared reading options
    done = stream(model, bare.read_text())
    assert done.returncode == 2 and "--names" in done.stderr
    done = stream(model, bare.read_text(), "--names", names)
    assert done.returncode == 0, done.stderr
    assert f"{len(log):,} events applied" in done.stderr


def test_a_wrong_sep_given_to_detect_advises_the_right_one(shop, capsys):
    folder, _, tabbed, _, _ = shop
    assert main(["detect", str(tabbed), *ROLES, "--sep", ",", "-o", str(folder / "w.csv")]) == 2
    err = capsys.readouterr().err
    assert "--sep" in err and "tab" in err


def test_a_name_holding_a_separator_is_no_sign_of_another():
    from oddseq.cli import header_advice

    assert "--sep ';'" in header_advice(["user_id;behavior;timestamp"], ",", False)
    assert header_advice(["user;id", "behavior", "timestamp"], ",", False) == ""
