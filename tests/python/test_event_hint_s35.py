"""The shell's hint for a left-out --event names the column whose name says "event"
first (review RV s34 L3): it took the first column whose name matched, so BGL's
structured CSV was told --event Type (RAS, KERNEL's kind of message) before EventId, and
"type" in device_type or user_type read as an event type."""

import argparse

import pytest

from oddseq.cli import omitted_roles_note

BGL = (
    "LineId,Label,Timestamp,Date,Node,Time,NodeRepeat,Type,Component,Level,Content,EventId,"
    "EventTemplate"
).split(",")


def _hint(columns, **given):
    roles = dict(entity=None, event=None, time=None, item=None, value=None, category=None)
    roles.update(given)
    return omitted_roles_note("detect", argparse.Namespace(**roles, group_by=None), columns)


@pytest.mark.parametrize(
    "columns, entity, event",
    [
        (BGL, "Node", "EventId"),  # loghub's structured CSVs: its template ids
        (["user_id", "device_type", "action", "ts"], "user_id", "action"),
        (["user_id", "user_type", "event_name", "ts"], "user_id", "event_name"),
        (["event_time", "event_type", "product_id", "user_id"], "user_id", "event_type"),
        (["Node", "Type", "Time"], "Node", "Type"),  # no better name: Type still
        (["user_id", "behavior_type", "kind", "ts"], "user_id", "behavior_type"),
    ],
)
def test_the_best_named_column_is_offered(columns, entity, event):
    note = _hint(columns, entity=entity, time=columns[-1])
    assert f"--event {event} " in note, note


def test_a_qualified_type_alone_is_listed_not_offered():
    """user_type is an attribute of the user, no event type: with nothing better the line
    lists the columns (it among them) rather than advise it."""
    note = _hint(["user_id", "user_type", "ts"], entity="user_id", time="ts")
    assert "--event user_type" not in note and "'user_type'" in note, note


def test_bgl_in_the_shell(tmp_path, capsys):
    from oddseq.cli import main

    rows = [
        f"{i},-,{1117838570 + i},2005.06.03,R0{i % 3},2005-06-03-15.42.50,R0{i % 3},RAS,"
        f"KERNEL,INFO,text {i % 4},E{i % 4},text <*>"
        for i in range(60)
    ]
    path = tmp_path / "bgl.csv"
    path.write_text(",".join(BGL) + "\n" + "\n".join(rows) + "\n")
    args = ["detect", str(path), "--entity", "Node", "--time", "Timestamp", "--no-groups"]
    assert main([*args, "-o", str(tmp_path / "o.csv")]) == 0
    (line,) = [x for x in capsys.readouterr().err.splitlines() if "no --event" in x]
    assert "--event EventId " in line, line
