"""oddseq.dask records what the in-memory fit records of the data it was fitted on (the
role columns' names, the event types, the time span and the entities' durations), so a
model fitted over partitions and scored later gets the same checks (#14)."""

import warnings

import numpy as np
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")
pytest.importorskip("pyarrow")

from oddseq import AnomalyPipeline  # noqa: E402
from oddseq._fitted_data import PART_SAMPLE, timing_of_parts  # noqa: E402
from oddseq.dask import detect_anomalies  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402
from oddseq.sequences import Sequences  # noqa: E402

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
DAY = 86_400


@pytest.fixture(scope="module")
def logs():
    week = make_ecommerce(n_users=400, random_state=1).events
    week["behavior"] = week["behavior"].astype(str)
    other = make_ecommerce(n_users=400, random_state=2).events
    other["behavior"] = other["behavior"].astype(str)
    start = other["timestamp"].min()
    within = (other["timestamp"] >= start + 4 * DAY) & (other["timestamp"] < start + 5 * DAY)
    return week, other[within]


def test_a_dask_fit_records_what_one_machine_records(client, logs):
    week, day = logs
    _, pipe = detect_anomalies(
        dd.from_pandas(week, npartitions=4), **COLUMNS, npartitions=3, return_pipeline=True
    )
    one = AnomalyPipeline().fit(Sequences.from_events(week, **COLUMNS))
    fitted, expected = pipe._fitted_data, one._fitted_data
    assert fitted["columns"] == expected["columns"]
    assert list(fitted["event_types"]) == list(expected["event_types"])
    assert fitted["timing"] is not None
    for key, value in expected["timing"].items():
        assert fitted["timing"][key] == pytest.approx(value, rel=1e-9), key
    # and scoring a day with it warns of the span, as the one machine's model does
    with pytest.warns(UserWarning, match="durations are shorter"):
        pipe.score(Sequences.from_events(day, **COLUMNS))


def test_partitions_sampled_give_the_quantiles_within_a_little():
    rng = np.random.default_rng(0)
    big = rng.exponential(3600e9, size=3 * PART_SAMPLE).astype(np.int64)
    small = rng.exponential(60e9, size=1000).astype(np.int64)
    parts = []
    for values in (big, small):
        keep = values if values.size <= PART_SAMPLE else rng.choice(values, PART_SAMPLE)
        parts.append(
            {"times": keep, "n_times": values.size, "durations": keep, "n_durations": values.size}
        )
    timing = timing_of_parts(parts)
    both = np.r_[big, small].astype(np.float64)
    low, high = np.quantile(both, [0.01, 0.99])
    assert timing["span_s"] == pytest.approx((high - low) / 1e9, rel=0.02)
    assert timing["duration_q90_s"] == pytest.approx(np.quantile(both, 0.9) / 1e9, rel=0.02)
    # too few events or entities to say: None, as one machine says
    few = [{"times": small[:5], "n_times": 5, "durations": small[:5], "n_durations": 5}]
    assert timing_of_parts(few) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert timing_of_parts([None, None]) is None
