"""The stream's alerts name features as the batch table's reasons do (H2 s29, review
s28 L-1): features of equal share ranked by how far they lie from typical (above
before below), then by the value read, not by their columns, and a feature with no
share of the score never named; on the C++ paths (update's explanation, the CLI's line
reader) and the detector's Python one, which the tests compare word for word.

A robust z detector whose fitted centre is set about one user's scaled row makes the
ties exact: each chosen feature one unit from its median (z = 1/3), every other at its
median (no share)."""

import copy
import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline, _reasons
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer
from oddseq.stream._scorer import _hash_keys

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")
COLUMNS = ["user_id", "behavior", "timestamp", "item_id", "price"]
# the crafted detector flags most users: the stream's checks say so
pytestmark = [
    pytest.mark.filterwarnings("ignore:the entities followed since"),
    pytest.mark.filterwarnings("ignore:.*flagged against"),
]
T = 999_999  # the crafted user: its events last in the log, all within minutes
KINDS = ["pv", "cart", "buy", "cart", "cart", "fav", "cart", "pv", "pv"]
N_EVENTS = len(KINDS)


@pytest.fixture(scope="module")
def shop():
    log = make_ecommerce(n_users=200, random_state=489).events
    log = log.sort_values("timestamp", kind="stable")
    kinds = KINDS
    extra = pd.DataFrame(
        {
            "user_id": T,
            "item_id": [7, 8, 7, 9, 7, 8, 7, 9, 7],
            "category_id": 1,
            "behavior": pd.Categorical(kinds, categories=log["behavior"].cat.categories),
            "timestamp": int(log["timestamp"].max()) + 60 + 30 * np.arange(len(kinds)),
            "price": [5.0, 900.0] * 4 + [5.0],
        }
    )
    log = pd.concat([log, extra], ignore_index=True)
    seqs = Sequences.from_events(log, **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline(method="robust_z").fit(seqs)
    raw, X = pipe._matrix(seqs)
    at = int(np.flatnonzero(np.asarray(seqs.ids) == T)[0])
    return log, seqs, pipe, X[at].astype(np.float64)


def _crafted(pipe, x, offsets):
    """``pipe`` with its robust z centred on the row ``x``: feature j's median at
    x[j] - offsets[j] (1: the row lies one unit above it, -1 below), the others' at
    x[j]; unit scales, no IQR (the z rule alone)."""
    pipe = copy.deepcopy(pipe)
    median = x.copy()
    for j, offset in offsets.items():
        median[j] = x[j] - offset
    pipe.detector_._set_statistics(median, np.ones_like(x), median, median)
    pipe.threshold_ = 0.2  # the row scores 1/3
    pipe.min_events = N_EVENTS  # T scored first at its last event, as that row
    return pipe


def _columns(pipe, *names):
    return [list(pipe.feature_names_).index(n) for n in names]


def _reasons_of_t(pipe, log):
    """The reason of T's alert on each path: update (C++ explanation), the detector's
    Python explanation, the CLI's C++ line reader, and the batch table's."""
    live = StreamScorer(pipe, reasons="all", max_exact_items=10_000, **ROLES)
    assert live.scores_in_cpp_
    alerts = live.update(log).alerts
    update = alerts.loc[T, "reason"]
    keys = np.ascontiguousarray(_hash_keys(np.array([T])))
    raw, lengths, _, _ = live._raw(keys)
    python = live._reasons(pipe._scaled(raw, lengths), raw, lengths)[0]
    reader = StreamScorer(pipe, max_exact_items=10_000, **ROLES)
    feed = reader._line_feed(",", COLUMNS)
    assert feed is not None
    data = log[COLUMNS].to_csv(index=False, header=False).encode()
    lines, at = [], 0
    while at < len(data):
        stop, at, _, got = reader._feed_lines(feed, data, at, 60.0)
        assert stop != 2
        lines += [reason for _, entity, _, _, reason in got if entity == str(T).encode()]
    table = pipe.score(Sequences.from_events(log, **ROLES))
    assert len(lines) == 1  # at T's last event, its first scored
    return {"update": update, "python": python, "reader": lines[0], "batch": table.loc[T, "reason"]}


def _named(reason, names):
    """The features of ``names`` a reason names, in its order."""
    said = {n: reason.find(_reasons.reason_name(n) + " ") for n in names}
    return [n for n, at in sorted(said.items(), key=lambda p: p[1]) if at >= 0]


@pytest.mark.parametrize(
    "first, second, sides",
    [
        # both above typical, one unit: the larger value first, though its column is later
        ("top_item_share", "count[cart]", (1, 1)),
        # as far above as the other lies below: above first, though its column is later
        ("cart_per_view", "count[pv]", (1, -1)),
    ],
)
def test_tied_features_are_named_in_the_batch_order_on_every_path(shop, first, second, sides):
    log, _, pipe, x = shop
    j_first, j_second = _columns(pipe, first, second)
    assert j_second < j_first  # column order differs from the batch's
    if sides == (1, 1):
        assert x[j_first] > x[j_second]
    crafted = _crafted(pipe, x, {j_first: sides[0], j_second: sides[1]})
    said = _reasons_of_t(crafted, log)
    for path, reason in said.items():
        assert _named(reason, [first, second]) == [first, second], (path, reason)
    # the alert's two features are the batch table's two, said alike
    assert said["update"] == said["python"] == said["reader"]
    assert said["batch"].startswith(said["update"].split(" (rests on")[0])


def test_a_feature_of_no_share_is_never_named_by_an_alert(shop):
    """T's row one unit above count[buy]'s median, at every other median: the
    explanation's second feature (count[cart], the lowest column of share 0) was named,
    "count[cart] 4 (typical 4)"."""
    log, _, pipe, x = shop
    (j,) = _columns(pipe, "count[buy]")
    crafted = _crafted(pipe, x, {j: 1})
    said = _reasons_of_t(crafted, log)
    others = [n for n in crafted.feature_names_ if n != "count[buy]"]
    for path, reason in said.items():
        assert _named(reason, ["count[buy]"]) == ["count[buy]"], (path, reason)
        assert _named(reason, others) == [], (path, reason)
    assert said["update"] == said["python"] == said["reader"]


def test_the_cpp_explanation_is_the_detectors_table(shop):
    """The C++ explanation's share, deviation and value are those of the detector's
    explain (what the reasons rank by), for K-means and PCA (their spreads passed to
    C++) as for robust z."""
    log, seqs, _, _ = shop
    for method in ("kmeans", "pca", "robust_z"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe = AnomalyPipeline(method=method).fit(seqs)
        live = StreamScorer(pipe, max_exact_items=10_000, **ROLES)
        live.update(log)
        keys = np.ascontiguousarray(_hash_keys(np.asarray(seqs.ids)))
        raw, lengths, _, _ = live._raw(keys)
        top = _reasons.TABLE_FEATURES
        cpp = live._store.explain(live._model, keys, top)
        table = pipe.detector_.explain(pipe._scaled(raw, lengths), top=top)
        np.testing.assert_array_equal(cpp.columns.ravel(), table["feature"].cat.codes)
        for column in ("share", "deviation", "value"):
            np.testing.assert_allclose(
                getattr(cpp, column).ravel(), table[column], rtol=1e-9, atol=1e-12, err_msg=column
            )
