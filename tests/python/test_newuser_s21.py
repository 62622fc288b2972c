"""A demanding analyst's runs of a model after its fit (session 21, H3): saved and
loaded, scored on later days, streamed and explained. Each case is one a user met and
the package got wrong (a crash from inside, a silent wrong value, advice that does not
work when followed)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def days():
    """Two days of one shop (two draws), the first fitted."""
    first = make_ecommerce(300, random_state=197).events
    later = make_ecommerce(300, random_state=198).events
    return first, later


@pytest.fixture(scope="module")
def model(days):
    first, _ = days
    return oddseq.AnomalyPipeline(random_state=0).fit(Sequences.from_events(first, **ROLES))


# --- explain of no entity -----------------------------------------------------------


def test_explaining_no_entity_gives_the_empty_table(days, model):
    # model.explain(table.index[table.is_anomaly]) on a day with nothing flagged: the
    # explanation of no entity, not "X has 0 sample(s) (shape=(0, 25))" from inside.
    _, later = days
    seqs = Sequences.from_events(later, **ROLES)
    table = model.score(seqs)
    full = model.explain([table.index[0]])
    for empty in (
        model.explain([]),
        model.explain(table.index[:0]),
        model.explain(seqs, []),
    ):
        assert empty.empty
        assert list(empty.columns) == list(full.columns)
        assert list(empty.index.names) == list(full.index.names)
        assert (empty.dtypes == full.dtypes).all()


# --- explain on a later day of a model fitted with entity_features ------------------


def _side(log, seed):
    ids = pd.Index(log["user_id"].unique(), name="user_id")
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"age_days": rng.integers(1, 900, len(ids)), "devices": rng.integers(1, 4, len(ids))},
        index=ids,
    ).astype(float)


def test_explaining_a_later_day_reads_that_days_entity_features(days):
    # explain(seqs, ids) after score(seqs, entity_features=side_today) explained with the
    # side table given at fit (an account's devices 3 and age 752 where its score read
    # 1 and 504), without a word and with no argument to pass today's.
    first, later = days
    fitted_side, today = _side(first, 1), _side(later, 2)
    pipe = oddseq.AnomalyPipeline(random_state=0, entity_features=fitted_side).fit(
        Sequences.from_events(first, **ROLES)
    )
    seqs = Sequences.from_events(later, **ROLES)
    table = pipe.score(seqs, entity_features=today)
    ids = list(table.index[:5])
    n = len(pipe.feature_names_)
    remembered = pipe.explain(ids, top=n)
    given = pipe.explain(seqs, ids, top=n, entity_features=today)
    pd.testing.assert_frame_equal(given, remembered)
    rows = given[given["feature"] == "devices"]
    assert (rows["value"].to_numpy() == today.loc[rows.index.get_level_values(0), "devices"]).all()
    # Without it, the fitted table, said as score says it (naming explain's argument).
    # (and, as score says too, that the fitted table lacks rows for most of today's)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        pipe.explain(seqs, ids)
    texts = [str(w.message) for w in said]
    assert any("explain(seqs, entity_ids, entity_features=side)" in t for t in texts), texts
    assert all(w.filename == __file__ for w in said)
    # A model fitted without them refuses them, as score does.
    plain = oddseq.AnomalyPipeline(random_state=0).fit(Sequences.from_events(first, **ROLES))
    with pytest.raises(ValueError, match="fitted without entity_features"):
        plain.explain(seqs, ids, entity_features=today)


# --- StreamScorer.calibrate on a log not in time order -------------------------------


def test_calibrate_replays_a_log_out_of_time_order_sorted_and_says_so(days, model):
    # A log newest first (as exports often list it) or shuffled: the replay dropped 98%
    # of its events as too late without a word and set the cut from one event per
    # entity (6.48 against 6.92). update and update_one warn of such drops, and oddseq
    # stream --calibrate sorts the file by time and says so: calibrate now does that.
    from oddseq.stream import StreamScorer

    _, later = days
    in_order = later.sort_values("timestamp", kind="stable")
    cut = StreamScorer(model, **ROLES).calibrate(in_order)
    for disorder in (in_order.iloc[::-1], in_order.sample(frac=1.0, random_state=0)):
        caller = disorder.copy()
        scorer = StreamScorer(model, **ROLES)
        with pytest.warns(DataWarning, match=r"not in time order.*sort_values\('timestamp'"):
            got = scorer.calibrate(disorder)
        pd.testing.assert_frame_equal(disorder, caller)  # the caller's frame as it was
        # the same cut up to the order of events at one time (a newest-first log's ties
        # come reversed: equal here), and far from what the replay in the given order
        # gives (4.21 and 9.19 against 11.78 in time order)
        assert got == pytest.approx(cut, rel=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert StreamScorer(model, **ROLES).calibrate(in_order) == cut


# --- the shell's duration options given text that is no duration --------------------


@pytest.fixture(scope="module")
def shop_files(tmp_path_factory, days):
    from oddseq.cli import main

    first, _ = days
    d = tmp_path_factory.mktemp("shell")
    first.to_csv(d / "log.csv", index=False)
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    assert main(["fit", str(d / "log.csv"), *roles, "--save", str(d / "m.oddseq")]) == 0
    return d, roles


@pytest.mark.parametrize(
    "command, option",
    [
        ("stream", ["--ttl", "abc"]),
        ("stream", ["--lateness", "five minutes"]),
        ("detect", ["--session-gap", "abc"]),
        ("stream", ["--max-entities", "0"]),
        ("stream", ["--max-entities", "-5"]),
    ],
)
def test_the_shell_refuses_a_bad_duration_or_cap_in_its_own_words(
    shop_files, capsys, command, option
):
    # "--ttl abc" said "ttl must be seconds (a number), a string like '30min' or a
    # Timedelta": followed, --ttl 5 is refused ("has no unit"); "--max-entities 0" said
    # "max_entities must be an integer in [1, 2**31)", Python's name.
    from oddseq.cli import main

    d, roles = shop_files
    args = [command, str(d / "log.csv")] if command == "detect" else [command]
    args += ["--model", str(d / "m.oddseq")] if command == "stream" else []
    capsys.readouterr()
    assert main([*args, *roles, *option]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"oddseq {command}: {option[0]} "), err
    assert "a number)" not in err and "Timedelta" not in err and "max_entities" not in err
    if option[0] == "--max-entities":
        assert "from 1 to" in err, err
    else:
        assert "with a unit, e.g. '30s', '5min', '2h' or '1d'" in err, err


# --- the group stage's sentence on a later day ---------------------------------------


def test_explaining_a_later_days_score_gives_no_group_sentence_of_the_fit():
    # A model from detect_anomalies(..., item=...) keeps the fitted log's groups as a
    # record; scoring never runs the stage. After model.score(later day), explain(ids)
    # gave a member of a fitted group "one of 7 entities (group 0) that acted in lockstep
    # ... between 25 Nov and 02 Dec" as its group_reason, though that day's table did
    # not flag it (user 1559: score 5.1 under the cut) and the group played no part.
    log = make_ecommerce(2000, random_state=193).events
    roles = dict(ROLES, item="item_id")
    table, pipe = oddseq.detect_anomalies(log, **roles, return_pipeline=True)
    members = list(table.index[table["group"] >= 0])
    assert members
    fitted = pipe.explain(members)
    assert (fitted["group_reason"].str.startswith("one of")).all()  # the fit's own
    later = log[log["timestamp"] > log["timestamp"].max() - 2 * 86_400]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the span warning: a shorter window
        scored = pipe.score(Sequences.from_events(later, **roles))
    seen = [m for m in members if m in scored.index]
    assert seen
    again = pipe.explain(seen)
    assert (again["group_reason"] == "").all(), again["group_reason"]
    assert list(again.columns) == list(fitted.columns)


# --- StreamScorer given a model file's path ------------------------------------------


def test_stream_scorer_given_a_path_says_to_load_it(model, tmp_path):
    # StreamScorer("model.oddseq", ...) said "needs a fitted AnomalyPipeline; call
    # fit(sequences)": the model was fitted and saved; it was given its path.
    from pathlib import Path

    from oddseq.detect import LOF
    from oddseq.stream import StreamScorer

    path = model.save(tmp_path / "model.oddseq")
    for given in (str(path), Path(path)):
        with pytest.raises(TypeError, match=r"StreamScorer\(oddseq\.load\("):
            StreamScorer(given, **ROLES)
    with pytest.raises(TypeError, match="AnomalyPipeline, got LOF"):
        StreamScorer(LOF(), **ROLES)
    with pytest.raises(ValueError, match=r"call fit\(sequences\)"):  # unfitted: as before
        StreamScorer(oddseq.AnomalyPipeline(), **ROLES)
    live = StreamScorer(oddseq.load(path), **ROLES)  # the advice, followed
    assert live.threshold_ == model.threshold_


# --- options a command does not take, given to it -------------------------------------


@pytest.mark.parametrize(
    "command, extra, said",
    [
        ("score", ["--contamination", "0.1"], "an option of oddseq fit"),
        ("score", ["--method", "knn"], "an option of oddseq fit"),
        ("score", ["--normal", "x.csv"], "an option of oddseq fit"),
        ("score", ["--group-by", "item_id"], "an option of oddseq detect"),
        ("stream", ["LOG"], "reads its events on standard input"),
        ("stream", ["-o", "alerts.jsonl"], "writes its alerts to standard output"),
        ("fit", ["-o", "odd.csv"], "--save"),
        ("score", ["--no-such-option"], "oddseq score --help lists"),
    ],
)
def test_an_option_another_command_takes_is_refused_naming_that_command(
    shop_files, capsys, command, extra, said
):
    # oddseq score ... --contamination 0.1 (more flags on a later day), oddseq stream
    # LOG (a file argument), oddseq stream -o: argparse's "oddseq: error: unrecognized
    # arguments" under the top-level usage, with no word of where the option belongs.
    from oddseq.cli import main

    d, roles = shop_files
    extra = [str(d / "log.csv") if e == "LOG" else e for e in extra]
    args = {
        "score": ["score", str(d / "log.csv"), "--model", str(d / "m.oddseq")],
        "stream": ["stream", "--model", str(d / "m.oddseq")],
        "fit": ["fit", str(d / "log.csv"), "--save", str(d / "again.oddseq")],
    }[command]
    capsys.readouterr()
    assert main([*args, *roles, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"oddseq {command}: "), err
    assert said in err, err
    assert not (d / "again.oddseq").exists()


# --- a model fitted on sessions, given whole entities ---------------------------------


@pytest.fixture(scope="module")
def sessions_model(days):
    first, _ = days
    _, pipe = oddseq.detect_anomalies(first, **ROLES, session_gap="30min", return_pipeline=True)
    return pipe


def test_scoring_whole_entities_with_a_sessions_model_says_to_build_sessions(days, sessions_model):
    # detect_anomalies(..., session_gap="30min", return_pipeline=True) then
    # model.score(Sequences.from_events(later, ...)) without the gap: 92% flagged, and
    # the warning said "A renamed column is fine; ... pass the columns the model was
    # fitted with (entity=..., ...)", which the user had done.
    _, later = days
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        sessions_model.score(Sequences.from_events(later, **ROLES))
    texts = " ".join(str(w.message) for w in said)
    assert "fitted on sessions" in texts and "session_gap=" in texts, texts
    assert "A renamed column is fine" not in texts, texts
    # and the other way: a model of whole entities given sessions
    _, whole = oddseq.detect_anomalies(later, **ROLES, return_pipeline=True)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        whole.score(Sequences.from_events(later, **ROLES, session_gap="30min"))
    texts = " ".join(str(w.message) for w in said)
    assert "fitted on whole entities" in texts and "without session_gap" in texts, texts
    # the same sessions: nothing said of the columns
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        sessions_model.score(Sequences.from_events(later, **ROLES, session_gap="30min"))
    assert not any("session" in str(w.message) for w in said), [str(w.message) for w in said]


def test_a_sessions_model_is_refused_by_the_stream(sessions_model):
    # The stream scores whole entities: a sessions model streamed them silently, 97.5%
    # flagged (the share alarm only once the stream had run the fitted span).
    from oddseq.stream import StreamScorer

    with pytest.raises(ValueError, match=r"fitted on sessions.*without session_gap"):
        StreamScorer(sessions_model, **ROLES)


# --- plot_explanation of a loaded model without an entity id -------------------------


def test_plot_explanation_of_a_loaded_model_without_an_id_says_to_pass_one(days, model, tmp_path):
    # oddseq.plot.plot_explanation(loaded) after loaded.score(later): "entity_ids [2662]
    # are not among the entities of the last fit or score ... pass their sequences" for
    # an id the user never gave (the top of the fitted table saved with the model, whose
    # features a file does not keep).
    import matplotlib

    matplotlib.use("Agg")
    from oddseq.plot import plot_explanation

    _, later = days
    loaded = oddseq.load(model.save(tmp_path / "m.oddseq"))
    table = loaded.score(Sequences.from_events(later, **ROLES))
    with pytest.raises(ValueError, match=r"plot_explanation\(pipeline, entity_id\)") as said:
        plot_explanation(loaded)
    assert "not among the entities" not in str(said.value)
    ax = plot_explanation(loaded, table.index[0])  # the advice, followed
    assert ax.get_title() == f"why {table.index[0]} stands out"
    ax = plot_explanation(model)  # a model fitted here keeps its table's features
    assert ax.get_title() == f"why {model.table_.index[0]} stands out"


# --- labels indexed by entity id beside a ranked table's column -----------------------


def test_labels_and_scores_indexed_by_the_same_ids_are_paired_by_id():
    # make_ecommerce's labels are indexed by user id in id order, a ranked table by rank:
    # plot_roc(bunch.labels, table["score"]) paired them by position, another entity's
    # label beside each score: "AUC 0.558" where the scores give 0.990, without a word.
    import matplotlib

    matplotlib.use("Agg")
    from oddseq.metrics import (
        accuracy_score,
        average_precision_score,
        precision_at_k,
        precision_recall_fscore,
        roc_auc_score,
    )
    from oddseq.plot import plot_confusion, plot_pr, plot_roc

    bunch = make_ecommerce(300, random_state=192)
    table = oddseq.detect_anomalies(bunch.events, **ROLES)
    labels = bunch.labels
    assert not labels.index.equals(table.index) and set(labels.index) == set(table.index)
    paired = labels.reindex(table.index)
    for metric in (roc_auc_score, average_precision_score, precision_at_k):
        assert metric(labels, table["score"]) == metric(paired, table["score"])
    for metric in (precision_recall_fscore, accuracy_score):
        got, want = metric(labels, table["is_anomaly"]), metric(paired, table["is_anomaly"])
        assert got == want
    want = f"AUC {roc_auc_score(paired.to_numpy(), table['score'].to_numpy()):.3f}"
    assert plot_roc(labels, table["score"]).get_legend().get_texts()[0].get_text() == want
    # the ranked table itself as the scores: its score column
    assert plot_roc(labels, table).get_legend().get_texts()[0].get_text() == want
    want = f"AP {average_precision_score(paired.to_numpy(), table['score'].to_numpy()):.3f}"
    assert plot_pr(labels, table["score"]).get_legend().get_texts()[0].get_text() == want
    ax = plot_confusion(labels, table["is_anomaly"])
    cells = [t.get_text() for t in ax.texts]
    expected = plot_confusion(paired, table["is_anomaly"])
    assert cells == [t.get_text() for t in expected.texts]
    # arrays, or Series of other ids, are paired by position as before
    assert roc_auc_score(labels.to_numpy(), table["score"].to_numpy()) != roc_auc_score(
        paired, table["score"]
    )


def test_sessions_split_at_another_gap_than_the_fit_are_said(days, sessions_model):
    # A model fitted on sessions of session_gap="30min", a later day built with "2h":
    # 262 of 4,196 sessions flagged against 26 of 4,583 at the fitted gap, without a word.
    _, later = days
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        sessions_model.score(Sequences.from_events(later, **ROLES, session_gap="2h"))
    texts = " ".join(str(w.message) for w in said)
    assert "gaps over 30min" in texts and "2h" in texts, texts
    assert "session_gap='30min'" in texts, texts
    # whole entities: the advice names the fitted gap too
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        sessions_model.score(Sequences.from_events(later, **ROLES))
    assert "session_gap='30min'" in " ".join(str(w.message) for w in said)
    # the gap kept through take / indexing, as the pipeline's min_events takes them
    seqs = Sequences.from_events(later, **ROLES, session_gap="30min")
    assert seqs.take([0, 1]).session_gap_ns == 1_800 * 10**9 == seqs[:3].session_gap_ns
    assert Sequences.from_events(later, **ROLES).session_gap_ns is None


def test_the_shell_scores_a_sessions_model_on_the_files_sessions(days, sessions_model, tmp_path):
    # oddseq score with a model fitted on sessions in Python: every entity's whole
    # history was scored as one session (93% flagged), and the warning's advice,
    # Sequences.from_events(..., session_gap='30min'), is Python's: oddseq score has no
    # such option. The model records its gap: the file's entities are split at it.
    from oddseq.cli import main

    _, later = days
    later.to_csv(tmp_path / "later.csv", index=False)
    sessions_model.save(tmp_path / "s.oddseq")
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    out = tmp_path / "odd.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code = main(
            ["score", str(tmp_path / "later.csv"), "--model", str(tmp_path / "s.oddseq"), *roles]
            + ["-o", str(out)]
        )
    assert code == 0
    got = pd.read_csv(out).set_index(["user_id", "session"])
    want = sessions_model.score(Sequences.from_events(later, **ROLES, session_gap="30min"))
    assert got["is_anomaly"].sort_index().equals(want["is_anomaly"].sort_index())


# --- a model saved where it cannot be written ----------------------------------------


def test_saving_where_a_model_cannot_be_written_names_the_path_not_a_temporary_file(
    model, tmp_path, monkeypatch, capsys
):
    # oddseq fit ... --save /proc/x.oddseq said "[Errno 2] No such file or directory:
    # '/proc/.x.oddseq.d34ehpej.tmp'", a file the user never named.
    from oddseq import _persist

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".m.oddseq.abc.tmp"))

    monkeypatch.setattr(_persist, "_temporary_beside", refused)  # (the temporary file)
    with pytest.raises(OSError) as said:
        model.save(tmp_path / "m.oddseq")
    text = str(said.value)
    assert ".tmp" not in text and "Errno" not in text, text
    assert str(tmp_path / "m.oddseq") in text and "Permission denied" in text, text


# --- a byte-order mark at the start of the stream ------------------------------------


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_the_stream_reads_input_that_starts_with_a_byte_order_mark(
    days, shop_files, oddseq_here, kind
):
    # A spreadsheet's "CSV UTF-8" export starts with a byte-order mark; oddseq detect
    # reads it, oddseq stream < export.csv said "the CSV header (line 1) lacks
    # ['user_id']; it has ['\ufeffuser_id', ...]" (JSON lines: every first line "not JSON").
    d, roles = shop_files
    _, later = days
    part = later.sort_values("timestamp", kind="stable").head(400)
    if kind == "csv":
        text = part.to_csv(index=False)
    else:
        text = part.to_json(orient="records", lines=True)
    args = ["stream", "--model", str(d / "m.oddseq"), *roles]
    plain = oddseq_here(args, input=text.encode())
    marked = oddseq_here(args, input=b"\xef\xbb\xbf" + text.encode())
    assert plain.returncode == 0 and marked.returncode == 0, marked.stderr
    assert marked.stdout == plain.stdout
    assert "malformed" in marked.stderr and "0 malformed lines" in marked.stderr, marked.stderr


def test_plot_explanation_titles_a_session_as_written(days, sessions_model):
    # A session's id is an (entity, session) pair of numpy integers: the title read
    # "why (np.int64(2843), np.int64(0)) stands out".
    import matplotlib

    matplotlib.use("Agg")
    from oddseq.plot import plot_explanation

    _, later = days
    table = sessions_model.score(Sequences.from_events(later, **ROLES, session_gap="30min"))
    user, session = table.index[0]
    ax = plot_explanation(sessions_model, table.index[0])
    assert ax.get_title() == f"why ({int(user)}, {int(session)}) stands out"


def test_explains_refusal_shows_a_session_as_written(days, sessions_model):
    # A session of another day's table, not among the last score's: the refusal showed
    # "[(np.int64(2843), np.int64(0))]".
    _, later = days
    table = sessions_model.score(Sequences.from_events(later, **ROLES, session_gap="30min"))
    user, _ = table.index[0]
    with pytest.raises(ValueError, match=rf"\[\({int(user)}, 999\)\]"):
        sessions_model.explain([(table.index[0][0], np.int64(999))])


# --- a path whose folder is a file -----------------------------------------------------


def test_a_path_inside_a_file_says_the_file_is_no_folder(shop_files, model, capsys):
    # -o log.csv/odd.csv and --save log.csv/m.oddseq said "the folder log.csv does not
    # exist; create it first": it exists, as a file, and mkdir refuses to create it.
    from oddseq.cli import main

    d, roles = shop_files
    log = d / "log.csv"
    runs = [
        ["score", str(log), "--model", str(d / "m.oddseq"), *roles, "-o", f"{log}/odd.csv"],
        ["fit", str(log), *roles, "--save", f"{log}/m.oddseq"],
        ["detect", str(log), *roles, "-o", f"{log}/deeper/odd.csv"],
    ]
    for args in runs:
        capsys.readouterr()
        assert main(args) == 2
        err = capsys.readouterr().err
        assert f"{log} is a file, not a folder" in err and "create it" not in err, err
    with pytest.raises(ValueError, match="is a file, not a folder"):
        model.save(log / "m.oddseq")


# --- a model saved into a file object ------------------------------------------------


def test_a_model_saves_into_a_binary_file_object_as_it_loads_from_one(days, model, tmp_path):
    # oddseq.load takes a binary file object (a BytesIO from object storage); save said
    # "expected str, bytes or os.PathLike object, not BytesIO" from os.fspath.
    import io

    _, later = days
    buffer = io.BytesIO()
    assert model.save(buffer) is buffer
    buffer.seek(0)
    again = oddseq.load(buffer)
    seqs = Sequences.from_events(later, **ROLES)
    pd.testing.assert_frame_equal(again.score(seqs), model.score(seqs))
    with open(tmp_path / "m.oddseq", "wb") as handle:
        model.save(handle)
    assert oddseq.load(tmp_path / "m.oddseq").threshold_ == model.threshold_
    with pytest.raises(TypeError, match="a path or a binary file object"):
        model.save(io.StringIO())


# --- the demo on a handful of users ----------------------------------------------------


def test_the_demo_on_a_few_users_says_none_were_planted(capsys):
    # oddseq demo --n-users 5 printed its table, then "oddseq demo: ROC AUC is undefined
    # when y_true holds only one class" and exit 2: with five users none was planted.
    from oddseq.cli import main

    assert main(["demo", "--n-users", "5", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "no anomalies were planted among these 5 users" in out, out
    for option, value in (("--n-users", "0"), ("--seed", "-1")):
        assert main(["demo", option, value, "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"oddseq demo: {option} must be"), err


# --- event types as numbers at fit, as text (or floats) on a later day ---------------


def _coded_log(seed, n=120):
    rng = np.random.default_rng(seed)
    users = np.repeat(np.arange(n), 12)
    return pd.DataFrame(
        {
            "user_id": users,
            "ev": rng.choice([5, 22, 9, 11], size=users.size, p=[0.6, 0.2, 0.15, 0.05]),
            "timestamp": 1_511_539_000 + np.arange(users.size) * 37,
        }
    )


@pytest.mark.parametrize("later_kind", ["text", "float", "text at fit"])
def test_event_types_read_as_the_fitted_kind(later_kind):
    # Template ids fitted as numbers (5, 22) and scored as text ("5", from JSON strings
    # or a column read as str): every event was a type the model never saw (count[<other>]
    # 1,000 of 1,000) without a word; as floats (5.0, a column with a gap) the scores
    # were right but a warning said "100% ... event types the model never saw ... renamed,
    # recoded". The stream compares such labels as numbers; scoring now does too.
    roles = dict(entity="user_id", event="ev", time="timestamp")
    first, later = _coded_log(1), _coded_log(2)
    if later_kind == "text at fit":
        first = first.assign(ev=first["ev"].astype(str))
        given = later
        expected_later = later.assign(ev=later["ev"].astype(str))
    else:
        given = later.assign(ev=later["ev"].astype(str if later_kind == "text" else float))
        expected_later = later
    pipe = oddseq.AnomalyPipeline(random_state=0).fit(Sequences.from_events(first, **roles))
    want = pipe.score(Sequences.from_events(expected_later, **roles))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = pipe.score(Sequences.from_events(given, **roles))
    pd.testing.assert_frame_equal(got, want)


def test_the_stream_reads_numbers_as_the_fitted_text_event_types():
    # A model fitted on event types written as text ("5", "22": JSON strings) streamed a
    # DataFrame whose column holds them as numbers: every event was a type never seen
    # (100% of the entities flagged), as scoring did before a9d3e8e.
    from oddseq.stream import StreamScorer

    roles = dict(entity="user_id", event="ev", time="timestamp")
    log = _coded_log(3).assign(ev=lambda d: d["ev"].astype(str))
    pipe = oddseq.AnomalyPipeline(random_state=0).fit(Sequences.from_events(log, **roles))
    want = StreamScorer(pipe, **roles).update(log).scores
    for given in (log.assign(ev=log["ev"].astype(int)), log.assign(ev=log["ev"].astype(float))):
        got = StreamScorer(pipe, **roles).update(given).scores
        pd.testing.assert_frame_equal(got, want)
    one, text = StreamScorer(pipe, **roles), StreamScorer(pipe, **roles)
    for row in log.head(200).itertuples(index=False):
        a = one.update_one(row.user_id, int(row.ev), row.timestamp)
        b = text.update_one(row.user_id, row.ev, row.timestamp)
        assert a.score == b.score or (np.isnan(a.score) and np.isnan(b.score))


# --- a later day whose value or item column came empty ---------------------------------


def test_a_later_day_with_its_values_or_items_missing_says_so(days):
    # An export that lost its prices: 92% of a later day flagged, the reasons saying
    # "largest value 0 (log-scale average 249)", and the share alarm pointing at "the
    # other warnings" while none said what moved.
    first, later = days
    roles = dict(ROLES, item="item_id", value="price")
    pipe = oddseq.AnomalyPipeline(random_state=0).fit(Sequences.from_events(first, **roles))
    for column, said in (("price", "no value"), ("item_id", "no item")):
        gone = later.assign(**{column: np.nan})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pipe.score(Sequences.from_events(gone, **roles))
        texts = [str(w.message) for w in caught]
        assert any(f"100% of the scored events have {said}" in t for t in texts), texts
    # a few missing, as at fit: nothing said of it
    some = later.assign(price=later["price"].where(later.index % 50 != 0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.score(Sequences.from_events(some, **roles))
    assert not any("no value" in str(w.message) for w in caught)
    # a batch of a few entities without prices (missing values cluster by entity, as a
    # channel that sends none): too few to judge the column by (a property test's batch of
    # one user warned)
    few = later[later["user_id"].isin(later["user_id"].unique()[:10])]
    gone_few = few.assign(price=np.nan)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.score(Sequences.from_events(gone_few, **roles))
    assert not any("no value" in str(w.message) for w in caught)


def test_a_byte_order_mark_that_arrives_alone_is_not_the_end_of_the_input():
    """The stream's reader drops a UTF-8 byte-order mark and reads on where the mark comes
    as a read of its own, whole or in pieces (a writer that flushes it first): an emptied
    read is no end of the input (it ended the stream at once, silently, 0 lines read)."""
    import os

    from oddseq.stream._cli import _Lines

    for pieces in ([b"\xef\xbb\xbf"], [b"\xef", b"\xbb\xbf"]):
        read_end, write_end = os.pipe()
        try:
            lines, got = _Lines(read_end), []
            for piece in [*pieces, b"user,event\n", b"1,pv\n"]:
                os.write(write_end, piece)
                got += lines.read(1.0)
                assert not lines.eof
            os.close(write_end)
            write_end = None
            while not lines.eof:
                got += lines.read(1.0)
            assert got == [b"user,event", b"1,pv"]
        finally:
            os.close(read_end)
            if write_end is not None:
                os.close(write_end)


def test_series_of_row_numbers_are_paired_by_position_not_as_ids():
    """Labels and scores are paired by id only where both are indexed by ids of one name
    (make_ecommerce's labels and a ranked table: user_id); a Series of row numbers (a
    RangeIndex, or a sorted frame's original row numbers) is paired by position, as
    scikit-learn pairs it: pairing row numbers as ids gave another row's label to each
    score (ROC-AUC 1.0 -> 0.56, silently)."""
    from oddseq.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"user": rng.permutation(200), "label": rng.random(200) < 0.2})
    ordered = frame.sort_values("user")  # index: the original row numbers, permuted
    scores = pd.Series(ordered["label"].to_numpy() + rng.random(200) * 0.5)  # RangeIndex
    assert roc_auc_score(ordered["label"], scores) == 1.0
    named = pd.Series(scores.to_numpy(), index=pd.Index(ordered["user"], name="user_id"))
    labels = pd.Series(ordered["label"].to_numpy(), index=named.index).sort_index()
    assert roc_auc_score(labels, named) == 1.0  # the same ids in another order: by id
