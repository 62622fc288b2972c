"""A new analyst's first hour (session 33, HC): the README's and the docstrings' advice
followed as written, on the kinds of logs a user brings. Each case is one that misled:
advice that does not do what it says, a plot that hides why a row is flagged, a message
that names no fix."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce, read_loghub
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


# --- oddseq --version ---------------------------------------------------------------


def test_oddseq_version_prints_the_version(capsys):
    # A newcomer checks what they installed: `oddseq --version` was refused with "the
    # following arguments are required: command".
    from oddseq.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"oddseq {oddseq.__version__}"


# --- read_loghub's Zookeeper pattern ------------------------------------------------


_ZOOKEEPER_LINES = [
    (
        "Established session 0x14ed93111f20027 with negotiated timeout 10000 for client "
        "/10.10.34.11:45307"
    ),
    "Processed session termination for sessionid: 0x14ed93111f20027",
    "Closed socket connection for client /10.10.34.11:45307 which had sessionid 0x14ed93111f20027",
    "Revalidating client: 0x14f05578bd80018",
    "Expiring session 0x14f05578bd80018, timeout of 10000ms exceeded",
    # not sessions: a zxid, an election round, and no session yet
    "Have quorum of supporters; starting up and setting last processed zxid: 0xb00000000",
    "Notification: 3 (n.leader), 0x700000197 (n.zxid), 0x1 (n.round), LEADING (n.state)",
    "Exception causing close of session 0x0 due to java.io.IOException: ZooKeeperServer "
    "not running",
]


def _docstring_pattern(system: str) -> str:
    doc = read_loghub.__doc__
    found = re.search(r'``r"([^`]+)"``\s*\(' + system, doc)
    assert found, f"read_loghub's docstring names no pattern for {system}"
    return found.group(1).replace("\\\\", "\\")


def test_read_loghubs_zookeeper_pattern_finds_sessions_only(tmp_path):
    # The docstring's r"(0x[0-9a-f]+)" for "Zookeeper sessions" took zxids (0xb00000000),
    # election rounds and "session 0x0" too: on loghub's Zookeeper 2k those were ranks
    # 1-3 of the table, none a session.
    pattern = _docstring_pattern("Zookeeper sessions")
    path = tmp_path / "Zookeeper_2k.log_structured.csv"
    pd.DataFrame(
        {
            "LineId": range(1, len(_ZOOKEEPER_LINES) + 1),
            "Date": "2015-07-29",
            "Time": [f"17:41:{s:02d},747" for s in range(len(_ZOOKEEPER_LINES))],
            "Level": "INFO",
            "Node": "NIOServerCxn.Factory:0.0.0.0/0.0.0.0:2181",
            "Component": "NIOServerCnxn",
            "Id": 1001,
            "Content": _ZOOKEEPER_LINES,
            "EventId": [f"E{i}" for i in range(len(_ZOOKEEPER_LINES))],
            "EventTemplate": "x",
        }
    ).to_csv(path, index=False)
    bunch = read_loghub(str(path), entity_pattern=pattern)
    assert sorted(bunch.events["entity"].unique()) == ["0x14ed93111f20027", "0x14f05578bd80018"]
    assert len(bunch.events) == 5


# --- plot_explanation of a group member ---------------------------------------------


@pytest.fixture(scope="module")
def ring_table():
    """A shop of 400 users with a lockstep ring of 12 on three items, twice two days
    apart (the Taobao head's group, in miniature), fitted with items so the group stage
    runs."""
    log = make_ecommerce(400, random_state=686).events
    rng = np.random.default_rng(686)
    t0 = int(log["timestamp"].median())
    members = rng.choice(log["user_id"].unique(), 12, replace=False)
    rows = []
    for day in (0, 2):
        for k, user in enumerate(members):
            for j, item in enumerate((9_000_001, 9_000_002, 9_000_003)):
                rows.append((user, item, 1, "pv", t0 + 86_400 * day + 20 * k + 3 * j, 10.0))
    ring = pd.DataFrame(
        rows, columns=["user_id", "item_id", "category_id", "behavior", "timestamp", "price"]
    )
    log = pd.concat([log, ring.astype(log.dtypes.to_dict())], ignore_index=True)
    log = log.sort_values("timestamp", kind="stable", ignore_index=True)
    table, pipe = oddseq.detect_anomalies(log, **ROLES, item="item_id", return_pipeline=True)
    return table, pipe


def test_plot_explanation_of_a_group_member_says_it_is_flagged_for_its_group(ring_table):
    # Taobao's lockstep member 1002526 is flagged for its group (its reason starts with
    # the group's sentence), but its plot said only "why 1002526 stands out" over its own
    # purchases-per-view bars: an analyst read those bars as the cause.
    import matplotlib

    matplotlib.use("Agg")
    from oddseq.plot import plot_explanation

    table, pipe = ring_table
    in_group = table.index[table["group"] >= 0]
    assert len(in_group) >= 10
    member = in_group[0]
    group = int(table.loc[member, "group"])
    ax = plot_explanation(pipe, member)
    said = ax.get_xlabel()
    assert f"group {group}" in said
    assert f"plot_group(pipeline, {group})" in said
    # an entity of no group keeps the plain axis
    alone = table.index[table["group"] < 0][0]
    assert "group" not in plot_explanation(pipe, alone).get_xlabel()
    matplotlib.pyplot.close("all")


# --- plot_timeline of a DataFrame ---------------------------------------------------


def test_plot_timeline_of_a_dataframe_names_the_conversion():
    # plot_timeline(log, id) said "seqs must be oddseq Sequences, got DataFrame": the
    # fix unnamed.
    import matplotlib

    matplotlib.use("Agg")
    from oddseq.plot import plot_timeline, plot_transitions

    log = make_ecommerce(30, random_state=686).events
    for plot in (plot_timeline, plot_transitions):
        with pytest.raises(TypeError, match=r"Sequences\.from_events\(df, entity="):
            plot(log, log["user_id"].iloc[0])
    seqs = Sequences.from_events(log, **ROLES)
    assert plot_timeline(seqs, log["user_id"].iloc[0]) is not None
    matplotlib.pyplot.close("all")


def test_readme_terminal_example_reads_the_event_and_time_columns():
    # README's "reads the top in a terminal" example left out --event and --time on the
    # log it had just written: one event type, no times, 93 flagged instead of 53, and
    # nothing said. The example names them.
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = re.search(r"`oddseq detect log\.csv[^`]*--top 20[^`]*`", readme)
    assert example is not None
    assert "--event behavior" in example.group(0) and "--time timestamp" in example.group(0)


# --- a spreadsheet given as the log -------------------------------------------------


@pytest.mark.parametrize("name", ["shop.xlsx", "shop.xls", "shop.ods", "export.csv"])
def test_a_spreadsheet_workbook_is_named_not_read_as_text_of_another_encoding(
    tmp_path, capsys, name
):
    # An analyst's log is often an Excel workbook. `oddseq detect shop.xlsx` said "is not
    # utf-8 text ...; pass --encoding, e.g. --encoding latin-1", and with it "column(s)
    # ['user_id'] not in shop.xlsx; it has ['PK\x03\x04...']": advice that cannot work.
    # A workbook (a zip of xl/ or an OpenDocument sheet, or the old OLE2 .xls), whatever
    # its name, is named as one, with the fix: save the sheet as CSV, or pd.read_excel.
    import zipfile

    from oddseq.cli import main

    path = tmp_path / name
    if name.endswith(".xls"):
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    else:
        with zipfile.ZipFile(path, "w") as book:
            if name.endswith(".ods"):
                book.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
                book.writestr("content.xml", "<x/>")
            else:
                book.writestr("[Content_Types].xml", "<x/>")
                book.writestr("xl/workbook.xml", "<x/>")
    for command in (["detect"], ["fit", "--save", str(tmp_path / "m.oddseq")]):
        status = main([*command, str(path), "--entity", "user_id"])
        err = capsys.readouterr().err
        assert status == 2
        assert "spreadsheet" in err and "CSV" in err and "pd.read_excel" in err
        assert "--encoding" not in err


def test_a_zip_compressed_csv_is_still_read(tmp_path, capsys):
    # ... while a CSV compressed as .zip (also a zip) reads as before.
    from oddseq.cli import main

    log = make_ecommerce(40, random_state=686).events
    path = tmp_path / "log.csv.zip"
    log.to_csv(path, index=False)
    out = tmp_path / "odd.csv"
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    assert main(["detect", str(path), *roles, "-o", str(out)]) == 0
    assert len(pd.read_csv(out)) == log["user_id"].nunique()


def test_plot_timeline_of_an_id_written_as_text_names_the_id_it_means():
    # An id copied from `oddseq detect`'s CSV (text) into plot_timeline of int ids said
    # only "entity '1003646' is not among the sequence ids".
    import matplotlib

    matplotlib.use("Agg")
    from oddseq.plot import plot_timeline

    log = make_ecommerce(30, random_state=686).events
    seqs = Sequences.from_events(log, **ROLES)
    user = int(log["user_id"].iloc[0])
    with pytest.raises(ValueError, match=rf"\(int\) reads so as text: pass {user}$"):
        plot_timeline(seqs, str(user))
    with pytest.raises(ValueError, match="is not among the sequence ids"):
        plot_timeline(seqs, "no such user")
    matplotlib.pyplot.close("all")


# --- a column name spelt otherwise in the header ------------------------------------


@pytest.mark.parametrize(
    "header, said",
    [("user_id ", "'user_id '"), (" User_ID", "' User_ID'"), ("UserId", "'UserId'")],
)
def test_a_column_spelt_otherwise_in_the_header_is_named(tmp_path, capsys, header, said):
    # Exports often carry spaces around header names, or another case: `--entity user_id`
    # on a header 'user_id ,...' said "column(s) ['user_id'] not in log.csv; it has
    # [..., 'user_id ', ...]", the one-space difference left to be spotted.
    from oddseq.cli import main

    log = make_ecommerce(40, random_state=686).events.rename(columns={"user_id": header})
    for name, write in (("log.csv", log.to_csv), ("log.jsonl", None)):
        path = tmp_path / name
        if write is None:
            log.to_json(path, orient="records", lines=True)
        else:
            write(path, index=False)
        status = main(["detect", str(path), "--entity", "user_id", "--event", "behavior"])
        err = capsys.readouterr().err
        assert status == 2
        assert f"the header spells {said} for 'user_id'" in err
    # a name with no look-alike keeps the plain message
    status = main(["detect", str(tmp_path / "log.csv"), "--entity", "customer"])
    assert status == 2 and "spells" not in capsys.readouterr().err


# --- a reason for an entity no feature sets apart -----------------------------------


def test_an_entity_alike_a_normal_one_is_said_so_not_given_a_leading_feature():
    # Normal-only on HDFS-like blocks: a held-out block identical to a normal one scores 0
    # and its reason read "no single feature stands out; leading: count[9] 1 (normal
    # entities like it have 1)", a feature equal to its typical value named as the lead
    # (loghub's HDFS 2k: every block scoring 0 read so).
    rng = np.random.default_rng(686)
    patterns = [[5, 5, 22, 11, 9, 26], [5, 22, 11, 9], [5, 5, 5, 22, 11, 9, 26, 26]]

    def blocks(n, prefix, extra=None):
        rows = []
        for i in range(n):
            events = list(patterns[rng.integers(len(patterns))]) + ((extra or []) if i == 0 else [])
            rows += [(f"{prefix}{i}", e) for e in events]
        return pd.DataFrame(rows, columns=["block", "event"])

    normal, day = blocks(60, "n"), blocks(20, "d", extra=[13, 13])
    table = oddseq.detect_anomalies(day, entity="block", event="event", normal=normal)
    alike = table[table["score"] == 0]
    assert len(alike) >= 10
    assert (
        alike["reason"].str.startswith("no feature differs from the normal entities like it").all()
    )
    assert not alike["reason"].str.contains("leading").any()
    # the odd block keeps its reason
    assert table.loc["d0", "reason"].startswith("count[<other>] 2")
