"""A model fitted with context= scores a later log with that log's side columns.

TR s53 (a grocery app's trial): the best configuration there, normal= with
context=["device_id", "ip"], could not be saved and scored from the shell: ``oddseq fit``
had no ``--context``, and a model from ``return_pipeline=True`` scored a later log with the
fitted log's side table, the entities' devices as they were a fortnight before. Now the
model keeps the columns it read (``context_``), ``oddseq fit --context`` saves them,
``oddseq score`` reads the later file's, and Python's warning names the call that does.
A later log's sharers are counted over that log alone, as the fit counted its own: counted
over the fitted log too, the trial's second fortnight read a month's sharers on every
value where the model learned a fortnight's (109 -> 389 flagged, F1 0.29 -> 0.14)."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.cli import main
from oddseq.encode import context_features
from oddseq.sequences import Sequences

sys.path.insert(0, str(Path(__file__).parent))
from test_context_s46 import DAY, _log  # noqa: E402

ROLES = dict(entity="user", event="event", time="ts")
CONTEXT = {"entity": "user", "time": "ts", "event": "event", "reading": {}, "given": []}
SHELL = ["--entity", "user", "--event", "event", "--time", "ts"]


def _halves():
    log, hijacked = _log(seed=4, n_users=400, n_hijacked=8, farm=8)
    middle = log["ts"].min() + pd.Timedelta(seconds=7 * DAY)
    return log[log["ts"] < middle], log[log["ts"] >= middle], hijacked


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


def test_the_model_keeps_the_columns_and_the_warning_names_the_call(tmp_path):
    first, later, _ = _halves()
    _, pipe = _quiet(
        oddseq.detect_anomalies, first, **ROLES, context=["device", "country"], return_pipeline=True
    )
    assert pipe.context_ == {**CONTEXT, "columns": ["device", "country"]}
    loaded = oddseq.load(pipe.save(tmp_path / "m.oddseq"))
    assert loaded.context_ == pipe.context_
    seqs = Sequences.from_events(later, **ROLES)
    with pytest.warns(UserWarning) as caught:
        stale = loaded.score(seqs)
    said = [str(w.message) for w in caught if "fitted with context=" in str(w.message)]
    advice = (
        "score(seqs, entity_features=oddseq.encode.context_features(log, 'user', "
        "['device', 'country'], 'ts', event='event'))"
    )
    assert len(said) == 1 and advice in said[0]
    # following the advice: the later log's own side table, not the fitted one's
    side = context_features(later, "user", ["device", "country"], "ts", event="event")
    fresh = _quiet(loaded.score, seqs, entity_features=side)
    assert not np.allclose(fresh["score"], stale.loc[fresh.index, "score"])
    # one string names one column; without context= none is kept, and a refit forgets it
    _, one = _quiet(oddseq.detect_anomalies, first, **ROLES, context="device", return_pipeline=True)
    assert one.context_["columns"] == ["device"]
    _, plain = _quiet(oddseq.detect_anomalies, first, **ROLES, return_pipeline=True)
    assert plain.context_ is None
    one.fit(Sequences.from_events(first, **ROLES))
    assert one.context_ is None


def test_fit_and_score_from_the_shell_read_each_files_side_columns(tmp_path, capsys):
    first, later, hijacked = _halves()
    first_csv, later_csv = tmp_path / "first.csv", tmp_path / "later.csv"
    first.to_csv(first_csv, index=False)
    later.to_csv(later_csv, index=False)
    model, table = tmp_path / "m.oddseq", tmp_path / "odd.csv"
    context = ["--context", "device,country"]
    assert main(["fit", str(first_csv), *SHELL, *context, "--save", str(model)]) == 0
    assert "model written" in capsys.readouterr().out
    assert main(["score", str(later_csv), "--model", str(model), *SHELL, "-o", str(table)]) == 0
    said = capsys.readouterr()
    assert "fitted with context" not in said.err  # (the file's own table: no stale one)
    got = pd.read_csv(table, index_col="user")
    # what Python gives with the same files read the same way
    fitted = oddseq.load(model)
    assert fitted.context_ == {**CONTEXT, "columns": ["device", "country"]}
    read = pd.read_csv(later_csv)
    side = context_features(read, "user", ["device", "country"], "ts", event="event")
    expected = _quiet(fitted.score, Sequences.from_events(read, **ROLES), entity_features=side)
    np.testing.assert_allclose(got.loc[expected.index, "score"], expected["score"], rtol=1e-9)
    # the later fortnight's takeovers (a night on a phone of no other day) and the farm
    late = later.loc[later["device"].str.startswith("new-"), "user"].unique()
    assert len(late) >= 2 and got.loc[late, "is_anomaly"].all()
    assert got.loc[got.index.str.startswith("farm"), "is_anomaly"].all()


def test_score_and_stream_refuse_what_the_model_cannot_read(tmp_path, capsys):
    first, later, _ = _halves()
    first_csv, bare_csv = tmp_path / "first.csv", tmp_path / "bare.csv"
    first.to_csv(first_csv, index=False)
    later.drop(columns="country").to_csv(bare_csv, index=False)
    model = tmp_path / "m.oddseq"
    context = ["--context", "device,country"]
    assert main(["fit", str(first_csv), *SHELL, *context, "--save", str(model)]) == 0
    capsys.readouterr()
    out = ["-o", str(tmp_path / "o.csv")]
    assert main(["score", str(bare_csv), "--model", str(model), *SHELL, *out]) == 2
    err = capsys.readouterr().err
    assert "fitted with --context device,country" in err and "lacks ['country']" in err
    # stream scores each entity as its events come: no other entity's values, refused
    assert main(["stream", "--model", str(model), *SHELL]) == 2
    assert "oddseq fit without --context" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"fitted with context=\['device', 'country'\]"):
        oddseq.stream.StreamScorer(oddseq.load(model), entity="user", event="event", time="ts")


def test_the_dask_call_keeps_the_columns_as_one_machine(client):
    dd = pytest.importorskip("dask.dataframe")
    from oddseq.dask import detect_anomalies

    first, _, _ = _halves()
    _, pipe = _quiet(
        detect_anomalies,
        dd.from_pandas(first, npartitions=2),
        **ROLES,
        context=["device"],
        return_pipeline=True,
    )
    assert pipe.context_ == {**CONTEXT, "columns": ["device"]}


def test_a_model_with_side_columns_of_its_own_is_advised_and_refused_by_name(tmp_path, capsys):
    first, later, _ = _halves()
    every = pd.concat([first["user"], later["user"]]).unique()
    ages = np.random.default_rng(2).uniform(1, 900, every.size)
    own = pd.DataFrame({"age": ages}, index=pd.Index(every, name="user"))
    _, pipe = _quiet(
        oddseq.detect_anomalies,
        first,
        **ROLES,
        context="device",
        entity_features=own,
        return_pipeline=True,
    )
    assert pipe.context_["given"] == ["age"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # (the fitted table's gaps are said too)
        pipe.score(Sequences.from_events(later, **ROLES))
    said = next(str(w.message) for w in caught if "fitted with context=" in str(w.message))
    call = "context_features(log, 'user', ['device'], 'ts', event='event').join(side[['age']])"
    assert call in said
    # the advice, followed, scores
    side = context_features(later, "user", ["device"], "ts", event="event").join(own)
    assert len(_quiet(pipe.score, Sequences.from_events(later, **ROLES), entity_features=side))
    # the shell: refused without the caller's columns, naming the option that gives them
    model, later_csv = tmp_path / "m.oddseq", tmp_path / "later.csv"
    pipe.save(model)
    later.to_csv(later_csv, index=False)
    table = tmp_path / "o.csv"
    score = ["score", str(later_csv), "--model", str(model), *SHELL, "-o", str(table)]
    assert main(score) == 2
    err = capsys.readouterr().err
    assert "fitted with side columns ['age'] beside its context (device)" in err
    assert "--entity-features FILE (a table keyed by --entity user)" in err
    # ... and with them, Python's table
    own_csv = tmp_path / "own.csv"
    own.reset_index().to_csv(own_csv, index=False)
    assert main([*score, "--entity-features", str(own_csv)]) == 0
    got = pd.read_csv(table, index_col="user")
    expected = _quiet(pipe.score, Sequences.from_events(later, **ROLES), entity_features=side)
    np.testing.assert_allclose(got.loc[expected.index, "score"], expected["score"], rtol=1e-9)


def test_score_refuses_a_context_column_with_no_value_and_reads_times_as_fitted(tmp_path, capsys):
    first, later, _ = _halves()
    first = first.assign(ts=first["ts"].dt.strftime("%d/%m/%Y %H:%M:%S"))
    _, pipe = _quiet(
        oddseq.detect_anomalies,
        first,
        **ROLES,
        context=["device", "country"],
        dayfirst=True,
        return_pipeline=True,
    )
    # the reading options the fit needed, kept and advised
    assert pipe.context_["reading"] == {"dayfirst": True}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.score(Sequences.from_events(first, **ROLES, dayfirst=True))
    assert any("'ts', event='event', dayfirst=True)" in str(w.message) for w in caught)
    # oddseq score of a file whose side column came empty: refused, as detect refuses it
    model, blank = tmp_path / "m.oddseq", tmp_path / "blank.csv"
    context = ["--context", "device,country"]
    first_csv = tmp_path / "first.csv"
    first.to_csv(first_csv, index=False)
    fit = ["fit", str(first_csv), *SHELL, *context, "--dayfirst", "--save", str(model)]
    assert main(fit) == 0
    later.assign(country=None).to_csv(blank, index=False)
    out = ["-o", str(tmp_path / "o.csv")]
    assert main(["score", str(blank), "--model", str(model), *SHELL, *out]) == 2
    err = capsys.readouterr().err
    assert "column ['country'] has no value" in err and "oddseq fit --context device" in err
    # a few entities without a value: the gap warning names no option score lacks
    some = later.copy()
    some.loc[some["user"].isin(some["user"].unique()[:5]), "country"] = None
    some.to_csv(blank, index=False)
    assert main(["score", str(blank), "--model", str(model), *SHELL, *out, "--force"]) == 0
    err = capsys.readouterr().err
    assert "out of the model (oddseq fit --context without it)" in err
    assert "out of --context" not in err


def test_a_context_model_saved_before_it_kept_its_columns_scores_in_the_shell(tmp_path, capsys):
    first, later, _ = _halves()
    _, pipe = _quiet(
        oddseq.detect_anomalies, first, **ROLES, context="device", return_pipeline=True
    )
    del pipe.context_  # (as a model saved before the fifty-fourth session reads)
    assert pipe.context_ is None
    model, later_csv, table = tmp_path / "m.oddseq", tmp_path / "later.csv", tmp_path / "o.csv"
    pipe.save(model)
    later.to_csv(later_csv, index=False)
    assert main(["score", str(later_csv), "--model", str(model), *SHELL, "-o", str(table)]) == 0
    assert "no option for a side table" not in capsys.readouterr().err
    got = pd.read_csv(table, index_col="user")
    read = pd.read_csv(later_csv)
    side = context_features(read, "user", ["device"], "ts", event="event")
    expected = _quiet(pipe.score, Sequences.from_events(read, **ROLES), entity_features=side)
    np.testing.assert_allclose(got.loc[expected.index, "score"], expected["score"], rtol=1e-9)


def test_fit_names_the_context_option_of_a_missing_column(tmp_path, capsys):
    first, _, _ = _halves()
    path = tmp_path / "first.csv"
    first.to_csv(path, index=False)
    save = ["--save", str(tmp_path / "m.oddseq")]
    assert main(["fit", str(path), *SHELL, "--context", "device,cntry", *save]) == 2
    assert "--context cntry" in capsys.readouterr().err
    assert main(["fit", str(path), *SHELL, "--context", "device,", *save]) == 2
    assert "names an empty column" in capsys.readouterr().err


def test_context_features_read_a_blank_id_as_missing_as_the_one_call_does():
    log = pd.DataFrame({"user": ["a", "b", " ", ""], "device": ["d1", "d2", "d1", "d1"]})
    table = context_features(log, "user", "device")
    assert list(table.index) == ["a", "b"]  # (no blank entity among the sharers of d1)
    assert table.loc["a", "sharing[device]"] == 1.0


def test_entity_features_from_the_shell_as_in_python(tmp_path, capsys):
    # TR s53: an analyst's scans_per_receipt column found 16 of 25 receipt fraudsters, in
    # Python only; the shell had no option for a side table
    first, later, _ = _halves()
    every = pd.concat([first["user"], later["user"]]).unique()
    rng = np.random.default_rng(3)
    own = pd.DataFrame({"user": every, "age_days": rng.integers(1, 900, every.size)})
    own.loc[own["user"].str.startswith("farm"), "age_days"] = 1  # fresh accounts
    own_csv, first_csv, later_csv = (tmp_path / n for n in ("own.csv", "a.csv", "b.csv"))
    own.to_csv(own_csv, index=False)
    first.to_csv(first_csv, index=False)
    later.to_csv(later_csv, index=False)
    side = ["--entity-features", str(own_csv)]
    # detect: the one call's table with entity_features=
    table = tmp_path / "d.csv"
    assert main(["detect", str(first_csv), *SHELL, *side, "-o", str(table)]) == 0
    got = pd.read_csv(table, index_col="user")
    expected = _quiet(oddseq.detect_anomalies, pd.read_csv(first_csv), **ROLES, entity_features=own)
    np.testing.assert_allclose(got.loc[expected.index, "score"], expected["score"], rtol=1e-9)
    assert got["reason"].str.contains("age_days").any()
    # fit, then score with the later file's table; without it, the fitted one, said
    model = tmp_path / "m.oddseq"
    assert main(["fit", str(first_csv), *SHELL, *side, "--save", str(model)]) == 0
    capsys.readouterr()
    score = ["score", str(later_csv), "--model", str(model), *SHELL, "-o", str(table), "--force"]
    assert main([*score, *side]) == 0
    got = pd.read_csv(table, index_col="user")
    fitted = oddseq.load(model)
    expected = _quiet(
        fitted.score, Sequences.from_events(pd.read_csv(later_csv), **ROLES), entity_features=own
    )
    np.testing.assert_allclose(got.loc[expected.index, "score"], expected["score"], rtol=1e-9)
    assert main(score) == 0
    assert "oddseq score --entity-features FILE (the fitted columns" in capsys.readouterr().err
    # a model without a place for them, a table without the ids: refused by the option
    plain = tmp_path / "plain.oddseq"
    assert main(["fit", str(first_csv), *SHELL, "--save", str(plain)]) == 0
    capsys.readouterr()
    assert main([*score[:3], str(plain), *score[4:], *side]) == 2
    assert "--entity-features: --model" in capsys.readouterr().err
    own.rename(columns={"user": "who"}).to_csv(own_csv, index=False)
    assert main(["detect", str(first_csv), *SHELL, *side, "-o", str(table), "--force"]) == 2
    err = capsys.readouterr().err
    assert f"--entity-features {own_csv}" in err and "user" in err
    # oddseq stream scores each entity alone: refused, as for any side table
    assert main(["stream", "--model", str(model), *SHELL]) == 2
    assert "oddseq fit without --entity-features" in capsys.readouterr().err


def test_a_side_table_the_model_cannot_read_is_refused_in_the_shells_words(tmp_path, capsys):
    first, _, _ = _halves()
    path, bad = tmp_path / "a.csv", tmp_path / "side.csv"
    first.to_csv(path, index=False)
    pd.DataFrame({"user": first["user"].unique(), "tier": "gold"}).to_csv(bad, index=False)
    out = ["-o", str(tmp_path / "o.csv")]
    assert main(["detect", str(path), *SHELL, "--entity-features", str(bad), *out]) == 2
    err = capsys.readouterr().err
    assert "--entity-features: the table needs numeric or boolean columns; ['tier']" in err
    assert "make that change to the file" in err


def _numbered(log):
    # whole-number ids, as a CSV's reader reads them (int64)
    return log.assign(user=log["user"].str.replace(r"\D", "", regex=True).astype("int64"))


def test_a_side_files_ids_are_read_in_the_kind_of_the_logs(tmp_path, capsys):
    # RV s54b H1: a side file is read on its own; one stray id, a Parquet file of text
    # ids, left it matching none of the log's whole-number ids
    first, _, _ = _halves()
    log = _numbered(first[~first["user"].str.startswith("farm")])
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    ids = log["user"].unique()
    age = pd.DataFrame({"user": ids, "age": np.arange(ids.size, dtype=float)})
    expected = _quiet(oddseq.detect_anomalies, pd.read_csv(path), **ROLES, entity_features=age)
    table = tmp_path / "o.csv"
    detect = ["detect", str(path), *SHELL, "-o", str(table), "--force"]
    # text ids in Parquet; a stray "0123" (no entity's) in a CSV of whole numbers
    text = tmp_path / "side.parquet"
    age.assign(user=age["user"].astype(str)).to_parquet(text)
    stray = tmp_path / "side.csv"
    pd.concat([age, pd.DataFrame({"user": ["0123"], "age": [5.0]})]).to_csv(stray, index=False)
    for side in (text, stray):
        assert main([*detect, "--entity-features", str(side)]) == 0
        got = pd.read_csv(table, index_col="user")
        np.testing.assert_allclose(got.loc[expected.index, "score"], expected["score"], rtol=1e-9)
    capsys.readouterr()
    # a row without an id, a file without the id column, no such file: refused by name
    age.assign(user=age["user"].astype(object)).pipe(
        lambda t: pd.concat([t, pd.DataFrame({"user": [None], "age": [1.0]})])
    ).to_csv(stray, index=False)
    assert main([*detect, "--entity-features", str(stray)]) == 2
    assert "has 1 row(s) without an id in its column 'user'" in capsys.readouterr().err
    age.rename(columns={"user": "uid"}).to_csv(stray, index=False)
    assert main([*detect, "--entity-features", str(stray)]) == 2
    assert "has no column 'user' (its columns: ['uid', 'age'])" in capsys.readouterr().err
    assert main([*detect, "--entity-features", str(tmp_path / "nope.csv")]) == 2
    assert f"--entity-features {tmp_path / 'nope.csv'}: no such file" in capsys.readouterr().err
    # the log's --encoding is the log's: a UTF-8 side file beside a latin-1 log
    age.rename(columns={"age": "âge"}).to_csv(stray, index=False)
    log.to_csv(path, index=False, encoding="latin-1")
    assert main([*detect, "--encoding", "latin-1", "--entity-features", str(stray)]) == 0
    assert pd.read_csv(table)["reason"].str.contains("Ã").sum() == 0


def test_score_keeps_the_context_of_entities_the_side_file_lacks(tmp_path, capsys):
    # RV s54b H2: under half of the scored entities in the side file, score joined on the
    # file's ids alone, and the others lost their own context (exit 0)
    first, later, _ = _halves()
    every = pd.concat([first["user"], later["user"]]).unique()
    rng = np.random.default_rng(5)
    own = pd.DataFrame({"user": every, "age": rng.uniform(1, 900, every.size)})
    for name, frame in (("first", first), ("later", later), ("own", own)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    model, table = tmp_path / "m.oddseq", tmp_path / "o.csv"
    side = ["--context", "device", "--entity-features", str(tmp_path / "own.csv")]
    assert main(["fit", str(tmp_path / "first.csv"), *SHELL, *side, "--save", str(model)]) == 0
    few = own[own["user"].isin(later["user"].unique()[:150])]
    few.to_csv(tmp_path / "few.csv", index=False)
    score = ["score", str(tmp_path / "later.csv"), "--model", str(model), *SHELL]
    assert main([*score, "--entity-features", str(tmp_path / "few.csv"), "-o", str(table)]) == 0
    got = pd.read_csv(table, index_col="user")
    fitted = oddseq.load(model)
    read = pd.read_csv(tmp_path / "later.csv")
    mine = context_features(read, "user", ["device"], "ts", event="event")
    expected = _quiet(
        fitted.score,
        Sequences.from_events(read, **ROLES),
        entity_features=few.set_index("user").reindex(mine.index).join(mine),
    )
    np.testing.assert_allclose(got.loc[expected.index, "score"], expected["score"], rtol=1e-9)
    assert "take the fitted medians" in capsys.readouterr().err  # (the gaps, said)
