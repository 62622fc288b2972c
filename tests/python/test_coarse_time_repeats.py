"""The repeat warning tells duplicated rows from events that share a coarse time (#14):
with a date-only time column, a session's views of one item on one day repeat the event
before them in every column read, though no row of the file is duplicated."""

import warnings

import numpy as np
import pandas as pd

from oddseq.cli import main
from oddseq.exceptions import DataWarning
from oddseq.preprocessing._quality import warn_about_the_log
from oddseq.sequences import Sequences


def day_log(n_sessions=60, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_sessions):
        day = pd.Timestamp("2016-05-01") + pd.Timedelta(days=int(rng.integers(0, 20)))
        for k in range(int(rng.integers(3, 9))):
            item = int(rng.integers(0, 3))  # few items: re-views of one item on one day
            rows.append((s, item, day.strftime("%Y-%m-%d"), 1000 * (60 * s + k)))
    return pd.DataFrame(rows, columns=["session_id", "item_id", "eventdate", "timeframe"])


def said(log, **more):
    seqs = Sequences.from_events(log, entity="session_id", time="eventdate", item="item_id")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_about_the_log(seqs, **more)
    return [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def test_dates_without_a_time_of_day_are_not_called_duplicated_rows():
    log = day_log()
    assert not log.duplicated().any()
    text = said(log)
    assert len(text) == 1, text
    assert "drop_duplicates" not in text[0] and "duplicated rows" not in text[0]
    assert "share" in text[0] and "whole days" in text[0]


def test_rows_duplicated_in_full_are_counted_apart_from_shared_times():
    log = day_log()
    doubled = pd.concat([log, log.head(40)], ignore_index=True)
    text = said(doubled, df=doubled)
    assert len(text) == 1, text
    assert "40 of" in text[0] and "duplicate" in text[0] and "drop_duplicates" in text[0]
    assert "whole days" in text[0]  # the rest: events that merely share a day


def test_detect_with_a_date_only_time_does_not_advise_drop_duplicates(tmp_path, capsys):
    path = tmp_path / "days.csv"
    day_log(n_sessions=80).to_csv(path, index=False)
    roles = ["--entity", "session_id", "--item", "item_id", "--time", "eventdate"]
    assert main(["detect", str(path), *roles, "-o", str(tmp_path / "o.csv")]) == 0
    err = capsys.readouterr().err
    assert "drop_duplicates" not in err and "whole days" in err
