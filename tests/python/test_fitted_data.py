"""Scoring says when the data scored is not what the model was fitted on: its time span,
event types never seen, other column names, far more flagged than promised (session 14,
"yesterday's model on today's log"). Warnings only: scores and flags are unchanged."""

import re
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import AnomalyPipeline, detect_anomalies
from oddseq._fitted_data import share_alarm
from oddseq.cli import main
from oddseq.datasets import make_ecommerce, make_marketplace
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
DAY = 86_400


def sequences(df, **options):
    return Sequences.from_events(df, **{**ROLES, **options})


@pytest.fixture(scope="module")
def logs():
    """(a 9-day shop log, another draw of it, one day of the other draw)."""
    week = make_ecommerce(n_users=400, random_state=1).events
    other = make_ecommerce(n_users=400, random_state=2).events
    start = other["timestamp"].min()
    within = (other["timestamp"] >= start + 4 * DAY) & (other["timestamp"] < start + 5 * DAY)
    return week, other, other[within]


def quiet_score(model, seqs):
    """The table with every warning an error: the check that nothing is said."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return model.score(seqs)


def test_a_week_model_on_a_day_warns_of_the_span_and_changes_nothing(logs, tmp_path):
    week, _, day = logs
    model = AnomalyPipeline().fit(sequences(week))
    with pytest.warns(UserWarning, match="spans 2") as said:
        table = model.score(sequences(day))
    message = str(said[0].message)
    assert "the fitted one 8." in message and "durations are shorter" in message
    assert "Fit on a window as long as the one scored" in message
    # A model saved before the fitted data was recorded loads and skips the check.
    path = model.save(tmp_path / "now.oddseq")
    old = oddseq.load(path)
    assert old._fitted_data["timing"]["span_s"] > 7 * DAY
    del old._fitted_data
    old = oddseq.load(old.save(tmp_path / "before.oddseq"))
    assert not hasattr(old, "_fitted_data")
    again = quiet_score(old, sequences(day))
    pd.testing.assert_frame_equal(again, table)  # the warnings change no score, no flag


def test_a_day_model_on_a_week_warns_of_the_span_and_of_the_share_flagged(logs):
    week, other, _ = logs
    start = week["timestamp"].min()
    one_day = week[(week["timestamp"] >= start + 4 * DAY) & (week["timestamp"] < start + 5 * DAY)]
    model = AnomalyPipeline().fit(sequences(one_day))
    with pytest.warns(UserWarning) as said:
        table = model.score(sequences(other))
    messages = [str(w.message) for w in said]
    assert any("durations are longer" in m for m in messages)
    share = table["is_anomaly"].mean()
    assert share > 0.3
    alarm = [m for m in messages if "expected" in m]
    assert len(alarm) == 1
    expected = max(0.01, model.threshold_info_["share_flagged"])  # the rate, or the fit's
    assert alarm[0].startswith(f"{share:.1%} flagged against {expected:.1%} expected")
    assert "Refit on data like the data scored" in alarm[0]


def _day_and_week_files(logs, tmp_path):
    """day.csv (one day of the first week) and week.csv (another draw's week) in
    ``tmp_path``; the shell's role options."""
    week, other, _ = logs
    start = week["timestamp"].min()
    one_day = week[(week["timestamp"] >= start + 4 * DAY) & (week["timestamp"] < start + 5 * DAY)]
    one_day.to_csv(tmp_path / "day.csv", index=False)
    other.to_csv(tmp_path / "week.csv", index=False)
    return ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


def test_the_shell_summary_names_the_share_expected(logs, tmp_path, capsys):
    shell = _day_and_week_files(logs, tmp_path)
    model_file = str(tmp_path / "day.oddseq")
    assert main(["fit", str(tmp_path / "day.csv"), *shell, "--save", model_file]) == 0
    capsys.readouterr()
    out = str(tmp_path / "scored.csv")
    assert (
        main(["score", str(tmp_path / "week.csv"), "--model", model_file, *shell, "-o", out]) == 0
    )
    said = capsys.readouterr()
    assert "oddseq score: warning: the scored log spans" in said.err
    assert "% expected (" in said.err
    summary = said.out.strip().splitlines()[-1]
    assert re.search(
        r"flagged \(\d+\.\d% against \d\.\d% expected: the data may have moved", summary
    )
    assert "table written to" in summary


def test_alike_data_and_sessions_are_scored_without_a_word(logs):
    week, other, day = logs
    quiet_score(AnomalyPipeline().fit(sequences(week)), sequences(other))
    # Sessions last what they last, whatever the window: a week of sessions scores a day
    # of them without the span's warning (their durations did not move).
    gap = dict(session_gap="30min")
    quiet_score(AnomalyPipeline().fit(sequences(week, **gap)), sequences(day, **gap))


def _shop_normal_only(make, seed):
    """As benchmarks/verdicts.py's normal mode: fitted on half the normal users, scoring
    the other half and every anomalous one."""
    bunch = make(n_users=1000, random_state=seed)
    roles = getattr(bunch, "roles", None) or dict(ROLES, value="price")
    seqs = Sequences.from_events(bunch.events, **roles)
    y = bunch.labels.reindex(seqs.ids).to_numpy().astype(int)
    normal_rows = np.flatnonzero(y == 0)
    fit_rows = np.sort(
        np.random.default_rng(seed).choice(normal_rows, len(normal_rows) // 2, replace=False)
    )
    judged = np.setdiff1d(np.arange(len(seqs)), fit_rows)
    return seqs.take(fit_rows), seqs.take(judged), y[judged]


@pytest.mark.parametrize("make", [make_ecommerce, make_marketplace])
def test_normal_only_scoring_of_a_log_with_anomalies_raises_no_alarm(make):
    fit, judged, y = _shop_normal_only(make, 91)
    model = AnomalyPipeline(random_state=91).fit(fit, normal=True)
    table = quiet_score(model, judged)
    # more flagged than the rate, as it should be: the log holds anomalies
    assert table["is_anomaly"].mean() > model.threshold_info_["false_alarm_rate"]
    assert y.mean() > 0.02


def _hdfs_lists(path):
    rows = (line.split(",", 1)[-1].split() for line in path.read_text().splitlines())
    return [row for row in rows if row]


@pytest.mark.skipif(not (DATA / "hdfs_xu").is_dir(), reason="../shared/data/hdfs_xu is not here")
def test_hdfs_normal_only_at_the_logs_prevalence_raises_no_alarm():
    normal = _hdfs_lists(DATA / "hdfs_xu" / "hdfs_train")
    anomalous = _hdfs_lists(DATA / "hdfs_xu" / "hdfs_test_abnormal")
    order = np.random.default_rng(91).permutation(len(normal))
    fit = [normal[i] for i in order[:1000]]
    held = [normal[i] for i in order[1000:]]
    n_mix = int(round(0.03 * len(held) / 0.97))
    pick = np.random.default_rng(0).choice(len(anomalous), n_mix, replace=False)
    scored = Sequences.from_lists(held + [anomalous[i] for i in pick])
    model = AnomalyPipeline(random_state=91).fit(Sequences.from_lists(fit), normal=True)
    table = quiet_score(model, scored)
    assert table["is_anomaly"].mean() > 0.02  # the anomalies flagged, no alarm


TAOBAO = DATA / "taobao_userbehavior_head" / "UserBehavior_head.csv"


@pytest.mark.skipif(
    not TAOBAO.is_file(), reason="../shared/data/taobao_userbehavior_head is not here"
)
def test_taobao_week_model_on_a_day_warns_of_span_and_share():
    """H2's case (docs/real-logs.md): a model fitted on 25 Nov - 2 Dec flagged 17% of
    the users of 3 Dec, silently."""
    names = ["user_id", "item_id", "category_id", "behavior_type", "timestamp"]
    log = pd.read_csv(TAOBAO, header=None, names=names)
    cut = 1512230400  # 2017-12-03 00:00 Asia/Shanghai
    roles = dict(entity="user_id", event="behavior_type", time="timestamp", item="item_id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # two stray events of 2 users
        week, day = (
            Sequences.from_events(part, **roles)
            for part in (log[log.timestamp < cut], log[log.timestamp >= cut])
        )
        model = AnomalyPipeline().fit(week)
    with pytest.warns(UserWarning) as said:
        table = model.score(day)
    messages = [str(w.message) for w in said]
    assert any("durations are shorter" in m for m in messages)
    assert any("flagged against" in m for m in messages)
    assert table["is_anomaly"].mean() > 0.1


def test_share_alarm_tells_a_moved_bulk_from_a_tail_of_anomalies():
    rng = np.random.default_rng(0)
    model = SimpleNamespace(
        threshold_info_={"false_alarm_rate": 0.01, "share_flagged": 0.012},
        reference_scores_=rng.normal(size=2000),
    )
    cut = np.quantile(model.reference_scores_, 0.99)
    # a tail of anomalies, 20% of the log: flags far above the rate, the bulk in place
    alike = np.r_[rng.normal(size=800), rng.normal(6, 1, size=200)]
    assert share_alarm(model, alike, alike > cut) is None
    # the bulk moved: everyone a unit higher
    moved = rng.normal(1.5, 1, size=1000)
    said = share_alarm(model, moved, moved > cut)
    assert said is not None and said.startswith(f"{np.mean(moved > cut):.1%} flagged against 1.2%")
    # too few to tell at the level (1e-6): 15 entities all above the median
    few = rng.normal(3, 0.1, size=15)
    assert share_alarm(model, few, few > cut) is None
    # a model that records no reference (none) says nothing
    assert share_alarm(SimpleNamespace(threshold_info_={}), moved, moved > cut) is None


def test_event_types_never_seen_are_warned_about_with_the_likely_cause(logs):
    week, other, _ = logs
    model = AnomalyPipeline().fit(sequences(week))
    renamed = other.assign(behavior=other["behavior"].astype(str).replace({"pv": "view"}))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        model.score(sequences(renamed))
    messages = [str(w.message) for w in said]
    assert len(messages) == 2 and "flagged against" in messages[1]  # and the alarm
    message = messages[0]
    assert "(view;" in message and "it knows" in message and "pv" in message
    assert "renamed" in message and "'behavior' at fit" in message
    # a new type on a few events is novelty, not a changed log: nothing said
    few = other.assign(behavior=other["behavior"].astype(str))
    rows = few.sample(frac=0.02, random_state=0).index
    few.loc[rows, "behavior"] = "share"
    quiet_score(model, sequences(few))


def test_other_column_names_are_named_not_refused(logs):
    week, other, _ = logs
    model = AnomalyPipeline().fit(sequences(week))
    renamed = other.rename(columns={"user_id": "customer"})
    with pytest.warns(UserWarning, match="entity 'customer' \\(fitted: 'user_id'\\)") as said:
        table = model.score(sequences(renamed, entity="customer"))
    assert len(table) == other["user_id"].nunique()
    assert "A renamed column is fine" in str(said[0].message)
    swapped = dict(entity="item_id", item="user_id")
    with pytest.warns(
        UserWarning, match="entity 'item_id' \\(fitted: 'user_id'\\); item 'user_id'"
    ):
        model.score(sequences(other, **swapped))


@pytest.fixture(scope="module")
def stray_log():
    """A shop log with one event of one user 200 days before the rest."""
    log = make_ecommerce(n_users=200, random_state=3).events.copy()
    log.loc[log.index[0], "timestamp"] -= 200 * DAY
    return log


def test_fit_and_score_warn_of_events_outside_the_time_window(stray_log, logs):
    outside = "outside the log's main time window"
    with pytest.warns(DataWarning, match=outside):
        model = AnomalyPipeline().fit(sequences(stray_log))
    with pytest.warns(DataWarning, match=outside):
        model.score(sequences(stray_log))
    # detect_anomalies checks the log once (with the DataFrame), not again in fit
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        detect_anomalies(stray_log, **ROLES, groups=False)
    assert sum(outside in str(w.message) for w in said) == 1


def test_the_fit_command_warns_of_the_window_and_words_normal_data(stray_log, tmp_path, capsys):
    stray_log.to_csv(tmp_path / "log.csv", index=False)
    shell = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    model_file = str(tmp_path / "m.oddseq")
    assert main(["fit", str(tmp_path / "log.csv"), *shell, "--save", model_file]) == 0
    said = capsys.readouterr()
    assert "oddseq fit: warning: 1 event of 1 entity lies outside" in said.err
    assert "flagged" in said.out  # unsupervised: its flags
    log = make_ecommerce(n_users=300, random_state=4).events
    log.to_csv(tmp_path / "normal.csv", index=False)
    normal_file = str(tmp_path / "normal.oddseq")
    assert (
        main(["fit", str(tmp_path / "normal.csv"), *shell, "--normal", "--save", normal_file]) == 0
    )
    out = capsys.readouterr().out
    assert "flagged" not in out
    assert "of the normal data lie beyond the cut: the false-alarm rate, 0.005; threshold" in out


def test_a_dask_fitted_pipeline_warns_of_event_types_never_seen():
    """oddseq.dask records the fitted event types (from its partitions' summary), so its
    pipeline's score() warns of a renamed event as one machine's does; and the time span
    and durations from its partitions, as one machine records them."""
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies as dask_detect

    log = make_ecommerce(n_users=200, random_state=6).events.copy()
    log["behavior"] = log["behavior"].astype(str)
    columns = dict(entity="user_id", event="behavior", time="timestamp")
    with dask.config.set(scheduler="sync"):
        _, pipe = dask_detect(dd.from_pandas(log, npartitions=3), **columns, return_pipeline=True)
    assert list(pipe._fitted_data["event_types"]) == ["buy", "cart", "fav", "pv"]
    one = AnomalyPipeline().fit(Sequences.from_events(log, **columns))._fitted_data["timing"]
    assert pipe._fitted_data["timing"] == pytest.approx(one, rel=1e-9)
    renamed = log.assign(behavior=log["behavior"].replace({"pv": "view"}))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        pipe.score(Sequences.from_events(renamed, **columns))
    assert any("have event types the model never saw (view;" in str(w.message) for w in said)
    quiet_score(pipe, Sequences.from_events(log, **columns))


def test_a_log_of_many_event_types_keeps_the_model_small_and_still_sees_new_ones(tmp_path):
    # URL-like event types: a model must not carry every type it met (50,000 types made a
    # 4 MB model), yet a log whose types are all new must still be told.
    rng = np.random.default_rng(3)
    n = 60_000
    frame = pd.DataFrame(
        {
            "user": rng.integers(0, 600, n),
            "event": [f"/page/{k}" for k in rng.zipf(1.3, n) % 40_000],
            "time": np.sort(rng.integers(1_600_000_000, 1_600_000_000 + 86_400, n)),
        }
    )
    seqs = Sequences.from_events(frame, entity="user", event="event", time="time")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline().fit(seqs)
    path = tmp_path / "m.oddseq"
    pipe.save(path)
    n_types = len(seqs.event_labels)
    assert n_types > 5_000
    fitted = pipe._fitted_data
    assert len(fitted["event_types"]) <= 1_000 and fitted["n_event_types"] == n_types
    counts = [e for _, e in pipe.encoder_.encoders_ if getattr(e, "pooled_", False)][0]
    assert len(counts.pooled_labels_) <= 5 and counts.n_pooled_ == n_types - 30
    assert path.stat().st_size < 1_000_000
    # the same log scored: no word, though most types lie outside the recorded ones
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe.score(seqs)
    # every type renamed: told
    renamed = frame.assign(event="/v2" + frame["event"])
    new = Sequences.from_events(renamed, entity="user", event="event", time="time")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.score(new)  # (the share-flagged alarm rings too: all 600 flagged)
    assert any("never saw or saw rarely" in str(w.message) for w in caught)
    table = pipe.score(seqs)
    assert any("rarer event types pooled" in r for r in table["reason"])


def test_detect_normal_summary_says_the_share_alarm(logs, tmp_path, capsys):
    """oddseq detect --normal warns of the share alarm (the score of FILE with the model
    fitted on --normal); its summary line says it too, as oddseq score's does."""
    week, other, _ = logs
    shell = _day_and_week_files(logs, tmp_path)
    out = str(tmp_path / "ranked.csv")
    args = ["detect", str(tmp_path / "week.csv"), *shell, "--normal", str(tmp_path / "day.csv")]
    assert main([*args, "--no-groups", "-o", out]) == 0
    said = capsys.readouterr()
    assert "% expected (" in said.err  # the warning
    summary = said.out.strip().splitlines()[-1]
    assert re.search(
        r"flagged \(\d+\.\d% against \d\.\d% expected: the data may have moved", summary
    ), summary
    assert "table written to" in summary
    # alike data: a normal log like the one ranked says nothing beside the count
    other.to_csv(tmp_path / "other.csv", index=False)
    week.to_csv(tmp_path / "week1.csv", index=False)
    args = ["detect", str(tmp_path / "other.csv"), *shell, "--normal", str(tmp_path / "week1.csv")]
    assert main([*args, "--no-groups", "-o", str(tmp_path / "alike.csv")]) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert "expected" not in summary and "table written to" in summary
