"""oddseq.dask scoring with ``normal=``: the fitted pipeline goes to the workers once
for the scoring stage, its checks (item categories, a side table's coverage), encoding
and scaling all reading that one copy; the table is the same."""

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")

from oddseq import AnomalyPipeline  # noqa: E402
from oddseq.dask import _pipeline as dask_pipeline  # noqa: E402
from oddseq.dask import detect_anomalies  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")


@pytest.mark.filterwarnings(r"ignore:only \d+ normal sequences for the cut:UserWarning")
@pytest.mark.filterwarnings(r"ignore:\d+ of the \d+ entities scored are in normal:UserWarning")
def test_the_fitted_pipeline_is_sent_once_for_checks_encoding_and_scaling(monkeypatch):
    data = make_ecommerce(n_users=200, random_state=4)
    log = data.events.copy()
    log["behavior"] = log["behavior"].astype(str)
    normal = log[log["user_id"].isin(data.labels.index[data.labels == 0][:80])]
    users = np.sort(log["user_id"].unique())
    side = pd.DataFrame({"age": np.arange(users.size, dtype=float)}, index=users)
    sent = []
    shared = dask_pipeline._shared

    def counted(obj):
        sent.append(obj)
        return shared(obj)

    monkeypatch.setattr(dask_pipeline, "_shared", counted)
    options = dict(category="category_id", entity_features=side, normal=normal)
    with dask.config.set(scheduler="sync"):
        table, pipeline = detect_anomalies(
            dd.from_pandas(log, npartitions=3), **COLUMNS, **options, return_pipeline=True
        )
        table = table.compute()
    # The copies made for the workers (not the pipeline fitted and returned): each sent
    # once; before, the scoring stage's copy went four times (two checks, encoding,
    # scaling).
    copies = [o for o in sent if isinstance(o, AnomalyPipeline) and o is not pipeline]
    assert len(copies) >= 2
    assert len({id(o) for o in copies}) == len(copies)
    assert len(table) == log["user_id"].nunique() and table["score"].notna().all()
