"""``oddseq stream`` on JSON lines names an entity's event types never seen in fitting
past its first 2,000 lines of such types, as it does on CSV lines (session 25, H1; H3's
s24 "Left": they stayed unnamed, "event types not seen in fitting" without the types)."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import _core
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer
from oddseq.stream._checks import UNSEEN_ROUTED_MAX

ROLES = dict(entity="c", event="p", time="t")
PATHS = [f"/p{i}" for i in range(6)]


@pytest.fixture(scope="module")
def web():
    rng = np.random.default_rng(228)
    n = 20_000
    fit = pd.DataFrame(
        {
            "c": rng.integers(0, 300, n),
            "p": rng.choice(PATHS, n),
            "t": np.sort(rng.integers(0, 86_400, n)),
        }
    )
    pipe = oddseq.AnomalyPipeline(random_state=0).fit(Sequences.from_events(fit, **ROLES))
    assert "count[<other>]" in pipe.feature_names_
    return fit, pipe


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the stream's unseen types: not what is tested)
        return call(*args, **kwargs)


def _shell_stream_json(scorer, text: str) -> None:
    """JSON lines through the scorer as ``oddseq stream`` reads them: the C++ line
    reader, and each line it leaves through update_one."""
    data, at = text.encode(), 0
    feed = scorer._line_feed()
    while at < len(data):
        stop, at, _, _ = _quiet(scorer._feed_lines, feed, data, at)
        if stop == 2:
            end = data.index(b"\n", at)
            record = json.loads(data[at:end])
            _quiet(scorer.update_one, str(record["c"]), record["p"], int(record["t"]))
            at = end + 1


@pytest.mark.parametrize("n_before", [10, UNSEEN_ROUTED_MAX + 500])
def test_the_shell_names_unseen_types_of_json_lines_past_its_first_lines(web, n_before):
    fit, pipe = web
    rng = np.random.default_rng(229)
    before = pd.DataFrame(
        {
            "c": rng.integers(1000, 1300, n_before),
            "p": [f"/x{k}" for k in range(n_before)],
            "t": np.full(n_before, 86_400),
        }
    )
    own = fit[fit["c"] == 7].assign(t=lambda d: d["t"] + 86_400)
    extra = own.iloc[np.arange(20) % len(own)].assign(p="refund")
    day = pd.concat([own, extra]).sort_values("t", kind="stable")
    lines = pd.concat([before, day], ignore_index=True).to_json(orient="records", lines=True)
    scorer = StreamScorer(pipe, **ROLES)
    _shell_stream_json(scorer, lines)
    assert scorer.counters["n_events"] == n_before + len(day)
    reason = scorer._alert_reasons(np.array([_core.stream_hash_id("7")], dtype=np.uint64))
    assert "event types not seen in fitting: 'refund')" in reason[0], reason


def test_the_json_lines_unseen_types_are_found_where_the_reader_reads_them():
    from oddseq.stream._scorer import _unseen_in, _unseen_json_lines

    data = (
        b"x\n"
        b'{"c": 7, "p": "/p1", "t": 5}\n'
        b"\n"
        b'{"c": "8", "p":"refund", "t": 6}\r\n'
        b'{"p": "/p2", "c": 7, "t": 7, "p": "/p1x"}\n'  # the last of equal keys
        b'{"c": 9, "p": 3, "t": 8}\n'  # a type as a whole number: its text
        b'{"c": 10, "q": "p", "t": 9}\n'  # no event type (a value "p" is no key)
        b'{"t": 9, "c": 11 , "p" : "z"}\n'
    )
    scan = _unseen_json_lines(data, 2, "c", "p")
    known = {"/p1": 0, "/p2": 1}
    lines, keys, labels = _unseen_in(scan, known, 2, len(data))
    assert lines.tolist() == [3, 4, 5, 7]
    assert labels.tolist() == ["refund", "/p1x", "3", "z"]
    assert keys.tolist() == [_core.stream_hash_id(c) for c in ("8", "7", "9", "11")]
    lines, _, labels = _unseen_in(scan, known, data.index(b'{"c": 9'), len(data))
    assert lines.tolist() == [1, 3] and labels.tolist() == ["3", "z"]
    assert _unseen_in(scan, known, 2, data.index(b'{"c": "8"')) is None
