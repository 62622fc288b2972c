"""A reason says whose typical value it quotes (H1 s15, finding 5, on a blind accounts log).

The default ensemble explains each row by one member, and each member expects something
else: robust z the training median ("typical"), PCA's T^2 the training mean of the log-scaled
features ("log-scale average"; "most entities have none" for a rare count:
test_reasons_feature_words),
K-means the entity's reference centre and the neighbour detectors its nearest training
entities ("entities like it have"; "normal entities like it have" in normal-only
fitting). One table read "count[payee_add] 3 (typical 0)" beside "count[payee_add] 5
(typical 0.181)", and normal-only "count[login_fail] 4 (typical 9)": fewer failed logins
than typical read as the reason for a flag, where the score rose because entities like
it have 9. Wording only: scores and flags are the detector's (tested in
test_reasons_duration and by the bit-identity checks of the change)."""

import re

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline, Sequences
from oddseq._reasons import reason_name
from oddseq.datasets import make_ecommerce

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")
# The words before the typical value, by the member that explains the row.
LABEL = {"robust_z": "typical", "pca_t2": "log-scale average", "kmeans": "entities like it have"}
# ... and as the reason says it: PCA T^2's mean, a location of the whole population, as the
# entities' median in the data's units (H1 s27: "log-scale average" read as jargon)
SAID = {**LABEL, "pca_t2": "typical"}


@pytest.fixture(scope="module")
def fitted():
    log = make_ecommerce(n_users=400, random_state=0).events
    seqs = Sequences.from_events(log, **ROLES)
    pipe = AnomalyPipeline().fit(seqs)
    return seqs, pipe, pipe.score(seqs), pipe.explain(seqs)


def _said(table, names, label, pipeline=None):
    """{feature: the typical values said after ``label``} over the table's reasons
    (the typical of entities with about as many events left out); given the
    ``pipeline``, each feature named as its reasons name it (the value column's name)."""
    from oddseq._reasons import reason_names

    out = {}
    for name in names:
        said = reason_name(name) if pipeline is None else reason_names(pipeline, [name])[0]
        pattern = re.compile(re.escape(f"{said} ") + r"\S+ \(" + re.escape(label) + r" ([^ ;)]+)\)")
        for reason in table["reason"]:
            for typical in pattern.findall(str(reason)):
                out.setdefault(name, set()).add(typical)
    return out


def test_typical_is_one_value_per_feature(fitted):
    """'typical' is the training median, one value per feature in the whole table (it
    was each member's own expectation: 'count[fav] 45 (typical 0.977)' and 'count[fav]
    7 (typical 0.147)' in one table)."""
    _, pipe, table, _ = fitted
    said = _said(table, pipe.feature_names_, "typical")
    assert len(said) >= 3
    assert {name: v for name, v in said.items() if len(v) > 1} == {}


def test_each_member_says_whose_typical(fitted):
    _, pipe, table, explained = fitted
    explained = explained.reset_index()
    reasons = table["reason"].astype(str)
    hits = dict.fromkeys(LABEL, 0)
    for row in explained.itertuples():
        reason = reasons.loc[row.user_id]
        for member, label in LABEL.items():
            # (typical_said: the typical value as the reason says it, with its words; a
            # shrunk feature's median, K-means' members' median, where not the detector's)
            phrase = f"{reason_name(row.feature)} {row.value_text} ({row.typical_said})"
            # (a duration's typical of like length is said "typical" whoever explains it)
            said = row.typical_said.startswith(f"{SAID[member]} ") and row.typical_words == label
            if said and phrase in reason:
                assert member == row.detector, (phrase, row.detector)
                hits[member] += 1
    assert min(hits.values()) >= 3, hits  # every member's words occur
    # explain says them too (and plot_explanation's labels)
    assert (explained["typical_words"] == explained["detector"].map(LABEL)).all()


def test_the_streams_explanation_is_told_apart_by_its_typical_values(fitted):
    """The stream's C++ explanation does not say which member explains a row: a row
    whose typical values are robust z's medians is robust z's, PCA T^2's means PCA's,
    any other K-means's centre."""
    from oddseq import _reasons

    _, pipe, _, _ = fitted
    members = dict(pipe.detector_.detectors_)
    cols = np.array([0, 3, 0, 3, 0, 3])
    rows = np.repeat([0, 1, 2], 2)
    centre = pipe.detector_.detectors_[0][1].kmeans_.cluster_centers_[0].astype(np.float64)
    typical = np.r_[
        members["robust_z"].median_[[0, 3]],
        members["pca_t2"].mean_[[0, 3]],
        centre[[0, 3]],
    ]
    words = _reasons.typical_words_at(pipe, rows, cols, typical)
    assert (
        words.tolist()
        == ["typical"] * 2 + ["log-scale average"] * 2 + ["entities like it have"] * 2
    )


