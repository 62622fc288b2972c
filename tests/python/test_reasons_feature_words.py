"""Reasons name features in words, not by their column names (H4 s16, #14's leftovers).

"repeat_previous_item_share 0.9 (typical 0.1)" and "gap_std_s 3 min" are column names an
analyst has to decode; "count[api_token_create] 1 (geometric mean 0.00891)" says a
statistic where the point is that most entities never do it. Every column the pipeline's
encoders can emit has its words (a new column without words fails here), the event
counts keep their "count[<type>]" form (the type is the log's own label), and PCA T^2's
expectation reads "log-scale average", or, for a count whose expectation lies under
sqrt(2) - 1, "most entities have none" (true: were half of the entities at 1 or more,
the mean of log(1 + count) would be at least log(2) / 2, its inverse sqrt(2) - 1).
Wording only: scores and flags are the detector's."""

import re

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline, Sequences, _reasons
from oddseq.datasets import make_ecommerce
from oddseq.encode import _behaviour, _change

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")


def _emitted_names(log):
    """Every column the pipeline's encoders emit on a log with items, values and
    categories and recent_change, and every name their constants list (options the
    log does not exercise)."""
    categories = log.groupby("item_id")["category_id"].first()
    pipe = AnomalyPipeline(item_categories=categories, recent_change=True)
    seqs = Sequences.from_events(log, **ROLES)
    names = set(pipe._new_encoder().fit(seqs).get_feature_names_out())
    names |= set(_behaviour.DIVERSITY_ITEM_NAMES) | set(_behaviour.DIVERSITY_VALUE_NAMES)
    names |= set(_behaviour.DIVERSITY_CATEGORY_NAMES)
    names |= set(_change.CHANGE_FEATURES) | {_change.NEW_TYPES_FEATURE}
    names |= {"length", "duration_s", "gap_mean_s", "gap_std_s", "count[<other>]"}
    return sorted(names)


@pytest.fixture(scope="module")
def log():
    return make_ecommerce(n_users=500, random_state=4).events


def test_every_feature_the_pipeline_emits_has_words(log):
    names = _emitted_names(log)
    assert len(names) >= 35
    for name in names:
        said = _reasons.reason_name(name)
        if name.startswith("count["):  # the count of an event type, by the log's label
            assert said == name
            continue
        assert said != name, name
        assert "_" not in said, (name, said)  # no column name inside the words either


def test_reasons_name_no_columns(log):
    categories = log.groupby("item_id")["category_id"].first()
    seqs = Sequences.from_events(log, **ROLES)
    pipe = AnomalyPipeline(item_categories=categories, recent_change=True).fit(seqs)
    reasons = pipe.score(seqs)["reason"].astype(str)
    columns = [n for n in pipe.feature_names_ if not n.startswith("count[")]
    leaked = {n for n in columns if reasons.str.contains(re.escape(n)).any()}
    assert leaked == set()
    assert reasons.str.contains("spread of time between events ", regex=False).any()


def test_pca_mean_reads_as_what_it_is(log):
    # a rare event type: 'refund' by one user in 25, several times each
    users = log["user_id"].drop_duplicates().to_numpy()[::25]
    rare = log[log["user_id"].isin(users)].groupby("user_id").head(4).copy()
    rare["behavior"] = "refund"
    rare["timestamp"] += 1
    log = pd.concat([log, rare], ignore_index=True)
    seqs = Sequences.from_events(log, **ROLES)
    pipe = AnomalyPipeline().fit(seqs)
    reasons = pipe.score(seqs)["reason"].astype(str)
    assert not reasons.str.contains("geometric mean").any()
    none = re.compile(r"(count\[[^\]]+\]) [\d,]+ \(most entities have none\)")
    named = {m for r in reasons for m in none.findall(r)}
    assert named  # a rare event type's count, said so
    raw = pipe.encoder_.transform(seqs)
    for name in named:  # and it is true: most fitted entities have none of it
        column = raw[:, list(pipe.feature_names_).index(name)]
        assert (column == 0).mean() > 0.5, name
    # the other means are said as the entities' median, in the data's units (H1 s27)
    assert not reasons.str.contains("log-scale average", regex=False).any()


def test_most_have_none_only_below_the_bound():
    """The words follow the number: a count's log-scale average of sqrt(2) - 1 or more
    is said as the number; a rate's, however small, too."""
    log = make_ecommerce(n_users=300, random_state=5).events
    pipe = AnomalyPipeline().fit(Sequences.from_events(log, **ROLES))
    names = list(pipe.feature_names_)
    j, k = names.index("count[buy]"), names.index("buy_per_view")

    def words(col, typical, normal=False):
        pipe.normal_ = normal
        said, _ = _reasons._typical_words(
            pipe,
            np.array([col]),
            np.array([5.0]),
            np.array([typical]),
            np.array([50]),
            np.array([_reasons.format_value(names[col], typical)], dtype=object),
            np.array([_reasons._MEAN], dtype=object),
        )
        return said[0]

    try:
        assert words(j, 0.4) == "most entities have none"
        assert words(j, 0.4, normal=True) == "most normal entities have none"
        assert words(j, 0.42) == "log-scale average 0.42"
        assert words(k, 0.01) == "expected 0.01"  # a shrunk rate: what the model expects
    finally:
        pipe.normal_ = False


def test_explain_says_whose_typical_as_the_reason_says_it(log):
    """explain()'s ``typical_words`` says "most entities have none" where the reason
    does (it said "log-scale average" beside a reason saying "most entities have
    none"): one source of the words."""
    users = log["user_id"].drop_duplicates().to_numpy()[::25]
    rare = log[log["user_id"].isin(users)].groupby("user_id").head(4).copy()
    rare["behavior"] = "refund"
    rare["timestamp"] += 1
    log = pd.concat([log, rare], ignore_index=True)
    seqs = Sequences.from_events(log, **ROLES)
    pipe = AnomalyPipeline().fit(seqs)
    reasons = pipe.score(seqs)["reason"].astype(str)
    explained = pipe.explain(seqs).reset_index()
    none = explained[explained["typical_words"] == "most entities have none"]
    assert len(none)  # the rare count's rows say it
    assert none["feature"].str.startswith("count[").all()
    hits = 0
    for row in explained.itertuples():
        name = _reasons.reason_name(row.feature)
        if f"{name} {row.value_text} (most entities have none)" in reasons.loc[row.user_id]:
            assert row.typical_words == "most entities have none", row
            hits += 1
        elif row.typical_words == "most entities have none":
            # where the reason names it, it says so
            assert f"{name} {row.value_text} (log-scale average" not in reasons.loc[row.user_id]
    assert hits
    # plot_explanation's bar labels say it as the reason does: the words alone
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from oddseq import plot

    who = none["user_id"].iloc[0]
    ax = plot.plot_explanation(pipe.explain(seqs, [who]))
    labels = [t.get_text() for c in ax.containers for t in getattr(c, "_labels", [])]
    labels += [t.get_text() for t in ax.texts]
    labels += [t.get_text().split("\n", 1)[-1] for t in ax.get_yticklabels()]
    assert any(label.endswith("(most entities have none)") for label in labels), labels
    assert not any("have none " in label for label in labels), labels
    import matplotlib.pyplot as plt

    plt.close(ax.figure)
