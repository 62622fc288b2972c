import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import oddseq
from oddseq import _reasons
from oddseq._pipeline import METHODS, AnomalyPipeline
from oddseq.datasets import make_ecommerce, make_marketplace
from oddseq.detect import MarkovDetector, separate_tail
from oddseq.exceptions import DataWarning, NotFittedError
from oddseq.metrics import roc_auc_score
from oddseq.sequences import Sequences


@pytest.fixture(scope="module")
def shop():
    bunch = make_ecommerce(n_users=1500, random_state=4)
    seqs = Sequences.from_events(
        bunch.events,
        entity="user_id",
        event="behavior",
        time="timestamp",
        item="item_id",
        value="price",
    )
    return bunch, seqs


@pytest.mark.parametrize("method", METHODS)
def test_every_method_ranks_and_explains(shop, method):
    bunch, seqs = shop
    pipe = AnomalyPipeline(method=method).fit(seqs)
    table = pipe.table_
    assert list(table.columns) == ["score", "rank", "is_anomaly", "p_normal", "cluster", "reason"]
    assert table["rank"].tolist() == list(range(1, len(seqs) + 1))
    assert table["score"].is_monotonic_decreasing
    assert (table["reason"].str.len() > 0).all()
    y = bunch.labels.reindex(table.index).to_numpy()
    assert roc_auc_score(y, table["score"].to_numpy()) > 0.7
    # Scoring the training sequences again uses the same model. Neighbour-based scores
    # differ by design (a training row scored as new data is its own nearest
    # neighbour), so there only the ranking is compared.
    again = pipe.score(seqs).reindex(table.index)["score"].to_numpy()
    if method in ("knn", "lof", "dbscan", "auto"):
        assert np.corrcoef(again, table["score"].to_numpy())[0, 1] > 0.8
    else:
        np.testing.assert_allclose(again, table["score"].to_numpy(), rtol=1e-6, atol=1e-9)


def test_detect_anomalies_returns_the_pipeline(shop):
    bunch, _ = shop
    table, pipe = oddseq.detect_anomalies(
        bunch.events, "user_id", "behavior", "timestamp", return_pipeline=True
    )
    assert isinstance(pipe, AnomalyPipeline)
    new = make_ecommerce(n_users=200, random_state=9).events
    seqs = Sequences.from_events(new, entity="user_id", event="behavior", time="timestamp")
    scored = pipe.score(seqs)
    assert len(scored) == 200 and scored["is_anomaly"].dtype == bool
    assert (scored["is_anomaly"] == (scored["score"] > pipe.threshold_)).all()
    default = oddseq.detect_anomalies(bunch.events, "user_id", "behavior", "timestamp")
    pd.testing.assert_frame_equal(default, table)


def test_fixed_contamination_flags_that_share(shop):
    _, seqs = shop
    table = AnomalyPipeline(method="kmeans", contamination=0.05).fit(seqs).table_
    assert table["is_anomaly"].mean() == pytest.approx(0.05, abs=0.005)


def test_bad_input(shop):
    _, seqs = shop
    with pytest.raises(ValueError, match="method must be one of"):
        AnomalyPipeline(method="forest").fit(seqs)
    with pytest.raises(TypeError, match="Sequences"):
        AnomalyPipeline().fit(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="contamination"):
        AnomalyPipeline(contamination=0.7).fit(seqs)
    with pytest.raises(NotFittedError):
        AnomalyPipeline().score(seqs)
    with pytest.raises(ValueError, match="at least 2"):
        AnomalyPipeline().fit(seqs[:1])


def test_categories_add_features(shop):
    bunch, _ = shop
    table, pipe = oddseq.detect_anomalies(
        bunch.events,
        "user_id",
        "behavior",
        "timestamp",
        item="item_id",
        category="category_id",
        return_pipeline=True,
    )
    assert "n_categories" in pipe.feature_names_
    with pytest.raises(ValueError, match="item column"):
        oddseq.detect_anomalies(
            bunch.events, "user_id", "behavior", "timestamp", category="category_id"
        )
    with pytest.raises(ValueError, match="not in the DataFrame"):
        oddseq.detect_anomalies(
            bunch.events, "user_id", "behavior", "timestamp", item="item_id", category="shelf"
        )


@pytest.mark.parametrize("method", ["auto", "markov"])
def test_events_never_seen_in_fit_are_scored(shop, method):
    bunch, seqs = shop
    pipe = AnomalyPipeline(method=method).fit(seqs)
    # whole users, over the whole span fitted on (not the log's first hours)
    new = bunch.events[bunch.events["user_id"].isin(bunch.events["user_id"].unique()[:150])]
    new = new.copy()
    new["behavior"] = new["behavior"].astype(str)
    new.loc[new.index[:40], "behavior"] = "refund"
    fresh = Sequences.from_events(
        new, entity="user_id", event="behavior", time="timestamp", item="item_id", value="price"
    )
    table = pipe.score(fresh)
    assert len(table) == len(fresh) and np.isfinite(table["score"]).all()


@pytest.mark.parametrize("generator", [make_ecommerce, make_marketplace])
@pytest.mark.parametrize("normal", [False, True])
@pytest.mark.filterwarnings("ignore:normal=True, but the data does not look normal")
def test_markov_is_the_detector_behind_the_sequence_stage(generator, normal):
    # method="markov" is MarkovDetector on the sequences with the pipeline's cut and
    # the step reasons (what _markov_table wrote before the input stages), fit and score.
    log = generator(n_users=300, random_state=11).events
    event = "behavior" if "behavior" in log else "event"
    seqs = Sequences.from_events(log, entity="user_id", event=event, time="timestamp")
    pipe = AnomalyPipeline(method="markov").fit(seqs[:220], normal=normal)
    alone = MarkovDetector().fit(seqs[:220])
    new = seqs[220:]
    for table, part, scores in (
        (pipe.table_, seqs[:220], alone.decision_scores_),
        (pipe.score(new), new, alone.decision_function(new)),
    ):
        steps = alone.explain(part, top=_reasons.TABLE_STEPS)
        expected = pd.DataFrame(
            {
                "score": scores,
                "is_anomaly": scores > pipe.threshold_,
                "p_normal": pipe.p_normal(scores),
                "cluster": np.full(len(part), -1, dtype=np.int32),
                "reason": _reasons.step_reasons(steps, part.ids, part.lengths, part),
            },
            index=part.ids,
        ).sort_values("score", ascending=False, kind="stable")
        expected.insert(1, "rank", np.arange(1, len(part) + 1))
        pd.testing.assert_frame_equal(table, expected)


@pytest.mark.filterwarnings("ignore:only 60 sequences for the automatic cut:UserWarning")
def test_a_markov_pipeline_saved_by_0_1_0_loads_and_scores_as_a_fresh_fit():
    # Written by oddseq 0.1.0 before Markov moved behind the input stages (80 users of
    # make_ecommerce(random_state=5), fitted on the first 60).
    path = Path(__file__).with_name("data") / "markov_pipeline_0.1.0.oddseq"
    if oddseq.__version__.split(".")[:2] != ["0", "1"]:
        pytest.skip("a model file is read only by its own release series")
    log = make_ecommerce(n_users=80, random_state=5).events
    seqs = Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
    loaded = oddseq.load(path)
    fresh = AnomalyPipeline(method="markov").fit(seqs[:60])
    pd.testing.assert_frame_equal(loaded.score(seqs[60:]), fresh.score(seqs[60:]))
    # Its fitted table was saved when a Markov table's cluster column was int64 (one
    # dtype, int32, since the s16 review's L3): the saved table keeps the saved dtype.
    saved = loaded.table_.astype({"cluster": fresh.table_["cluster"].dtype})
    pd.testing.assert_frame_equal(saved.drop(columns="reason"), fresh.table_.drop(columns="reason"))
    # and the words it was saved with, but where that release said one transition twice
    # (now once, with how often: "8 times pv → buy, the least likely p=0.014 ...")
    once = ~fresh.table_["reason"].str.contains(" times ", regex=False)
    # (and where it named a step to the event expected there beside one that is odd: no
    # longer named, trial s40)
    expected = re.compile(r"→ (\S+) p=\S+ \(expected \1\);|; \S+ → (\S+) p=\S+ \(expected \2\)")
    once &= ~saved["reason"].map(lambda reason: expected.search(reason) is not None).astype(bool)
    assert 0 < once.sum() < len(once)
    # (the start and end read "(start)" and "(end)" since s42, apart from events named so)
    words = (
        saved["reason"]
        .str.replace(r"(^|; )start → ", r"\1(start) → ", regex=True)
        .str.replace(r"→ end ", "→ (end) ", regex=False)
        .str.replace("(expected end)", "(expected (end))", regex=False)
    )
    pd.testing.assert_series_equal(words[once], fresh.table_["reason"][once])


