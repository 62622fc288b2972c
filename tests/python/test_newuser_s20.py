"""A new analyst's first runs on logs oddseq was not tuned to (session 20, H3): each
case is one a user met and the package got wrong (a crash from inside, a silent wrong
value, advice that does not fit)."""

import numpy as np
import pandas as pd
import pytest

from oddseq.sequences import Sequences


def _log(n_users=20, per_user=6):
    rng = np.random.default_rng(186)
    users = np.repeat(np.arange(n_users), per_user)
    return pd.DataFrame(
        {
            "user_id": users,
            "behavior": rng.choice(["pv", "cart", "buy"], size=users.size),
            "timestamp": 1_511_539_000 + np.arange(users.size) * 60,
        }
    )


# --- a nullable integer time column with a missing value ----------------------------


@pytest.mark.parametrize("dtype", ["Int64", "int64[pyarrow]", "UInt32"])
def test_a_missing_time_in_a_nullable_integer_column_is_missing(dtype):
    # pd.read_csv(..., dtype_backend="numpy_nullable" or "pyarrow") gives such a column:
    # its <NA> was cast to a garbage time (a RuntimeWarning, an event in 1970 or before).
    log = _log()
    log["timestamp"] = log["timestamp"].astype(dtype)
    log.loc[3, "timestamp"] = pd.NA
    with pytest.raises(ValueError, match=r"missing values: 1 in 'timestamp'.*dropna=True"):
        Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
    with pytest.warns(UserWarning, match=r"dropped 1 of 120 rows with missing values"):
        seqs = Sequences.from_events(
            log, entity="user_id", event="behavior", time="timestamp", dropna=True
        )
    plain = _log().drop(index=3)
    again = Sequences.from_events(plain, entity="user_id", event="behavior", time="timestamp")
    np.testing.assert_array_equal(seqs.times, again.times)
    np.testing.assert_array_equal(seqs.offsets, again.offsets)


@pytest.mark.parametrize("dtype", ["Int64", "int64[pyarrow]"])
def test_a_nullable_integer_time_column_without_missing_values_reads_as_numbers(dtype):
    log = _log()
    plain = Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
    log["timestamp"] = log["timestamp"].astype(dtype)
    seqs = Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
    np.testing.assert_array_equal(seqs.times, plain.times)
