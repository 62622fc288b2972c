"""The one call's switches are True or False (TR s66 L2: return_pipeline="no" returned a
pair; dropna="no", a truthy text, dropped rows)."""

import pytest

import oddseq
from oddseq.datasets import make_ecommerce

ROLES = dict(entity="user_id", event="behavior", time="timestamp")
# (a small log: the cut's notes on so few entities are not what is tested)
pytestmark = pytest.mark.filterwarnings("ignore::oddseq.exceptions.DataWarning")


@pytest.fixture(scope="module")
def log():
    return make_ecommerce(n_users=60, random_state=0).events


@pytest.mark.parametrize("name", ["return_pipeline", "progress", "dropna"])
@pytest.mark.parametrize("value", ["no", 1, None])
def test_a_switch_not_true_or_false_is_refused(log, name, value):
    with pytest.raises(TypeError, match=f"{name} must be True or False, got {value!r}"):
        oddseq.detect_anomalies(log, **ROLES, **{name: value})


def test_true_and_false_are_taken(log):
    table, pipe = oddseq.detect_anomalies(log, **ROLES, return_pipeline=True, dropna=False)
    assert len(table) and pipe is not None
    assert len(oddseq.detect_anomalies(log, **ROLES, return_pipeline=False, progress=False))


@pytest.mark.parametrize("name", ["return_pipeline", "progress", "dropna"])
def test_dask_refuses_them_too(log, name):
    dd = pytest.importorskip("dask.dataframe")
    from oddseq.dask import detect_anomalies

    with pytest.raises(TypeError, match=f"{name} must be True or False"):
        detect_anomalies(dd.from_pandas(log, npartitions=2), **ROLES, **{name: "no"})
