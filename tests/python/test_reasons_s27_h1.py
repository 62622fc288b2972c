"""Reasons' typical values in the data's units, the rest of them (H1 s27, #14).

- PCA T^2's mean of any feature, a location of the whole population on the log scale,
  is said as the entities' median ("count[pv] 3 (typical 12)"), not as a "log-scale
  average".
- A feature whose own value is the entities' median (or that of the K-means cluster's
  entities, or of the neighbours), or lies on its other side, is left out of the reason:
  the detector's centre (a shrunk column's median, a mean on the log scale) put it
  apart, not the entity ("purchases per view 0 (typical 0.0149)" where most users have
  0; "count[fav] 0 (entities like it have 0.315)" where the cluster's median is 0).
- KNN of one neighbour (normal-only "auto") and DBSCAN say the neighbours' own values.

Words only: the scores are the detector's (each test compares them)."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq._reasons import format_value, observed, reason_name
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")
SCORES = ("score", "is_anomaly", "p_normal", "rank")


@pytest.fixture(scope="module")
def shop():
    """A shop where two users in three have at most 3 events: the evidence shrinkage
    pulls their rates far, so a shrunk column's median is not the entities' own."""
    log = make_ecommerce(n_users=500, random_state=7).events
    users = log["user_id"].unique()
    short = log["user_id"].isin(set(users[::3]) | set(users[1::3]))
    log = pd.concat([log[~short], log[short].groupby("user_id").head(3)], ignore_index=True)
    return log, Sequences.from_events(log, **ROLES)


@pytest.fixture(scope="module")
def plain():
    return Sequences.from_events(make_ecommerce(n_users=400, random_state=7).events, **ROLES)


def _fit(seqs, normal=False, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oddseq.AnomalyPipeline(random_state=0, **options).fit(seqs, normal=normal)


def _phrases(reasons) -> pd.Series:
    return pd.Series(reasons).astype(str).str.split("; ").explode()


def test_pca_t2_says_the_entities_median_of_every_feature(plain):
    """Before: "count[pv] 3 (log-scale average 10.1)", T^2's centre (the mean of log1p)
    said back in counts: 358 of 2,400 phrases of a 1,200-user make_ecommerce table."""
    seqs = plain
    pipe = _fit(seqs)  # auto: K-means, PCA T^2 and robust z
    table = pipe.score(seqs)
    assert not table["reason"].astype(str).str.contains("log-scale average").any()
    names = list(pipe.feature_names_)
    raw = pipe._explain_rows["fit"][1]
    why = pipe.explain(seqs, seqs.ids, top=4)
    t2 = why[(why["detector"] == "pca_t2") & why["feature"].str.startswith("count[")]
    t2 = t2[t2["typical_words"] == "log-scale average"]  # (not "most entities have none")
    checked = 0
    for feature, said in zip(t2["feature"], t2["typical_said"]):
        if " with " in said:  # (an entity of up to 30 events: its like length's, s42)
            continue
        column = np.sort(raw[:, names.index(feature)])
        low, high = column[(len(column) - 1) // 2], column[len(column) // 2]
        if low == high:  # the median is a count of one entity
            assert said == f"typical {format_value(feature, low)}", said
            checked += 1
    assert checked >= 20
    # and in the reasons: said where the value lies apart from it
    reasons = _phrases(table["reason"])
    assert reasons.str.contains(r"count\[[^\]]+\] [\d,]+ \(typical [\d,]+\)").sum() >= 20


@pytest.mark.parametrize("method", ["robust_z", "ecod", "kmeans"])
def test_a_value_at_or_past_the_entities_median_is_left_out(shop, method):
    """Robust z, ECOD: a shrunk feature against the median of the entities' own values
    (``_typical_raw``); K-means: any feature against its reference cluster's members'
    median (``_typical_like``). Where the value is that median's or lies on its other
    side than the detector's typical value, the reason does not name it."""
    _, seqs = shop
    pipe = _fit(seqs, method=method)
    table = pipe.score(seqs)
    why = pipe.explain(seqs, seqs.ids, top=4)
    names = list(pipe.feature_names_)
    cols = why["feature"].map(names.index).to_numpy()
    if method == "kmeans":
        raw = pipe._explain_sources()["score"][1]
        reference = pipe.detector_._scores_and_reference(pipe._scaled(raw, seqs.lengths))[1]
        rows = seqs.ids.get_indexer(why.index.get_level_values(0))
        median = pipe._typical_like[reference[rows], cols]
    else:
        median = pipe._typical_raw[cols]
    value, typical = why["value"].to_numpy(), why["typical"].to_numpy()
    scored = np.sign(value - typical)
    agrees = (np.sign(why["value_read"].to_numpy() - typical) == scored) & (scored != 0)
    texts = np.array([format_value(n, m) for n, m in zip(why["feature"], median)])
    left = np.isfinite(median) & agrees
    left &= (texts == why["value_text"].to_numpy()) | (np.sign(value - median) == -scored)
    # (but a duration apart from the typical of its length, on the scored side, is said so)
    left &= ~why["typical_said"].str.match(r"typical [^,]+ with [\d,+-]+ events?$").to_numpy()
    assert left.sum() >= 5, method
    reasons = table["reason"].astype(str)
    for (entity, _), row in why[left].iterrows():
        phrase = f"{reason_name(row['feature'])} {row['value_text']} ("
        reason = reasons.loc[entity]
        assert phrase not in reason or reason.startswith("no single feature"), (phrase, reason)
    # explain says the median there (a note may follow it: "entities like it have 173;
    # typical 162 with 3 events", the largest value, shrunk by its valued events since
    # the fifty-third session)
    said = why["typical_said"].to_numpy()[left]
    assert all(
        s.endswith(f" {t}") or f" {t} overall, " in s or f" {t}; typical " in s
        for s, t in zip(said, texts[left])
    )


