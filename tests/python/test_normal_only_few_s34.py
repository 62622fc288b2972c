"""Normal-only fitting on fewer normal sequences than 1 / false_alarm_rate says so, as
the unsupervised cut does (NA's s34 trial: hdfs_xu fitted on 30 normal blocks, seed 758,
flagged none of 300 anomalous blocks, its cut extrapolated past twice the highest
out-of-fold score; on other draws of 30, 18% of the normal blocks; no word either way)."""

import warnings

import numpy as np
import pytest

import oddseq
from oddseq import AnomalyPipeline
from oddseq.cli import main
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")


@pytest.fixture(scope="module")
def shop():
    data = make_ecommerce(n_users=700, random_state=766)
    normal = data.labels.index[data.labels == 0]
    return data.events, np.asarray(normal)


def _fit(events, users, **kw):
    seqs = Sequences.from_events(events[events["user_id"].isin(users)], **ROLES)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe = AnomalyPipeline(**kw).fit(seqs, normal=True)
    return pipe, [
        str(w.message) for w in caught if "normal sequences for the cut" in str(w.message)
    ]


def test_few_normal_sequences_warn_and_are_recorded(shop):
    events, normal = shop
    pipe, said = _fit(events, normal[:80])
    assert len(said) == 1, said
    (text,) = said
    assert "only 80 normal sequences for the cut at false_alarm_rate=0.005" in text
    assert "200 normal sequences or more" in text and "false_alarm_rate=" in text
    assert "--false-alarm-rate" in text and "ranked table" in text
    assert pipe.threshold_info_["few_sequences"] is True
    # the advised rate: 1/80 or more, a rate 80 can show, is quiet
    quiet, said = _fit(events, normal[:80], false_alarm_rate=1 / 80)
    assert said == [] and quiet.threshold_info_["few_sequences"] is False


def test_enough_normal_sequences_stay_quiet(shop):
    events, normal = shop
    pipe, said = _fit(events, normal[:250])
    assert said == [] and pipe.threshold_info_["few_sequences"] is False


def test_the_shell_says_it_with_normal(shop, tmp_path, capsys):
    events, normal = shop
    normal_file, scored = tmp_path / "normal.csv", tmp_path / "day.csv"
    events[events["user_id"].isin(normal[:80])].to_csv(normal_file, index=False)
    events[~events["user_id"].isin(normal[:80])].to_csv(scored, index=False)
    roles = [f"--{k}={v}" for k, v in ROLES.items() if k != "item"]
    out = tmp_path / "t.csv"
    assert main(["detect", str(scored), *roles, "--normal", str(normal_file), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "only 80 normal sequences for the cut" in err, err


def test_detect_anomalies_with_a_small_normal_log_warns(shop):
    events, normal = shop
    with pytest.warns(UserWarning, match="only 80 normal sequences"):
        oddseq.detect_anomalies(
            events[~events["user_id"].isin(normal[:80])],
            normal=events[events["user_id"].isin(normal[:80])],
            groups=False,
            **ROLES,
        )
