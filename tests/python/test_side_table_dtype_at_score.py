"""Scoring with the side table given at fit, the log's ids of another dtype than the
table's: the warning says so with the conversion, not "entities new since the fit"
(H5's s24 review, MEDIUM 2)."""

import warnings

import numpy as np
import pandas as pd

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


def test_text_ids_against_the_fitted_tables_numbers_are_said_with_the_conversion():
    log = make_ecommerce(n_users=300, random_state=227).events
    cut = log["timestamp"].quantile(0.5)
    last, this = log[log["timestamp"] < cut], log[log["timestamp"] >= cut]
    ids = pd.Index(last["user_id"].unique(), name="user_id")
    side = pd.DataFrame({"age": np.random.default_rng(0).normal(40, 10, len(ids))}, index=ids)
    pipe = AnomalyPipeline(entity_features=side).fit(Sequences.from_events(last, **ROLES))
    text = this.assign(user_id=this["user_id"].astype(str))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # (and the "table given at fit" UserWarning)
        pipe.score(Sequences.from_events(text, **ROLES))
    said = " ".join(str(w.message) for w in caught if issubclass(w.category, DataWarning))
    assert "astype(str)" in said, said
    assert "new since the fit" not in said, said
