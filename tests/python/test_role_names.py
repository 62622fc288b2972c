"""A list (or another non-name) passed for a column role is refused naming the role and
the fix, on every public route that takes role columns (H2's fifteenth-session finding 5:
it was ``TypeError: unhashable type: 'list'``)."""

import pandas as pd
import pytest

import oddseq
from oddseq.preprocessing import quality_report
from oddseq.sequences import Sequences


@pytest.fixture(scope="module")
def log():
    rows = []
    for u in range(6):
        for k in range(4):
            rows.append((u, "pv" if k else "buy", f"2020-01-0{1 + k}", f"10:0{u}:00", 100 + k))
    return pd.DataFrame(rows, columns=["user_id", "behavior", "Date", "Time", "item_id"])


ROLES = dict(entity="user_id", event="behavior", time="Date")


def _calls(df, **roles):
    return {
        "detect_anomalies": lambda: oddseq.detect_anomalies(df, **roles),
        "from_events": lambda: Sequences.from_events(df, **roles),
    }


def test_time_list_advises_the_join(log):
    for name, call in _calls(log, **{**ROLES, "time": ["Date", "Time"]}).items():
        with pytest.raises(TypeError) as info:
            call()
        text = str(info.value)
        assert "time=['Date', 'Time']" in text, name
        advice = "df['ts'] = df['Date'].astype(str) + ' ' + df['Time'].astype(str)"
        assert advice in text, name
        assert "time='ts'" in text, name


def test_time_join_advice_runs_on_numeric_columns():
    # loghub's HDFS file reads Date 081109 and Time 203615 as integers: the advised join
    # must not fail there (a plain + of ints and ' ' is a TypeError).
    df = pd.DataFrame({"Date": [81109, 81109], "Time": [203615, 203616]})
    with pytest.raises(TypeError) as info:
        Sequences.from_events(df, entity="Date", event="Time", time=["Date", "Time"])
    statement = str(info.value).split("join them into one first: ")[1].split(", then")[0]
    exec(statement, {"df": df})
    assert df["ts"].tolist() == ["81109 203615", "81109 203616"]


@pytest.mark.parametrize("role", ["entity", "event", "item"])
def test_one_element_list_advises_the_name(log, role):
    column = {"entity": "user_id", "event": "behavior", "item": "item_id"}[role]
    roles = {**ROLES, role: [column]}
    for name, call in _calls(log, **roles).items():
        with pytest.raises(TypeError) as info:
            call()
        text = str(info.value)
        assert f"{role}=[{column!r}]" in text, name
        assert f"{role}={column!r}" in text.split("pass", 1)[1], name


def test_two_entity_columns_advise_joining(log):
    with pytest.raises(TypeError, match=r"entity=\['user_id', 'Date'\].*join"):
        oddseq.detect_anomalies(log, **{**ROLES, "entity": ["user_id", "Date"]})


def test_quality_report_refuses_a_list(log):
    with pytest.raises(TypeError, match=r"time=\['Date', 'Time'\].*df\['ts'\]"):
        quality_report(log, entity="user_id", event="behavior", time=["Date", "Time"])


def test_a_name_that_is_not_a_column_still_says_so(log):
    with pytest.raises(ValueError, match="is not a column of df"):
        oddseq.detect_anomalies(log, **{**ROLES, "time": ("Date", "Time")})


def test_dask_refuses_a_list(log):
    dd = pytest.importorskip("dask.dataframe")
    import oddseq.dask

    ddf = dd.from_pandas(log, npartitions=2)
    with pytest.raises(TypeError, match=r"time=\['Date', 'Time'\].*df\['ts'\]"):
        oddseq.dask.detect_anomalies(ddf, **{**ROLES, "time": ["Date", "Time"]})


def test_dask_refuses_a_category_list(log):
    dd = pytest.importorskip("dask.dataframe")
    import oddseq.dask

    ddf = dd.from_pandas(log.assign(cat=1), npartitions=2)
    with pytest.raises(TypeError, match=r"category=\['cat'\].*pass category='cat'"):
        oddseq.dask.detect_anomalies(ddf, **ROLES, item="item_id", category=["cat"])


def test_category_list_refused(log):
    with pytest.raises(TypeError, match=r"category=\['cat'\].*pass category='cat'"):
        oddseq.detect_anomalies(log.assign(cat=1), **ROLES, item="item_id", category=["cat"])


def test_the_dropna_warning_has_thousands_separators():
    """(H2 s15 finding 14) 'dropped 7,681 of 12,391 rows', as every other message."""
    from oddseq.sequences._sequences import dropped_rows_message

    text = dropped_rows_message(7681, 12391, {"user_id": 7681, "time": 0})
    assert text == "dropped 7,681 of 12,391 rows with missing values (7,681 in 'user_id')"
