"""Item ids written as floats and read as text in Python (review RV s34 L8): a file of
float item ids ("11101.0": pandas writes a column of integer ids with a blank so) read
with ``dtype=str``, the package's own advice for ids, kept "11101.0" in Python, while the
shell and the stream read 11101. A model saved from Python then met none of the shell's
items ("no known category for 1,651 of the 1,651 items"), and one saved from the shell
none of Python's. Sequences.from_events now reads such text item ids as the shell does,
and a model's item categories keyed so find them too. Other text stays as written.
Seed 798."""

import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline, load
from oddseq.cli import main
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
SHELL = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
SHELL += ["--item", "item_id", "--dropna"]


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    from oddseq.datasets import make_ecommerce

    log = make_ecommerce(n_users=120, n_days=3, random_state=798).events
    log["item_id"] = log["item_id"].astype(float)
    log.loc[log.index[::200], "item_id"] = np.nan
    out = tmp_path_factory.mktemp("items") / "items.csv"
    log.to_csv(out, index=False)
    return out


def _as_text(path):
    """The file as an analyst reads ids, as text: its items written "11101.0"."""
    df = pd.read_csv(path, dtype={"item_id": str}).dropna(subset=["item_id"])
    assert df["item_id"].str.endswith(".0").all()
    return df


def _categories_said(caught):
    return [str(w.message) for w in caught if "no known category" in str(w.message)]


def test_python_reads_text_float_items_as_the_shell_does(path):
    df = _as_text(path)
    seqs = Sequences.from_events(df, **ROLES)
    labels = seqs.item_labels
    assert not labels.str.endswith(".0").any()
    assert sorted(labels) == sorted(df["item_id"].str[:-2].unique())


def test_a_python_model_meets_the_shells_items(path, tmp_path, capsys):
    df = _as_text(path)
    categories = df.groupby("item_id")["category_id"].first()  # keyed "11101.0"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe = AnomalyPipeline(item_categories=categories).fit(Sequences.from_events(df, **ROLES))
    assert _categories_said(caught) == []  # its own items find their categories
    pipe.save(tmp_path / "py.oddseq")
    out = tmp_path / "scored.csv"
    args = ["score", str(path), "--model", str(tmp_path / "py.oddseq"), *SHELL, "-o", str(out)]
    assert main(args) == 0
    assert "no known category" not in capsys.readouterr().err


def test_a_shell_model_meets_pythons_text_items(path, tmp_path):
    model = tmp_path / "shell.oddseq"
    args = ["fit", str(path), *SHELL, "--category", "category_id", "--save", str(model)]
    assert main(args) == 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load(model).score(Sequences.from_events(_as_text(path), **ROLES))
    assert _categories_said(caught) == []


def test_both_spellings_of_one_item_are_one_item_and_other_text_stays():
    log = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 2, 3, 3],
            "behavior": ["pv"] * 6,
            "timestamp": np.arange(6),
            "item_id": ["450.0", "450", "0123.0", "4.50", "-0.0", "450.00"],
        },
        dtype=object,
    ).astype({"timestamp": int})
    seqs = Sequences.from_events(log, **ROLES)
    assert sorted(seqs.item_labels) == sorted(["450", "0123.0", "4.50", "-0.0"])
    items = [seqs[i]["item"].tolist() for i in range(len(seqs))]
    assert items == [["450", "450"], ["0123.0", "4.50"], ["-0.0", "450"]]


def test_19_digits_past_int64_read_as_their_text_and_20_stay():
    """RV s34 L5: "beyond int64" was said to stay as written; a whole float of up to 19
    digits reads as its number's text even past int64's largest (there it stays text,
    no number), in the shell and in Python alike; 20 digits stay as written."""
    from oddseq.cli import as_labels

    written = ["9999999999999999999.0", "12345678901234567890.0"]
    read = ["9999999999999999999", "12345678901234567890.0"]
    assert as_labels(pd.Series(written, dtype="str")).tolist() == read
    log = pd.DataFrame({"user_id": [1, 2], "behavior": ["pv", "pv"], "timestamp": [0, 1]})
    seqs = Sequences.from_events(log.assign(item_id=written), **ROLES)
    assert sorted(seqs.item_labels) == sorted(read)
