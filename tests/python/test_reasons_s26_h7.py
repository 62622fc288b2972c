"""Reasons' words of session 26 (H7): a Markov step said with how often, the
recent-change facts as a phrase of their own, and what the neighbour detectors' (KNN,
LOF) "entities like it have" says: the median of the neighbours' own values."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq._reasons import before_evidence, format_value, reason_name
from oddseq.sequences import Sequences


def test_a_repeated_markov_step_says_its_least_likely_occurrence_of_them():
    # Before: "5 times view → buy, the least likely p=0.035 (expected view)", where the
    # reason names this one step only: "the least likely" read as a comparison with
    # other steps that it does not name. The lowest p is that of its own occurrences.
    normal = [["login", "view", "view", "view", "logout"]] * 60
    normal += [["login", "view", "buy", "logout"]] * 10
    odd = [["login"] + ["view", "view", "buy"] * 5 + ["logout"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few sequences for the automatic cut
        pipe = oddseq.AnomalyPipeline(method="markov").fit(Sequences.from_lists(normal + odd))
    reason = pipe.table_.loc[70, "reason"]
    assert reason.startswith("5 times view → buy, the least likely of them p=0.035"), reason
    # a step made once keeps its words; "the least likely" only with how often
    reasons = pipe.table_["reason"]
    # (its step to the event expected there, "buy → logout p=0.75 (expected logout)",
    # is no longer named beside the odd one: trial s40)
    assert reasons[60].startswith("view → buy p=0.13 (expected view) (rests on")
    assert reasons.str.count("least likely of them").equals(reasons.str.count("least likely"))
    assert reasons.str.count("least likely").equals(reasons.str.count(r"\d times "))


def test_the_recent_change_facts_are_a_phrase_of_their_own():
    # Before: "mean value 245 (log-scale average 51.6) (recent: 5 of 24 events buy
    # ...)": the facts in brackets after the last feature's phrase read as that
    # feature's.
    reason = (
        "recent activity against its own past: values x8 (log-scale average x1); "
        "mean value 245 (log-scale average 51.6)"
    )
    facts = "recent: 5 of 24 events buy (21%), against 0 of 31 earlier, spread over 1.6 d"
    assert before_evidence(reason, facts) == (
        reason + "; recent change: 5 of 24 events buy (21%), against 0 of 31 earlier, "
        "spread over 1.6 d"
    )
    assert before_evidence(reason + " (rests on 4 events)", facts).endswith(
        "; recent change: 5 of 24 events buy (21%), against 0 of 31 earlier, spread over "
        "1.6 d (rests on 4 events)"
    )


def test_a_table_reason_ends_with_the_recent_change_phrase():
    rng = np.random.default_rng(0)
    day, hour = 86_400, 3_600
    rows = [
        (u, "view", d * day + 20 * hour + k * 60 + int(rng.integers(0, 300)), 20.0)
        for u in range(300)
        for d in range(6)
        for k in range(int(rng.integers(3, 8)))
    ]
    rows += [(999, "view", 20 * hour + k * 60, 20.0) for k in range(6)]
    rows += [(999, "buy", 5 * day + 3 * hour + k, 900.0) for k in range(6)]
    log = pd.DataFrame(rows, columns=["user", "event", "time", "value"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = oddseq.detect_anomalies(
            log, entity="user", event="event", time="time", value="value", recent_change=True
        )
    reason = table.loc[999, "reason"]
    assert "recent activity against its own past" in reason, reason
    assert "; recent change: 6 of " in reason, reason
    assert "(recent:" not in reason, reason


# ---- the neighbour detectors' "entities like it have"

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
LIKE = re.compile(r"([^;(]+?) ([^;(]+?) \(entities like it have ([^;)]+)\)")


@pytest.fixture(scope="module")
def shop():
    from oddseq.datasets import make_ecommerce

    log = make_ecommerce(n_users=500, random_state=243).events
    return log, Sequences.from_events(log, **ROLES)


def _fit(seqs, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oddseq.AnomalyPipeline(random_state=0, **options).fit(seqs)


@pytest.mark.parametrize("method", ["knn", "lof"])
def test_entities_like_it_have_the_median_of_the_neighbours_own_values(shop, method):
    """KNN and LOF said the mean of the neighbours on the detector's log scale (log1p
    of shrunk values), a value none of them has: "purchases per cart 27 (entities like
    it have 6.57)" where their median is 12. Said now: the median of the neighbours'
    own values, counted here by hand from the raw features and neighbours found by scikit-learn."""
    from sklearn.neighbors import NearestNeighbors

    _, seqs = shop
    pipe = _fit(seqs, method=method)
    det = pipe.detector_
    k = det._explain_k()
    assert k > 1
    names = list(pipe.feature_names_)
    raw = pipe._explain_rows["fit"][1]
    X = pipe._scaled(raw, seqs.lengths)
    dist, ind = NearestNeighbors(n_neighbors=k + 2).fit(X).kneighbors(X)
    words = {reason_name(n): j for j, n in enumerate(names)}
    counts = [j for j, n in enumerate(names) if n.startswith("count[")]  # never shrunk
    checked = differs = 0
    for at, reason in enumerate(pipe.table_["reason"].reindex(seqs.ids)):
        # rows whose k neighbours (itself left out) are not tied with the next one
        others = ind[at][ind[at] != at][: k + 1]
        gaps = dist[at][ind[at] != at][: k + 1]
        if len(others) < k + 1 or gaps[k - 1] == gaps[k] or dist[at][0] > 0 and ind[at][0] != at:
            continue
        for name, value, like in LIKE.findall(str(reason)):
            j = words.get(name.strip())
            if j not in counts:
                continue
            median = float(np.median(raw[others[:k], j]))
            mean = pipe.log_scaler_.inverse_transform_at(
                pipe.z_scaler_.inverse_transform_at(X[others[:k], j : j + 1].mean(axis=0), [j]),
                [j],
            )[0]
            v = float(value.replace(",", ""))
            apart = np.sign(v - median) == np.sign(v - mean) != 0
            assert like == format_value(names[j], median if apart else mean), reason
            checked += 1
            differs += bool(apart) and like != format_value(names[j], mean)
    assert checked >= 20 and differs >= 10  # before: the log-scale mean, and it differs


def test_scores_are_bit_for_bit_and_a_model_without_the_rows_says_as_before(
    shop, tmp_path, without_attribute
):
    _, seqs = shop
    pipe = _fit(seqs, method="knn")
    table = pipe.score(seqs)
    with without_attribute(pipe, "_like_rows"):
        before = pipe.score(seqs)
        pipe.save(tmp_path / "old.oddseq")
    for column in ("score", "is_anomaly", "p_normal", "rank"):
        assert np.array_equal(table[column].to_numpy(), before[column].to_numpy()), column
    assert (table["reason"] != before["reason"]).sum() >= 50
    assert oddseq.load(tmp_path / "old.oddseq").score(seqs)["reason"].equals(before["reason"])
    pipe.save(tmp_path / "new.oddseq")
    assert oddseq.load(tmp_path / "new.oddseq").score(seqs)["reason"].equals(table["reason"])
    # explain() says the same typical value as the table
    said = pipe.explain(seqs, seqs.ids[:50], top=4)["typical_said"]
    assert said.str.contains("entities like it have").sum() >= 20


def test_one_neighbour_keeps_its_own_value(shop):
    # Normal-only auto's KNN explains a row against its one nearest normal entity: its
    # own values are kept, and said (H1 s27, test_reasons_s27_h1), not its shrunk ones.
    log, _ = shop
    normal = log[log["user_id"].isin(log["user_id"].unique()[:300])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, pipe = oddseq.detect_anomalies(log, **ROLES, normal=normal, return_pipeline=True)
    assert pipe.detector_._explain_k() == 1
    assert pipe._like_rows.shape == pipe.detector_._train.shape


def test_the_stream_says_the_neighbours_medians(shop, without_attribute):
    from oddseq.stream import StreamScorer
    from oddseq.stream._scorer import _hash_keys

    log, seqs = shop
    pipe = _fit(seqs, method="knn")
    scorer = StreamScorer(pipe, **ROLES, reasons="all")
    scorer.update(log.sort_values("timestamp", kind="stable"))
    keys = np.ascontiguousarray(_hash_keys(seqs.ids))
    live = pd.Series(scorer._alert_reasons(keys))
    with without_attribute(pipe, "_like_rows"):
        before = pd.Series(scorer._alert_reasons(keys))
    assert live.str.contains("entities like it have").sum() >= 50
    assert (live != before).sum() >= 20


@pytest.mark.parametrize("method, with_normal", [("knn", False), ("knn", True), ("lof", False)])
def test_neighbour_medians_over_dask_partitions_equal_one_machines(shop, method, with_normal):
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    import oddseq.dask

    log, _ = shop
    users = log["user_id"].unique()
    normal = log[log["user_id"].isin(users[:300])]
    for options in [dict(method=method, normal=normal) if with_normal else dict(method=method)]:
        options["groups"] = False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected, one = oddseq.detect_anomalies(
                log, crowds=False, **ROLES, **options, return_pipeline=True
            )
            ddf = dd.from_pandas(log, npartitions=3)
            if "normal" in options:
                options["normal"] = dd.from_pandas(normal, npartitions=2)
            with dask.config.set(scheduler="sync"):
                table, model = oddseq.dask.detect_anomalies(
                    ddf, **ROLES, **options, return_pipeline=True
                )
                table = table.compute()
        assert table["reason"].reindex(expected.index).equals(expected["reason"]), options
        assert expected["reason"].str.contains("entities like it have").sum() >= 20
        assert model._like_rows.shape == one._like_rows.shape


# ---- PCA T^2's "log-scale average" of a shrunk feature


def test_pca_t2_says_a_shrunk_feature_against_the_entities_own_median(shop):
    """PCA T^2 expects the mean of the log-scaled, evidence-shrunk feature: "purchases
    per cart 27 (log-scale average 0.306)" where most users have none. Said now: the
    median of the entities' own values where it lies on the scored side ("typical 0"),
    else "expected"; never "log-scale average" of a shrunk feature."""
    _, seqs = shop
    pipe = _fit(seqs)  # auto: the ensemble with its pca_t2 member
    names = list(pipe.feature_names_)
    shrunk = {n for n, kind in zip(names, pipe.evidence_.kinds_) if kind}
    explained = pipe.explain(seqs, seqs.ids, top=4)
    t2 = explained[(explained["detector"] == "pca_t2") & explained["feature"].isin(shrunk)]
    said = t2["typical_said"].astype(str)
    assert len(said) >= 20
    assert not said.str.contains("log-scale average", regex=False).any()
    median = said.str.startswith("typical ")
    assert median.sum() >= 10 and said[~median].str.startswith("expected ").all()
    overall = median & ~said.str.match(r"typical [^,]+ with [\d,+-]+ events?$")  # not by length
    assert overall.sum() >= 10
    for feature, words in zip(t2["feature"][overall], said[overall]):
        j = names.index(feature)
        assert words.startswith(f"typical {format_value(feature, pipe._typical_raw[j])}"), words
    reasons = pipe.table_["reason"].astype(str).str.split("; ").explode()
    on_shrunk = reasons.map(lambda p: any(p.startswith(reason_name(n) + " ") for n in shrunk))
    assert not reasons[on_shrunk].str.contains("log-scale average", regex=False).any()
