"""oddseq stream's C++ line reader on the text real logs bring (H3 s27): quoted CSV
fields ("Smith, J.", doubled quotes), JSON strings with escapes (\\" \\\\ \\/ \\uXXXX,
surrogate pairs) and nested values, UTF-8 ids and names. Each line it reads gives the
event, entity, item, type, score and alert the command's Python reader gives on the same
line (its _Reader, then update_one, as score_each does); every line it leaves (the
malformed ones among them) is the Python reader's, said in its words."""

import argparse
import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")
COLUMNS = list(ROLES.values())
CLI_ROLES = [x for role, column in ROLES.items() for x in (f"--{role}", column)]
# Types not seen in fitting, named in the reasons: text that needs quoting or escaping.
UNSEEN = ["téléport", "zoom, in", 'say "hi"', "ünseen/🛒"]


@pytest.fixture(scope="module")
def log():
    events = make_ecommerce(n_users=150, random_state=252).events
    return events.sort_values("timestamp", kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def pipe(log):
    # A cut that 5% of normal users cross: alerts enough to compare on a few lines.
    return AnomalyPipeline(false_alarm_rate=0.05).fit(Sequences.from_events(log, **ROLES))


def _entity_text(user: int) -> str:
    """An id as text, one of the forms real ids take (the same id always alike)."""
    return [
        str(user),
        f"ü{user}",
        f"Smith, J. {user}",
        f'{user} "the" one',
        f"商店{user}",
        f"{user}🛒",
    ][user % 6]


def _item_text(item: int, pick: int) -> str:
    return [str(item), f"Item {item}, size M", f'{item}" screen', f"Товар №{item}", "", "a/b"][
        pick % 6
    ]


def _reader(fmt: str):
    """The command's Python reader (stream._cli._Reader) of these columns, and the list
    its reports of malformed lines go to: (line number, why)."""
    from oddseq.stream._cli import _Reader

    args = argparse.Namespace(
        format=fmt, names=None, sep=",", time_format=None, **dict(ROLES.items())
    )
    reader = _Reader(args, COLUMNS, COLUMNS[:3])
    if fmt == "csv":
        reader.parse([(1, ",".join(COLUMNS).encode())])
    said = []
    reader.bad = lambda number, why: said.append((number, why))
    return reader, said


def _python_line(live, reader, number: int, raw: bytes):
    """One line as the command's Python path takes it (score_each): (entity, event) of
    update_one, or None where the line is blank or malformed (reported)."""
    from oddseq.sequences._sequences import unreadable_numbers
    from oddseq.stream._cli import _number, _one_line, _time_ok

    lists, numbers = reader.parse([(number, raw)])
    if not numbers:
        return None
    entity, event, time, item, value = (column[0] for column in lists)
    text, time = time, _number(time)
    if not isinstance(time, int) and not _time_ok(time):
        reader.bad_time(number, text)
        return None
    if value is not None:
        try:
            value = float(value)
        except ValueError:
            if unreadable_numbers(pd.Series([value], dtype=object)).iloc[0]:
                reader.bad(number, f"unreadable value {str(value)[:40]!r}")
                return None
            value = None
    try:
        return entity, live.update_one(entity, event, time, item, value)
    except (ValueError, TypeError) as error:
        reader.bad(number, _one_line(error))
        return None


def _alert(number: int, got):
    """The alert of a line (line, entity, score, length, reason), where ``got``
    (:func:`_python_line`'s) raised one, else None."""
    if got is None or not got[1].new:
        return None
    event = got[1]
    return number, got[0], event.score, event.length, event.reason


def _both_ways(pipe, data: bytes, fmt: str, through_the_reader):
    """The lines through the C++ reader (the lines it leaves through the Python path, as
    the command does: ``through_the_reader``, conftest's) and all through the Python
    path: for each way its alerts (line, entity, score, length, reason), its reports of
    malformed lines and its scorer; and the lines the C++ reader left."""
    fast, slow = StreamScorer(pipe, **ROLES), StreamScorer(pipe, **ROLES)
    fast_reader, fast_said = _reader(fmt)
    slow_reader, slow_said = _reader(fmt)
    feed = fast._line_feed() if fmt == "jsonl" else fast._line_feed(",", COLUMNS)
    fast_alerts, left, _, _ = through_the_reader(
        fast, feed, data, lambda n, raw: _alert(n, _python_line(fast, fast_reader, n, raw))
    )
    slow_alerts = []
    for number, raw in enumerate(data.split(b"\n")[:-1], 1):
        alert = _alert(number, _python_line(slow, slow_reader, number, raw))
        if alert is not None:
            slow_alerts.append(alert)
    return (fast_alerts, fast_said, fast), (slow_alerts, slow_said, slow), left


def _assert_same(pipe, data: bytes, fmt: str, ids, defects, through_the_reader):
    """Both ways give the same alerts, reports, counters and entities' features (so the
    same events, entity keys, item keys and types); the C++ reader read every line but
    the defective ones and those of types not seen in fitting (left to update_one while
    it keeps their names)."""
    (fast_alerts, fast_said, fast), (slow_alerts, slow_said, slow), left = _both_ways(
        pipe, data, fmt, through_the_reader
    )
    assert fast_alerts == slow_alerts
    assert fast_said == slow_said
    assert fast.counters == slow.counters
    index = pd.Index(sorted(set(ids)))
    pd.testing.assert_frame_equal(fast.features(index), slow.features(index))
    assert set(left) <= defects, sorted(set(left) - defects)
    return fast_alerts, left


def _csv_field(text: str, quote: bool) -> str:
    """A field as a CSV writer writes it: quoted where it must be (or asked), its quotes
    doubled."""
    if quote or "," in text or '"' in text:
        return '"' + text.replace('"', '""') + '"'
    return text


# A CSV line's defects, each the Python reader's to read or report.
CSV_DEFECTS = [
    lambda f: f[:3] + ['"' + f[3].strip('"') + "x", f[4]],  # unterminated quote
    lambda f: f[:3] + ['"ab"c', f[4]],  # text after the closing quote (csv reads 'abc')
    lambda f: f[:3] + ['ab"c', f[4]],  # a quote inside an unquoted field
    lambda f: f[:3] + ['"a\rb"', f[4]],  # a carriage return inside quotes
    lambda f: f[:3] + ['"a\x00b"', f[4]],  # NUL in a quoted line
    lambda f: f[:4],  # a field short
    lambda f: [*f, '"extra"'],  # a field more
    lambda f: f[:4] + ['"n/a"'],  # an unreadable value
    lambda f: f[:2] + ['"soon"', *f[3:]],  # an unreadable time
    lambda f: [f[0], '""', *f[2:]],  # no event type
]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    plans=st.lists(
        st.tuples(st.integers(0, 31), st.integers(0, 39), st.integers(0, 11)),
        min_size=40,
        max_size=160,
    ),
    routed=st.sampled_from([2, 2_000]),
)
def test_csv_lines_read_as_the_python_reader_reads_them(
    log, pipe, plans, routed, monkeypatch, through_the_reader
):
    """Quoted fields (some quoted that need not be), doubled quotes, separators inside
    quotes, UTF-8 ids, items and types, blank lines of Unicode spaces, and defects; the
    types not seen in fitting named in the reasons also once the reader reads their
    lines itself (``routed``: after that many)."""
    from oddseq.stream import _checks

    monkeypatch.setattr(_checks, "UNSEEN_ROUTED_MAX", routed)
    lines, defects, ids = [",".join(COLUMNS)], set(), []
    rows = log.head(len(plans))[COLUMNS].itertuples(index=False)
    for (quotes, pick, item_pick), (user, behavior, t, item, price) in zip(plans, rows):
        number = len(lines)  # (the line's number among the events, the header line 1 before)
        entity = _entity_text(int(user))
        ids.append(entity)
        event = UNSEEN[pick % 4] if pick >= 36 else str(behavior)
        if pick >= 36:
            defects.add(number)  # (left to update_one while it names them)
        texts = [entity, event, str(int(t)), _item_text(int(item), item_pick), repr(float(price))]
        fields = [_csv_field(x, bool(quotes >> k & 1)) for k, x in enumerate(texts)]
        if pick < len(CSV_DEFECTS):
            fields = CSV_DEFECTS[pick](fields)
            defects.add(number)
        line = ",".join(fields)
        if pick == 10:
            line = line.replace(entity, entity + "\udcff")  # not UTF-8 (a lone byte 0xff)
            defects.add(number)
        elif pick == 11:
            lines.append("\u00a0\u3000 ")  # blank to str.strip(), Unicode spaces alone
            defects.add(number)
            number += 1
        elif pick == 12:
            lines.append(" \t")  # blank
            number += 1
        lines.append(line)
    # (the header is line 1: the reader's numbers start there)
    data = ("\n".join(lines[1:]) + "\n").encode("utf-8", "surrogateescape")
    defects = {d for d in defects}
    alerts, left = _assert_same(pipe, data, "csv", ids, defects, through_the_reader)
    clean = len(lines) - 1 - len(defects)
    assert clean == 0 or len(left) < len(lines) - 1


