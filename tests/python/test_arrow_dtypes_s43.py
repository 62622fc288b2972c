"""Columns of Arrow types as pandas reads them from Parquet with pyarrow's dtypes (trial
s43b): a dictionary event column (a file of categories) crashed the table's reasons; an
Arrow boolean side column was refused as no number; a string_view column raised a bare
NotImplementedError; oddseq.dask made entities of a dictionary column over several
partitions with negative lengths."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq

pa = pytest.importorskip("pyarrow")

ROLES = dict(entity="user", event="event", time="ts", groups=False)


def _log(n_users=300, seed=0):
    rng = np.random.default_rng(seed)
    n = n_users * 8
    return pd.DataFrame(
        {
            "user": [f"u{k}" for k in rng.integers(0, n_users, n)],
            "event": rng.choice(["view", "cart", "buy", "fav"], n, p=[0.6, 0.2, 0.1, 0.1]),
            "ts": np.sort(rng.integers(0, 7 * 86_400, n)),
        }
    )


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


def _by_id(table):
    table = table.copy()
    table.index = pd.Index(np.asarray(table.index, dtype=object))
    return table.sort_index()


def _dictionary(series):
    return series.astype(pd.ArrowDtype(pa.dictionary(pa.int16(), pa.string())))


@pytest.mark.parametrize("column", ["event", "user"])
def test_a_dictionary_column_reads_as_its_values(column):
    log = _log()
    plain = _quiet(oddseq.detect_anomalies, log, **ROLES)
    arrow = _quiet(
        oddseq.detect_anomalies, log.assign(**{column: _dictionary(log[column])}), **ROLES
    )
    plain, arrow = _by_id(plain), _by_id(arrow)
    np.testing.assert_array_equal(arrow["score"], plain["score"])
    assert (arrow["reason"].to_numpy() == plain["reason"].to_numpy()).all()


def test_an_arrow_boolean_side_column_is_a_boolean():
    log = _log()
    side = log.groupby("user")[["event"]].agg(lambda e: (e == "buy").any())
    side.columns = ["bought"]
    plain = _quiet(oddseq.detect_anomalies, log, **ROLES, entity_features=side.astype(bool))
    arrow = _quiet(
        oddseq.detect_anomalies, log, **ROLES, entity_features=side.astype("bool[pyarrow]")
    )
    np.testing.assert_array_equal(_by_id(arrow)["score"], _by_id(plain)["score"])


def test_a_string_view_column_is_refused_naming_the_fix():
    if not hasattr(pa, "string_view"):
        pytest.skip("this pyarrow has no string_view")
    log = _log()
    log["user"] = log["user"].astype(pd.ArrowDtype(pa.string_view()))
    with pytest.raises(TypeError, match=r"entity='user' has the Arrow type string_view") as err:
        oddseq.detect_anomalies(log, **ROLES)
    assert "df['user'] = df['user'].to_numpy(dtype=object)" in str(err.value)
    log["user"] = log["user"].to_numpy(dtype=object)  # the fix it names
    assert len(_quiet(oddseq.detect_anomalies, log, **ROLES)) == 300


def test_dask_reads_a_dictionary_entity_over_partitions_as_one_machine():
    dd = pytest.importorskip("dask.dataframe")
    from oddseq.dask import detect_anomalies

    log = _log(seed=1)
    one = _quiet(oddseq.detect_anomalies, log, **ROLES)
    arrow = log.assign(user=_dictionary(log["user"]))
    many = _quiet(lambda: detect_anomalies(dd.from_pandas(arrow, npartitions=3), **ROLES).compute())
    np.testing.assert_array_equal(_by_id(many)["score"], _by_id(one)["score"])


def test_a_string_view_side_column_is_refused_naming_the_fix():
    if not hasattr(pa, "string_view"):
        pytest.skip("this pyarrow has no string_view")
    log = _log()
    side = log.groupby("user")[["event"]].first().astype(pd.ArrowDtype(pa.string_view()))
    with pytest.raises(TypeError, match=r"'event', a column of entity_features, has the Arrow"):
        oddseq.detect_anomalies(log, **ROLES, entity_features=side)
