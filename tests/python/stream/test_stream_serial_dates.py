"""Spreadsheet serial dates (43063.67: days since 1899-12-30, as Excel and Google Sheets
store a date and time) streamed as the time column get the batch's warning (c902880),
once, when 20 numbers have come: StreamScorer.update, calibrate and oddseq stream read
them as 43,063.67 seconds (every event on 1970-01-01) without a word, their unit check
seeing only the first event (one number cannot tell them from seconds)."""

import warnings

import pandas as pd
import pytest

from oddseq import AnomalyPipeline, load
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp")
SAID = "spreadsheet serial dates"


def _serial(log):
    """The log's times as a spreadsheet writes them (test_s20_leftovers' _serial)."""
    days = (log["timestamp"] - pd.Timestamp("1899-12-30").timestamp()) / 86_400
    return log.assign(timestamp=days.round(10))


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """(the log's first 400 events in time order, a saved model fitted on the log)."""
    log = make_ecommerce(n_users=80, random_state=194).events[list(ROLES.values())]
    log = log.astype({"behavior": str}).sort_values("timestamp", kind="stable")
    pipe = AnomalyPipeline(method="pca", contamination=0.05).fit(
        Sequences.from_events(log, **ROLES)
    )
    path = tmp_path_factory.mktemp("serial") / "m.oddseq"
    pipe.save(path)
    return log.head(400).reset_index(drop=True), path


def _said(caught):
    return [str(w.message) for w in caught if SAID in str(w.message)]


def test_the_scorer_warns_about_serial_dates_once_twenty_numbers_came(shop):
    log, model = shop
    sheet = _serial(log)

    def warned(frame, sizes):
        live = StreamScorer(load(model), **ROLES)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = 0
            for size in sizes:
                live.update(frame.iloc[start : start + size])
                start += size
        return _said(caught)

    # one event first, then a few (too few to judge), then the rest: told once
    said = warned(sheet, [1, 10, 10, 379])
    assert len(said) == 1, said
    assert "1899-12-30" in said[0] and "unit='D'" in said[0]
    assert len(warned(sheet, [400])) == 1
    assert not warned(sheet.head(19), [19])  # too few to tell, as the batch
    assert not warned(log, [1, 399])  # epoch seconds


def test_calibrate_warns_about_serial_dates_and_the_stream_does_not_again(shop):
    log, model = shop
    sheet = _serial(log)
    live = StreamScorer(load(model), **ROLES)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        live.calibrate(sheet)
        live.update(sheet)
    assert len(_said(caught)) == 1, _said(caught)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        StreamScorer(load(model), **ROLES).calibrate(log)  # epoch seconds: no word


@pytest.mark.parametrize("options", [[], ["--drop-duplicates"], ["--calibrate"]])
def test_oddseq_stream_warns_about_serial_dates_once(shop, oddseq_here, tmp_path, options):
    log, model = shop
    roles = [f"--{role}={column}" for role, column in ROLES.items()]
    if options[:1] == ["--calibrate"]:  # the file judged, and the stream not again
        options = ["--calibrate", str(tmp_path / "normal.csv")]
        _serial(log).to_csv(options[1], index=False)
    command = ["stream", "--model", str(model), *roles, *options]
    done = oddseq_here(command, _serial(log).to_csv(index=False))
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if SAID in line]
    assert len(said) == 1, done.stderr
    assert "format the column as a date and time in the spreadsheet" in said[0]
    if options[:1] == ["--calibrate"]:
        log.to_csv(options[1], index=False)  # epoch seconds
    plain = oddseq_here(command, log.to_csv(index=False))
    assert plain.returncode == 0 and "warning" not in plain.stderr, plain.stderr
