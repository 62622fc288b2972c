"""Arrow-backed timestamps with a time zone (``timestamp[us, tz=UTC][pyarrow]``, what
``read_parquet(dtype_backend="pyarrow")`` gives for a tz-aware Parquet column) read as
the numpy tz-aware column they hold (H6's F6: numpy's isnat refused them)."""

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.utils._time import parse_times

pytest.importorskip("pyarrow")


@pytest.mark.parametrize("tz", ["UTC", "Asia/Shanghai"])
@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_parse_times_reads_tz_aware_arrow_timestamps(tz, unit):
    numpy_times = pd.Series(pd.to_datetime([1_511_544_070, 1_511_600_000, None], unit="s"))
    numpy_times = numpy_times.dt.tz_localize("UTC").dt.tz_convert(tz)
    arrow = numpy_times.astype(f"timestamp[{unit}, tz={tz}][pyarrow]")
    ns, bad, zone = parse_times(arrow, "t")
    ns0, bad0, zone0 = parse_times(numpy_times, "t")
    assert zone == zone0 == tz
    assert bad.tolist() == bad0.tolist() == [False, False, True]
    np.testing.assert_array_equal(ns[~bad], ns0[~bad0])


def test_parse_times_reads_naive_arrow_timestamps_as_before():
    numpy_times = pd.Series(pd.to_datetime([1_511_544_070, 1_511_600_000], unit="s"))
    ns, bad, zone = parse_times(numpy_times.astype("timestamp[ms][pyarrow]"), "t")
    assert zone is None and bad is None
    expected = numpy_times.astype("datetime64[ns]").to_numpy().view(np.int64)
    np.testing.assert_array_equal(ns, expected)


def test_detect_anomalies_scores_tz_aware_arrow_times_as_numpy_ones():
    log = make_ecommerce(n_users=300, random_state=3).events
    log = log.assign(timestamp=pd.to_datetime(log.timestamp, unit="s", utc=True))
    kw = dict(entity="user_id", event="behavior", time="timestamp", groups=False)
    numpy_table = oddseq.detect_anomalies(log, **kw)
    arrow = log.assign(timestamp=log.timestamp.astype("timestamp[us, tz=UTC][pyarrow]"))
    arrow_table = oddseq.detect_anomalies(arrow, **kw)
    pd.testing.assert_frame_equal(arrow_table, numpy_table)
