"""Seconds and milliseconds in one time column, split across oddseq.dask's input
partitions, are refused as one machine refuses them, with the whole column's counts (HK
s33's open point: a partition that held one unit was read, and a partition that held
both was refused with its own counts, "50 read as seconds, 1,967 as milliseconds" of a
log of 2,033 and 1,967)."""

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from oddseq.utils._time import parse_times, refuse_two_units_of_parts, unit_facts

SECONDS = 1_511_544_070 + np.arange(0, 400 * 600, 600)  # 2017-11-24 .., every ten minutes


def log(seed=0):
    rng = np.random.default_rng(seed)
    users = np.sort(rng.integers(0, 80, SECONDS.size))
    df = pd.DataFrame(
        {"user": users, "event": rng.choice(["pv", "cart"], SECONDS.size), "ts": SECONDS}
    )
    late = df["user"] >= 40  # the second source: milliseconds
    df.loc[late, "ts"] = df.loc[late, "ts"] * 1000
    return df, late


def test_parts_each_of_one_unit_are_refused_with_the_whole_columns_counts():
    df, late = log()
    parts = [df[~late]["ts"].to_numpy(), df[late]["ts"].to_numpy()]
    for part in parts:  # each part alone reads
        parse_times(pd.Series(part), "ts", time_unit="s" if part.max() < 1e11 else "ms")
    with pytest.raises(ValueError) as refused:
        refuse_two_units_of_parts("ts", [unit_facts(p.astype(float)) for p in parts])
    said = str(refused.value)
    assert f"{int((~late).sum()):,} read as seconds" in said, said
    assert f"{int(late.sum()):,} as milliseconds" in said, said
    # one machine says the same of the whole column
    with pytest.raises(ValueError) as whole:
        parse_times(df["ts"], "ts")
    assert str(whole.value) == said


def test_parts_in_one_unit_or_counted_from_a_start_pass():
    refuse_two_units_of_parts("ts", [unit_facts(SECONDS[:200] * 1.0), unit_facts(SECONDS * 1.0)])
    refuse_two_units_of_parts("ts", [None, unit_facts(np.zeros(0))])
    # times counted from a start: from 0 up to billions of ms, not all in 1990..2100
    start = np.linspace(0, 3e12, 500)
    refuse_two_units_of_parts("ts", [unit_facts(start[:250]), unit_facts(start[250:])])


@pytest.mark.parametrize("unit", ["s", "ms"])
def test_oddseq_dask_refuses_two_units_split_across_partitions(unit):
    import oddseq.dask as od

    df, late = log()
    ddf = dd.concat([dd.from_pandas(df[~late], npartitions=1), dd.from_pandas(df[late], 1)])
    with dask.config.set(scheduler="sync"), pytest.raises(ValueError) as refused:
        od.detect_anomalies(ddf, entity="user", event="event", time="ts", time_unit=unit)
    said = str(refused.value)
    assert f"{int((~late).sum()):,} read as seconds" in said, said
    assert f"{int(late.sum()):,} as milliseconds" in said, said


def test_the_conversion_the_refusal_names_reads_on_dask_too():
    # RV s34 M2: the advised np.where(...) is no column dask assigns (TypeError); the
    # advice's Series.where reads on both.
    import re

    import oddseq.dask as od

    df, late = log()
    ddf = dd.concat([dd.from_pandas(df[~late], npartitions=1), dd.from_pandas(df[late], 1)])
    with dask.config.set(scheduler="sync"), pytest.raises(ValueError) as refused:
        od.detect_anomalies(ddf, entity="user", event="event", time="ts")
    said = str(refused.value)
    fix = re.search(r"df\['ts'\] = (df\['ts'\]\.where\(.*?\)), then time_unit='(\w+)'", said)
    assert fix, said
    ddf["ts"] = eval(fix.group(1), {"df": ddf})
    df["ts"] = eval(fix.group(1), {"df": df})
    assert (df["ts"] == SECONDS).all()
    with dask.config.set(scheduler="sync"):
        table = od.detect_anomalies(
            ddf,
            entity="user",
            event="event",
            time="ts",
            time_unit=fix.group(2),
            groups=False,
            contamination=0.1,
        )
    assert len(table) == df["user"].nunique()