def _workflow_sessions(seed=0, n=600):
    """Sessions of a system workflow: eight steps, each with two successors, then close.
    Every step lies within MarkovDetector's top third, so no session has a miss; their
    scores (max surprisal / 100) still spread below one miss."""
    rng = np.random.default_rng(seed)
    successors = [(rng.choice(8, 2, replace=False), rng.uniform(0.55, 0.95)) for _ in range(8)]
    lists = []
    for _ in range(n):
        state, session = 0, ["s0"]
        for _ in range(int(rng.integers(3, 12))):
            (a, b), p = successors[state]
            state = int(a if rng.random() < p else b)
            session.append(f"s{state}")
        lists.append(session + ["close"])
    return lists


def test_markov_pipeline_cuts_with_the_detectors_own_rule():
    """method="markov" cuts the training scores as MarkovDetector's contamination="auto"
    does: the tail cut, never below one miss (DeepLog's rule). Cut by auto_cut alone,
    the pipeline flagged 8.7% of these sessions, none of which has a miss."""
    from oddseq.detect import auto_cut

    seqs = Sequences.from_lists(_workflow_sessions())
    pipe = AnomalyPipeline(method="markov").fit(seqs)
    scores = pipe.detector_.decision_scores_
    assert scores.max() < 1 and (scores > auto_cut(scores)).any()  # the floor binds here
    assert pipe.threshold_ == pipe.detector_.threshold_ == MarkovDetector().fit(seqs).threshold_
    info = pipe.threshold_info_
    assert not pipe.table_["is_anomaly"].any() and info["n_flagged"] == 0
    assert info["floor"] == pytest.approx(1.0) and "one miss" in info["rule"]
    assert info["gap"] == (auto_cut(scores) != info["tail_threshold"])
    # A session with a miss (a step no session took) is flagged when scored.
    odd = Sequences.from_lists([["s0", "close", "s0", "close"]])
    assert pipe.score(odd)["is_anomaly"].all()
    # At another false-alarm rate the floor holds too; where it does not bind, the
    # record says so.
    assert AnomalyPipeline(method="markov", false_alarm_rate=0.2).fit(seqs).threshold_ >= 1 - 1e-9
    assert AnomalyPipeline().fit(seqs).threshold_info_["floor"] is None


# (small logs at low rates: the pipeline's note that the rate needs more sequences; and
# the cut's warnings of a small log's few flags, which tests of their own cover: this
# property is of the flags)
@pytest.mark.filterwarnings("ignore:only .* sequences for the automatic cut:UserWarning")
@pytest.mark.filterwarnings("ignore:the automatic cut:oddseq.exceptions.DataWarning")
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(20, 300),
    odd=st.integers(0, 3),
    rate=st.sampled_from([0.001, 0.01, 0.05, 0.2]),
)
# (6 of 20 sessions tied at the top at the rate 0.2: the uncheckable-cut warning read
# its 0 flags as a group's doing, where only 0 or 6 could be flagged)
@example(seed=3, n=20, odd=0, rate=0.2)
@example(seed=180, n=20, odd=0, rate=0.05)  # (every session with a miss: review RV s59 M2)
def test_markov_pipeline_never_flags_a_session_without_a_miss(seed, n, odd, rate):
    """Property: whatever the log and the false-alarm rate, the Markov pipeline flags only
    sessions with a miss (score >= 1), and never more than auto_cut alone would."""
    from oddseq.detect import auto_cut

    rng = np.random.default_rng(seed)
    lists = _workflow_sessions(seed, n)
    for i in rng.choice(n, odd, replace=False):  # a few odd sessions
        lists[i] = list(rng.choice(["s0", "s3", "close", "refund"], int(rng.integers(2, 8))))
    pipe = AnomalyPipeline(method="markov", false_alarm_rate=rate).fit(Sequences.from_lists(lists))
    scores = pipe.detector_.decision_scores_
    flags = scores > pipe.threshold_
    assert (scores[flags] >= 1 - 1e-9).all()
    if scores.min() < scores.max():  # the rule before its bag flags no more than auto_cut
        bagged = pipe.threshold_info_["bagged"]
        plain = pipe.threshold_ if bagged is None else bagged["plain_threshold"]
        assert (scores > plain).sum() <= (scores > auto_cut(scores, rate)).sum()


def test_thousands_of_event_types_stay_narrow():
    # URL-like events: a column per path would be thousands wide; the pipeline keeps the
    # most frequent types and pools the rest, and still finds the user who hammers
    # one rare endpoint.
    rng = np.random.default_rng(0)
    n, users, types = 60_000, 600, 2_000
    weights = 1.0 / np.arange(1, types + 1)
    log = pd.DataFrame(
        {
            "u": rng.integers(0, users, n),
            "e": [f"/p/{i}" for i in rng.choice(types, n, p=weights / weights.sum())],
            "t": rng.integers(1_600_000_000, 1_600_000_000 + 7 * 86_400, n),
        }
    )
    burst = pd.DataFrame({"u": 10_000, "e": "/admin/export", "t": 1_600_000_000 + np.arange(400)})
    table, pipe = oddseq.detect_anomalies(
        pd.concat([log, burst]), entity="u", event="e", time="t", return_pipeline=True
    )
    names = list(pipe.feature_names_)
    assert len([c for c in names if c.startswith("count[")]) == 31
    assert "count[<other>]" in names
    assert table["rank"].loc[10_000] == 1


# --- verdicts: normal-only fitting, the threshold stage, evidence -----------------------