# (it scores the normal log it was fitted on, as the warning says)
@pytest.mark.filterwarnings("ignore:.*among those the model was fitted on as normal")
def test_one_neighbour_says_its_own_value(shop, tmp_path, without_attribute):
    """Normal-only "auto" explains a row against its one nearest normal entity, whose
    value the reason said as the detector read it: evidence-shrunk ("purchases per cart 8
    (normal entities like it have 0.758)" where that entity has 1). Said now: its own."""
    log, seqs = shop
    users = log["user_id"].unique()
    normal = seqs.take(np.flatnonzero(seqs.ids.isin(users[::2])))
    pipe = _fit(normal, normal=True)
    det = pipe.detector_
    assert det._explain_k() == 1 and pipe._like_rows.shape[0] == len(normal)
    table = pipe.score(seqs)
    raw = pipe._explain_sources()["score"][1]
    X = pipe._scaled(raw, seqs.lengths)
    nearest = det._explaining_rows(X)[:, 0]
    own = pipe._explain_sources()["fit"][1]
    names = list(pipe.feature_names_)
    words = {reason_name(n): j for j, n in enumerate(names)}
    like = re.compile(r"(?:^|; )([^;(]+?) (\S+) \(normal entities like it have ([^);]+)\)")
    checked = 0
    # the neighbour's own value is said where it rests on enough observations of the
    # feature (events, gaps, one fewer for a spread: _reasons.observed)
    enough = observed(pipe.evidence_).enough(normal.lengths, own)
    for at, reason in enumerate(table["reason"].reindex(seqs.ids).astype(str)):
        for name, _, typical in like.findall(reason):
            j = words.get(name)
            if j is None or pipe.evidence_.kinds_[j] and not enough[nearest[at], j]:
                continue
            assert typical == format_value(names[j], own[nearest[at], j]), (reason, name)
            checked += 1
    assert checked >= 50
    with without_attribute(pipe, "_like_rows"):
        before = pipe.score(seqs)
        pipe.save(tmp_path / "old.oddseq")
    for column in SCORES:
        assert np.array_equal(table[column].to_numpy(), before[column].to_numpy()), column
    assert (table["reason"] != before["reason"]).sum() >= 50
    # a model saved before the own values were kept says its words
    assert oddseq.load(tmp_path / "old.oddseq").score(seqs)["reason"].equals(before["reason"])


def test_dbscan_says_the_neighbours_median(shop, without_attribute):
    _, seqs = shop
    pipe = _fit(seqs, method="dbscan")
    table = pipe.score(seqs)
    assert pipe._like_rows is not None
    with without_attribute(pipe, "_like_rows"):
        before = pipe.score(seqs)
    for column in SCORES:
        assert np.array_equal(table[column].to_numpy(), before[column].to_numpy()), column
    assert (table["reason"] != before["reason"]).sum() >= 100
    assert table["reason"].str.contains("entities like it have").sum() >= 100


def test_one_neighbour_over_dask_partitions_equals_one_machine(shop):
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    import oddseq.dask

    log, _ = shop
    normal = log[log["user_id"].isin(log["user_id"].unique()[::2])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, one = oddseq.detect_anomalies(
            log, crowds=False, **ROLES, normal=normal, groups=False, return_pipeline=True
        )
        with dask.config.set(scheduler="sync"):
            table, model = oddseq.dask.detect_anomalies(
                dd.from_pandas(log, npartitions=3),
                **ROLES,
                normal=dd.from_pandas(normal, npartitions=2),
                groups=False,
                return_pipeline=True,
            )
            table = table.compute()
    assert one.detector_._explain_k() == 1
    assert table["reason"].reindex(expected.index).equals(expected["reason"])
    assert expected["reason"].str.contains("normal entities like it have").sum() >= 50
    assert np.array_equal(model._like_rows, one._like_rows, equal_nan=True)


def test_the_reasons_read_the_explained_neighbours_and_keep_them_no_longer(plain):
    """The medians of the neighbours' own values read the rows explain() chose, handed
    back with its table (no second search), the same as a search finds."""
    from oddseq.detect import _neighbors

    pipe = _fit(plain, method="knn")
    det = pipe.detector_
    X = np.ascontiguousarray(det._train[::-1][:300] + 0.01)  # not the training rows
    _, chosen = _neighbors.explained_with_rows(det, X, 4)
    rows = np.arange(0, len(X), 7)
    searched = det._explaining_rows(X[rows], rows)
    assert np.array_equal(chosen[rows], searched)
    # other rows than those explained at those positions: searched, not misread
    other = X[rows][::-1].copy()
    assert np.array_equal(det._explaining_rows(other, rows), searched[::-1])
