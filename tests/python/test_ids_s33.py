"""Float entity and item ids (HC s33, findings 25 and 7).

25: ids at or above 2**53 in a float column were rounded when pandas read them (float64
holds 53 bits): 18-digit ids beside one blank come back as ids that are no user's. The
data is already wrong, so oddseq refuses, naming the column and how to read it right,
whatever ``dropna`` says.

7: whole-valued float ids (a column read as float for its blanks) are the integers they
stand for whichever way the blanks went: ``dropna=True`` or pandas' own
``df.dropna(subset=[...])``, the first fix MissingValuesError advises; the shell and the
stream name them so too."""

import io
import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.cli import main
from oddseq.datasets import make_ecommerce

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")


@pytest.fixture(scope="module")
def shop():
    log = make_ecommerce(n_users=80, n_days=2, random_state=746).events.copy()
    log["behavior"] = log["behavior"].astype(str)
    return log


def _read_back(log, **options):
    """The log written to CSV and read with plain pd.read_csv, as an analyst does."""
    return pd.read_csv(io.StringIO(log.to_csv(index=False)), **options)


def _with_big_ids(shop, column, blank=True):
    """``column``'s ids made 18 digits long (hashed / Snowflake-style), one blank."""
    rng = np.random.default_rng(747)
    old = shop[column].unique()
    new = dict(zip(old, rng.integers(10**17, 10**18, len(old)).tolist(), strict=True))
    log = shop.assign(**{column: shop[column].map(new)}).astype({column: object})
    if blank:
        log.loc[log.index[3], column] = None
    return log, set(new.values())


def _detect(df, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oddseq.detect_anomalies(df, **ROLES, groups=False, **options)


@pytest.mark.parametrize("dropna", [True, False])
def test_rounded_18_digit_user_ids_are_refused_with_how_to_read_them(shop, dropna):
    log, _ = _with_big_ids(shop, "user_id")
    df = _read_back(log)
    assert df["user_id"].dtype == np.float64  # pandas rounded them: 53 bits
    with pytest.raises(ValueError, match=r"'user_id'") as caught:
        _detect(df, dropna=dropna)
    message = str(caught.value)
    assert "2**53" in message or "rounded" in message
    assert "dtype={'user_id': str}" in message
    # The refusal is no MissingValuesError: cleaning the blank would not help.
    assert not isinstance(caught.value, oddseq.exceptions.MissingValuesError)
    # Cleaned in pandas too: the ids are rounded all the same.
    with pytest.raises(ValueError, match=r"dtype=\{'user_id': str\}"):
        _detect(df.dropna(subset=["user_id"]))


def test_the_advised_read_gives_the_users_own_ids(shop):
    log, real = _with_big_ids(shop, "user_id")
    df = _read_back(log, dtype={"user_id": str})
    table = _detect(df, dropna=True)
    assert {int(i) for i in table.index} <= real
    assert len(table) == shop["user_id"].nunique()


def test_rounded_18_digit_item_ids_are_refused_naming_the_item_column(shop):
    log, _ = _with_big_ids(shop, "item_id")
    df = _read_back(log)
    assert df["item_id"].dtype == np.float64
    with pytest.raises(ValueError, match=r"dtype=\{'item_id': str\}"):
        _detect(df)


def test_small_float_ids_and_exact_big_integer_ids_are_taken(shop):
    log, real = _with_big_ids(shop, "user_id", blank=False)
    table = _detect(log.astype({"user_id": np.int64}))  # int64 holds them exactly
    assert set(table.index.tolist()) <= real


def _gappy(shop):
    log = shop.copy()
    log["user_id"] = log["user_id"].astype("float64")
    log.loc[log.index[::37], "user_id"] = np.nan
    return log


def test_both_advised_fixes_give_the_same_integer_ids(shop):
    log = _gappy(shop)
    by_option = _detect(log, dropna=True)
    by_pandas = _detect(log.dropna(subset=["user_id"]))
    assert by_option.index.dtype == by_pandas.index.dtype == np.int64
    assert by_pandas.index.tolist() == by_option.index.tolist()
    assert "450.0" not in by_pandas.to_csv()
    # Ids that are not whole numbers stay as they are.
    odd = log.dropna(subset=["user_id"]).copy()
    odd.loc[odd.index[0], "user_id"] = 0.5
    assert _detect(odd).index.dtype == np.float64


def test_the_shells_two_routes_agree_and_stream_keys_match_the_table(shop, tmp_path):
    """The shell reads the ids of a file written with blanks (450.0) as 450, as oddseq
    stream reads the same line (s34), the same by --dropna or cleaned first; in Python, a
    float id (as a stream of the frame's rows is given it) keys the table's integer id."""
    gappy = _gappy(shop)
    roles = [f"--{role}={column}" for role, column in ROLES.items()]
    tables = []
    for name, log, extra in [
        ("gappy.csv", gappy, ["--dropna"]),
        ("clean.csv", gappy.dropna(subset=["user_id"]), []),
    ]:
        path, out = tmp_path / name, tmp_path / f"out-{name}"
        log.to_csv(path, index=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            args = ["detect", str(path), *roles, "--no-groups", *extra, "-o", str(out)]
            assert main(args) == 0
        tables.append(pd.read_csv(out, dtype=str).iloc[:, 0].tolist())
    assert tables[0] == tables[1]
    table = _detect(gappy.dropna(subset=["user_id"]))
    first = gappy["user_id"].dropna().iloc[0]
    assert isinstance(first, float) and first in set(table.index.tolist())


def test_oddseq_dask_refuses_rounded_ids_in_the_same_words(shop):
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    log, _ = _with_big_ids(shop, "user_id")
    df = _read_back(log).drop(columns=["item_id"])
    roles = dict(entity="user_id", event="behavior", time="timestamp")
    with (
        dask.config.set(scheduler="sync"),
        pytest.raises(ValueError, match=r"dtype=\{'user_id': str\}"),
    ):
        detect_anomalies(dd.from_pandas(df, npartitions=2), **roles, dropna=True).compute()


def test_rounded_18_digit_category_ids_are_refused_naming_the_category_column(shop):
    log, _ = _with_big_ids(shop, "category_id")
    df = _read_back(log)
    assert df["category_id"].dtype == np.float64
    with pytest.raises(ValueError, match=r"dtype=\{'category_id': str\}"):
        _detect(df, category="category_id")
