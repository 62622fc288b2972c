"""A stream reads an entity id or event type of blank text ("" or spaces) as missing, as
the one call and AnomalyPipeline's sequences do (session 48, TR s48 M9: "" was one entity
of 6,140 rows, ranked first): the event is invalid, skipped and counted, one at a time and
in batches; before, the stream kept "" as an id."""

import math
import subprocess
import sys

import pandas as pd
import pytest

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def fitted():
    log = make_ecommerce(n_users=150, random_state=7).events
    log = log.assign(user_id=log["user_id"].astype(str), behavior=log["behavior"].astype(str))
    return log, AnomalyPipeline(random_state=0).fit(Sequences.from_events(log, **ROLES))


@pytest.mark.parametrize("entity, event", [("", "pv"), ("   ", "pv"), ("u1", ""), ("u1", " \t")])
def test_update_one_reads_blank_text_as_missing(fitted, entity, event):
    live = StreamScorer(fitted[1], **ROLES)
    result = live.update_one(entity, event, 1_511_539_256)
    assert math.isnan(result.score) and result.length == 0 and not result.new
    assert live.counters["n_invalid"] == 1 and live.counters["n_events"] == 0
    assert live.update_one("u1", "pv", 1_511_539_256).length == 1  # (a plain id still counts)


def test_update_reads_blank_text_as_missing(fitted):
    log = fitted[0].sort_values("timestamp", kind="stable").head(400).reset_index(drop=True)
    blank = log.copy()
    blank.loc[::4, "user_id"] = ""
    blank.loc[1::4, "user_id"] = "  "
    blank.loc[2::8, "behavior"] = " "
    live = StreamScorer(fitted[1], **ROLES)
    touched = live.update(blank).scores
    dropped = int(blank["user_id"].str.strip().eq("").sum() + blank["behavior"].eq(" ").sum())
    assert live.counters["n_invalid"] == dropped
    assert live.counters["n_events"] == len(blank) - dropped
    # the same as a stream of the other rows alone
    kept = blank[blank["user_id"].str.strip().ne("") & blank["behavior"].ne(" ")]
    alone = StreamScorer(fitted[1], **ROLES)
    alone.update(kept)
    ids = sorted(kept["user_id"].unique())
    pd.testing.assert_frame_equal(live.features(ids), alone.features(ids))
    assert live.counters["n_entities"] == alone.counters["n_entities"] == len(ids)
    assert "" not in touched.index and "  " not in touched.index


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_shell_stream_skips_blank_ids_as_it_skips_empty_ones(fitted, tmp_path, fmt):
    log, pipe = fitted
    model = tmp_path / "m.oddseq"
    pipe.save(model)
    lines = log.sort_values("timestamp", kind="stable").head(300).reset_index(drop=True)
    lines = lines[["user_id", "behavior", "timestamp"]].astype({"user_id": object})
    lines.loc[::3, "user_id"] = "  "
    lines.loc[1::3, "user_id"] = "\u3000"  # (an ideographic space: blank to str.strip())
    text = (
        lines.to_csv(index=False)
        if fmt == "csv"
        else lines.to_json(orient="records", lines=True, force_ascii=False)
    )
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    done = subprocess.run(
        [sys.executable, "-m", "oddseq.cli", "stream", "--model", str(model), *roles],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "no user_id" in done.stderr and "100 events applied" in done.stderr, done.stderr
    assert "200 malformed lines" in done.stderr, done.stderr
    assert '"entity": "  "' not in done.stdout and '"entity": "\\u3000"' not in done.stdout


def test_arrow_text_and_numpy_text_are_read_alike(fitted):
    pa = pytest.importorskip("pyarrow")
    import numpy as np

    log = fitted[0].sort_values("timestamp", kind="stable").head(200).reset_index(drop=True)
    blank = log.copy()
    blank.loc[::4, "user_id"] = "  "
    arrow = blank.astype({"user_id": pd.ArrowDtype(pa.string())})
    live = StreamScorer(fitted[1], **ROLES)
    live.update(arrow)
    assert live.counters["n_invalid"] == 50 and live.counters["n_events"] == 150
    # the batch reads them as missing too (dropna=True drops them)
    with pytest.warns(DataWarning, match="dropped 50 of 200 rows with missing values"):
        seqs = Sequences.from_events(arrow, **ROLES, dropna=True)
    assert "  " not in set(seqs.ids) and len(seqs.ids) == blank["user_id"].nunique() - 1
    # numpy's str, one at a time
    one = StreamScorer(fitted[1], **ROLES)
    assert math.isnan(one.update_one(np.str_("  "), "pv", 1_511_539_256).score)
    assert one.counters["n_invalid"] == 1


def test_a_scorer_without_events_still_refuses_an_event():
    log = make_ecommerce(n_users=100, random_state=8).events
    roles = dict(entity="user_id", event=None, time="timestamp")
    pipe = AnomalyPipeline(random_state=0).fit(Sequences.from_events(log, **roles))
    live = StreamScorer(pipe, **roles)
    with pytest.raises(ValueError, match="leave event out"):
        live.update_one(1, "  ", 1_511_539_256)
