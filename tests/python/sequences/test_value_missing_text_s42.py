"""A value column built in Python that holds text pandas' read_csv reads as missing
("n/a", "null", blank) is read so, and counted in a DataWarning (trial s41 F9): the
user learns how many events lost their value, and the line that says it is meant."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences

ROLES = dict(entity="user", event="event", time="time", value="price")


def _log(prices):
    n = len(prices)
    return pd.DataFrame(
        {
            "user": np.arange(n) % 4,
            "event": ["view", "cart"] * (n // 2) + ["view"] * (n % 2),
            "time": np.arange(n) * 60,
            "price": pd.Series(prices, dtype=object),
        }
    )


def test_na_text_is_missing_and_counted():
    df = _log([12.5, "n/a", 3.0, "NULL", 7.25, "", 1.0, 2.0])
    before = df.copy()
    with pytest.warns(
        DataWarning,
        match=r"3 of 8 values of column 'price' are text read "
        r"as missing \(the first 'n/a'\)",
    ):
        seqs = Sequences.from_events(df, **ROLES)
    pd.testing.assert_frame_equal(df, before)  # the caller's frame untouched
    assert int(np.isnan(np.asarray(seqs.values)).sum()) == 3


def test_the_advised_line_silences_it_and_reads_the_same():
    df = _log([12.5, "n/a", 3.0, "null", 7.25, 4.0])
    with pytest.warns(DataWarning):
        warned = Sequences.from_events(df, **ROLES)
    df["price"] = pd.to_numeric(df["price"], errors="coerce")  # the line the warning gives
    # (said as a pandas line, beside "nothing is wrong" for the shell, where a JSON
    # lines log's "n/a" reaches it: review s42 M3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = Sequences.from_events(df, **ROLES)
    np.testing.assert_array_equal(np.asarray(warned.values), np.asarray(quiet.values))


@pytest.mark.parametrize(
    "prices",
    [
        [12.5, None, 3.0, np.nan],  # missing already: nothing to say
        ["12.5", "3.0", "4", "5"],  # numbers as text
        [1.0, 2.0, 3.0, 4.0],
    ],
)
def test_no_word_where_no_text_was_read_as_missing(prices):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Sequences.from_events(_log(prices), **ROLES)


def test_text_that_is_no_number_is_still_refused():
    with pytest.raises(TypeError, match="price"):
        Sequences.from_events(_log([12.5, "unknown", 3.0, 4.0]), **ROLES)
