"""GroupDetector: planted rings found, nothing found where there are none, bad input."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning
from oddseq.graph import GroupDetector, block_significance, log10_poisson_sf
from oddseq.sequences import Sequences


@pytest.fixture(scope="module")
def ringed():
    data = make_ecommerce(n_users=3000, anomaly_rate=0.0, rings=4, random_state=5)
    det = GroupDetector().fit(data.events, entity="user_id", object="item_id", time="timestamp")
    return data, det


def test_rings_are_found(ringed):
    data, det = ringed
    ring = (data.kinds == "ring").to_numpy()
    flagged = det.predict(data.kinds.index).astype(bool)
    assert (flagged & ring).sum() / ring.sum() >= 0.95
    assert (flagged & ring).sum() / flagged.sum() >= 0.95
    scores = det.decision_function(data.kinds.index)
    assert roc_auc_score(ring, scores) >= 0.98
    groups = det.groups_
    assert (groups["significance"] >= det.threshold).all()
    assert set(groups["method"]) <= {"static", "temporal"}
    members = set(itertools_chain(groups["members"]))
    assert members == set(data.kinds.index[flagged])


def itertools_chain(lists):
    return [x for sub in lists for x in sub]


def test_results_align_to_given_ids(ringed):
    data, det = ringed
    member = det.groups_["members"].iloc[0][0]
    normal = data.kinds.index[(data.kinds == "normal").to_numpy()][0]
    ids = [normal, "unknown", member]
    assert det.group_of(ids).tolist()[:2] == [-1, -1]
    assert det.group_of(ids)[2] >= 0
    assert det.decision_function(ids)[1] == 0.0
    reasons = det.explain(ids)
    assert reasons.index.tolist() == ids
    assert reasons.iloc[0] == "" and reasons.iloc[1] == ""
    assert reasons.iloc[2].startswith("one of ") and "group" in reasons.iloc[2]
    edges = det.group_edges_
    assert set(edges.columns) == {"group", "entity", "object", "count", "first", "last"}
    assert member in set(edges["entity"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_false_groups_without_rings(seed):
    data = make_ecommerce(n_users=3000, anomaly_rate=0.0, random_state=seed)
    det = GroupDetector().fit(data.events, entity="user_id", object="item_id", time="timestamp")
    assert len(det.groups_) == 0
    assert det.labels_.sum() == 0
    assert (det.decision_scores_ == 0).all()


def test_sequences_input_matches_dataframe(ringed):
    data, det = ringed
    seqs = Sequences.from_events(
        data.events, entity="user_id", event="behavior", time="timestamp", item="item_id"
    )
    det2 = GroupDetector().fit(seqs)
    np.testing.assert_allclose(
        det2.decision_function(data.kinds.index), det.decision_function(data.kinds.index)
    )


def test_both_methods_keep_each_entitys_best_group(ringed):
    data, det = ringed
    both = GroupDetector(method="both").fit(
        data.events, entity="user_id", object="item_id", time="timestamp"
    )
    assert set(both.groups_["method"]) >= {"temporal"}
    assert (
        both.decision_function(data.kinds.index) >= det.decision_function(data.kinds.index) - 1e-12
    ).all()


def test_same_result_for_any_thread_count(ringed):
    data, det = ringed
    det1 = GroupDetector(n_threads=1).fit(
        data.events, entity="user_id", object="item_id", time="timestamp"
    )
    np.testing.assert_array_equal(det1.decision_scores_, det.decision_scores_)
    pd.testing.assert_frame_equal(det1.groups_, det.groups_)


def test_shared_devices_across_columns():
    rng = np.random.default_rng(0)
    n = 3000
    df = pd.DataFrame(
        {
            "account": np.arange(n),
            "device": rng.integers(0, 10**6, n).astype(str),
            "ip": rng.integers(0, 10**6, n).astype(str),
        }
    )
    crew = np.arange(10)
    df.loc[crew, "device"] = np.where(crew < 5, "dev-A", "dev-B")
    df.loc[crew, "ip"] = "10.0.0.1"
    extra = pd.DataFrame({"account": crew, "device": "dev-C", "ip": "10.0.0.2"})
    df = pd.concat([df, extra], ignore_index=True)
    det = GroupDetector(method="static").fit(df, entity="account", object=["device", "ip"])
    assert det.group_of(crew).min() == 0
    assert det.predict().sum() == 10
    assert ("ip", "10.0.0.1") in det.groups_["objects"].iloc[0]


def test_empty_and_degenerate_inputs():
    one = pd.DataFrame({"u": [1, 1], "item": [5, 6], "t": [0, 1]})
    det = GroupDetector().fit(one, entity="u", object="item", time="t")
    assert len(det.groups_) == 0 and det.decision_scores_.tolist() == [0.0]
    apart = pd.DataFrame({"u": [1, 2, 3], "item": [5, 6, 7], "t": [0, 1, 2]})
    det = GroupDetector().fit(apart, entity="u", object="item", time="t")
    assert len(det.groups_) == 0 and det.group_of().tolist() == [-1, -1, -1]
    with pytest.warns(DataWarning, match="no times"):
        det = GroupDetector(method="temporal").fit(apart, entity="u", object="item")
    assert len(det.groups_) == 0 and len(det.candidates_) == 0


def test_bad_input_names_the_problem():
    df = pd.DataFrame({"u": [1, 2], "item": [None, None], "t": [0, 1]})
    with pytest.raises(ValueError, match="'device'"):
        GroupDetector().fit(df, entity="u", object="device")
    with pytest.raises(ValueError, match="'item' is all missing"):
        GroupDetector().fit(df, entity="u", object="item")
    with pytest.raises(ValueError, match="entity"):
        GroupDetector().fit(df, object="item")
    with pytest.raises(TypeError, match="DataFrame"):
        GroupDetector().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="no items"):
        GroupDetector().fit(Sequences.from_lists([["a", "b"]]))
    for params, match in [
        ({"method": "x"}, "method"),
        ({"c": 1.0}, "c must"),
        ({"min_members": 1}, "min_members"),
        ({"window": -1}, "window"),
        ({"threshold": np.nan}, "threshold"),
        ({"min_burst": -1}, "min_burst"),
    ]:
        with pytest.raises((ValueError, TypeError), match=match):
            GroupDetector(**params).fit(df, entity="u", object="t")
    original = df.copy()
    GroupDetector().fit(df, entity="u", object="t", time="t")
    pd.testing.assert_frame_equal(df, original)


def test_null_model_tail():
    from scipy.stats import poisson

    for k, mu in [(1, 0.5), (5, 2.0), (30, 3.0), (3, 10.0)]:
        assert log10_poisson_sf(k, mu) == pytest.approx(np.log10(poisson.sf(k - 1, mu)))
    assert log10_poisson_sf(0, 1.0) == 0.0
    # Far in the tail: the bound stays finite and decreasing.
    assert log10_poisson_sf(400, 0.5) < log10_poisson_sf(300, 0.5) < -300
    s = block_significance(np.full(3, 2), np.full(3, 2), 10**6, 10**5, 10**5, 9)
    assert s["log10_p"] > 0 and s["log10_tests"] > 0


def test_make_ecommerce_rings_leave_the_rest_alone():
    base = make_ecommerce(n_users=600, random_state=11)
    again = make_ecommerce(n_users=600, random_state=11, rings=0)
    pd.testing.assert_frame_equal(base.events, again.events)
    ringed = make_ecommerce(n_users=600, random_state=11, rings=2)
    assert (ringed.kinds == "ring").sum() >= 12
    others = base.kinds[base.kinds != "normal"]
    pd.testing.assert_series_equal(ringed.kinds[others.index], others)
    # Ring members keep their normal lives: their lengths look like everyone's.
    lengths = ringed.events.groupby("user_id").size()
    ring_len = lengths[ringed.kinds.index[ringed.kinds == "ring"]]
    assert ring_len.median() < lengths.quantile(0.95)
    with pytest.raises(ValueError, match="rings"):
        make_ecommerce(n_users=600, rings=-1)
    with pytest.raises(ValueError, match="rings"):
        make_ecommerce(n_users=30, rings=5)


def test_plot_group(ringed):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import oddseq.plot

    data, det = ringed
    ax = oddseq.plot.group(det, 0)
    assert ax.get_title().startswith("group 0:")
    assert len(ax.get_yticklabels()) == det.groups_.loc[0, "n_members"]
    with pytest.raises(ValueError, match="not one of"):
        oddseq.plot.group(det, 999)
    with pytest.raises(TypeError):
        oddseq.plot.group(object(), 0)
