"""Reasons name the value features by the value column (TR s58 L8).

A music log's reasons said "mean value 33,200 (typical 148,000)" of ``ms_played``: the
reader had to know which column was the value. The sequences now carry the column's
name (``Sequences.value_name``), the fit records it with the role columns, and reasons
say "mean ms_played 33,200"; where no name is known (sequences built without one, a
model saved before the name was recorded) or the column is called "value", the words
are as before.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import AnomalyPipeline, Sequences
from oddseq._reasons import reason_names, value_said
from oddseq.exceptions import DataWarning

ROLES = dict(entity="user", event="event", time="time", value="ms_played")
VALUE_FEATURES = ["value_sum", "value_mean", "value_max", "value_std", "share_value_missing"]


def _plays(n_users=300, seed=0):
    """Listeners who play songs for minutes; user 999 skips every song after a second."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        start = 1_700_000_000 + int(rng.integers(0, 86_400))
        for k in range(int(rng.integers(10, 30))):
            rows.append((u, "play", start + 200 * k, float(rng.gamma(8, 20_000))))
    rows += [(999, "play", 1_700_050_000 + 2 * k, 1_000.0) for k in range(25)]
    return pd.DataFrame(rows, columns=["user", "event", "time", "ms_played"])


def _fit(log, **roles):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oddseq.detect_anomalies(log, **roles, random_state=0, return_pipeline=True)


def test_the_value_features_are_said_by_the_columns_name():
    table, pipe = _fit(_plays(), **ROLES)
    assert pipe._fitted_data["columns"]["value"] == "ms_played"
    reason = table.loc[999, "reason"]
    assert table.loc[999, "is_anomaly"] and "ms_played" in reason, reason
    reasons = table["reason"].astype(str)
    for words in ("total value", "mean value", "largest value", "spread of values"):
        assert not reasons.str.contains(words, regex=False).any(), words
    said = reason_names(pipe, VALUE_FEATURES + ["value_bought_sum", "length", "change_value_log2"])
    assert said.tolist() == [
        "total ms_played",
        "mean ms_played",
        "largest ms_played",
        "spread of ms_played",
        "share of events without ms_played",
        "total ms_played bought",
        "events",
        "recent activity against its own past: ms_played per event",
    ]
    # explain() says them so too
    why = pipe.explain([999], top=len(pipe.feature_names_)).droplevel(0)
    assert set(why.loc[why["feature"] == "value_mean", "feature_said"]) == {"mean ms_played"}


def test_the_name_is_kept_by_a_saved_model_and_read_from_it(tmp_path):
    log = _plays()
    _, pipe = _fit(log, **ROLES)
    path = tmp_path / "plays.oddseq"
    pipe.save(path)
    loaded = AnomalyPipeline.load(path)
    scored = loaded.score(Sequences.from_events(log, **ROLES))
    assert "ms_played" in scored.loc[999, "reason"]
    # A model saved before the name was recorded says "value", as it did
    del loaded._fitted_data["columns"]["value"]
    assert reason_names(loaded, ["value_mean"]).tolist() == ["mean value"]


def test_a_column_called_value_or_no_name_keeps_the_words():
    log = _plays().rename(columns={"ms_played": "value"})
    _, pipe = _fit(log, **{**ROLES, "value": "value"})
    assert reason_names(pipe, ["value_max", "share_value_missing"]).tolist() == [
        "largest value",
        "share of events without a value",
    ]
    assert value_said(None) is None and value_said(" Value ") is None
    # a name that is no text says "value" (a header-less CSV's column 0 said "mean 0
    # 1,000": review RV s59 M4); spaces around a name are no part of it
    assert value_said(0) is None and value_said(2.5) is None and value_said(("a", "b")) is None
    assert value_said(" price ") == "price"
    numbered = _plays().rename(columns={"ms_played": 3})
    _, pipe = _fit(numbered, **{**ROLES, "value": 3})
    assert reason_names(pipe, ["value_mean"]).tolist() == ["mean value"]
    long = "milliseconds_played_before_the_listener_skipped_or_ended"
    assert value_said(long).startswith("milliseconds_pl…")  # shortened, as context columns are


