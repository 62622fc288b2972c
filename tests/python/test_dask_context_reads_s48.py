"""oddseq.dask's context= reads the log once for all its side columns (review RV s47 L8:
once per column, and once more for the entity ids)."""

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")

from oddseq.dask._context import log_pairs  # noqa: E402


def test_the_partitions_are_read_once_for_every_column():
    reads = [0]

    def read(part):
        reads[0] += 1
        return part

    n = 500
    log = pd.DataFrame(
        {
            "user": np.repeat(np.arange(100), 5),
            "device": np.arange(n) % 37,
            "ip": np.arange(n) % 11,
            "country": np.arange(n) % 3,
            "ts": np.arange(n) * 10**9,
        }
    )
    ddf = dd.from_pandas(log, npartitions=4).map_partitions(read)
    reading = dict(time_unit="ns", time_format=None, dayfirst=None)
    with dask.config.set(scheduler="sync"):
        ids, pairs = log_pairs(ddf, "user", ["device", "ip", "country"], "ts", **reading)
    # each of the 4 partitions once (and dask's one look at an empty frame for its meta);
    # per column it was 4 partitions more each, and 4 for the ids
    assert reads[0] <= 4 + 1
    assert sorted(ids.tolist()) == list(range(100))
    assert set(pairs) == {"device", "ip", "country"}
    assert int(pairs["device"][2].sum()) == n