def test_normal_only_fit_calibrates_on_out_of_fold_scores(shop):
    bunch, seqs = shop
    y = bunch.labels.reindex(seqs.ids).to_numpy()
    normal_rows = np.flatnonzero(y == 0)
    fit_rows, held = normal_rows[: len(normal_rows) // 2], normal_rows[len(normal_rows) // 2 :]
    pipe = AnomalyPipeline().fit(seqs.take(fit_rows), normal=True)
    info = pipe.threshold_info_
    # Normal-only fitting cuts at 0.005 by default, unsupervised fitting at 0.01.
    assert info["normal_only"] and info["false_alarm_rate"] == 0.005
    assert AnomalyPipeline().fit(seqs).threshold_info_["false_alarm_rate"] == 0.01
    assert "out-of-fold" in info["rule"]
    assert pipe.reference_scores_.shape == (len(fit_rows),)
    judged = pipe.score(seqs.take(np.r_[held, np.flatnonzero(y == 1)]))
    truth = bunch.labels.reindex(judged.index).to_numpy()
    # Held-out normal entities are flagged about as rarely as asked; anomalies are not.
    assert judged["is_anomaly"].to_numpy()[truth == 0].mean() < 0.03
    assert judged["is_anomaly"].to_numpy()[truth == 1].mean() > 0.1
    assert roc_auc_score(truth, judged["score"].to_numpy()) > 0.9
    # p_normal: calibrated against held-out normal scores.
    assert judged["p_normal"].between(0, 1).all()
    assert judged["p_normal"].to_numpy()[truth == 0].mean() > 0.3


def test_predict_proba_is_the_share_of_the_reference_below(shop):
    """The pipeline's predict_proba (as the detectors' method="tail"): per entity, in the
    order of the sequences given, P(anomaly) is the share of the reference scores
    (out-of-fold normal scores in normal-only fitting) strictly below the entity's
    score, so 0.99 reads "higher than 99% of the reference", and P(normal) is the
    ranked table's p_normal (one function computes both)."""
    bunch, seqs = shop
    y = bunch.labels.reindex(seqs.ids).to_numpy()
    normal_rows = np.flatnonzero(y == 0)
    fit_rows, held = normal_rows[: len(normal_rows) // 2], normal_rows[len(normal_rows) // 2 :]
    pipe = AnomalyPipeline().fit(seqs.take(fit_rows), normal=True)
    judged = seqs.take(np.r_[held, np.flatnonzero(y == 1)])
    proba = pipe.predict_proba(judged)
    assert list(proba.columns) == ["normal", "anomaly"]
    assert proba.index.equals(judged.ids)  # the sequences' order, not the ranking
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    table = pipe.score(judged)
    np.testing.assert_array_equal(proba["normal"], table["p_normal"].loc[proba.index])
    scores = table["score"].loc[proba.index].to_numpy()
    reference = pipe.reference_scores_
    inside = scores <= reference.max()  # beyond the largest: the Pareto tail
    below = (reference[None, :] < scores[inside, None]).mean(axis=1)
    np.testing.assert_allclose(proba["anomaly"].to_numpy()[inside], below)
    # Calibrated on data the model never saw: held-out normal entities about uniform.
    truth = bunch.labels.reindex(proba.index).to_numpy()
    assert 0.03 < (proba["anomaly"].to_numpy()[truth == 0] > 0.9).mean() < 0.2
    assert proba["anomaly"].to_numpy()[truth == 1].mean() > 0.8
    # PyOD's "linear": min-max scaled by the reference's range, clipped.
    low, high = reference.min(), reference.max()
    linear = pipe.predict_proba(judged, method="linear")
    np.testing.assert_allclose(linear["anomaly"], np.clip((scores - low) / (high - low), 0, 1))
    with pytest.raises(ValueError, match="method must be 'tail' or 'linear', got 'ranked'"):
        pipe.predict_proba(judged, method="ranked")


def test_predict_proba_unsupervised_reads_the_fitted_entities(shop):
    _, seqs = shop
    pipe = AnomalyPipeline(method="pca").fit(seqs)
    proba = pipe.predict_proba(seqs)
    fitted = pipe.table_["score"].loc[proba.index].to_numpy()
    share = (fitted[None, :] >= fitted[::50, None]).mean(axis=1)
    np.testing.assert_allclose(proba["normal"].to_numpy()[::50], share)


def test_predict_proba_leaves_explain_reading_the_last_score(shop):
    """explain(entity_ids) reads the entities of the last score(); predict_proba of
    another day in between does not take their place."""
    _, seqs = shop
    pipe = AnomalyPipeline(method="pca").fit(seqs.take(np.arange(0, 200)))
    day1, day2 = seqs.take(np.arange(200, 300)), seqs.take(np.arange(300, 400))
    table = pipe.score(day1)
    pipe.predict_proba(day2)
    odd = table.index[:3]
    pd.testing.assert_frame_equal(pipe.explain(odd), pipe.explain(day1, odd))
    with pytest.raises(ValueError, match="not among the entities"):
        pipe.explain(pd.Index(day2.ids)[:1])  # predicted, not scored: not remembered


def test_predict_proba_takes_what_score_takes(shop):
    """The day's entity_features, min_events (short entities absent, as from the table),
    a day without events (an empty frame, with score's DataWarning) and score's
    refusals, naming predict_proba."""
    _, seqs = shop
    ids = pd.Index(seqs.ids)
    side = pd.DataFrame({"age": np.arange(ids.size, dtype=float)}, index=ids)
    pipe = AnomalyPipeline(method="pca", entity_features=side, min_events=3).fit(seqs)
    today = side + 1000.0
    proba = pipe.predict_proba(seqs, entity_features=today)
    table = pipe.score(seqs, entity_features=today)
    assert set(proba.index) == set(table.index) and len(proba) < len(seqs)
    np.testing.assert_array_equal(proba["normal"], table["p_normal"].loc[proba.index])
    with pytest.warns(DataWarning, match="no sequences"):
        empty = pipe.predict_proba(seqs.take(np.array([], dtype=np.int64)), entity_features=side)
    assert empty.shape == (0, 2) and list(empty.dtypes) == [np.float64, np.float64]
    with pytest.raises(TypeError, match="AnomalyPipeline.predict_proba"):
        pipe.predict_proba(side)
    with pytest.raises(ValueError, match="lacks the columns"):
        pipe.predict_proba(seqs, entity_features=side.rename(columns={"age": "days"}))
    with pytest.raises(NotFittedError):
        AnomalyPipeline().predict_proba(seqs)


def test_normal_only_scales_weigh_what_the_normal_data_never_did_most():
    """Fitted on normal data, a feature that never varied among the normal rows (an
    event type none of them had) is more surprising than one more of a type some of
    them had: each scale carries one pseudo-row a log unit from the mean, so a column
    without spread is not weighed as if its spread were one log unit."""
    normal = [["a", "b", "c"]] * 995 + [["a", "b", "c", "r"]] * 5
    pipe = AnomalyPipeline().fit(Sequences.from_lists(normal), normal=True)
    new = pipe.score(
        Sequences.from_lists([["a", "b", "c", "z"], ["a", "b", "c", "r", "r"]], ids=["new", "more"])
    )
    assert new.loc["new", "score"] > new.loc["more", "score"]
    assert new.loc["new", "is_anomaly"] and new.loc["new", "reason"].startswith("count[<other>]")
    n, variance = 1000, pipe.z_scaler_.var_
    np.testing.assert_allclose(pipe.z_scaler_.scale_, np.sqrt((n * variance + 1) / (n + 1)))
    # Unsupervised fitting keeps the data's own spreads.
    varied = [["a"] * (1 + i % 7) + ["b"] for i in range(300)]  # "b": no spread
    plain = AnomalyPipeline().fit(Sequences.from_lists(varied))
    spread = np.sqrt(plain.z_scaler_.var_)
    np.testing.assert_allclose(plain.z_scaler_.scale_, np.where(spread > 0, spread, 1.0))


def _workflow_blocks(n, rng):
    """System-log-like blocks of a few repeated workflows: most have a twin, a few a
    rarer count (a replica more), as HDFS blocks do."""
    blocks = []
    for _ in range(n):
        replicas = int(rng.choice([2, 3, 4], p=[0.2, 0.75, 0.05]))
        extra = int(rng.random() < 0.02) * int(rng.integers(1, 4))
        blocks.append(["alloc"] + ["recv"] * replicas + ["ack"] * replicas + ["done"] * (1 + extra))
    return blocks


def test_normal_only_flags_what_the_normal_data_never_did(tmp_path):
    """Normal-only fitting on repeated workflows: an entity outside the range the
    normal entities took on some feature (a new event type; more of one than any normal
    entity had) is flagged whatever its distance; the others are cut above every
    out-of-fold score of the normal entities inside that range, where ties fill their
    top. Held-out normal entities are flagged more rarely than by the plain
    out-of-fold quantile, and the rule's own out-of-fold false-alarm rate is recorded."""
    from oddseq.detect import normal_cut

    rng = np.random.default_rng(0)
    normal = Sequences.from_lists(_workflow_blocks(1_000, rng))
    pipe = AnomalyPipeline().fit(normal, normal=True)
    info = pipe.threshold_info_
    assert pipe.support_rule_ and info["novelty_rate"] == pipe.novelty_rate_ < 0.005
    assert info["rule"].startswith("outside the normal data's range")
    assert "above every out-of-fold score" in info["rule"]  # ties fill the top
    held = Sequences.from_lists(_workflow_blocks(20_000, rng))
    odd = Sequences.from_lists(
        [["alloc", "recv", "recv", "recv", "err", "done"], ["alloc"] + ["recv"] * 9 + ["done"]],
        ids=["new type", "too many"],
    )
    flags = pipe.score(odd)["is_anomaly"]
    assert flags.all()
    table = pipe.score(held)
    before = table["score"].to_numpy() > normal_cut(pipe.reference_scores_, 0.005)
    assert table["is_anomaly"].mean() < before.mean()
    assert table["is_anomaly"].mean() < 0.005
    # The flags are the cut or the range of the detector's matrix, nothing else.
    X = pipe._matrix(held)[1]
    low, high = pipe._support_range
    outside = ((X < low) | (X > high)).any(axis=1)
    expected = (table["score"] > pipe.threshold_).to_numpy() | outside[
        held.ids.get_indexer(table.index)
    ]
    np.testing.assert_array_equal(table["is_anomaly"].to_numpy(), expected)
    # A saved model keeps the rule and its range.
    pipe.save(tmp_path / "model.oddseq")
    loaded = oddseq.load(tmp_path / "model.oddseq")
    pd.testing.assert_frame_equal(loaded.score(odd), pipe.score(odd))


def _served_blocks(n, rng):
    """Workflow blocks as :func:`_workflow_blocks`, with a long-tailed count (reads
    served: geometric), so that a sample of normal blocks bounds it by chance and some
    normal blocks have no twin."""
    blocks = []
    for _ in range(n):
        replicas = int(rng.choice([2, 3, 4], p=[0.2, 0.75, 0.05]))
        served = int(rng.geometric(0.35))
        extra = int(rng.random() < 0.02) * int(rng.integers(1, 4))
        blocks.append(
            ["alloc"] + ["recv", "ack"] * replicas + ["serve"] * served + ["done"] * (1 + extra)
        )
    return blocks


def test_the_support_rule_leaves_normal_variants_one_step_past_the_range(tmp_path):
    """An entity outside the normal data's range but no farther from the normal
    entities than a typical untwinned normal entity is from the others (one read more
    than any of the 1,000 fitted blocks) is a normal variant: the support rule flags
    outside the range only above that floor (``support_floor_``, the median of the
    untwinned out-of-fold scores), so held-out normal blocks are flagged less, while
    blocks far outside (a new event type, many more replicas) stay flagged."""
    rng = np.random.default_rng(0)
    pipe = AnomalyPipeline().fit(Sequences.from_lists(_served_blocks(1_000, rng)), normal=True)
    assert pipe.support_rule_
    reference = pipe.reference_scores_
    untwinned = reference[reference > reference.min()]
    assert untwinned.size >= 10
    assert untwinned.min() < pipe.support_floor_ < untwinned.max()
    assert pipe.threshold_info_["support_floor"] == pipe.support_floor_
    assert f"scoring above {pipe.support_floor_:.4g}" in pipe.threshold_info_["rule"]
    held = Sequences.from_lists(_served_blocks(20_000, rng))
    table = pipe.score(held).reindex(held.ids)
    X = pipe._matrix(held)[1]
    low, high = pipe.support_bounds()
    outside = ((X < low) | (X > high)).any(axis=1)
    score = table["score"].to_numpy()
    near = outside & (score <= pipe.support_floor_)
    assert near.any() and (outside & ~near).any()  # both kinds among held-out normal blocks
    expected = (score > pipe.threshold_) | (outside & (score > pipe.support_floor_))
    np.testing.assert_array_equal(table["is_anomaly"].to_numpy(), expected)
    assert not table["is_anomaly"].to_numpy()[near & (score <= pipe.threshold_)].any()
    odd = Sequences.from_lists(
        [
            ["alloc", "recv", "ack", "err", "serve", "done"],
            ["alloc"] + ["recv", "ack"] * 9 + ["serve", "done"],
        ],
        ids=["new type", "many replicas"],
    )
    assert pipe.score(odd)["is_anomaly"].all()
    # A saved model keeps the floor.
    pipe.save(tmp_path / "model.oddseq")
    loaded = oddseq.load(tmp_path / "model.oddseq")
    assert loaded.support_floor_ == pipe.support_floor_
    pd.testing.assert_frame_equal(loaded.score(held), pipe.score(held))


def test_the_support_rule_has_no_floor_with_few_untwinned_scores():
    """Where fewer than 10 normal entities inside the range have no twin, their median
    is no typical distance: no floor, every entity outside the range is flagged."""
    from oddseq.detect._threshold import _support_floor

    assert _support_floor(np.r_[np.zeros(990), np.linspace(1, 2, 9)]) is None
    assert _support_floor(np.r_[np.zeros(990), np.arange(1.0, 11.0)]) == 5.5
    assert _support_floor(np.zeros(0)) is None
    rng = np.random.default_rng(0)
    pipe = AnomalyPipeline().fit(Sequences.from_lists(_workflow_blocks(1_000, rng)), normal=True)
    reference = pipe.reference_scores_
    assert pipe.support_rule_ and (reference > reference.min()).sum() < 10
    assert pipe.support_floor_ is None
    assert "scoring above" not in pipe.threshold_info_["rule"]


def test_the_in_range_cut_moves_into_a_gap_under_a_top_group_apart():
    """Where ties fill the top of the inside out-of-fold scores (the cut "above every
    one"), a top group of at most the rate's allowance (floor(rate x n) scores), set
    apart from the other untwinned scores by a gap that one population's spacings do not
    give (Rényi's test at GAP_LEVEL), is a rare far family the rate may flag, not the
    tail of the normal variants: the cut moves to the gap's middle. Two blocks of a rare
    replication workflow, each the other's only like, scored 12.6 out of fold (one more
    replica than the other folds had: outside, the support rule's; the other inside),
    the next untwinned 3.0; the cut 12.6 let a block in range at 11.3 through."""
    from oddseq.detect._threshold import _gap_under_top

    rng = np.random.default_rng(0)
    blocks = _served_blocks(998, rng)
    far = [
        ["alloc"] + ["recv", "ack"] * 3 + ["repl"] * 4 + ["del"] + ["serve", "done"],
        ["alloc"] + ["recv", "ack"] * 3 + ["repl"] * 6 + ["del"] * 3 + ["serve", "done"],
    ]
    pipe = AnomalyPipeline().fit(Sequences.from_lists(far[:1] + blocks + far[1:]), normal=True)
    assert pipe.support_rule_
    reference = pipe.reference_scores_
    untwinned = np.sort(reference[reference > reference.min()])[::-1]
    assert reference[0] == reference[-1] == untwinned[0] > 4 * untwinned[2]  # the pair
    info = pipe.threshold_info_
    assert pipe.threshold_ == info["threshold"]
    assert pipe.threshold_ == pytest.approx((untwinned[1] + untwinned[2]) / 2)
    assert info["top_apart"] == 1
    assert "into the gap under the top 1 out-of-fold score (a group apart" in info["rule"]
    odd = Sequences.from_lists(
        [["alloc"] + ["recv", "ack"] * 2 + ["repl", "del"] + ["serve", "done"]], ids=["in range"]
    )
    X = pipe._matrix(odd)[1]
    low, high = pipe.support_bounds()
    assert not ((X < low) | (X > high)).any()
    scored = pipe.score(odd)
    assert untwinned[2] < scored.loc["in range", "score"] < untwinned[0]
    assert scored.loc["in range", "is_anomaly"]
    # Held-out normal blocks: none between the new cut and the old one.
    held = pipe.score(Sequences.from_lists(_served_blocks(20_000, rng)))["score"].to_numpy()
    assert not ((held > pipe.threshold_) & (held <= untwinned[0])).any()
    # The function alone: a group apart within the allowance moves the cut; one
    # population's tail, or a group larger than floor(rate x n), does not.
    tail = np.sort(np.random.default_rng(1).exponential(size=20))
    apart = np.r_[np.zeros(980), tail, 40.0]
    assert _gap_under_top(apart, 0.002) == (pytest.approx((40.0 + tail[-1]) / 2), 1)
    assert _gap_under_top(np.r_[np.zeros(980), tail], 0.002) is None
    assert _gap_under_top(np.r_[np.zeros(978), tail, 40.0, 40.0, 40.0], 0.002) is None
    # Few untwinned scores: the widest of m - 1 spacings is at most their sum, and
    # the test cannot pass below m = 6.
    assert _gap_under_top(np.r_[np.zeros(990), 1.0, 1.1, 1.2, 1.3, 40.0], 0.002) is None
    assert _gap_under_top(np.r_[np.zeros(990), 1.0, 1.1, 1.2, 1.3, 1.4, 40.0], 0.002)[1] == 1


# (it scores the normal log it was fitted on, as the warning says)
@pytest.mark.filterwarnings("ignore:.*among those the model was fitted on as normal")
def test_the_support_rule_stands_aside_where_it_would_break_the_rate(shop):
    """Where normal entities often leave the other folds' range (continuous shop
    features), the rule's own false-alarm rate is above the asked one: the plain
    out-of-fold cut stays, and the flags are the cut alone."""
    from oddseq.detect import normal_cut

    bunch, seqs = shop
    y = bunch.labels.reindex(seqs.ids).to_numpy()
    normal_rows = np.flatnonzero(y == 0)
    pipe = AnomalyPipeline(false_alarm_rate=0.001).fit(seqs.take(normal_rows), normal=True)
    info = pipe.threshold_info_
    assert pipe.novelty_rate_ >= 0.001 and not pipe.support_rule_
    assert "novelty_rate" not in info
    assert pipe.threshold_ == normal_cut(pipe.reference_scores_, 0.001)
    table = pipe.score(seqs)
    np.testing.assert_array_equal(table["is_anomaly"], table["score"] > pipe.threshold_)
    # Sequence detectors have no feature range: no rule.
    markov = AnomalyPipeline(method="markov").fit(seqs.take(normal_rows), normal=True)
    assert not markov.support_rule_ and markov.novelty_rate_ is None


def _shop_log(seed, far=0.0):
    """A shop log with nothing planted, plus a share ``far`` of entities unlike any
    shopper: sessions of error events of 40 kinds in any mix."""
    events = make_ecommerce(n_users=1_500, anomaly_rate=0.0, random_state=seed).events
    events = events[["user_id", "behavior", "timestamp"]]
    rng = np.random.default_rng(seed)
    n_far = int(far * 1_500 / (1 - far))
    start, span = events["timestamp"].min(), events["timestamp"].max() - events["timestamp"].min()
    rows = []
    for user in range(10**8, 10**8 + n_far):
        kinds = rng.choice(40, size=rng.integers(1, 4), replace=False)
        n = int(rng.integers(5, 40))
        times = start + span * np.sort(rng.random(n))
        rows.append(
            pd.DataFrame(
                {
                    "user_id": user,
                    "behavior": [f"error{k}" for k in rng.choice(kinds, n)],
                    "timestamp": times,
                }
            )
        )
    log = pd.concat([events, *rows], ignore_index=True)
    return Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")


@pytest.mark.parametrize("seed, far", [(0, 0.05), (1, 0.05), (2, 0.05), (0, 0.03), (1, 0.1)])
def test_normal_only_fitting_warns_when_the_normal_data_is_not(seed, far):
    with pytest.warns(UserWarning, match=r"normal=True, but .* far beyond"):
        pipe = AnomalyPipeline().fit(_shop_log(seed, far=far), normal=True)
    assert pipe.threshold_info_["separate_tail"] > 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_normal_only_fitting_is_silent_on_normal_data(seed):
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="normal=True, but")
        pipe = AnomalyPipeline().fit(_shop_log(seed), normal=True)
    assert pipe.threshold_info_["separate_tail"] < 2


def _click_sessions(seed, n=1_500):
    """Ordinary click sessions of one kind (no event types, items from a skewed
    catalogue, lognormal gaps), most of two or three clicks and a few of ten and more:
    one population, of mixed lengths."""
    rng = np.random.default_rng(seed)
    lengths = 1 + rng.geometric(0.6, n)
    ids = np.repeat(np.arange(n), lengths)
    gaps = rng.lognormal(4, 1.2, ids.size)
    gaps[np.r_[True, ids[1:] != ids[:-1]]] = 0
    start = np.repeat(rng.uniform(0, 5 * 86_400, n), lengths)
    times = start + pd.Series(gaps).groupby(ids).cumsum().to_numpy()
    log = pd.DataFrame({"session": ids, "item": rng.zipf(1.6, ids.size) % 3_000, "time": times})
    return Sequences.from_events(log, entity="session", item="item", time="time", time_unit="s")


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_normal_only_fitting_is_silent_on_normal_sessions_of_mixed_lengths(seed):
    """The evidence shrinkage makes the many two-click sessions a compact spike of
    near-zero out-of-fold scores; the longer sessions, whose features it leaves freer,
    spread above it and read as a group far beyond the rest (26% of YOOCHOOSE's
    ordinary clicks warned "does not look normal"; these sessions warned at 20-37%).
    Judged among the sessions of their own length, they are not apart."""
    seqs = _click_sessions(seed)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="normal=True, but")
        pipe = AnomalyPipeline().fit(seqs, normal=True)
    assert pipe.threshold_info_["separate_tail"] < 2
    # (judged on all the scores together, they look like a group apart: 3.7-4.3 at seeds
    # 0, 1 and 3; at seed 2 1.7 since the folds' keys read rounded values, under the
    # warning's bar of 2, so that draw shows no contrast)
    if seed != 2:
        assert separate_tail(pipe.reference_scores_, 0.005)[0] > 2


