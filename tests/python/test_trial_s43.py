"""A new analyst's trial of session 43 (helper TR, /work/notes/TR-s43-findings.md: a
payments log and a SaaS login log of its own): the shell's words for a Python route."""

import pandas as pd
import pytest

from oddseq.cli import _in_shell_words


@pytest.mark.parametrize(
    "python, shell",
    [
        (
            "they look like milliseconds: pass time_unit='ms' (--time-unit ms from the shell)",
            "they look like milliseconds: pass --time-unit ms",
        ),
        ("pass event=... (--event from the shell) or another", "pass --event or another"),
        ("check time_format='%Y%m' (--time-format from the shell)", "check --time-format '%Y%m'"),
        ("pass groups=True (--groups from the shell) to run it", "pass --groups to run it"),
        ("Item ids go to item= (--item from the shell); a", "Item ids go to --item; a"),
    ],
)
def test_the_shell_names_its_option_alone(python, shell):
    # L1: "pass time_unit='ms' (--time-unit ms from the shell)" in the shell's error put
    # the Python spelling first, noise there.
    assert _in_shell_words(python) == shell


def test_the_real_messages_read_in_the_shell():
    # (review RV s43: the synthetic strings above missed a garbled real one)
    import warnings

    import numpy as np

    from oddseq._pipeline import warn_session_spread

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_session_spread(np.array([1_000, 100, 40]), 0.01)
    said = _in_shell_words(str(caught[0].message))
    assert "contamination=" not in said and "false_alarm_rate=" not in said
    assert "--contamination 0.001 flags that share" in said
    # (the swapped columns' words: test_swapped_roles_s43.py, from the shell itself)


def test_a_bracket_of_several_options_is_left_as_it_is():
    # (review RV2 s43 L7: the guard that kept "x= and y= (--x and --y ...)" whole)
    text = "swap them: event= and item= (--event and --item from the shell)"
    assert _in_shell_words(text) == text


def test_the_table_can_go_to_dev_null(tmp_path, capsys):
    # trial s43c L1: "-o /dev/null: unknown output extension (none)"; a user who wants the
    # summary and the warnings alone
    import os

    import numpy as np
    import pandas as pd

    from oddseq.cli import main

    if not os.path.exists(os.devnull) or os.name != "posix":
        pytest.skip("no /dev/null")
    rng = np.random.default_rng(0)
    log = pd.DataFrame(
        {
            "user": rng.integers(0, 200, 2_000),
            "event": rng.choice(["view", "cart", "buy"], 2_000),
            "ts": np.sort(rng.integers(0, 86_400, 2_000)),
        }
    )
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user", "--event", "event", "--time", "ts"]
    assert main([*args, "--no-progress", "-o", os.devnull]) == 0
    assert "table written to /dev/null" in capsys.readouterr().out


def test_o_dev_stdout_is_standard_output(tmp_path, capsys):
    # "-o /dev/stdout: unknown output extension (none)" (seen in session 44): the table on
    # standard output, the closing line on stderr, as with -o -.
    from oddseq.cli import main

    log = pd.DataFrame({"u": ["a", "a", "b", "b", "c"], "e": list("xyxyx"), "t": range(5)})
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    assert main(["detect", str(path), "--entity", "u", "--event", "e", "-o", "/dev/stdout"]) == 0
    said = capsys.readouterr()
    assert said.out.startswith("u,score,rank,is_anomaly")
    assert "written to standard output" in said.err
