"""oddseq stream reads a JSON id written as a whole float (``463.0``, as pandas' to_json
writes a column of integer ids that has a null) as the batch reads it: the id 463.
The batch's JSON reader (oddseq detect, score, fit and stream --calibrate) keeps no
difference between 463 and 463.0; the stream read "463.0", another entity (and, with
--drop-duplicates, no repeat)."""

import argparse
import json
import sys

import pytest

from oddseq import AnomalyPipeline
from oddseq.cli import main, read_log
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    log = make_ecommerce(n_users=60, n_days=2, random_state=193).events
    pipe = AnomalyPipeline(method="pca", contamination=0.1)
    pipe.fit(Sequences.from_events(log, **ROLES))
    path = tmp_path_factory.mktemp("model") / "m.oddseq"
    pipe.save(path)
    return path


def _stream(model, path, monkeypatch, capsys, *options):
    roles = [f"--{role}={column}" for role, column in ROLES.items()]
    with open(path, "rb") as stdin:  # in-process, as test_stream_fast
        monkeypatch.setattr(sys, "stdin", stdin)
        assert main(["stream", "--model", str(model), *roles, *options]) == 0
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize("options", [[], ["--drop-duplicates"]])
def test_a_json_id_written_as_a_whole_float_is_the_integer_id(
    model, tmp_path, monkeypatch, capsys, options
):
    event = dict(user_id=463, behavior="cart", timestamp=1511541049, item_id=77)
    lines = [
        event,
        {**event, "user_id": 463.0, "item_id": 77.0},  # the same event, written as floats
        {**event, "timestamp": 1511541050, "item_id": 77.0},  # the same item, a second on
    ]
    text = "".join(json.dumps(line) + "\n" for line in lines)
    # The batch: one entity, one item, and the second line a repeat of the first.
    path = tmp_path / "events.jsonl"
    path.write_text(text)
    names = dict(ROLES, value=None, category=None, names=None, sep=None, encoding=None)
    args = argparse.Namespace(**names, time_format=None, dayfirst=None, command="detect")
    batch = read_log(str(path), args, list(ROLES.values()))
    assert batch["user_id"].nunique() == 1 and batch["item_id"].nunique() == 1
    assert batch.duplicated().tolist() == [False, True, False]
    summary = _stream(model, path, monkeypatch, capsys, *options)
    assert "1 entity tracked" in summary  # "2 entities tracked": 463 and "463.0"
    if options:
        assert "2 events applied" in summary and "1 repeat dropped" in summary
    else:
        assert "3 events applied" in summary