def test_normal_only_says_normal_entities_like_it():
    """The neighbours' mean of normal-only fitting, below or above: '4 (normal entities
    like it have 9)', not 'typical 9'."""
    log = make_ecommerce(n_users=600, random_state=1)
    normal_ids = log.labels.index[log.labels == 0][:300]
    events = log.events
    normal = Sequences.from_events(events[events["user_id"].isin(normal_ids)], **ROLES)
    rest = Sequences.from_events(events[~events["user_id"].isin(normal_ids)], **ROLES)
    pipe = AnomalyPipeline().fit(normal, normal=True)
    table = pipe.score(rest)
    reasons = table["reason"].astype(str)
    words = "(normal entities like it have "
    assert reasons.str.contains(words, regex=False).sum() >= 10
    # "typical" only for the typical of entities with about as many events
    plain = reasons.str.extractall(r"\(typical ([^;)]*)\)")[0]
    assert plain.str.contains(" with ").all(), plain[~plain.str.contains(" with ")].head()
    below = re.compile(r"(count\[\w+\]) (\d+) \(normal entities like it have ([\d.,]+)\)")
    lower = [m for r in reasons for m in below.findall(r) if float(m[1]) < float(m[2])]
    assert lower  # a count below its neighbours' is said as such


# (30 alike pollers, a tenth of the log, at the top: the small log's cut says so)
@pytest.mark.filterwarnings("ignore:the automatic cut's tail rule flags")
def test_long_entities_item_variety_is_not_another_populations():
    """Item variety of an entity with 1,000+ events is read against the detector's
    typical, not the median of its length band, which pollers calling one endpoint
    fill: 'distinct_item_ratio 0.788 (typical 0.00149 with 1,001-1,500 events)' for an
    insider exporting hundreds of documents. Short entities keep their band (the
    length bounds their variety: test_reasons_typical_items); durations keep theirs."""
    from oddseq import _reasons

    base = make_ecommerce(n_users=300, random_state=2).events
    t0 = int(base["timestamp"].min())
    pollers = pd.DataFrame(
        {
            "user_id": np.repeat(np.arange(900_000, 900_030), 1_100),
            "item_id": 1,
            "category_id": 1,
            "behavior": "pv",
            "timestamp": t0 + 600 * np.tile(np.arange(1_100), 30),
            "price": 1.0,
        }
    )
    log = pd.concat([base, pollers.astype(base.dtypes.to_dict())], ignore_index=True)
    pipe = AnomalyPipeline().fit(Sequences.from_events(log, **ROLES))
    names = list(pipe.feature_names_)
    cols, medians = pipe._typical_by_length
    band = _reasons.length_bands([1_100])[0]
    j = names.index("distinct_item_ratio")
    # the pollers' band: never read for item variety, so not taken since s42 (NaN)
    assert np.isnan(medians[list(cols).index(j), band])
    d = names.index("duration_s")

    def words(col, value, typical, length):
        said, _ = _reasons._typical_words(
            pipe,
            np.array([col]),
            np.array([value]),
            np.array([typical]),
            np.array([length]),
            np.array([_reasons.format_value(names[col], typical)], dtype=object),
            np.array(["log-scale average"], dtype=object),
        )
        return said[0]

    # (PCA T^2's mean of a shrunk feature: "expected", H7 s26)
    assert words(j, 0.788, 0.347, 1_100) == "expected 0.347"
    ratio = _reasons.typical_of_length(pipe, [j], [0.788], [0.347], [1_100])
    assert not ratio.any()  # and never left out as typical of its length
    # durations keep the band at every length; short entities' item variety too
    assert "with 1,001-1,500 events" in words(d, 3_600.0, 600_000.0, 1_100)
    short = _reasons.length_bands([20])[0]
    if np.isfinite(medians[list(cols).index(j), short]):
        assert "with 16-20 events" in words(j, 0.1, 0.9, 20)


def test_share_value_missing_is_said_in_words():
    """'share_value_missing 0.5 (typical 0.947)' (1,765 reasons of one table) is said
    as what it means: the share of the entity's events without a value."""
    log = make_ecommerce(n_users=400, random_state=3).events.copy()
    log.loc[log["behavior"] != "buy", "price"] = np.nan  # a value on purchases only
    seqs = Sequences.from_events(log, **ROLES)
    pipe = AnomalyPipeline().fit(seqs)
    assert "share_value_missing" in pipe.feature_names_  # the column keeps its name
    table = pipe.score(seqs)
    reasons = table["reason"].astype(str)
    assert not reasons.str.contains("share_value_missing", regex=False).any()
    assert reasons.str.contains("share of events without price ", regex=False).sum() >= 3
    # Values on a few events: "value_max 1.25e+03 (typical 1.24)" read as an average of
    # mostly empty values. The median ("typical") is one value per feature; PCA's mean
    # of the log-scaled feature, a location of the whole population, is said as that
    # median too, not as the "log-scale average" it is (H1 s27).
    said = _said(table, ["value_max", "value_mean", "value_sum", "value_std"], "typical", pipe)
    assert said and all(len(v) == 1 for v in said.values()), said
    assert not reasons.str.contains("log-scale average", regex=False).any()
