"""Alerts write an entity id as the batch's table reads it (trial s41 F8): a plain
integer as a JSON number, other ids (a leading zero, letters, past int64) as text."""

from __future__ import annotations

import json

import numpy as np
import pytest

from oddseq.stream._cli import _alert_id


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("515845109", 515845109),
        ("0", 0),
        ("-17", -17),
        ("9223372036854775807", 9223372036854775807),
        ("9223372036854775808", "9223372036854775808"),  # past int64: pandas keeps text
        ("0123", "0123"),
        ("+5", "+5"),
        ("-0", "-0"),
        ("u17", "u17"),
        ("12.5", "12.5"),
        (" 7", " 7"),
        ("", ""),
    ],
)
def test_an_id_is_a_number_only_where_its_text_is_a_plain_integer(text, written):
    got = _alert_id(text)
    assert got == written and type(got) is type(written)
    assert json.loads(json.dumps({"entity": got}))["entity"] == written


def test_numpy_ids_are_written_as_their_python_values():
    assert json.dumps({"entity": _alert_id(np.int64(42))}) == '{"entity": 42}'
    assert _alert_id(7) == 7


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_stream_alerts_join_the_score_table_without_a_cast(tmp_path, monkeypatch, capsys, fmt):
    import io
    import sys

    import pandas as pd

    from oddseq.cli import main
    from oddseq.datasets import make_ecommerce

    events = make_ecommerce(n_users=300, random_state=3).events.sort_values("timestamp")
    log = tmp_path / f"events.{fmt}"
    if fmt == "csv":
        events.to_csv(log, index=False)
    else:
        events.to_json(log, orient="records", lines=True)
    model = tmp_path / "model.oddseq"
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    assert main(["fit", str(log), *roles, "--contamination", "0.05", "--save", str(model)]) == 0
    capsys.readouterr()
    with open(log, "rb") as stdin:  # in-process, as test_stream_fast
        monkeypatch.setattr(sys, "stdin", stdin)
        assert main(["stream", "--model", str(model), *roles]) == 0
    out = capsys.readouterr().out
    alerts = [json.loads(line) for line in out.splitlines()]
    assert alerts, "the replay raised no alert"
    assert all(type(a["entity"]) is int for a in alerts)
    frame = pd.read_json(io.StringIO(out), lines=True)
    assert frame["entity"].dtype.kind == "i"
    assert set(frame["entity"]) <= set(events["user_id"])


def test_ids_stay_text_where_the_fitted_ids_were_text():
    # Review s42 M2: a log of ids 17, u17 and 0123 keeps "17" text in the batch's table
    # (numbers only where every id is a plain integer): so do its alerts.
    assert _alert_id("17", False) == "17"
    assert _alert_id("17", True) == 17 and _alert_id("0123", True) == "0123"
    assert _alert_id("17", None) == 17  # (a model without its table: any plain integer)


def test_the_fitted_ids_decide(tmp_path, monkeypatch, capsys):
    import sys

    import pandas as pd

    from oddseq.cli import main
    from oddseq.datasets import make_ecommerce

    events = make_ecommerce(n_users=300, random_state=3).events.sort_values("timestamp")
    events["user_id"] = events["user_id"].map(lambda u: f"u{u}" if u % 7 == 0 else str(u))
    log = tmp_path / "events.csv"
    events.to_csv(log, index=False)
    model = tmp_path / "model.oddseq"
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    assert main(["fit", str(log), *roles, "--contamination", "0.05", "--save", str(model)]) == 0
    capsys.readouterr()
    with open(log, "rb") as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        assert main(["stream", "--model", str(model), *roles]) == 0
    alerts = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert alerts and all(isinstance(a["entity"], str) for a in alerts)
    table = tmp_path / "scored.csv"
    assert main(["score", str(log), "--model", str(model), *roles, "-o", str(table)]) == 0
    scored = pd.read_csv(table, dtype={"user_id": str})
    assert {a["entity"] for a in alerts} <= set(scored["user_id"])