def _json_text(text: str, how: int) -> str:
    """A JSON string of ``text`` as writers write it: UTF-8 as it is; json.dumps'
    ASCII (\\uXXXX, surrogate pairs); every character escaped (slashes as \\/); or
    slashes and quotes alone escaped."""
    if how == 0:
        return json.dumps(text, ensure_ascii=False)
    if how == 1:
        return json.dumps(text)
    if how == 2:
        out = []
        for c in text:
            code = ord(c)
            if code > 0xFFFF:
                high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
                out.append(f"\\u{high:04X}\\u{low:04x}")
            elif c == "/":
                out.append("\\/")
            else:
                out.append(f"\\u{code:04x}")
        return '"' + "".join(out) + '"'
    return json.dumps(text, ensure_ascii=False).replace("/", "\\/")


# A JSON line's defects (the text after the entity's key), each the Python reader's.
JSON_DEFECTS = [
    lambda r: r.replace('"user_id": ', '"user_id": "\\ud800" ', 1).replace('" "', "", 1),
    lambda r: r.replace('"item_id": ', '"item_id": "\\udc00x", "item_id": ', 1),  # lone low
    lambda r: r.replace('"behavior": ', '"behavior": "\\x41", "b": ', 1),  # a bad escape
    lambda r: r[:-1] + ", }",  # a trailing comma
    lambda r: r.replace('"price": ', '"price": NaN, "p": ', 1),
    lambda r: r.replace('"behavior": ', '"behavior": true, "b": ', 1),
    lambda r: r.replace('"user_id": ', '"user_id": {"id": 1}, "u": ', 1),
    lambda r: r.replace('"user_id": ', '"user_id": 12.0, "u": ', 1),  # read as 12
    lambda r: "[" + r + "]",
    lambda r: r[:-1],  # unterminated
    lambda r: "\ufeff" + r,  # a byte-order mark inside the input
    lambda r: r.replace('"price": ', '"price": "n/a", "p": ', 1),
    lambda r: r.replace('"timestamp": ', '"timestamp": "soon", "t": ', 1),
    lambda r: r.replace('"extra": ', '"extra": ' + "[" * 70 + "]" * 70 + ', "e": ', 1),
]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    plans=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 44), st.integers(0, 11)),
        min_size=40,
        max_size=160,
    ),
    routed=st.sampled_from([2, 2_000]),
)
def test_json_lines_read_as_the_python_reader_reads_them(
    log, pipe, plans, routed, monkeypatch, through_the_reader
):
    """Strings with escapes of every kind and surrogate pairs, escaped keys, UTF-8 as it
    is, nested values, equal keys (the last wins), numbers as text, null and missing
    roles, and defects (lone surrogates, bad escapes, JSON that json.loads refuses,
    values of other kinds)."""
    from oddseq.stream import _checks

    monkeypatch.setattr(_checks, "UNSEEN_ROUTED_MAX", routed)
    lines, defects, ids = [], set(), []
    rows = log.head(len(plans))[COLUMNS].itertuples(index=False)
    for (how, key_how, pick, item_pick), (user, behavior, t, item, price) in zip(plans, rows):
        number = len(lines) + 1
        entity = _entity_text(int(user))
        ids.append(entity)
        event = UNSEEN[pick % 4] if pick >= 41 else str(behavior)
        if pick >= 41:
            defects.add(number)
        key = (lambda k: _json_text(k, 2)) if key_how == 3 else json.dumps
        parts = [
            f"{key('user_id')}: {_json_text(entity, how)}",
            f'"behavior": {_json_text(event, (how + 1) % 4)}',
            f'"timestamp": {int(t)}' if pick != 20 else f'"timestamp": "{int(t)}"',
        ]
        item_text = _item_text(int(item), item_pick)
        if item_pick != 11:  # (else no item)
            parts.append(f'"item_id": {_json_text(item_text, how) if item_text else "null"}')
        parts.append(f'"price": {float(price)!r}' if pick != 21 else '"price": null')
        if pick in (22, 23):
            parts.append('"extra": {"tags": ["a\\/b", 1.5e3, null, true, {"k": "v\\n"}]}')
        else:
            parts.append('"extra": 1')
        if pick == 24:  # equal keys: the last wins
            parts.insert(0, '"user_id": "someone else"')
        line = "{" + (", " if pick != 25 else ",").join(parts) + "}"
        if pick < len(JSON_DEFECTS):
            line = JSON_DEFECTS[pick](line)
            defects.add(number)
        if pick == 26:
            line = "  " + line + " \t"
        lines.append(line)
    data = ("\n".join(lines) + "\n").encode()
    _assert_same(pipe, data, "jsonl", ids, defects, through_the_reader)


