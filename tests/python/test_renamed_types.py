"""An analyst's own names for the same log ("view" for "pv", "purchase" for "buy", template
"E7" for "5"), with its items and entities renamed too, give the same table: the same
flags, cuts and scores, and the same reasons up to the renaming. The event codes follow
the types' sorted names, so whatever is keyed or drawn by code moves with the names
unless it is keyed by content: normal-only folds are drawn over the sequences' content
keys, each event keyed by where its type's events stand (C++ ``sequence_type_keys``),
never by its code.

What stays tied to the names, and what the tests below allow for it:
- the feature columns come in the types' name order, so float sums over them round
  otherwise: K-means iterations stopped at a tolerance end a hair apart (scores within
  1e-5 relative), PCA's and the distances' within 1e-12; never a flag;
- a group's objects are listed in the order of their ids (compared as a set here);
- an explanation's features of exactly equal share (ECOD's tail at the sample's
  extreme, robust_z's equal z, counts of share 0) are listed in column order: a reason
  may name the other of two tied features, the two in the other order, or a phrase
  more or less (only where shares tie among the features a reason reads; the
  explanations themselves agree up to the renaming)."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oddseq
from oddseq import AnomalyPipeline, _core
from oddseq._pipeline import METHODS
from oddseq._reasons import TABLE_FEATURES
from oddseq.detect._threshold import sequence_content_order
from oddseq.sequences import Sequences


@st.composite
def _coded_sequences(draw):
    n_types = draw(st.integers(1, 7))
    lengths = draw(st.lists(st.integers(0, 9), min_size=1, max_size=40))
    offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    n = int(offsets[-1])
    codes = np.asarray(
        draw(st.lists(st.integers(0, n_types - 1), min_size=n, max_size=n)), dtype=np.int64
    )
    timed = draw(st.booleans())
    times = np.sort(np.asarray(draw(st.lists(st.integers(0, 50), min_size=n, max_size=n))))
    relabel = np.asarray(draw(st.permutations(range(n_types))), dtype=np.int64)
    order = np.asarray(draw(st.permutations(range(len(lengths)))), dtype=np.int64)
    return n_types, codes, offsets, times.astype(np.int64) if timed else None, relabel, order


@settings(max_examples=25)
@given(_coded_sequences())
def test_type_keys_move_with_their_types_and_the_content_order_stays(case):
    """Relabelling the codes (any one-to-one map) moves each type's key with it and keeps
    the sequences' content order; reordering the sequences keeps the type keys; any
    thread count keys the same."""
    n_types, codes, offsets, times, relabel, order = case
    keys = _core.content_type_keys(codes, offsets, times, n_types, 1)
    np.testing.assert_array_equal(_core.content_type_keys(codes, offsets, times, n_types, 3), keys)
    moved = _core.content_type_keys(relabel[codes], offsets, times, n_types, 2)
    np.testing.assert_array_equal(moved[relabel], keys)
    np.testing.assert_array_equal(
        sequence_content_order(relabel[codes], offsets, times),
        sequence_content_order(codes, offsets, times),
    )
    # The sequences in another order (renamed entities): the same keys.
    lengths = np.diff(offsets)[order]
    events = np.concatenate([np.arange(offsets[s], offsets[s + 1]) for s in order] + [[]])
    events = events.astype(np.int64)
    shuffled = _core.content_type_keys(
        codes[events],
        np.r_[0, np.cumsum(lengths)].astype(np.int64),
        None if times is None else times[events],
        n_types,
        1,
    )
    np.testing.assert_array_equal(shuffled, keys)


def _workflows(n=500, seed=0):
    """Blocks of a few repeated workflows of log templates "1".."9", a few broken: ties
    fill the Markov scores, so the normal-only cut rests on the folds' draw."""
    rng = np.random.default_rng(seed)
    flows = [[1, 2, 3, 4, 5], [1, 2, 3, 3, 4, 5], [1, 2, 6, 5], [1, 2, 3, 4, 5, 7], [1, 8, 2, 5]]
    lists = []
    for _ in range(n):
        flow = list(flows[rng.zipf(1.8) % len(flows)])
        if rng.random() < 0.05:
            flow[rng.integers(len(flow))] = int(rng.integers(1, 10))
        lists.append([str(e) for e in flow])
    return lists


