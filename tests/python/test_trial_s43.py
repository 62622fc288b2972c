"""A new analyst's trial of session 43 (helper TR, /work/notes/TR-s43-findings.md: a
payments log and a SaaS login log of its own): the shell's words for a Python route."""

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
