"""oddseq.dask says, as one machine does, where short entities fill the flags of a log
where they are few (summed over the table's partitions, on the client)."""

import sys
import warnings
from pathlib import Path

import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")

import oddseq  # noqa: E402
from oddseq.dask import detect_anomalies  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from test_short_flags_s42 import ROLES, _shop  # noqa: E402


def _said(caught):
    return [str(w.message) for w in caught if "flagged entities have fewer than" in str(w.message)]


@pytest.mark.parametrize("session_gap", [None, "30min"])
def test_dask_says_what_one_machine_says(session_gap):
    log = _shop(seed=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        one = oddseq.detect_anomalies(log, **ROLES, session_gap=session_gap, groups=False)
    single = _said(caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = detect_anomalies(
            dd.from_pandas(log, npartitions=3), **ROLES, session_gap=session_gap, groups=False
        ).compute()
    assert _said(caught) == single
    assert int(table["is_anomaly"].sum()) == int(one["is_anomaly"].sum())
    if session_gap is None:
        assert single  # (the users' log says it; its sessions may not)