@settings(max_examples=2)
@given(st.permutations([f"E{k}" for k in range(1, 10)]), st.integers(0, 3))
def test_markov_normal_only_renamed_templates_same_cut(names, seed):
    """method="markov" fitted on normal blocks only: renamed templates (another sort
    order) draw the same folds, so the same cut, flags and scores, bit for bit."""
    lists = _workflows(seed=seed)
    fit, judged = lists[:300], lists[300:]
    tables, cuts = [], []
    templates = [str(k) for k in range(1, 10)]
    for rename in (dict(zip(templates, templates)), dict(zip(templates, names))):

        def seqs(part, start, rename=rename):
            return Sequences.from_lists(
                [[rename[e] for e in s] for s in part], ids=list(range(start, start + len(part)))
            )

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe = AnomalyPipeline(method="markov").fit(seqs(fit, 0), normal=True)
            tables.append(pipe.score(seqs(judged, 300)))
        cuts.append(pipe.threshold_)
    a, b = tables
    assert cuts[0] == cuts[1]
    np.testing.assert_array_equal(b.loc[a.index, "score"], a["score"])
    np.testing.assert_array_equal(b.loc[a.index, "is_anomaly"], a["is_anomaly"])


# --- every method, the whole table ---------------------------------------------------

_NEW_TYPES = {"pv": "view", "cart": "add_to_cart", "fav": "wishlist", "buy": "purchase"}
_BACK_TYPES = {v: k for k, v in _NEW_TYPES.items()}
_COLUMNS = dict(entity="user_id", event="behavior", time="timestamp")


def _renamed(log, seed):
    """The shop log under an analyst's own names: the types by their synonyms (another
    sort order: add_to_cart, purchase, view, wishlist for buy, cart, fav, pv), the
    items and the users by random one-to-one maps to ids of seven digits in another
    order; the rows in their order (events of one time keep their row order, which
    is data: another log). Returns the log and the maps back to the users and items."""
    rng = np.random.default_rng(seed)
    items = log["item_id"].unique()
    users = log["user_id"].unique()
    item_map = dict(zip(items, 3 * rng.permutation(len(items)) + 10**6))
    user_map = dict(zip(users, rng.permutation(len(users)) + 5 * 10**6))
    moved = log.assign(
        behavior=log["behavior"].map(_NEW_TYPES),
        item_id=log["item_id"].map(item_map),
        user_id=log["user_id"].map(user_map),
    )
    items_back = {v: k for k, v in item_map.items()}
    return moved, {v: k for k, v in user_map.items()}, items_back


def _said_back(reason, items_back):
    """A reason of the renamed log in the original names: the types where a reason names
    them (not the funnel's words, "purchases per view"), the items' ids."""
    reason = re.sub(
        r"(?<!per )\b(add_to_cart|purchase|view|wishlist)\b",
        lambda m: _BACK_TYPES[m.group(0)],
        reason,
    )
    reason = re.sub(
        r"\b\d{7}\b", lambda m: str(items_back.get(int(m.group(0)), m.group(0))), reason
    )
    return _objects_as_set(reason)


def _objects_as_set(reason):
    """A group's objects listed in the order of their ids (a list, not a verdict): sorted
    as numbers, so that ids in another order read alike; and of a crowd's items equally
    crowded in one hour, the one named (it follows the item coding, which follows the
    ids) left out."""
    reason = re.sub(
        r"(?<=objects )\d+(?:, \d+)*",
        lambda m: ", ".join(sorted(m.group(0).split(", "), key=int)),
        reason,
    )
    return re.sub(r"(?<= on )\d+(?= \(and [\d,]+ more items? alike\))", "<item>", reason)