def _blocks_with_rare_steps(n, rare_share, seed, n_far=0):
    """A system log's blocks, of three workflows with a middle step repeated 1-3 times;
    ``rare_share`` of them with one rare (but normal) step inserted, a Markov miss; and
    ``n_far`` far-out blocks of random events (many misses each)."""
    rng = np.random.default_rng(seed)
    flows = [[0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 8, 9, 5, 6, 7], [0, 10, 11, 3, 4, 12, 7]]
    rows = []
    for _ in range(n):
        row = list(flows[rng.integers(0, 3)])
        j = int(rng.integers(2, 5))
        row = row[:j] + [row[j]] * int(rng.integers(1, 4)) + row[j:]
        if rng.random() < rare_share:
            row.insert(int(rng.integers(1, len(row))), int(rng.integers(13, 20)))
        rows.append(row)
    far = [list(rng.integers(0, 20, size=int(rng.integers(12, 25)))) for _ in range(n_far)]
    return Sequences.from_lists(rows + far)


@pytest.mark.parametrize("rare_share", [0.08, 0.15])
def test_markov_normal_only_is_silent_on_blocks_with_rare_steps(rare_share):
    """Markov's out-of-fold scores are miss counts plus a tie-break below one: the
    blocks without a miss spread over a hundredth, so blocks with one rare step (8.4%
    of hdfs_xu's hdfs_train, 16.7% of DeepLog's) looked far beyond them and the normal
    training set warned. The check reads the counts."""
    seqs = _blocks_with_rare_steps(3_000, rare_share, seed=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="normal=True, but")
        pipe = AnomalyPipeline(method="markov").fit(seqs, normal=True)
    assert pipe.threshold_info_["separate_tail"] < 2
    # (the raw scores, tie-breaks included, do look like a group apart)
    assert separate_tail(pipe.reference_scores_, 0.005)[0] > 2


