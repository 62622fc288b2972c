"""oddseq.dask's error for a few values of a text time column that are no date says them
of a partition of ddf, with a fix on ddf that works (review s40 D5: one machine's words
named one partition's count and row, and its fix raised on a dask frame)."""

import re

import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")

from oddseq.dask import detect_anomalies  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_few_unreadable_dates_in_a_dask_frame():
    log = make_ecommerce(n_users=150, random_state=3).events
    log["when"] = pd.to_datetime(log["timestamp"], unit="s").dt.strftime("%Y-%m-%d %H:%M:%S UTC")
    log.loc[5, "when"] = "0000-00-00 00:00:00"
    ddf = dd.from_pandas(log.drop(columns="timestamp"), npartitions=3)
    roles = dict(entity="user_id", event="behavior", time="when", dropna=True)
    with dask.config.set(scheduler="sync"):
        with pytest.raises(ValueError, match="in one partition of ddf") as error:
            detect_anomalies(ddf, **roles)
        said = str(error.value)
        assert "(row" not in said and "ddf['when'] = ddf['when'].mask(" in said
        exec(re.search(r"make those values missing: (.*), and pass dropna", said).group(1))
        table = detect_anomalies(ddf, **roles).compute()
    assert len(table) == log["user_id"].nunique()