def test_the_reader_reads_each_form_itself(pipe):
    """Each form read in C++ (no line left), with the alert naming its entity decoded."""
    live = StreamScorer(pipe, **ROLES)
    csv_feed, json_feed = live._line_feed(",", COLUMNS), live._line_feed()
    price = 1e6  # (an alert on a first event: a price far beyond the fitted ones)
    read = [
        (csv_feed, f'"Smith, J.",pv,5,"a ""b"" c",{price}', "Smith, J."),
        (csv_feed, f'ü1,"pv","5",商品,"{price}"', "ü1"),
        (csv_feed, f'"x""",pv,5,,{price}', 'x"'),
        (
            json_feed,
            '{"user_id": "Jos\\u00e9 \\"J\\" \\/ \\ud83d\\uded2", "behavior": "pv", '
            f'"timestamp": 5, "price": {price}}}',
            'José "J" / 🛒',
        ),
        (
            json_feed,
            '{"us\\u0065r_id": "e", "behavior": "\\u0070v", "timestamp": "5", '
            f'"ctx": {{"a": [1, {{"b": null}}], "c": NaN}}, "price": {price}}}',
            "e",
        ),
    ]
    for feed, line, entity in read:
        stop, after, n, alerts = live._feed_lines(feed, (line + "\n").encode(), 0)
        assert stop != 2 and n == 1, line
        assert [a[1].decode() for a in alerts] == [entity], line
    # Lone surrogates (json.loads keeps them; they have no UTF-8): the caller's.
    line = b'{"user_id": "a\\ud800", "behavior": "pv", "timestamp": 5}\n'
    assert live._feed_lines(json_feed, line, 0)[0] == 2