@pytest.mark.parametrize("n_far", [150, 90])  # 5% and 3% far-out blocks
def test_markov_normal_only_warns_when_far_out_blocks_are_mixed_in(n_far):
    seqs = _blocks_with_rare_steps(3_000 - n_far, 0.08, seed=0, n_far=n_far)
    with pytest.warns(UserWarning, match=r"normal=True, but .* far beyond"):
        pipe = AnomalyPipeline(method="markov").fit(seqs, normal=True)
    assert pipe.threshold_info_["separate_tail"] > 2


def test_unsupervised_threshold_is_recorded_and_reused(shop):
    _, seqs = shop
    pipe = AnomalyPipeline(false_alarm_rate=0.05).fit(seqs)
    info = pipe.threshold_info_
    assert info["false_alarm_rate"] == 0.05 and not info["normal_only"]
    assert info["n_flagged"] == int(pipe.table_["is_anomaly"].sum())
    again = pipe.score(seqs)
    assert ((again["score"] > pipe.threshold_) == again["is_anomaly"]).all()
    assert AnomalyPipeline(threshold="mad").fit(seqs).threshold_info_["rule"].startswith("median")


def test_unsupervised_cut_records_the_tail_cut_and_the_gap(shop):
    """The unsupervised cut is the tail cut moved into a clear gap where there is one
    (detect.auto_cut); threshold_info_ says which, and from where."""
    from oddseq.detect import auto_cut, tail_cut

    _, seqs = shop
    pipe = AnomalyPipeline(random_state=0).fit(seqs)
    info, scores = pipe.threshold_info_, pipe.detector_.decision_scores_
    assert info["tail_threshold"] == pytest.approx(tail_cut(scores, 0.01))
    # the rule's cut (then bagged over bootstrap draws: bagged_cut)
    plain = pipe.threshold_ if info["bagged"] is None else info["bagged"]["plain_threshold"]
    assert plain == pytest.approx(auto_cut(scores))
    assert info["gap"] == (plain != info["tail_threshold"])
    assert ("gap" in info["rule"]) == info["gap"]
    expected = {True: "up", False: "down"}[plain > info["tail_threshold"]]
    assert info["moved"] == (expected if info["gap"] else None)
    assert info["n_flagged"] == int(pipe.table_["is_anomaly"].sum())
    # Other rules have no tail cut to move.
    info = AnomalyPipeline(threshold="mad").fit(seqs).threshold_info_
    assert info["tail_threshold"] is None and info["gap"] is False and info["moved"] is None


DEEPLOG = Path(__file__).resolve().parents[3] / "shared" / "data" / "hdfs_deeplog"


@pytest.mark.skipif(not DEEPLOG.is_dir(), reason="../shared/data/hdfs_deeplog is not here")
def test_unsupervised_cut_skips_the_tied_normal_blocks_below_the_gap(monkeypatch):
    """DeepLog's HDFS sessions, every normal block and 3% anomalous ones: the tail cut
    landed under a plateau of tied normal blocks (4.1% flagged, 3% anomalous); the cut
    moves up into the gap above it (benchmarks/RESULTS.md, "Verdicts"). That was with
    one K-means seeding (at random_state 20 with the seeding by position, 2 with the
    order-free races: 2, 3 and 4 of 0-8 showed it, and 2, 3 and 7 since the races' keys
    read rounded values; the pipeline's restarts now find a clustering whose tail cut is
    above the plateau already, the same flags)."""
    import oddseq._pipeline as pipeline_module

    def lists(name):
        lines = (DEEPLOG / name).read_text().splitlines()
        return [row for row in (line.split(",", 1)[-1].split() for line in lines) if row]

    normal, anomalous = lists("hdfs_train"), lists("hdfs_test_abnormal")
    n_mix = int(round(0.03 * len(normal) / 0.97))
    pick = np.random.default_rng(20).choice(len(anomalous), n_mix, replace=False)
    seqs = Sequences.from_lists(normal + [anomalous[i] for i in pick])
    y = np.r_[np.zeros(len(normal)), np.ones(n_mix)].astype(bool)
    restarted = AnomalyPipeline(random_state=2).fit(seqs).table_.reindex(seqs.ids)
    monkeypatch.setattr(pipeline_module, "_kmeans_restarts", lambda n_rows, n_distinct: 1)
    pipe = AnomalyPipeline(random_state=2).fit(seqs)
    info, flags = pipe.threshold_info_, pipe.table_.reindex(seqs.ids)["is_anomaly"].to_numpy()
    np.testing.assert_array_equal(restarted["is_anomaly"].to_numpy(), flags)
    tail_flags = pipe.detector_.decision_scores_ > info["tail_threshold"]
    assert info["gap"] and flags.sum() < tail_flags.sum()
    assert info["moved"] == "up"
    precision = lambda f: (f & y).sum() / f.sum()  # noqa: E731
    assert precision(flags) > precision(tail_flags)
    assert (flags & y).sum() == (tail_flags & y).sum()  # no anomaly lost


