"""A ttl under the fitted entities' median duration is said (trial s42b L6): an entity
idle longer is forgotten and returns as a new one, a history's start."""

from __future__ import annotations

import warnings

import pytest

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def pipe():
    log = make_ecommerce(n_users=300, n_days=3, random_state=1).events
    return AnomalyPipeline().fit(Sequences.from_events(log, **ROLES)), log


def test_a_ttl_under_the_fitted_durations_is_said(pipe):
    model, log = pipe
    with pytest.warns(DataWarning, match=r"ttl='30min' \(--ttl from the shell\) is under"):
        scorer = StreamScorer(model, **ROLES, ttl="30min")
    # said once: calibrate's replay through a state of its own says nothing more
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        scorer.calibrate(log.sort_values("timestamp").head(3_000))


@pytest.mark.parametrize("ttl", [None, "7d"])
def test_no_word_for_a_ttl_above_them(pipe, ttl):
    model, _ = pipe
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        StreamScorer(model, **ROLES, ttl=ttl)
