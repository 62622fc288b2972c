"""contamination= beside normal-only fitting is refused, naming false_alarm_rate= (NA s34
MEDIUM-3). contamination is the share of anomalies among the fitted entities, which
normal=True declares none, and its cut was the top share of their in-sample scores: on
hdfs_xu a 1-NN scores every normal block with a twin 0, so at 0.1 the cut was 0 (seed
781: 400 normal blocks, 33 of 1,500 held-out normal blocks flagged); on make_ecommerce
(seed 782, 800 normal users) 0.1 flagged 10.7% of held-out normal users and 0.01 1.55%,
where false_alarm_rate=0.01, the out-of-fold quantile, flags 0.86%. The Python call,
oddseq.dask, the shell's detect and fit (the stream's models) refuse it alike."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import AnomalyPipeline
from oddseq.cli import main
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def shop():
    data = make_ecommerce(n_users=500, random_state=785)
    normal = np.asarray(data.labels.index[data.labels == 0])[:250]
    events = data.events
    return events[events["user_id"].isin(normal)], events[~events["user_id"].isin(normal)]


def test_the_pipeline_refuses_a_share_beside_normal_and_names_the_rate(shop):
    normal, _ = shop
    seqs = Sequences.from_events(normal, **ROLES)
    with pytest.raises(ValueError) as refused:
        AnomalyPipeline(contamination=0.1).fit(seqs, normal=True)
    said = str(refused.value)
    assert said.startswith("contamination=0.1 with normal=True")
    assert "pass false_alarm_rate=0.1 instead" in said and "out-of-fold" in said
    assert "--false-alarm-rate 0.1" in said and "table.head(n)" in said
    # the advice followed: the normal-only cut at that rate, from out-of-fold scores
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline(false_alarm_rate=0.1).fit(seqs, normal=True)
    assert pipe.threshold_info_["false_alarm_rate"] == 0.1
    assert "training scores" not in pipe.threshold_info_["rule"]
    # unsupervised, the share is the share to flag, as before
    assert AnomalyPipeline(contamination=0.1).fit(seqs).threshold_info_["rule"] == (
        "top 0.1 of the training scores"
    )


def test_a_share_of_one_half_is_advised_a_rate_the_rate_takes(shop):
    normal, _ = shop
    seqs = Sequences.from_events(normal, **ROLES)
    with pytest.raises(ValueError, match=r"false_alarm_rate= a rate under 0\.5"):
        AnomalyPipeline(contamination=0.5).fit(seqs, normal=True)


def test_detect_anomalies_refuses_before_reading_the_logs(shop, monkeypatch):
    normal, day = shop

    def unread(*args, **kwargs):  # the refusal comes before any sequences are built
        raise AssertionError("sequences were built")

    monkeypatch.setattr(Sequences, "from_events", unread)
    # (named as passed: a normal= log, not AnomalyPipeline.fit's normal=True; trial s41)
    with pytest.raises(ValueError, match=r"contamination=0\.05 with a normal= log: "):
        oddseq.detect_anomalies(day, normal=normal, contamination=0.05, **ROLES)


def test_dask_refuses_it_in_the_same_words(shop):
    dd = pytest.importorskip("dask.dataframe")
    from oddseq.dask import detect_anomalies

    normal, day = shop
    with pytest.raises(ValueError) as one:
        oddseq.detect_anomalies(day, normal=normal, contamination=0.05, **ROLES)
    with pytest.raises(ValueError) as many:
        detect_anomalies(
            dd.from_pandas(day, npartitions=2),
            normal=dd.from_pandas(normal, npartitions=2),
            contamination=0.05,
            **ROLES,
        )
    assert str(many.value) == str(one.value)


@pytest.mark.parametrize("command", ["detect", "fit"])
def test_the_shell_refuses_it_naming_its_own_option(shop, tmp_path, capsys, command):
    normal, day = shop
    normal_file, day_file = tmp_path / "normal.csv", tmp_path / "day.csv"
    normal.to_csv(normal_file, index=False)
    day.to_csv(day_file, index=False)
    roles = [f"--{k}={v}" for k, v in ROLES.items()]
    if command == "detect":
        run = ["detect", str(day_file), *roles, "--normal", str(normal_file)]
        run += ["-o", str(tmp_path / "t.csv")]
    else:
        run = ["fit", str(normal_file), *roles, "--normal", "--save", str(tmp_path / "m.oddseq")]
    assert main([*run, "--contamination", "0.1"]) == 2
    err = capsys.readouterr().err
    assert "--contamination 0.1 with --normal" in err, err
    assert "pass --false-alarm-rate 0.1 instead" in err and "--top N" in err
    later = (
        f"{day_file}, keep the top rows of its ranked table"
        if command == "detect"
        else "a later log, keep the top rows of oddseq score's table"
    )
    assert f"to flag a set share of {later}" in err, err
    assert "false_alarm_rate=" not in err and "table.head" not in err
    assert not (tmp_path / "t.csv").exists() and not (tmp_path / "m.oddseq").exists()
    # the advice followed
    assert main([*run, "--false-alarm-rate", "0.1"]) == 0
    if command == "detect":
        assert len(pd.read_csv(tmp_path / "t.csv")) == day["user_id"].nunique()