def test_cli_reports_malformed_lines_in_the_python_readers_words(pipe, tmp_path, oddseq_here):
    """The command on quoted, escaped and UTF-8 lines: its alerts name ids as their text,
    and the lines it reports malformed are reported as the Python reader reports them."""
    model = tmp_path / "m.oddseq"
    pipe.save(model)
    price = 1e6
    lines = [
        ",".join(COLUMNS).encode(),
        f'"Smith, J.",pv,5,"a, b",{price}'.encode(),
        b'u2,pv,6,"unterminated,1.0',
        b"u3,pv,7,x,1\xff",  # not UTF-8
        '"ü4",pv,8,x,"$12.50"'.encode(),
        f'ü5,"say ""hi""",9,商品,{price}'.encode(),
    ]
    data = b"\n".join(lines) + b"\n"
    done = oddseq_here(["stream", "--model", model, *CLI_ROLES], data)
    assert done.returncode == 0, done.stderr
    entities = [json.loads(line)["entity"] for line in done.stdout.splitlines()]
    assert entities == ["Smith, J.", "ü5"]
    reader, said = _reader("csv")
    for number, raw in enumerate(data.split(b"\n")[1:-1], 2):
        _python_line(StreamScorer(pipe, **ROLES), reader, number, raw)
    assert len(said) == 3
    for number, why in said:
        assert f"oddseq stream: line {number}: {why}; skipped" in done.stderr


