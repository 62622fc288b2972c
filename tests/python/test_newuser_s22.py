"""An analyst's runs of a model after its fit (session 22, H2): explained on the fitted
log and on later days, scored and saved in the shell. Each case is one a user met and
the package got wrong (a sentence that is not true of the day, a warning about nothing,
advice naming the wrong field, a count not said, a path not read)."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp")
ITEM_ROLES = dict(ROLES, item="item_id")


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a later day's span warning: a shorter window
        return call(*args, **kwargs)


# --- the group sentence only where the sequences are the group stage's ----------------


@pytest.fixture(scope="module")
def grouped():
    """A log whose group stage finds groups (two of 7 users in lockstep), its table and
    pipeline, and a later day: its last two days."""
    log = make_ecommerce(2000, random_state=193).events
    table, pipe = oddseq.detect_anomalies(log, **ITEM_ROLES, return_pipeline=True)
    later = log[log["timestamp"] > log["timestamp"].max() - 2 * 86_400]
    return log, table, pipe, later


def _starts_reasons(table, said: dict, ids) -> bool:
    """Whether each of ``ids`` has a group sentence in ``said`` (id -> group_reason)
    and its reason in ``table`` starts with it."""
    return all(said[i] and str(table.loc[i, "reason"]).startswith(said[i]) for i in ids)


def _group_said(explained) -> dict:
    """Each explained id's group_reason (one per id: its rows say the same)."""
    said = explained["group_reason"]
    return dict(zip(said.index.droplevel(-1), said))


def test_explaining_a_later_days_sequences_gives_no_group_sentence_of_the_fit(grouped):
    # explain(later_seqs, ids), the form the docstring advises for a later day (and the
    # only one for markov), gave a member of a fitted group "one of 7 entities (group 0)
    # that acted in lockstep on objects 67963, ..." while score(later_seqs) had no group
    # and its reason did not start with it.
    log, table, pipe, later = grouped
    members = list(table.index[table["group"] >= 0])
    later_seqs = Sequences.from_events(later, **ITEM_ROLES)
    scored = _quiet(pipe.score, later_seqs)
    seen = [m for m in members if m in scored.index]
    assert seen
    assert "group" not in scored.columns
    said = _quiet(pipe.explain, later_seqs, seen)["group_reason"]
    assert (said == "").all(), said.unique()[:2]
    # The fitted log's own sequences keep the sentence their table's reason starts with.
    fitted = pipe.explain(Sequences.from_events(log, **ITEM_ROLES), members)
    assert _starts_reasons(table, _group_said(fitted), members)


def test_a_loaded_model_tells_the_fitted_sequences_from_a_later_days(grouped, tmp_path):
    log, table, pipe, later = grouped
    members = list(table.index[table["group"] >= 0])
    loaded = oddseq.load(pipe.save(tmp_path / "m.oddseq"))
    fitted = loaded.explain(Sequences.from_events(log, **ITEM_ROLES), members)
    assert _starts_reasons(table, _group_said(fitted), members)
    later_seqs = Sequences.from_events(later, **ITEM_ROLES)
    seen = [m for m in members if m in later_seqs.ids]
    said = _quiet(loaded.explain, later_seqs, seen)["group_reason"]
    assert (said == "").all()


def test_a_member_of_a_scored_log_with_a_normal_one_is_explained_with_its_group(grouped):
    # detect_anomalies(day, normal=normal_log, item=...) flags the day's groups; the
    # table's reason starts with the sentence, but explain(ids) gave "" (the day's rows
    # are a score's, not the fit's).
    log, _, _, _ = grouped
    normal = log[log["timestamp"] < log["timestamp"].min() + 3 * 86_400]
    table, pipe = _quiet(
        oddseq.detect_anomalies, log, normal=normal, **ITEM_ROLES, return_pipeline=True
    )
    members = list(table.index[table["group"] >= 0])
    assert members
    assert _starts_reasons(table, _group_said(pipe.explain(members)), members)
    seqs = Sequences.from_events(log, **ITEM_ROLES)
    assert _starts_reasons(table, _group_said(pipe.explain(seqs, members)), members)


def test_a_session_of_a_group_member_is_explained_with_its_group(grouped):
    # detect_anomalies(..., session_gap="1h", item=...) gives each session of a member
    # its entity's group (the reason starts with the sentence); explain gave "".
    log, _, _, later = grouped
    table, pipe = oddseq.detect_anomalies(log, **ITEM_ROLES, session_gap="1h", return_pipeline=True)
    members = list(table.index[table["group"] >= 0][:6])
    assert members
    assert _starts_reasons(table, _group_said(pipe.explain(members)), members)
    seqs = Sequences.from_events(log, **ITEM_ROLES, session_gap="1h")
    assert _starts_reasons(table, _group_said(pipe.explain(seqs, members)), members)
    later_seqs = Sequences.from_events(later, **ITEM_ROLES, session_gap="1h")
    seen = [s for s in later_seqs.ids if s[0] in {m[0] for m in members}][:6]
    assert seen
    assert (_quiet(pipe.explain, later_seqs, seen)["group_reason"] == "").all()


