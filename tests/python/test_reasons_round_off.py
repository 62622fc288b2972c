"""A reason's "typical" value that is zero up to the scalers' round-off reads 0, judged
against the feature's own scale: "count[E1] 836 (typical 3.02e-08)" said 0 badly."""

import re
import warnings

import numpy as np
import pandas as pd

from oddseq import AnomalyPipeline, Sequences
from oddseq._reasons import units_at


def _modules() -> Sequences:
    """Four entities of disjoint event types (as loghub Apache's modules): every count
    column is 0 but for one entity, so its typical value is 0."""
    spec = {
        "a": [("E1", 836), ("E5", 12)],
        "b": [("E2", 569)],
        "c": [("E3", 300), ("E4", 251)],
        "d": [("E6", 32)],
    }
    rows = []
    for entity, events in spec.items():
        t = 0
        for event, k in events:
            for _ in range(k):
                rows.append((entity, event, t))
                t += 240 if entity != "d" else 4400
    log = pd.DataFrame(rows, columns=["m", "e", "t"])
    return Sequences.from_events(log, entity="m", event="e", time="t")


def _fit(seqs):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "only 4 sequences", UserWarning)
        return AnomalyPipeline().fit(seqs)


def test_a_typical_zero_up_to_round_off_reads_0():
    seqs = _modules()
    pipe = _fit(seqs)
    reasons = " ".join(pipe.table_["reason"])
    assert not re.search(r"typical -?\d(\.\d+)?e-", reasons), reasons
    assert "count[E1] 836 (typical 0)" in reasons
    explained = pipe.explain(seqs, top=4)
    counts = explained[explained["feature"].str.startswith("count[E")]
    # every count column is 0 for three entities of four: the robust median is 0
    said = counts[counts["detector"] == "robust_z"]
    assert len(said) and (said["typical"] == 0).all() and (said["typical_text"] == "0").all()


def test_a_small_typical_on_a_small_scale_is_kept():
    # The same zero test is relative to the feature's scale: where the feature itself
    # lives at 1e-9 (log space ~ the value), a typical of 2e-9 is no round-off.
    seqs = _modules()
    pipe = _fit(seqs)
    col = len(pipe.feature_names_) - 1
    z = pipe.z_scaler_
    z.mean_ = z.mean_.copy()
    z.scale_ = z.scale_.copy()
    z.mean_[col], z.scale_[col] = 3e-9, 1e-9
    raw = np.zeros((1, len(pipe.feature_names_)))
    raw[0, col] = 5e-9
    low, high = pipe._raw_range
    pipe._raw_range = (np.minimum(low, 0.0), np.maximum(high, 1.0))
    typical_z = np.array([-1.0])  # 3e-9 - 1e-9 = 2e-9
    _, _, _, typical, _, _ = units_at(pipe, [0], [col], typical_z, raw, np.array([10]))
    assert typical[0] > 1e-9