def _tied_system_log(seed=4, n=2000, n_workflows=20):
    """A system log's blocks: a few workflows repeated (as loghub's 2k-line HDFS sample,
    2,200 blocks of 20 distinct event counts), with a long tail of rare ones."""
    rng = np.random.default_rng(seed)
    events = list("ABCDEFGHIJKL")
    workflows = [
        list(rng.choice(events[: 4 + i % 8], int(rng.integers(3, 25)))) for i in range(n_workflows)
    ]
    weights = rng.pareto(1.0, n_workflows) + 0.05
    copies = np.maximum(1, np.round(n * weights / weights.sum())).astype(int)
    return Sequences.from_lists([w for w, c in zip(workflows, copies) for _ in range(c)])


def test_the_pipeline_hashes_its_tied_rows_once(monkeypatch):
    """AnomalyPipeline counts the distinct rows of its matrix (tied_rows), and the
    KMeansDetector it then fits on that matrix reuses the groups, hashing the distinct
    rows only."""
    from oddseq.utils import _rows

    seqs = _tied_system_log()
    hashed, row_hash = [], _rows._row_hash
    monkeypatch.setattr(
        _rows, "_row_hash", lambda points: hashed.append(len(points)) or row_hash(points)
    )
    pipe = AnomalyPipeline(random_state=0).fit(seqs)
    assert pipe._kmeans_distinct == 20
    assert hashed.count(len(seqs)) == 1 and hashed.count(20) == 1


def test_the_pipeline_passes_its_tied_groups_to_its_k_means(monkeypatch):
    """The groups the pipeline found counting its matrix's distinct rows go to the
    K-means it fits by hand (no module-level cache holds them): the K-means member has
    the clusters and scores of one fitted afresh on the same matrix, and a refit of the
    fitted detector on other rows groups those afresh."""
    from oddseq.detect import KMeansDetector
    from oddseq.utils import _rows

    seqs = _tied_system_log()
    pipe = AnomalyPipeline(random_state=0).fit(seqs)
    kmeans = dict(pipe.detector_.detectors_)["kmeans"]
    assert not hasattr(_rows, "_last_tied") and not hasattr(kmeans, "_known_tied")
    template = dict(pipe.detector_.detectors)["kmeans"]  # handed over by the clone
    assert not hasattr(template, "_known_tied")
    X = pipe._matrix(seqs)[1]
    fresh = KMeansDetector(**kmeans.get_params()).fit(X.copy())
    np.testing.assert_array_equal(kmeans.decision_scores_, fresh.decision_scores_)
    np.testing.assert_array_equal(kmeans.kmeans_.labels_, fresh.kmeans_.labels_)
    np.testing.assert_array_equal(kmeans.cluster_scale_, fresh.cluster_scale_)
    other = X[::-1].copy()
    again = pipe.detector_.fit(other)  # the fitted detector, refitted on other rows
    member = dict(again.detectors_)["kmeans"]
    fresh = KMeansDetector(**kmeans.get_params()).fit(other.copy())
    np.testing.assert_array_equal(member.kmeans_.labels_, fresh.kmeans_.labels_)
    np.testing.assert_array_equal(member.decision_scores_, fresh.decision_scores_)


def test_the_defaults_verdict_on_a_small_tied_log_does_not_move_with_random_state(
    shop, monkeypatch
):
    """One K-means++ seeding landed in a different local optimum at each random_state
    where rows are few and tied, and the default's flags followed it (here 26 or 42 of
    2,000; loghub's HDFS sample 0.27% to 4.9%). The pipeline's K-means restarts (the
    lowest inertia kept) where rows are tied give one verdict."""
    from oddseq._pipeline import _kmeans_restarts

    seqs = _tied_system_log()
    verdicts = set()
    for seed in range(6):
        pipe = AnomalyPipeline(random_state=seed).fit(seqs)
        kmeans = dict(pipe.detector_.detectors_)["kmeans"]
        assert kmeans.n_init == 10
        table = pipe.table_
        verdicts.add(frozenset(table.index[table["is_anomaly"]]))
    assert len(verdicts) == 1 and 0 < len(next(iter(verdicts))) < 0.05 * len(seqs)
    assert pipe._kmeans_distinct == 20
    # Only tied rows (at most half distinct) restart, and a million rows fit once.
    sizes = [(2, 1), (2000, 20), (2000, 1001), (20_000, 100), (100_000, 10), (10**6, 10)]
    assert [_kmeans_restarts(n, d) for n, d in sizes] == [10, 10, 1, 5, 1, 1]
    assert _kmeans_restarts(2000, None) == 1
    untied = AnomalyPipeline(random_state=0).fit(shop[1])
    assert untied._kmeans_distinct > len(shop[1]) / 2
    assert dict(untied.detector_.detectors_)["kmeans"].n_init == 1
    # One seeding, as before the restarts: the same seeds give more than one verdict.
    monkeypatch.setattr("oddseq._pipeline._kmeans_restarts", lambda n, d: 1)
    one_seeding = set()
    for seed in range(6):
        table = AnomalyPipeline(random_state=seed).fit(seqs).table_
        one_seeding.add(frozenset(table.index[table["is_anomaly"]]))
    assert len(one_seeding) > 1


def test_min_events_leaves_short_sequences_out(shop):
    _, seqs = shop
    table = AnomalyPipeline(min_events=5).fit(seqs).table_
    lengths = pd.Series(seqs.lengths, index=seqs.ids)
    assert set(table.index) == set(lengths.index[lengths >= 5])


def test_reasons_say_when_they_rest_on_few_events():
    log = make_ecommerce(n_users=400, random_state=3).events
    first = log.groupby("user_id").head(1)
    few = first[first["user_id"].isin(first["user_id"].unique()[:50])]
    mixed = pd.concat([log[~log["user_id"].isin(few["user_id"])], few])
    table = oddseq.detect_anomalies(mixed, entity="user_id", event="behavior", time="timestamp")
    single = table.loc[few["user_id"].unique()]
    assert single["reason"].str.endswith("(rests on 1 event)").all()


def test_one_event_users_do_not_crowd_the_top():
    """Users with one event carry no gaps and little of anything else: their gap
    features are the population's, so they cannot lead the list on them."""
    log = make_ecommerce(n_users=2_000, random_state=4).events
    first = log.groupby("user_id").head(1).copy()
    first["user_id"] = first["user_id"] + 10_000_000  # as many one-event users again
    table = oddseq.detect_anomalies(
        pd.concat([log, first]), entity="user_id", event="behavior", time="timestamp"
    )
    top = table.head(50)
    assert (top.index >= 10_000_000).mean() < 0.2


@pytest.mark.filterwarnings(r"ignore:only \d+ normal sequences for the cut:UserWarning")
def test_detect_anomalies_with_a_normal_log(shop):
    bunch, _ = shop
    log = bunch.events
    normal_users = bunch.labels.index[bunch.labels == 0][:150]
    table, pipe = oddseq.detect_anomalies(
        log,
        entity="user_id",
        event="behavior",
        time="timestamp",
        normal=log[log["user_id"].isin(normal_users)],
        return_pipeline=True,
    )
    assert pipe.normal_ and len(table) == log["user_id"].nunique()
    with pytest.raises(TypeError, match="normal must be a DataFrame"):
        oddseq.detect_anomalies(
            log, entity="user_id", event="behavior", time="timestamp", normal=[1, 2]
        )
    with pytest.raises(ValueError, match="normal lacks the columns"):
        oddseq.detect_anomalies(
            log,
            entity="user_id",
            event="behavior",
            time="timestamp",
            normal=log.drop(columns="behavior"),
        )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"false_alarm_rate": 0.5}, r"false_alarm_rate must be in \(0, 0.5\)"),
        ({"false_alarm_rate": 0.0}, r"false_alarm_rate must be in \(0, 0.5\)"),
        ({"threshold": "otsu"}, r"threshold rule must be one of \('tail', 'mad'\)"),
        ({"n_folds": 1}, "n_folds must be an integer >= 2"),
        ({"min_events": 0}, "min_events must be an integer >= 1"),
        ({"evidence_prior": -1}, "evidence_prior must be a number >= 0"),
    ],
)
def test_verdict_parameters_are_checked(shop, kwargs, match):
    _, seqs = shop
    with pytest.raises(ValueError, match=match):
        AnomalyPipeline(**kwargs).fit(seqs)


def test_a_rate_beside_a_numeric_contamination_is_refused(shop):
    # The rate belongs to contamination="auto"; beside a share it was ignored unsaid.
    bunch, seqs = shop
    with pytest.raises(ValueError, match=r"false_alarm_rate=0.2 is the rate of contamination"):
        AnomalyPipeline(contamination=0.1, false_alarm_rate=0.2).fit(seqs)
    with pytest.raises(ValueError, match="pass one of the two"):
        oddseq.detect_anomalies(
            bunch.events,
            entity="user_id",
            event="behavior",
            time="timestamp",
            contamination=0.1,
            false_alarm_rate=0.2,
        )
    assert AnomalyPipeline(contamination=0.1).fit(seqs).threshold_info_["false_alarm_rate"] is None


