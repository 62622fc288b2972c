"""A value column with no value on any event is said (TR s62 L2).

A betting export's empty ``stake`` column, given as ``value=``, was scored as if no value
were given and said nothing, where an empty ``context=`` column is refused. A
``DataWarning`` now names the column and the two fixes.
"""

import warnings

import numpy as np
import pandas as pd

import oddseq
from oddseq import AnomalyPipeline, Sequences
from oddseq.exceptions import DataWarning


def _log(value):
    rng = np.random.default_rng(0)
    n = 400
    return pd.DataFrame(
        {
            "account": np.repeat(np.arange(80), 5),
            "event": rng.choice(["bet", "deposit", "login"], n),
            "time": np.arange(n) * 60,
            "stake": value(n, rng),
        }
    )


def _said(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


ROLES = dict(entity="account", event="event", time="time", value="stake")


def test_an_empty_value_column_is_said_with_its_fixes():
    log = _log(lambda n, rng: np.full(n, np.nan))
    said = [m for m in _said(lambda: oddseq.detect_anomalies(log, **ROLES)) if "no value" in m]
    assert len(said) == 1, said
    assert said[0].startswith("value='stake' has no value on any of the 400 events")
    assert "leave value= out" in said[0] and "--value" in said[0]


def test_the_fit_of_sequences_says_it_by_their_column():
    log = _log(lambda n, rng: np.full(n, np.nan))
    seqs = Sequences.from_events(log, **ROLES)
    said = [m for m in _said(lambda: AnomalyPipeline().fit(seqs)) if "no value on any" in m]
    assert len(said) == 1 and said[0].startswith("value='stake'"), said


def test_a_column_with_values_is_not_said():
    some = _log(lambda n, rng: np.where(rng.random(n) < 0.3, rng.gamma(2, 10, n), np.nan))
    assert not [m for m in _said(lambda: oddseq.detect_anomalies(some, **ROLES)) if "on any" in m]
    plain = {k: v for k, v in ROLES.items() if k != "value"}
    assert not [m for m in _said(lambda: oddseq.detect_anomalies(some, **plain)) if "on any" in m]
