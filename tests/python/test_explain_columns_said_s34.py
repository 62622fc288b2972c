"""AnomalyPipeline.explain's docstring names every column it returns (NA's s34 trial:
notebook 01 prints ``share``, and help(pipe.explain) said nothing of it, nor of
``detector``, ``note``, ``typical_words``, ``typical_said`` or ``group_reason``)."""

import re

import oddseq
from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce


def test_every_column_of_explain_is_named_in_its_docstring():
    log = make_ecommerce(n_users=400, rings=1, random_state=766).events
    table, pipe = oddseq.detect_anomalies(
        log,
        entity="user_id",
        event="behavior",
        time="timestamp",
        item="item_id",
        return_pipeline=True,
    )
    why = pipe.explain(table.index[:20])
    assert "group_reason" in why.columns and "detector" in why.columns
    said = set(re.findall(r"``(\w+)``", AnomalyPipeline.explain.__doc__))
    missing = [c for c in why.columns if c not in said]
    assert missing == [], missing
