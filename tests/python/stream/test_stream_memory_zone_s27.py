"""A stream's memory figure counts the local clock's table of a stream in a time zone
(H3 s27): its hourly UTC offsets over 1990-2079, ~790,000 of them (6.3 MB), held by the
store once per stream."""

import pandas as pd

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")


def test_memory_counts_the_local_clocks_table():
    """A stream in a time zone holds its local clock's hourly UTC offsets (1990-2079,
    ~790,000 of them): memory_bytes counts them."""
    head = make_ecommerce(n_users=100, random_state=252).events
    utc = AnomalyPipeline(recent_change=True).fit(Sequences.from_events(head, **ROLES))
    zoned_log = head.assign(
        timestamp=pd.to_datetime(head["timestamp"], unit="s", utc=True).dt.tz_convert(
            "Europe/Paris"
        )
    )
    zoned = AnomalyPipeline(recent_change=True).fit(Sequences.from_events(zoned_log, **ROLES))
    zoned_bytes = StreamScorer(zoned, **ROLES).memory_bytes()
    utc_bytes = StreamScorer(utc, **ROLES).memory_bytes()
    table = len(StreamScorer(zoned, **ROLES)._change_options()["utc_offset_s"]) * 8
    assert table > 6_000_000
    assert zoned_bytes - utc_bytes == table - 8, (zoned_bytes, utc_bytes, table)
