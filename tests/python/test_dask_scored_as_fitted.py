"""oddseq.dask warns, as one machine does, when most entities scored are in ``normal``
with the same events (the model is fitted on them): once, on the client, in one
machine's words and counts; the partitions compare the entities and send back counts."""

import warnings

import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")

import oddseq  # noqa: E402
from oddseq.dask import detect_anomalies  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp")


def _log(seed, n_users=200):
    log = make_ecommerce(n_users=n_users, random_state=seed).events.copy()
    log["behavior"] = log["behavior"].astype(str)
    return log


def _about_normal(caught):
    return [str(w.message) for w in caught if " entities scored are in normal " in str(w.message)]


def _single(log, normal, **options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, **COLUMNS, groups=False, normal=normal, **options)
    return _about_normal(caught)


def _dask(log, normal, scheduler="sync", **options):
    with dask.config.set(scheduler=scheduler), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detect_anomalies(
            dd.from_pandas(log, npartitions=4),
            **COLUMNS,
            normal=dd.from_pandas(normal, npartitions=3),
            npartitions=3,
            **options,
        )
    return _about_normal(caught)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_scoring_the_normal_log_itself_warns_once_as_on_one_machine(scheduler):
    log = _log(11)
    single = _single(log, log)
    assert len(single) == 1 and single[0].startswith("200 of the 200 entities scored")
    assert _dask(log, log, scheduler) == single


def test_the_counts_are_one_machines_where_normal_holds_part_of_the_log():
    log = _log(11)
    # normal: three quarters of the users, with a different partitioning; the scored log
    # has every user, and min_events leaves some out of the model, not of the count
    kept = log[log["user_id"].isin(log["user_id"].unique()[:150])]
    single = _single(log, kept, min_events=3)
    assert len(single) == 1 and single[0].startswith("150 of the 200 entities scored")
    assert _dask(log, kept, "threads", min_events=3) == single


def test_no_warning_when_scoring_another_log():
    log, other = _log(11), _log(12)  # the same ids 0..199, other events
    assert _single(other, log) == [] == _dask(other, log)