def test_the_sequences_carry_the_name_through_what_they_make():
    log = _plays(50)
    seqs = Sequences.from_events(log, **ROLES)
    assert seqs.value_name == "ms_played"
    assert seqs.take([0, 2]).value_name == "ms_played"
    assert seqs.session("10min").value_name == "ms_played"
    assert seqs.time_windows("1h").value_name == "ms_played"
    assert Sequences.from_events(log, **{**ROLES, "value": None}).value_name is None
    # from_arrays: a named Series gives its name, an array none
    offsets = np.array([0, 2, 3])
    events = np.array(["a", "b", "a"])
    named = Sequences.from_arrays(offsets, events, values=pd.Series([1.0, 2.0, 3.0], name="fee"))
    assert named.value_name == "fee"
    assert Sequences.from_arrays(offsets, events, values=np.ones(3)).value_name is None
    assert Sequences.from_arrays(offsets, events).value_name is None


def test_the_shell_says_the_name_too(tmp_path, oddseq_here):
    path = tmp_path / "plays.csv"
    _plays().to_csv(path, index=False)
    args = ["detect", path, "--entity", "user", "--event", "event", "--time", "time"]
    done = oddseq_here([*args, "--value", "ms_played"])
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(pd.io.common.StringIO(done.stdout))
    row = table[table["user"] == 999]
    assert len(row) == 1 and "ms_played" in row["reason"].iloc[0]


def test_the_gaps_warning_names_the_column_as_the_reasons_do():
    rng = np.random.default_rng(4)
    log = _plays(400)
    log.loc[rng.random(len(log)) < 0.05, "ms_played"] = np.nan
    with pytest.warns(DataWarning, match="have no value") as caught:
        _fit_warned(log)
    said = [str(w.message) for w in caught if "have no value" in str(w.message)]
    assert len(said) == 1 and 'reasons say "share of events without ms_played"' in said[0]


def test_the_gaps_warning_of_a_pipeline_fitted_on_sequences_names_the_column_too():
    # AnomalyPipeline.fit and oddseq fit pass no column name: the sequences carry it
    # (review RV s59 M3: "share of events without a value" beside reasons that said
    # "without ms_played")
    rng = np.random.default_rng(4)
    log = _plays(400)
    log.loc[rng.random(len(log)) < 0.05, "ms_played"] = np.nan
    seqs = Sequences.from_events(log, **ROLES)
    with pytest.warns(DataWarning, match="have no value") as caught:
        AnomalyPipeline(random_state=0).fit(seqs)
    said = [str(w.message) for w in caught if "have no value" in str(w.message)]
    assert len(said) == 1 and 'reasons say "share of events without ms_played"' in said[0]
    assert "df['ms_played'] = df['ms_played']" in said[0]


def _fit_warned(log):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", DataWarning)
        return oddseq.detect_anomalies(log, **ROLES, random_state=0)


def test_oddseq_dask_records_and_says_the_name_as_one_machine_does():
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    log = _plays()
    with warnings.catch_warnings(), dask.config.set(scheduler="synchronous"):
        warnings.simplefilter("ignore")
        table, pipe = detect_anomalies(
            dd.from_pandas(log, npartitions=3), **ROLES, method="robust_z", return_pipeline=True
        )
        table = table.compute()
    assert pipe._fitted_data["columns"]["value"] == "ms_played"
    assert "ms_played" in table.loc[999, "reason"]


def test_a_value_column_renamed_at_scoring_is_said():
    # Reasons keep the fitted column's name; a log scored with another value column says
    # so, as for the other roles (review RV s59)
    log = _plays()
    _, pipe = _fit(log, **ROLES)
    renamed = log.rename(columns={"ms_played": "seconds"})
    with pytest.warns(UserWarning, match="other column names") as caught:
        pipe.score(Sequences.from_events(renamed, **{**ROLES, "value": "seconds"}))
    (said,) = [str(w.message) for w in caught if "other column names" in str(w.message)]
    assert "value 'seconds' (fitted: 'ms_played')" in said and "--value" in said
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", category=DataWarning)
        pipe.score(Sequences.from_events(log, **ROLES))  # (the same name: nothing said)
