"""The lead's fixes of session 26 (H5-s25's LOW wording items)."""

import numpy as np
import pytest


def test_earlier_events_at_one_moment_are_not_spread_over_0_s():
    """H5-s25 LOW E: earlier events that share one time stamp are "all at one time", not
    "spread over 0 s" (which reads as a measurement of a spread); a span under a second
    is still said in its unit."""
    from oddseq.encode._change import change_facts_text

    # hour, near, type, its recent and earlier counts, recent and earlier events, days
    facts = np.array([[7, 3, 0, 4, 0, 4, 3, 0.0], [7, 3, 0, 4, 0, 4, 3, 0.4 / 86_400]])
    one_time, short = change_facts_text(facts, np.array(["buy"], dtype=object))
    assert one_time.startswith(
        "recent: 4 of 4 events buy (100%), against 0 of 3 earlier, all at one time; "
    )
    assert "spread over 0.4 s; " in short
    (single,) = change_facts_text(
        np.array([[7, 3, 0, 4, 0, 4, 1, 0.0]]), np.array(["buy"], dtype=object)
    )
    assert single.startswith("recent: 4 of 4 events buy (100%), against 0 of 1 earlier; ")


def test_a_role_given_as_an_index_is_refused_with_its_article():
    """H5-s25 LOW A: "got an Index" (was "got a Index"); "a list" stays."""
    import pandas as pd
    import pytest

    import oddseq

    df = pd.DataFrame({"u": [1, 1], "e": ["a", "b"], "t": [0, 1]})
    with pytest.raises(TypeError, match=r"event=.* \(a str\), got an Index: pass event='e'"):
        oddseq.Sequences.from_events(df, entity="u", event=pd.Index(["e"]), time="t")
    with pytest.raises(TypeError, match=r"\(a str\), got a list: pass event='e'"):
        oddseq.Sequences.from_events(df, entity="u", event=["e"], time="t")


def test_the_shell_parser_and_the_warning_classes_do_not_import_scikit_learn():
    """``oddseq --help`` built its parser in 1.5 s, 0.9 s of it importing scikit-learn
    for NotFittedError (oddseq.exceptions, which every module that warns imports); the
    class is still scikit-learn's, imported when asked for."""
    import subprocess
    import sys

    code = (
        "import sys, oddseq.cli, oddseq.exceptions as e; oddseq.cli._parser(); "
        "print('sklearn' in sys.modules); from oddseq.exceptions import NotFittedError; "
        "import sklearn.exceptions as s; print(NotFittedError is s.NotFittedError, "
        "e.NotFittedError is s.NotFittedError, 'NotFittedError' in e.__all__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True", "True"]
    import oddseq.exceptions

    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        oddseq.exceptions.Nope  # noqa: B018


def test_a_small_column_s_order_statistics_take_one_round(monkeypatch):
    """oddseq.dask's exact medians and percentiles: a column of at most 65,536 values is
    fetched in the first round (one tree reduction, was two: a histogram round, then
    the bin's values), and gives numpy's values bit for bit; a larger one still bins."""
    dask = pytest.importorskip("dask")
    from oddseq.dask import _reduce

    rounds = []
    real = _reduce.tree_reduce
    monkeypatch.setattr(_reduce, "tree_reduce", lambda *a, **k: rounds.append(1) or real(*a, **k))
    rng = np.random.default_rng(241)
    for n, expected_rounds in ((5_000, 1), (70_000, 2)):
        rounds.clear()
        x = np.round(rng.normal(size=n), 3)  # ties
        states = [{"x": part} for part in np.array_split(x, 3)]
        with dask.config.set(scheduler="sync"):
            medians, pct = _reduce.column_statistics(
                states,
                lambda s: [s["x"]],
                [n],
                medians=[(0, np.float64)],
                percentiles={0: [1, 25, 75, 99]},
            )
        assert medians[0] == np.median(x)
        np.testing.assert_array_equal(pct[0], np.percentile(x, [1, 25, 75, 99]))
        assert len(rounds) == expected_rounds