# --- the side-table warning on the fitted log ------------------------------------------


def test_explaining_the_fitted_log_of_a_model_with_a_side_table_says_nothing():
    # explain(seqs, ids) of the fitted log's own sequences right after
    # detect_anomalies(..., entity_features=side, return_pipeline=True) warned "this
    # model was fitted with entity_features, and scores with the table given at fit
    # ...; pass the current one": the table given at fit is this log's (an error under
    # filterwarnings=error).
    log = make_ecommerce(400, random_state=198).events
    ids = pd.Index(log["user_id"].unique(), name="user_id")
    side = pd.DataFrame({"devices": np.random.default_rng(0).integers(1, 4, len(ids))}, index=ids)
    table, pipe = oddseq.detect_anomalies(log, **ROLES, entity_features=side, return_pipeline=True)
    seqs = Sequences.from_events(log, **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe.explain(seqs, list(table.index[:3]))
        pipe.explain(list(table.index[:3]))
    # A later day's sequences still hear it (once).
    later = log[log["timestamp"] > log["timestamp"].max() - 2 * 86_400]
    later_seqs = Sequences.from_events(later, **ROLES)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        pipe.explain(later_seqs, list(later_seqs.ids[:3]))
    assert any("entity_features" in str(w.message) for w in said)


# --- advice on a column of objects names their key ------------------------------------


def test_a_value_column_of_objects_is_advised_with_their_key(tmp_path, capsys):
    # JSON lines whose price is {"amount": 15.06}: the refusal advised
    # df['price'].str.get('id') ("an object's 'id'"), a key these objects do not have.
    log = make_ecommerce(60, random_state=202).events.head(200)
    rows = log.assign(price=[{"amount": float(p)} for p in log["price"]])
    with pytest.raises(TypeError, match=r"\.str\.get\('amount'\)") as refused:
        Sequences.from_events(rows, **ROLES, value="price")
    assert "'id'" not in str(refused.value)
    ids = log.assign(user_id=[{"uid": int(u)} for u in log["user_id"]])
    with pytest.raises((TypeError, ValueError), match=r"\.str\.get\('uid'\)"):
        Sequences.from_events(ids, **ROLES)
    # a list keeps its first element's advice
    lists = log.assign(price=[[float(p)] for p in log["price"]])
    with pytest.raises(TypeError, match=r"\.str\.get\(0\)"):
        Sequences.from_events(lists, **ROLES, value="price")
    # the shell says the same key
    from oddseq.cli import main

    path = tmp_path / "log.jsonl"
    with open(path, "w") as out:
        for row in rows.to_dict("records"):
            out.write(json.dumps(row) + "\n")
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    out = str(tmp_path / "t.csv")
    assert main(["detect", str(path), *roles, "--value", "price", "-o", out]) == 2
    said = capsys.readouterr().err
    assert "'amount'" in said.split("such as", 1)[1].split(")", 1)[1], said
    assert "'id'" not in said, said


# --- a later day's unseen event types named in the reason ------------------------------


def test_a_reason_names_the_event_types_not_seen_in_fitting():
    # A later day with 'refund' events (a type the fit never saw): each reason said
    # "count[<other>] 18 (entities like it have 0; event types not seen in fitting)",
    # not which.
    log = make_ecommerce(300, random_state=202).events
    pipe = oddseq.AnomalyPipeline(random_state=0).fit(Sequences.from_events(log, **ROLES))
    users = log["user_id"].unique()[:5]
    refunds = log[log["user_id"].isin(users)].assign(behavior="refund")
    chargebacks = log[log["user_id"] == users[0]].head(3).assign(behavior="chargeback")
    later = pd.concat([log, refunds, refunds, chargebacks]).sort_values("timestamp", kind="stable")
    table = _quiet(pipe.score, Sequences.from_events(later, **ROLES))
    reasons = table.loc[users, "reason"].astype(str)
    said = reasons[reasons.str.contains("not seen in fitting")]
    assert len(said)
    for user, reason in said.items():
        assert "not seen in fitting: 'refund'" in reason, reason
        assert ("'chargeback'" in reason) == (user == users[0]), reason


# --- the shell's summary says the entities --min-events left out ----------------------


def test_the_summary_line_says_the_entities_min_events_left_out(tmp_path, capsys):
    # oddseq fit --min-events 5 then oddseq score: "482 scored, 12 flagged; table
    # written to ..." of a file of 500 users (18 short ones absent, not said).
    from oddseq.cli import main

    log = make_ecommerce(300, random_state=203).events
    short = log["user_id"].value_counts()
    n_short = int((short < 5).sum())
    assert n_short > 0
    log.to_csv(tmp_path / "log.csv", index=False)
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    model = str(tmp_path / "m.oddseq")
    assert (
        main(["fit", str(tmp_path / "log.csv"), *roles, "--min-events", "5", "--save", model]) == 0
    )
    capsys.readouterr()
    out = str(tmp_path / "t.csv")
    assert main(["score", str(tmp_path / "log.csv"), *roles, "--model", model, "-o", out]) == 0
    line = capsys.readouterr().out
    n = len(pd.read_csv(out))
    assert f"{n:,} scored ({n_short:,} with fewer than 5 events left out" in line, line
    assert (
        main(
            ["detect", str(tmp_path / "log.csv"), *roles, "--min-events", "5", "-o", out, "--force"]
        )
        == 0
    )
    line = capsys.readouterr().out
    assert f"({n_short:,} with fewer than 5 events left out" in line, line


# --- "~" in a model's path ------------------------------------------------------------


def test_a_model_path_with_a_tilde_is_the_home_folders(tmp_path, monkeypatch, capsys):
    # pipe.save("~/m.oddseq") said "the folder ~ does not exist" (pandas reads
    # "~/log.csv" in the home folder); oddseq.load("~/m.oddseq") and the shell's
    # --model '~/m.oddseq', --save, -o and the log file itself (quoted, or after "=",
    # the shell leaves "~" as it is) did not find it either.
    from oddseq.cli import main

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    log = make_ecommerce(100, random_state=204).events
    pipe = oddseq.AnomalyPipeline(random_state=0).fit(Sequences.from_events(log, **ROLES))
    pipe.save("~/m.oddseq")
    assert (home / "m.oddseq").exists()
    assert isinstance(oddseq.load("~/m.oddseq"), oddseq.AnomalyPipeline)
    log.to_csv(home / "log.csv", index=False)
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    assert main(["fit", "~/log.csv", *roles, "--save", "~/shell.oddseq"]) == 0
    assert (home / "shell.oddseq").exists()
    assert main(["score", "~/log.csv", *roles, "--model", "~/shell.oddseq", "-o", "~/t.csv"]) == 0
    assert len(pd.read_csv(home / "t.csv")) == log["user_id"].nunique()
    assert str(home / "t.csv") in capsys.readouterr().out


def test_a_count_of_none_is_no_reason_beside_most_entities_have_none():
    """A reason never reads "count[b] 0 (most entities have none)": the words say the
    entity is ordinary there (H6's s22 hunt: BGL by node, 710 of 1,777 reasons, "count[E67]
    0 (most entities have none)"). PCA T^2's mean of a type a fifth to a third of the
    entities have lies above 0, so a 0 raised the score, but the reason says the mean as
    "most entities have none": the reason takes the next feature that reads otherwise."""
    rng = np.random.default_rng(5)
    rows = []
    for u in range(2000):
        for k in range(1 if rng.random() < 0.9 else int(rng.integers(2, 4))):
            kind = rng.choice(["a", "b", "c", "d"], p=[0.3, 0.3, 0.2, 0.2])
            rows.append((u, kind, 1_600_000_000 + u * 10 + k))
    rows += [(u, "rare", 1_600_000_000 + u * 10) for u in range(2000, 2010)]
    log = pd.DataFrame(rows, columns=["node", "event", "t"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one-event entities: the log's own warning
        table = oddseq.detect_anomalies(log, entity="node", event="event", time="t")
    said = table["reason"].str.contains(r"\] 0 \(most (?:normal )?entities have none\)")
    assert not said.any(), table.loc[said, "reason"].head(3).tolist()
    assert table.loc[2000, "reason"].startswith("count[rare] 1 (most entities have none)")


def test_series_indexed_alike_by_other_ids_are_not_paired_by_position():
    """Labels and scores both indexed by 'user_id': ids read as text on one side ("1000"
    beside 1000) are paired as one id; other ids are refused, naming both fixes (H6's s22
    hunt: paired by position, ROC AUC 0.43 where the ids give 0.74, silently)."""
    from oddseq.metrics import roc_auc_score

    rng = np.random.default_rng(205)
    ids = pd.Index(np.arange(1000, 1200), name="user_id")
    labels = pd.Series(rng.random(200) < 0.2, index=ids)
    scores = pd.Series(labels.to_numpy() + rng.normal(0, 0.8, 200), index=ids)
    want = roc_auc_score(labels, scores)
    shuffled = scores.sample(frac=1.0, random_state=0)
    as_text = shuffled.copy()
    as_text.index = pd.Index(shuffled.index.map(str), name="user_id")
    assert roc_auc_score(labels, as_text) == want
    others = shuffled.copy()
    others.index = pd.Index(shuffled.index + 5_000, name="user_id")
    with pytest.raises(ValueError, match=r"'user_id' hold other ids.*reindex.*to_numpy"):
        roc_auc_score(labels, others)
    # the fixes it names work
    assert roc_auc_score(labels.to_numpy(), others.to_numpy()) == roc_auc_score(
        labels.to_numpy(), shuffled.to_numpy()
    )