def _written(head, writer: str, text_times: bool) -> str:
    """The events as one writer writes them: CSV plain or quoted (every other line's text
    fields, as R's write.csv and QUOTE_NONNUMERIC write them), JSON lines as pandas writes them or
    as json.dumps does (non-ASCII escaped, slashes escaped, a nested value). A few lines
    have their time as a number of seconds where the times are text."""
    import csv
    import io

    frame = head[COLUMNS].copy()
    frame["user_id"] = [f"ü{u}/x" if u % 2 else f"{u}/x" for u in frame["user_id"].tolist()]
    if text_times:
        times = pd.to_datetime(frame["timestamp"], unit="s").dt.strftime("%Y-%m-%d %H:%M:%S UTC")
        times[::7] = frame["timestamp"][::7].astype(str)  # (numbers among them)
        frame["timestamp"] = times
    if writer.startswith("csv"):
        out = io.StringIO()
        plain = csv.writer(out, lineterminator="\n")
        quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
        plain.writerow(COLUMNS)
        for k, row in enumerate(frame.itertuples(index=False)):  # (quoted: every other line)
            (quoted if writer == "csv-quoted" and k % 2 == 0 else plain).writerow(row)
        return out.getvalue()
    records = frame.to_dict("records")
    if writer == "json":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    return "".join(
        json.dumps({**r, "ctx": {"tags": ["a/b", None]}}).replace("/", "\\/") + "\n"
        for r in records
    )


@pytest.mark.parametrize("text_times", [False, True])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_cli_alerts_alike_whatever_the_writer(log, pipe, tmp_path, oddseq_here, fmt, text_times):
    """The command gives the same alerts and summary on the same events written plain
    and written with quotes (CSV) or escapes and nested values (JSON): times as numbers,
    or as text (read a chunk at a time where their shape is learned: a quoted time too;
    a line whose time is a number among them left to the Python reader, not read in the
    unit of the text times)."""
    model = tmp_path / "m.oddseq"
    pipe.save(model)
    head = log.head(1200)
    runs = []
    for writer in (fmt, f"{fmt}-quoted" if fmt == "csv" else "json-escaped"):
        text = _written(head, writer, text_times)
        done = oddseq_here(["stream", "--model", model, *CLI_ROLES], text)
        assert done.returncode == 0, done.stderr
        runs.append(done)
    plain, other = runs
    assert other.stdout == plain.stdout and plain.stdout.count("\n") >= 3
    summary = [run.stderr.splitlines()[-1].rsplit(" in ", 1)[0] for run in runs]
    assert summary[0] == summary[1] and "1,200 events applied" in summary[0], summary


def test_cli_reads_a_separator_of_one_character_beyond_ascii(log, pipe, tmp_path, oddseq_here):
    """--sep '¦' (one character, two bytes of UTF-8): the lines are read by the Python
    reader (the C++ one splits at one byte), each event scored as it comes with --batch
    1: the alerts of the same lines at ','. Before, the command refused it: 'sep must be
    one character'."""
    model = tmp_path / "m.oddseq"
    pipe.save(model)
    head = log.head(600)[COLUMNS]
    runs = [
        oddseq_here(
            ["stream", "--model", model, *CLI_ROLES, "--sep", sep, *more],
            head.to_csv(index=False, sep=sep),
        )
        for sep, more in ((",", ()), ("¦", ("--batch", "1")))
    ]
    assert runs[1].returncode == 0, runs[1].stderr
    assert runs[1].stdout == runs[0].stdout and runs[0].stdout.count("\n") >= 1
    summary = [run.stderr.splitlines()[-1].rsplit(" in ", 1)[0] for run in runs]
    assert summary[0] == summary[1] and "600 events applied" in summary[0]


