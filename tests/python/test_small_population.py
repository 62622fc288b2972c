"""The unsupervised automatic cut on populations too small for its false-alarm rate:
it says so, and names the way to flag anyway (contamination=, --contamination)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq import detect_anomalies
from oddseq._pipeline import AnomalyPipeline
from oddseq.cli import main
from oddseq.sequences import Sequences


def _log(n_entities: int, seed: int = 0) -> pd.DataFrame:
    """n_entities - 1 alike entities (10-14 events of a/b/c, one a minute) and one glaring
    outlier (400 events, most of them a type no one else has)."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_entities - 1):
        for t in range(int(rng.integers(10, 15))):
            rows.append((f"u{k}", "abc"[int(rng.integers(3))], 60 * t))
    for t in range(400):
        rows.append(("odd", "x" if t % 4 else "a", 60 * t))
    return pd.DataFrame(rows, columns=["user", "event", "t"])


def _seqs(n_entities: int) -> Sequences:
    return Sequences.from_events(_log(n_entities), entity="user", event="event", time="t")


def test_a_tiny_population_warns_that_the_automatic_cut_cannot_flag_and_names_the_fix():
    with pytest.warns(UserWarning, match="contamination=") as record:
        pipe = AnomalyPipeline().fit(_seqs(8))
    (message,) = [str(w.message) for w in record if "contamination=" in str(w.message)]
    assert "8 sequences" in message and "--contamination" in message
    assert "ranked" in message
    # the flags themselves are not changed by the note
    assert pipe.threshold_info_["few_sequences"] is True
    assert pipe.threshold_info_["n_flagged"] == int(pipe.table_["is_anomaly"].sum())
    # the advice works: a share flags the outlier, without the note
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = AnomalyPipeline(contamination=0.15).fit(_seqs(8)).table_
    assert table.index[0] == "odd" and bool(table.loc["odd", "is_anomaly"])


def test_the_note_rests_on_the_rate_a_rate_the_population_can_show_is_silent():
    # 30 sequences: fewer than 1 / 0.01, noted; at a rate of 0.05 (1.5 expected), silent
    with pytest.warns(UserWarning, match="30 sequences"):
        AnomalyPipeline().fit(_seqs(30))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe = AnomalyPipeline(false_alarm_rate=0.05).fit(_seqs(30))
    assert pipe.threshold_info_["few_sequences"] is False


def test_a_population_large_enough_gets_no_note():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe = AnomalyPipeline().fit(_seqs(150))
    assert pipe.threshold_info_["few_sequences"] is False
    assert pipe.table_.index[0] == "odd" and bool(pipe.table_.loc["odd", "is_anomaly"])


def test_detect_anomalies_and_the_shell_pass_the_note_on(tmp_path, capsys):
    with pytest.warns(UserWarning, match="--contamination"):
        detect_anomalies(_log(8), entity="user", event="event", time="t")
    path = tmp_path / "log.csv"
    _log(8).to_csv(path, index=False)
    out = tmp_path / "out.csv"
    code = main(
        ["detect", str(path), "--entity", "user", "--event", "event", "--time", "t"]
        + ["-o", str(out)]
    )
    assert code in (0, None)
    err = capsys.readouterr().err
    assert "warning:" in err and "--contamination" in err
