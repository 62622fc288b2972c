"""Numeric times in another unit than --time-unit (time_unit): the stream refuses or
warns on its first event with the batch's words and fix, in the shell (CSV and JSON
lines, read in C++ or in Python) and in Python (StreamScorer), one check for both."""

import json
import warnings

import pandas as pd
import pytest

from oddseq.stream import StreamScorer

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def log(three_day_shop):
    return three_day_shop[0].copy()


@pytest.fixture(scope="module")
def model_file(three_day_shop):
    return three_day_shop[1]


def _command(model_file):
    return ["stream", "--model", str(model_file)]


def _csv(frame) -> str:
    return frame[["user_id", "behavior", "timestamp"]].to_csv(index=False)


def _jsonl(frame) -> str:
    rows = frame[["user_id", "behavior", "timestamp"]].to_dict("records")
    return "".join(
        json.dumps({k: (v if k == "behavior" else int(v)) for k, v in r.items()}) + "\n"
        for r in rows
    )


@pytest.mark.parametrize("form", ["csv", "jsonl", "csv-two-char-sep"])
def test_millisecond_times_are_refused_with_the_batchs_fix(log, model_file, form, oddseq_here):
    head = log.head(50).copy()
    head["timestamp"] = head["timestamp"].astype("int64") * 1000
    options = list(ROLES)
    if form == "jsonl":
        text = _jsonl(head)
    elif form == "csv":
        text = _csv(head)
    else:  # read by the Python reader (a separator of two characters)
        text = _csv(head).replace(",", "||")
        options += ["--sep", "||"]
    done = oddseq_here([*_command(model_file), *options], text)
    assert done.returncode == 2, done.stderr
    assert "Out of bounds" not in done.stderr
    assert "they look like milliseconds" in done.stderr and "--time-unit ms" in done.stderr
    assert done.stdout == ""
    fixed = oddseq_here([*_command(model_file), *options, "--time-unit", "ms"], text)
    assert fixed.returncode == 0, fixed.stderr
    assert "50 events applied" in fixed.stderr


def test_scorer_check_of_the_first_time_is_the_batchs(model_file):
    from oddseq import load

    pipe = load(model_file)
    roles = dict(entity="user_id", event="behavior", time="timestamp")
    live = StreamScorer(pipe, **roles)
    with pytest.raises(ValueError, match=r"look like milliseconds: pass time_unit='ms'"):
        live._check_unit(1_514_045_083_000)
    # The same refusal as update's and update_one's (the batch's words).
    with pytest.raises(ValueError, match=r"look like milliseconds: pass time_unit='ms'"):
        StreamScorer(pipe, **roles).update_one(1, "pv", 1_514_045_083_000)
    with pytest.raises(ValueError, match=r"look like milliseconds: pass time_unit='ms'"):
        StreamScorer(pipe, **roles).update(
            pd.DataFrame({"user_id": [1], "behavior": ["pv"], "timestamp": [1_514_045_083_000]})
        )
    # Milliseconds read as microseconds land in 1970: warned, as the batch warns.
    live = StreamScorer(pipe, time_unit="us", **roles)
    with pytest.warns(UserWarning, match="look like milliseconds"):
        live._check_unit(1_514_045_083_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        StreamScorer(pipe, **roles)._check_unit(1_514_045_083)  # seconds: right