def test_the_scans_pass_over_json_nested_too_deep_for_json_loads():
    """A line nested deeper than json.loads recurses (the C++ reader leaves it: the
    Python reader's) does not stop the scans of the lines the C++ reader read."""
    from oddseq.stream._checks import _fields
    from oddseq.stream._scorer import _unseen_json_lines

    deep = '{"user_id": "a", "behavior": "x", "n": ' + "[" * 100_000 + "]" * 100_000 + "}"
    data = f'{{"user_id": "b\\u00e9", "behavior": "zoom"}}\n{deep}\n'.encode()
    _, starts, entities, events = _unseen_json_lines(data, 0, "user_id", "behavior")
    assert starts.tolist() == [0] and entities == ["bé".encode()] and events == [b"zoom"]
    assert _fields(data, ",", None, "user_id", "behavior")[:2] == (["bé"], ["zoom"])


def test_cli_reports_json_nested_too_deep_and_reads_on(pipe, tmp_path, oddseq_here):
    """A JSON line nested deeper than json.loads recurses is a malformed line, reported,
    and the stream reads on (before: the command ended in a RecursionError)."""
    model = tmp_path / "m.oddseq"
    pipe.save(model)
    deep = '{"user_id": 1, "behavior": "pv", "timestamp": 5, "x": ' + "[" * 100_000
    deep += "]" * 100_000 + "}"
    lines = [deep, '{"user_id": 2, "behavior": "pv", "timestamp": 6}', deep]
    done = oddseq_here(["stream", "--model", model, *CLI_ROLES], "\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr[-500:]
    assert "oddseq stream: line 1: not JSON (maximum recursion depth exceeded" in done.stderr
    summary = done.stderr.splitlines()[-1]
    assert "1 event applied" in summary and "2 malformed lines (lines 1, 3)" in summary, summary


def test_text_times_of_escaped_and_nested_json_lines_read_a_chunk_at_a_time(pipe):
    """A JSON line with escapes or nested values has its text time read with the chunk's
    (json.loads, written back by json.dumps for the C++ reader, the time in
    microseconds); one whose time is a number is left to the Python reader."""
    from oddseq.stream._text_lines import US, TextTimeLines

    live = StreamScorer(pipe, **ROLES)
    for k in range(4):  # (the shape learned and checked against the full reader)
        live.update_one(f"u{k}", "pv", f"2017-11-25 02:43:0{k} UTC", None, None)
    data = (
        b'{"user_id": "Jos\\u00e9", "behavior": "pv", "timestamp": "2017-11-25 03:00:00 UTC", '
        b'"ctx": {"a": ["x\\/y"]}}\n'
        b'{"user_id": "b", "behavior": "pv", "timestamp": 1511578800, "ctx": [2]}\n'
    )
    lines, starts, origins = TextTimeLines(live, None).view(data, 0)
    first, second = lines.split(b"\n")[:2]
    us = pd.Timestamp("2017-11-25 03:00:00", tz="UTC").value // 1000
    assert json.loads(first) == {
        "user_id": "José",
        "behavior": "pv",
        "timestamp": us,
        "ctx": {"a": ["x/y"]},
    }
    assert second == b'"~"' and origins == [0, data.index(b"\n") + 1]
    feed = live._line_feed(time_factor=US)
    assert live._feed_lines(feed, lines, 0)[1:3] == (starts[1], 1)  # (read, maybe alerted)
    assert live._feed_lines(feed, lines, starts[1])[:3] == (2, starts[1], 0)


def test_the_checks_read_quoted_lines_as_the_reader_does(log, pipe):
    """Scoring's checks on the lines the C++ reader read (the first WINDOW events' types):
    quoted types are the fitted ones, no warning of types never seen."""
    import csv
    import io
    import warnings

    from oddseq.stream._checks import WINDOW

    out = io.StringIO()
    later = log.assign(  # (a second copy, later, of other users: past the window)
        timestamp=log["timestamp"] + (log["timestamp"].max() - log["timestamp"].min() + 1),
        user_id=log["user_id"] + 10**6,
    )
    events = pd.concat([log, later])[COLUMNS].head(WINDOW + 500)
    assert len(events) == WINDOW + 500
    events.astype({"behavior": str}).to_csv(out, index=False, header=False, quoting=csv.QUOTE_ALL)
    data = out.getvalue().encode()
    live = StreamScorer(pipe, **ROLES)
    feed = live._line_feed(",", COLUMNS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        at = 0
        while at < len(data):
            stop, at, _, _ = live._feed_lines(feed, data, at)
            assert stop != 2
    assert live.counters["n_events"] == len(events)
