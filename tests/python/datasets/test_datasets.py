from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oddseq.datasets import (
    ANOMALY_KINDS,
    make_ecommerce,
    read_loghub,
    read_rees46,
    read_retailrocket,
    read_sequences_file,
    read_taobao,
)
from oddseq.sequences import Sequences


def test_make_ecommerce_is_realistic_and_deterministic():
    a = make_ecommerce(n_users=3000, random_state=1)
    b = make_ecommerce(n_users=3000, random_state=1)
    pd.testing.assert_frame_equal(a.events, b.events)
    events = a.events
    assert list(events.columns) == [
        "user_id",
        "item_id",
        "category_id",
        "behavior",
        "timestamp",
        "price",
    ]
    assert events["timestamp"].is_monotonic_increasing
    share = events["behavior"].value_counts(normalize=True)
    assert 0.8 < share["pv"] < 0.95 and share["buy"] < 0.06 and share["cart"] < 0.1
    assert a.labels.sum() == 60 and set(a.labels.index) == set(events["user_id"])
    assert set(a.kinds[a.labels == 1]) == set(ANOMALY_KINDS)
    per_user = events.groupby("user_id").size()
    assert per_user.max() > 10 * per_user.median()  # heavy-tailed activity
    normal = events[events["user_id"].isin(a.labels.index[a.labels == 0])]
    hours = pd.to_datetime(normal["timestamp"], unit="s").dt.hour.add(8).mod(24)
    assert hours.between(19, 22).mean() > 2 * hours.between(2, 5).mean()  # evening peak


def test_make_ecommerce_onsets_mark_each_anomalys_first_odd_event():
    d = make_ecommerce(n_users=3000, anomaly_rate=0.05, difficulty="hard", rings=2, random_state=3)
    anomalous = d.labels.index[d.labels == 1]
    assert d.onsets.index.equals(pd.Index(np.sort(anomalous), name="user_id"))
    first = d.events.groupby("user_id")["timestamp"].min()
    onset = d.onsets
    # every onset is one of the user's own event times
    at = d.events.merge(onset.rename("onset").reset_index(), on="user_id")
    assert at.loc[at["timestamp"] == at["onset"], "user_id"].nunique() == onset.size
    kinds = d.kinds[onset.index]
    # a takeover starts after a normal history; ring members live normal lives around it
    assert (
        onset[kinds == "account_takeover"] > first[onset.index][kinds == "account_takeover"]
    ).all()
    assert (onset[kinds == "ring"] > first[onset.index][kinds == "ring"]).any()
    easy = make_ecommerce(n_users=2000, anomaly_rate=0.05, difficulty="easy", random_state=3)
    crawlers = easy.kinds.index[easy.kinds == "crawler"]
    first_easy = easy.events.groupby("user_id")["timestamp"].min()
    assert (easy.onsets[crawlers] == first_easy[crawlers]).all()  # odd from the start


def test_difficulty_moves_anomalies_towards_normal():
    def crawler_rate(difficulty):
        d = make_ecommerce(n_users=2000, anomaly_rate=0.06, difficulty=difficulty, random_state=0)
        crawlers = d.kinds.index[d.kinds == "crawler"]
        return d.events[d.events["user_id"].isin(crawlers)].groupby("user_id").size().median()

    assert crawler_rate("easy") > crawler_rate("hard")


def test_make_ecommerce_bad_input():
    with pytest.raises(ValueError, match="difficulty"):
        make_ecommerce(difficulty="brutal")
    with pytest.raises(ValueError, match="anomaly_rate"):
        make_ecommerce(anomaly_rate=0.9)
    with pytest.raises(ValueError, match="n_users"):
        make_ecommerce(n_users=0)