@pytest.mark.filterwarnings(r"ignore:only \d+ normal sequences for the cut:UserWarning")
def test_scoring_the_normal_log_itself_warns(shop):
    # A model scores what it was fitted on as normal (a neighbour at distance 0): the
    # flags of a log scored against itself say nothing.
    bunch, _ = shop
    log = bunch.events
    normal_users = bunch.labels.index[bunch.labels == 0][:150]
    normal = log[log["user_id"].isin(normal_users)]
    columns = dict(entity="user_id", event="behavior", time="timestamp")
    with pytest.warns(UserWarning, match="150 of the 150 entities scored are in normal"):
        oddseq.detect_anomalies(normal, **columns, normal=normal)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a few fitted entities among new ones: silent
        # (150 normal users: fewer than 1 / false_alarm_rate, said apart)
        warnings.filterwarnings("ignore", message=r"only \d+ normal sequences for the cut")
        oddseq.detect_anomalies(log, **columns, normal=normal)
        # ids by position meet in any two logs: other events under the same positions
        by_position = normal.assign(user_id=normal["user_id"].rank(method="dense") - 1)
        later = by_position.assign(timestamp=by_position["timestamp"] + 86_400)
        oddseq.detect_anomalies(later.astype({"user_id": int}), **columns, normal=by_position)
    # the same accounts in another stretch: said (an abuse of both stretches reads as
    # normal; TR s48 M10)
    later = normal.assign(timestamp=normal["timestamp"] + 86_400)
    with pytest.warns(UserWarning, match=r"150 of the 150 entities scored \(100%\) are entities "):
        oddseq.detect_anomalies(later, **columns, normal=normal)


def test_normal_must_be_a_bool(shop):
    _, seqs = shop
    with pytest.raises(TypeError, match="normal must be True or False"):
        AnomalyPipeline().fit(seqs, normal="yes")


def test_entity_features_join_the_behaviour_and_name_themselves_in_reasons(shop):
    bunch, seqs = shop
    ids = pd.Index(seqs.ids)
    rng = np.random.default_rng(0)
    side = pd.DataFrame(
        {"account_age_days": rng.normal(400, 30, len(ids)), "chargebacks": 0.0}, index=ids
    )
    odd = ids[:5]
    side.loc[odd, "chargebacks"] = 40.0
    side = side.drop(index=ids[-3:])  # entities without side attributes: the median
    with pytest.warns(DataWarning, match="no row for 3 of the 1,500 fitted entities"):
        pipe = AnomalyPipeline(entity_features=side).fit(seqs)
    assert list(pipe.feature_names_[-2:]) == ["account_age_days", "chargebacks"]
    table = pipe.table_
    assert table.loc[odd, "is_anomaly"].all()
    assert table.loc[odd, "reason"].str.contains("chargebacks 40").all()
    with pytest.warns(DataWarning, match="no row for 3 of the 1,500 scored entities"):
        again = pipe.score(seqs, entity_features=side).reindex(table.index)
    assert again.loc[odd, "is_anomaly"].all()