def _fit(log, method, normal, item, users):
    """The one call's table and pipeline (groups with item=; normal-only: fitted on the
    log of ``users``), and the sequences it ranked."""
    roles = dict(_COLUMNS, item="item_id", value="price") if item else _COLUMNS
    known = log[log["user_id"].isin(users)] if normal else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table, pipe = oddseq.detect_anomalies(
            log, **roles, method=method, normal=known, return_pipeline=True
        )
    return pipe, table, Sequences.from_events(log, **roles)


def _explained(pipe, seqs, entity):
    """The entity's whole explanation: (feature in the original names, share, value) by
    feature, and whether the features a reason reads (the first TABLE_FEATURES, and the
    next one) hold two of exactly equal share."""
    explained = pipe.explain(
        seqs.take([list(seqs.ids).index(entity)]), top=len(pipe.feature_names_)
    )
    features = [
        re.sub(r"(?<=count\[)[^\]]+(?=\])", lambda m: _BACK_TYPES.get(m.group(0), m.group(0)), f)
        for f in explained["feature"]
    ]
    rows = sorted(zip(features, explained["share"], explained["value"]))
    share = explained["share"].to_numpy()
    values, counts = np.unique(share, return_counts=True)
    return rows, bool(np.isin(share[: TABLE_FEATURES + 1], values[counts > 1]).any())


@pytest.fixture(scope="module")
def small_shop():
    """120 users of make_ecommerce (seed 263), for the normal-only fits."""
    from oddseq.datasets import make_ecommerce

    return make_ecommerce(n_users=120, random_state=263).events


@pytest.mark.parametrize("method", METHODS)
def test_every_method_gives_the_same_table_under_an_analysts_own_names(
    method, ring_shop, small_shop
):
    """Unsupervised with items and values on the shop with two rings (its groups), and
    normal-only (fitted on every other user of the original ids) without them."""
    exact = method in ("robust_z", "iforest", "markov")  # nothing summed over the columns
    rtol = 0.0 if exact else 1e-5
    for shop, normal, item in ((ring_shop, False, True), (small_shop, True, False)):
        log = shop.assign(behavior=shop["behavior"].astype(str))
        moved, back, items_back = _renamed(log, 263)
        users = np.sort(log["user_id"].unique())[::2]
        moved_users = np.asarray([k for k, v in back.items() if v in set(users)])
        pipe, a, seqs = _fit(log, method, normal, item, users)
        other, b, moved_seqs = _fit(moved, method, normal, item, moved_users)
        b = b.rename(index=back).loc[a.index]
        np.testing.assert_allclose(other.threshold_, pipe.threshold_, rtol=rtol)
        scale = float(np.abs(a["score"]).max())
        np.testing.assert_allclose(b["score"], a["score"], rtol=rtol, atol=rtol * scale)
        np.testing.assert_array_equal(b["is_anomaly"], a["is_anomaly"])
        if item:  # the same groups (their rows in the groups table may be numbered otherwise)
            assert (a["group"] >= 0).any()
            pairs = pd.crosstab(a["group"], b["group"])
            assert ((pairs > 0).sum(axis=0) == 1).all() and ((pairs > 0).sum(axis=1) == 1).all()
        said = pd.Series([_said_back(r, items_back) for r in b["reason"].fillna("")], b.index)
        differ = a.index[said != a["reason"].fillna("").map(_objects_as_set)]
        # The explanations agree up to the renaming; a reason differs only where features
        # of exactly equal share meet among those it reads: they come in column order
        # (the names' order), so the reason may name the other, the two in the other
        # order, or a phrase more or less.
        inverse = {v: k for k, v in back.items()}
        for entity in differ:
            first, tied = _explained(pipe, seqs, entity)
            second, _ = _explained(other, moved_seqs, inverse[entity])
            assert [f for f, *_ in first] == [f for f, *_ in second], entity
            np.testing.assert_allclose(
                [r[1:] for r in second], [r[1:] for r in first], rtol=1e-5, atol=1e-9
            )
            assert tied, (entity, a.at[entity, "reason"], said[entity])