def test_read_taobao_csv_and_parquet(tmp_path: Path):
    csv = tmp_path / "ub.csv"
    csv.write_text(
        "1,2268318,2520377,pv,1511544070\n1,2333346,2520771,buy,1511561733\n7,5,6,cart,1511572885\n"
    )
    df = read_taobao(csv)
    assert df["user_id"].dtype == np.int32 and isinstance(df["behavior"].dtype, pd.CategoricalDtype)
    assert str(df["timestamp"].dt.tz) == "Asia/Shanghai"
    assert df["timestamp"].iloc[0].hour == 1  # 17:21 UTC is 01:21 in Shanghai
    df.to_parquet(tmp_path / "ub.parquet")
    back = read_taobao(tmp_path / "ub.parquet")
    assert back["item_id"].tolist() == df["item_id"].tolist()
    seqs = Sequences.from_events(
        df, entity="user_id", event="behavior", time="timestamp", item="item_id"
    )
    assert seqs.lengths.tolist() == [2, 1] and seqs.tz == "Asia/Shanghai"
    with pytest.raises(FileNotFoundError):
        read_taobao(tmp_path / "missing.csv")


def test_read_taobao_in_chunks_merges_categories(tmp_path: Path, monkeypatch):
    import oddseq.datasets._readers as readers

    monkeypatch.setattr(readers, "_CHUNK_ROWS", 2)
    csv = tmp_path / "ub.csv"
    csv.write_text("1,1,1,pv,10\n1,1,1,pv,11\n2,1,1,buy,12\n2,3,1,fav,13\n3,3,3,cart,14\n")
    df = read_taobao(csv)
    assert df["behavior"].tolist() == ["pv", "pv", "buy", "fav", "cart"]
    assert isinstance(df["behavior"].dtype, pd.CategoricalDtype)


def test_read_retailrocket_and_rees46(tmp_path: Path):
    rr = tmp_path / "events.csv"
    rr.write_text(
        "timestamp,visitorid,event,itemid,transactionid\n"
        "1433221332117,257597,view,355908,\n1433224214164,992329,transaction,248676,4000\n"
    )
    df = read_retailrocket(rr)
    assert df["timestamp"].dt.year.tolist() == [2015, 2015]
    assert df["transactionid"].isna().tolist() == [True, False]
    rees = tmp_path / "oct.csv"
    rees.write_text(
        "event_time,event_type,product_id,category_id,category_code,brand,price,"
        "user_id,user_session\n2019-10-01 00:00:04 UTC,view,44600062,2103807459595387724"
        ",,shiseido,35.79,541312140,72d76fde\n"
    )
    df = read_rees46(rees)
    assert df["event_time"].iloc[0] == pd.Timestamp("2019-10-01 00:00:04", tz="UTC")


def test_read_loghub_and_sequences_file(tmp_path: Path):
    log = tmp_path / "HDFS.log_structured.csv"
    log.write_text(
        "LineId,Date,Time,Pid,Level,Component,Content,EventId,EventTemplate\n"
        "1,081109,203615,1,INFO,x,Receiving block blk_1 src,E5,t\n"
        "2,081109,203616,1,INFO,x,Receiving block blk_-2 src,E5,t\n"
        "3,081109,203617,1,INFO,x,Deleting block blk_1 file,E9,t\n"
        "4,081109,203618,1,INFO,x,no block here,E1,t\n"
    )
    labels = tmp_path / "anomaly_label.csv"
    labels.write_text("BlockId,Label\nblk_1,Normal\nblk_-2,Anomaly\n")
    bunch = read_loghub(log, labels)
    seqs = bunch.sequences
    assert list(seqs.ids) == ["blk_-2", "blk_1"]
    assert seqs[1]["event"].tolist() == ["E5", "E9"]
    assert bunch.labels.to_dict() == {"blk_1": 0, "blk_-2": 1}
    lines = tmp_path / "hdfs_train"
    lines.write_text("5 5 22 11\n22 5\n")
    deeplog = read_sequences_file(lines)
    assert deeplog.lengths.tolist() == [4, 2] and deeplog.times is None


SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


@pytest.mark.skipif(
    not (SHARED / "taobao_userbehavior_head").exists(),
    reason="shared sample data is not part of a fresh clone",
)
def test_real_samples_when_present():
    df = read_taobao(SHARED / "taobao_userbehavior_head" / "UserBehavior_head.csv")
    assert len(df) == 84_475 and df["user_id"].nunique() == 815
    bunch = read_loghub(SHARED / "loghub_hdfs_2k" / "HDFS_2k.log_structured.csv")
    assert len(bunch.sequences) > 1000
