"""The shell's --fold-spellings: the spelling warning's fix (a pandas line in Python)
as an option of oddseq detect, fit and score, which the shell's warning now names. It
rewrites the event column as the Python fix does: every text label stripped and in lower
case, a funnel step's other names as its most frequent one; read against a model, each
spelling the model never saw as the model's own."""

import numpy as np
import pandas as pd
import pytest

from oddseq.cli import main
from oddseq.sequences._sequences import fold_spellings, spelling_warning_text


def _log(seed=3, n=3_000):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "u": rng.integers(0, 200, n),
            "e": rng.choice(["view", "View ", "cart", "add_to_cart", "Add To Cart", "buy"], n),
            "t": np.sort(rng.integers(0, 10**6, n)) + 1_500_000_000,
        }
    )


def _python_fix(log):
    """The log after the fix the Python warning gives, run as written."""
    labels, counts = np.unique(log["e"], return_counts=True)
    text = spelling_warning_text(labels, counts, "e")
    fix = text[text.index("df['e'] = ") + len("df['e'] = ") :]
    df = log.copy()
    df["e"] = eval(fix)
    return df


def test_the_fold_is_the_python_warnings_fix():
    log = _log()
    folded = fold_spellings(log["e"])
    fixed = _python_fix(log)["e"]
    pd.testing.assert_series_equal(folded, fixed.astype(object))
    # one label per type: view's two spellings, and the cart step's three names
    assert set(folded[log["e"].isin(["view", "View "])]) == {"view"}
    assert folded[log["e"].isin(["add_to_cart", "Add To Cart"])].nunique() == 1
    assert folded.nunique() == 4


def test_the_fold_leaves_missing_values_numbers_and_single_spellings_alone():
    column = pd.Series(["View", None, "view", 7, np.nan, "Checkout"], dtype=object)
    folded = fold_spellings(column)
    assert folded.tolist()[:4] == ["view", None, "view", 7]
    assert np.isnan(folded[4]) and folded[5] == "checkout"
    alone = pd.Series(["View", "Cart"])
    assert fold_spellings(alone) is alone  # nothing spelt two ways: the column as it is


def test_against_a_model_the_fold_is_the_map_to_its_spellings():
    column = pd.Series(["pv", "Pv", "cart", "new"])
    assert fold_spellings(column, ["Pv", "Cart"]).tolist() == ["Pv", "Pv", "Cart", "new"]


def test_detect_says_the_option_and_the_option_gives_the_python_fixs_table(tmp_path, capsys):
    log = _log()
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "u", "--event", "e", "--time", "t"]
    args += ["--no-progress", "-o", str(tmp_path / "o.csv")]
    assert main(args) == 0
    (line,) = [x for x in capsys.readouterr().err.splitlines() if "more than one way" in x]
    assert "df[" not in line and "run oddseq detect again with --fold-spellings" in line, line
    assert main([*args, "--fold-spellings", "--force"]) == 0
    assert "more than one way" not in capsys.readouterr().err
    shell = pd.read_csv(tmp_path / "o.csv", index_col="u")
    fixed = _python_fix(log)
    fixed.to_csv(path, index=False)
    assert main([*args, "--force"]) == 0
    python = pd.read_csv(tmp_path / "o.csv", index_col="u")
    pd.testing.assert_frame_equal(shell, python)


@pytest.mark.parametrize("command", ["stream"])
def test_commands_without_the_option_keep_the_pandas_fix(command):
    from oddseq.cli import _in_shell_words

    labels, counts = np.unique(_log()["e"], return_counts=True)
    text = spelling_warning_text(labels, counts, "e")
    assert _in_shell_words(text, command) == text