def test_entity_features_gaps_are_said_with_the_values_that_fill_them(shop):
    """Entities without a row and NaN values take the fitted medians: one DataWarning
    per fit or score counts both and names the medians and the way to say otherwise
    (a missing chargeback count is 0, not the median); a complete table is silent."""
    _, seqs = shop
    ids = pd.Index(seqs.ids)
    rng = np.random.default_rng(3)
    side = pd.DataFrame(
        {"account_age_days": rng.normal(400, 30, ids.size), "chargebacks": 0.0}, index=ids
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AnomalyPipeline(method="pca", entity_features=side).fit(seqs)
    gappy = side.drop(index=ids[:30])
    gappy.loc[ids[30:42], "chargebacks"] = np.nan
    with pytest.warns(DataWarning) as said:
        pipe = AnomalyPipeline(method="pca", entity_features=gappy).fit(seqs)
    (message,) = [str(w.message) for w in said]
    age, charge = pipe._side_median
    assert message.startswith(
        "entity_features has no row for 30 of the 1,500 fitted entities (2.0%), and 12 NaN "
        "values in the rows of the others (chargebacks: 12): these take the fitted medians "
        f"(account_age_days {age:.4g}, chargebacks {charge:.4g})"
    )
    assert "fillna({'chargebacks': 0})" in message
    # Scoring says the same of the entities scored; NaN alone is said alone.
    with pytest.warns(DataWarning, match="no row for 30 of the 1,500 scored entities"):
        pipe.score(seqs, entity_features=gappy)
    only_nan = side.copy()
    only_nan.loc[ids[:5], "account_age_days"] = np.nan
    with pytest.warns(DataWarning) as said:
        pipe.score(seqs, entity_features=only_nan)
    (message,) = [str(w.message) for w in said]
    assert message.startswith(
        "entity_features has 5 NaN values in the rows of the 1,500 scored entities "
        f"(account_age_days: 5): these take the fitted medians (account_age_days {age:.4g})"
    )


def test_entity_features_it_cannot_use_are_refused(shop):
    """Infinite values are no value to impute (ValueError, fit or score, naming how to
    mark them missing); a column no fitted entity has a value in leaves nothing to fit."""
    _, seqs = shop
    ids = pd.Index(seqs.ids)
    side = pd.DataFrame({"age": np.arange(ids.size, dtype=float), "spend": 1.0}, index=ids)
    endless = side.copy()
    endless.loc[ids[:2], "spend"] = np.inf
    infinite = r"infinite values in its rows of the 1,500 fitted entities \(spend: 2\)"
    with pytest.raises(ValueError, match=infinite) as refused:
        AnomalyPipeline(entity_features=endless).fit(seqs)
    assert "replace([np.inf, -np.inf], np.nan)" in str(refused.value)
    pipe = AnomalyPipeline(method="pca", entity_features=side).fit(seqs)
    with pytest.raises(ValueError, match="infinite values in its rows of the 1,500 scored"):
        pipe.score(seqs, entity_features=endless)
    with pytest.raises(ValueError, match="infinite values"):
        pipe.predict_proba(seqs, entity_features=endless)
    empty = side.assign(spend=np.nan)
    with pytest.raises(ValueError, match=r"\['spend'\] have no value for any of the 1,500 fitted"):
        AnomalyPipeline(entity_features=empty).fit(seqs)


@pytest.mark.parametrize(
    "side, error, match",
    [
        ([1, 2], TypeError, "entity_features must be a DataFrame"),
        (pd.DataFrame({"tier": ["a", "b"]}, index=[1, 2]), TypeError, "numeric or boolean"),
        (pd.DataFrame({"x": [1.0, 2.0]}, index=[1, 1]), ValueError, "repeated entity ids"),
        ("length", ValueError, "names of behaviour"),
        # Keyed by something else (row numbers, another id): refused, not ignored.
        (pd.DataFrame({"age": [1.0, 2.0]}), ValueError, "rows for 0 of the 1,500 fitted"),
        # Keyed by the entity but partial: its index is not blamed (H5's s24 LOW 1).
        ("half", ValueError, r"rows for 749 of .*its index is the entity id \('user_id'\)"),
    ],
)
def test_entity_features_bad_input(shop, side, error, match):
    _, seqs = shop
    ids = pd.Index(seqs.ids)
    if isinstance(side, str) and side == "length":
        side = pd.DataFrame({"length": 1.0}, index=ids)
    elif isinstance(side, str):  # "half": under half of the fitted entities have a row
        side = pd.DataFrame({"age": 1.0}, index=ids[: ids.size // 2 - 1])
    with pytest.raises(error, match=match):
        AnomalyPipeline(entity_features=side).fit(seqs)


def test_entity_features_with_the_entity_as_a_column_join_on_it(shop):
    """A side table with the entity column (``user_id``) as a column, not its index, is
    joined on that column (not its row numbers), and the id is never a feature."""
    _, seqs = shop
    ids = pd.Index(seqs.ids, name="user_id")
    rng = np.random.default_rng(1)
    side = pd.DataFrame({"account_age_days": rng.normal(400, 30, ids.size)}, index=ids)
    side.iloc[:3, 0] = 0.01
    side = side.iloc[rng.permutation(ids.size)]  # row order is not the key
    by_index = AnomalyPipeline(entity_features=side).fit(seqs)
    for table in (side.reset_index(), side.reset_index().set_index("user_id", drop=False)):
        by_column = AnomalyPipeline(entity_features=table).fit(seqs)
        assert list(by_column.feature_names_) == list(by_index.feature_names_)
        assert "user_id" not in by_column.feature_names_
        pd.testing.assert_frame_equal(by_column.table_, by_index.table_)
    assert by_index.table_.loc[ids[:3], "reason"].str.contains("account_age_days 0.01").all()


def test_entity_features_missing_most_scored_entities_warn(shop):
    _, seqs = shop
    ids = pd.Index(seqs.ids)
    side = pd.DataFrame({"age": np.arange(ids.size, dtype=float)}, index=ids)
    pipe = AnomalyPipeline(entity_features=side.iloc[:1000]).fit(seqs[:1000])
    with pytest.warns(UserWarning, match="rows for 0 of the 500 scored entities"):
        table = pipe.score(seqs[1000:], entity_features=side.iloc[:1000])
    assert len(table) == 500


# --- groups in the one call --------------------------------------------------------------


def test_rings_are_flagged_and_named_in_the_one_call():
    bunch = make_ecommerce(n_users=3_000, anomaly_rate=0.0, rings=4, random_state=0)
    log = bunch.events
    table = oddseq.detect_anomalies(
        log, entity="user_id", event="behavior", time="timestamp", item="item_id"
    )
    assert "group" in table.columns
    ring = bunch.kinds.reindex(table.index).eq("ring").to_numpy()
    assert ring.sum() > 0
    assert roc_auc_score(ring.astype(int), table["score"].to_numpy()) > 0.95
    members = table[table["group"] >= 0]
    assert members["is_anomaly"].all()
    assert members["reason"].str.startswith("one of").all()
    assert table["rank"].tolist() == list(range(1, len(table) + 1))
    assert table["score"].is_monotonic_decreasing
    # Without the group stage: no group column, rings near chance.
    alone = oddseq.detect_anomalies(
        log, entity="user_id", event="behavior", time="timestamp", item="item_id", groups=False
    )
    assert "group" not in alone.columns


def test_group_by_columns_are_checked(shop):
    bunch, _ = shop
    log = bunch.events
    with pytest.raises(ValueError, match=r"group_by column\(s\) \['device'\] not in"):
        oddseq.detect_anomalies(
            log, entity="user_id", event="behavior", time="timestamp", group_by="device"
        )
    with pytest.raises(ValueError, match="groups must be 'auto', True, False or a GroupDetector"):
        oddseq.detect_anomalies(
            log, entity="user_id", event="behavior", time="timestamp", groups="yes"
        )
    # 0 and 1 equal False and True but are neither: 0 ran the group stage (H7 s15), and
    # oddseq.dask refuses both.
    for number in (0, 1):
        with pytest.raises(
            ValueError, match="groups must be 'auto', True, False or a GroupDetector"
        ):
            oddseq.detect_anomalies(
                log, entity="user_id", event="behavior", time="timestamp", groups=number
            )
    with pytest.raises(ValueError, match="groups=True needs item"):
        oddseq.detect_anomalies(
            log, entity="user_id", event="behavior", time="timestamp", groups=True
        )


@pytest.mark.parametrize(
    "options",
    [{"group_by": ["item_id"]}, {"item": "item_id", "session_gap": "30min"}],
    ids=["group_by", "sessions"],
)
def test_the_group_stage_drops_what_dropna_drops(shop, options):
    # The group stage read the undropped log: "drop those rows first" after dropna=True.
    bunch, _ = shop
    log = bunch.events.copy()
    log["user_id"] = log["user_id"].astype(float)
    log.loc[log.index[::40], "user_id"] = np.nan
    before = log.copy()
    # (recorded, not pytest.warns, which raises the other warnings: the sessions' call
    # may also say how many entities its flags fall on, a count that moves with the
    # libraries' releases; with 2026-12-07's it says 86 of 1,500 at base and now)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = oddseq.detect_anomalies(
            log, entity="user_id", event="behavior", time="timestamp", dropna=True, **options
        )
    assert any(
        issubclass(w.category, oddseq.exceptions.DataWarning)
        and "rows with missing values" in str(w.message)
        for w in caught
    )
    assert "group" in table.columns
    assert table.index.get_level_values(0).notna().all()  # sessions: (user, session)
    pd.testing.assert_frame_equal(log, before)  # the caller's frame as it was


def test_p_normal_is_calibrated_on_held_out_normal_entities():
    """Fitted on normal entities only, p_normal of other normal entities is about
    uniform: a share alpha of them has p_normal <= alpha."""
    bunch = make_ecommerce(n_users=4_000, anomaly_rate=0.0, random_state=7)
    seqs = Sequences.from_events(bunch.events, entity="user_id", event="behavior", time="timestamp")
    order = np.random.default_rng(0).permutation(len(seqs))
    pipe = AnomalyPipeline().fit(seqs.take(np.sort(order[:2_000])), normal=True)
    held = pipe.score(seqs.take(np.sort(order[2_000:])))["p_normal"].to_numpy()
    for alpha in (0.05, 0.1, 0.25, 0.5):
        assert abs(np.mean(held <= alpha) - alpha) < 0.04


def test_groups_auto_skips_huge_logs_with_a_warning(shop, monkeypatch):
    import oddseq._pipeline as pipeline_module

    bunch, _ = shop
    monkeypatch.setattr(pipeline_module, "_GROUPS_AUTO_MAX_EVENTS", 1_000)
    kwargs = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
    with pytest.warns(UserWarning, match=r"group stage was skipped.*groups=True \(--groups"):
        table = oddseq.detect_anomalies(bunch.events, **kwargs)
    assert "group" not in table.columns
    forced = oddseq.detect_anomalies(bunch.events, groups=True, **kwargs)
    assert "group" in forced.columns


# --- items whose category the fitted model does not know -----------------------------


_SHOP = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")


def _shop_sequences(log):
    return Sequences.from_events(
        log, entity="user_id", event="behavior", time="timestamp", item="item_id", value="price"
    )


def test_items_of_unknown_category_read_as_missing_not_as_no_diversity():
    """Fitted with the categories of one shop log (make_ecommerce seed 0), scoring a log
    whose items it does not know (seed 1: 1.6% of them known) flagged 60% ("category_
    entropy_bits 0 (typical 2.45)"): their category features are missing, at the fitted
    typical values, with a warning naming how many items had no known category."""
    log = make_ecommerce(n_users=2_000, random_state=0).events
    new = make_ecommerce(n_users=2_000, random_state=1).events
    table, pipe = oddseq.detect_anomalies(
        log, **_SHOP, category="category_id", return_pipeline=True, groups=False
    )
    with pytest.warns(UserWarning, match=r"no known category for [\d,]+ of the [\d,]+ items"):
        scored = pipe.score(_shop_sequences(new))
    trained = table["is_anomaly"].mean()
    assert scored["is_anomaly"].mean() <= 2 * trained + 0.01
    assert not scored["reason"].str.contains("category_entropy_bits 0 ").any()
    # Without categories the same new log flags about as many.
    plain = oddseq.detect_anomalies(log, **_SHOP, return_pipeline=True, groups=False)[1]
    without = plain.score(_shop_sequences(new))["is_anomaly"].mean()
    assert abs(scored["is_anomaly"].mean() - without) < 0.02


def test_a_later_log_of_the_same_shop_is_scored_as_before():
    """Most items of a later log of the same shop are known: no warning, and entities
    whose items are all known score exactly as without the missing-category rule."""
    log = make_ecommerce(n_users=2_000, random_state=0).events
    cut = log["timestamp"].quantile(0.7)
    early, later = log[log["timestamp"] <= cut], log[log["timestamp"] > cut]
    _, pipe = oddseq.detect_anomalies(
        early, **_SHOP, category="category_id", return_pipeline=True, groups=False
    )
    seqs = _shop_sequences(later)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        scored = pipe.score(seqs)
    known = later["item_id"].isin(early["item_id"])
    assert known.mean() > 0.9
    all_known = known.groupby(later["user_id"]).all()
    all_known = all_known[all_known].index
    old = pipe.encoder_.transform(seqs)  # the features without the rule
    raw = pipe._features(seqs, fitting=False)
    rows = np.flatnonzero(seqs.ids.isin(all_known))
    np.testing.assert_array_equal(raw[rows], old[rows])
    assert 0 < scored["is_anomaly"].mean() < 0.1


def test_a_day_whose_entities_are_all_under_min_events_is_an_empty_table(shop):
    """score and predict_proba of entities all shorter than min_events: the empty table
    (the columns and dtypes of a day with events) and a DataWarning naming min_events,
    where the detector was handed no rows and raised."""
    _, seqs = shop
    pipe = AnomalyPipeline(method="pca", min_events=3).fit(seqs)
    short = seqs.take(np.flatnonzero(seqs.lengths < 3)[:20])
    assert len(short) > 0
    with pytest.warns(DataWarning, match="min_events=3"):
        table = pipe.score(short)
    day = pipe.score(seqs)
    assert table.empty and list(table.columns) == list(day.columns)
    assert list(table.dtypes) == list(day.dtypes)
    with pytest.warns(DataWarning, match="min_events=3"):
        proba = pipe.predict_proba(short)
    assert proba.shape == (0, 2)
