"""``oddseq stream``'s lines (CSV, or JSON objects) of text times, read a chunk at a time.

The C++ line reader reads numeric times only: a line whose time is text ("2019-10-01
00:00:00 UTC") is left to the caller, which read it alone (the scorer's one-event path
and its reader of one text time: ~0.2 ms a line, ~30x the numeric lines' time). Here a
chunk's text times are read together, in numpy, once their shape (their digits as 0:
``0000-00-00 00:00:00 UTC``) has a format the scorer's reader of text times learned and
checked against the full reader (:class:`oddseq.utils._time.TextTimes`); each such line
is handed to the C++ reader with its time written in microseconds (a feed of that unit),
and every other line is left to the caller as before, unchanged. A time read here is
the one the scorer's reader gives (its checked format through strptime): each field at
its place in the shape, and any text whose fields do not make a real moment in the years
the reader takes (1678-2261), or not as the format reads them, is left to it. Lines
with quotes (CSV) are read as the csv module reads them, their other fields written back
as csv writes them; JSON lines with escapes or nested values as json.loads reads them,
written back as json.dumps writes them; times with other than ASCII are left to the
caller.

Also here: the fields of lines the C++ reader reads that numpy's search of the bytes
cannot take, read as the Python reader reads them (:func:`quoted_csv_fields`,
:func:`json_roles_of_lines`: the stream's scans for types not seen in fitting).
"""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np

__all__ = ["TextTimeLines", "US", "quoted_csv_fields", "json_roles_of_lines"]

#: The unit the lines' times are handed to the C++ reader in (its factor to ns): ns itself
#: would pass 18 digits, which it reads as a double (256 ns apart).
US = 1_000
_DIGIT_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_DIGITS = frozenset(b"0123456789")
# Widest digits a directive takes (strptime's regex tries its widest forms first).
_WIDTH = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2, "f": 6}
# ns of 1678-01-01 and 2262-01-01 (UTC): the years the reader takes (_strptime_ns).
_FIRST_NS = -9_214_560_000 * 10**9
_END_NS = 9_214_646_400 * 10**9
# Local years read here (beyond, the full reader: a zone's shift past them).
_YEARS = (1679, 2260)


def _plan(fmt: str, shape: bytes):
    """Where each directive of ``fmt`` reads its digits in texts of ``shape``: a list of
    (directive, start, width), or None where the shape is not read here (a literal that
    differs, a directive without digits where it stands, a zone not ``Z``, ``+HHMM`` or
    ``+HH:MM``, text left over)."""
    steps, j, i = [], 0, 0
    n = len(shape)
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            if j >= n or shape[j] != ord(c) or ord(c) > 127:
                return None
            i, j = i + 1, j + 1
            continue
        if i + 1 >= len(fmt):
            return None
        d = fmt[i + 1]
        i += 2
        if d == "%":
            if j >= n or shape[j] != ord("%"):
                return None
            j += 1
        elif d in _WIDTH:
            width = 0
            while j + width < n and width < _WIDTH[d] and shape[j + width] in _DIGITS:
                width += 1
            if width == 0 or (d == "Y" and width != 4):
                return None
            steps.append((d, j, width))
            j += width
        elif d == "z":
            if j < n and shape[j] == ord("Z"):
                steps.append(("Z", j, 1))
                j += 1
            elif j + 5 <= n and shape[j] in b"+-":
                colon = shape[j + 3] == ord(":")
                width = 6 if colon else 5
                digits = [1, 2, 4, 5] if colon else [1, 2, 3, 4]
                if j + width > n or any(shape[j + k] not in _DIGITS for k in digits):
                    return None
                steps.append(("z", j, width))
                j += width
            else:
                return None
            if j < n and (shape[j] in _DIGITS or shape[j] == ord(":")):
                return None  # (seconds of an offset: the full reader)
        else:
            return None
    return steps if j == n else None


def _days_from_civil(y, m, d):
    """Days since 1970-01-01 of proleptic Gregorian dates (arrays)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _read(texts: list, plan) -> np.ndarray:
    """Microseconds since the epoch (UTC) of texts of one shape read by ``plan``; the
    int64 minimum where a text is not read here (no real moment, out of the years)."""
    width = len(texts[0])
    grid = np.frombuffer(b"".join(texts), dtype=np.uint8).reshape(len(texts), width)
    grid = grid.astype(np.int64) - ord("0")

    def number(start, size):
        value = np.zeros(len(texts), dtype=np.int64)
        for k in range(start, start + size):
            value = value * 10 + grid[:, k]
        return value

    got = {"m": None, "d": None, "H": 0, "M": 0, "S": 0, "f": 0}
    offset = 0
    ok = np.ones(len(texts), dtype=bool)
    for d, start, size in plan:
        if d == "f":
            got["f"] = number(start, size) * 10 ** (6 - size)
        elif d == "Z":
            pass
        elif d == "z":
            sign = np.where(grid[:, start] == ord("-") - ord("0"), -1, 1)
            hours = number(start + 1, 2)
            minutes = number(start + (4 if size == 6 else 3), 2)
            ok &= (minutes <= 59) & (hours * 60 + minutes < 1440)
            offset = sign * (hours * 3600 + minutes * 60)
        else:
            got[d] = number(start, size)
    year, month, day = got["Y"], got["m"], got["d"]
    hour, minute, second = got["H"], got["M"], got["S"]
    ok &= (year >= _YEARS[0]) & (year <= _YEARS[1]) & (month >= 1) & (month <= 12)
    month = np.clip(month, 1, 12)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    ok &= (day >= 1) & (day <= _MONTH_DAYS[month] + ((month == 2) & leap))
    ok &= (np.asarray(hour) <= 23) & (np.asarray(minute) <= 59) & (np.asarray(second) <= 59)
    seconds = _days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    seconds = seconds - offset
    us = seconds * 1_000_000 + got["f"]
    ok &= (us * 1000 >= _FIRST_NS) & (us * 1000 < _END_NS)
    return np.where(ok, us, np.iinfo(np.int64).min)


# _pieces of a line made unreadable (the caller's, read from its own text).
_UNREAD = (b"", None, b"")
# The time's place in a JSON line written back (TextTimeLines._loaded), and as json.dumps
# writes it.
_MARK = "\x00oddseq time\x00"
_MARK_JSON = json.dumps(_MARK).encode()


def _ascii_time(before: bytes, time, after: bytes):
    """_pieces with a time of other than ASCII made unreadable (no shape of it is read
    here)."""
    if time is not None and not time.isascii():
        return before, None, after
    return before, time, after


def _field_start(line: bytes, sep: bytes, k: int):
    """Where field ``k`` of a CSV line as csv writes it starts (separators inside
    quotes passed over), or None."""
    quoted, n = False, 0
    if k == 0:
        return 0
    for i, c in enumerate(line):
        if c == 34:
            quoted = not quoted
        elif not quoted and c == sep[0]:
            n += 1
            if n == k:
                return i + 1
    return None


def quoted_csv_fields(data: bytes, begin: int, starts, stops, lines, sep: str, n_fields: int, at):
    """Of the CSV lines ``lines`` (numbers among ``starts``/``stops``, places in
    ``data`` from ``begin``, carriage returns left out), those the csv module reads with
    ``n_fields`` fields, as the Python reader reads lines with quotes: (their numbers,
    then for each field of ``at`` their texts as UTF-8 bytes)."""
    got, texts = [], [[] for _ in at]
    for k in lines.tolist():
        raw = data[begin + int(starts[k]) : begin + int(stops[k])]
        try:
            fields = next(csv.reader([raw.decode("utf-8")], delimiter=sep))
        except (UnicodeDecodeError, csv.Error, StopIteration):
            continue
        if len(fields) != n_fields:
            continue
        got.append(k)
        for out, j in zip(texts, at):
            out.append(fields[j].encode())
    return (got, *texts)


def json_roles_of_lines(data: bytes, begin: int, starts, stops, lines, roles):
    """Of the JSON lines ``lines`` (as :func:`quoted_csv_fields` places them), the
    values of ``roles`` where the C++ reader takes them, as json.loads reads the line: a
    string as its UTF-8 text, an integer as its digits, else None: (line number, texts)
    for each line that reads as an object."""
    for k in lines.tolist():
        raw = data[begin + int(starts[k]) : begin + int(stops[k])]
        try:
            record = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):  # (UnicodeDecodeError; nested too deep)
            continue
        if not isinstance(record, dict):
            continue
        texts = []
        for role in roles:
            value = record.get(role)
            if isinstance(value, str):
                try:
                    texts.append(value.encode("utf-8"))
                except UnicodeEncodeError:  # a lone surrogate: not read in C++
                    texts.append(None)
            elif isinstance(value, int) and not isinstance(value, bool):
                texts.append(str(value).encode())
            else:
                texts.append(None)
        yield k, texts


class TextTimeLines:
    """A stream's lines (CSV with ``header``, or JSON objects: ``header`` None) with their
    text times read a chunk at a time (the module's words): :meth:`view` gives the lines
    from an offset with the times it reads written in microseconds, the others made
    unreadable to the C++ reader (their time ``~``, ``"~"`` in JSON: each is the caller's,
    read from its own text), and where each line began. Only where nothing holds lines
    for the order of their dates (``order``, the shell's ``_DateOrder``: its lines are
    read here only while no line is held and none settled an order, and only of shapes it
    would pass as they are)."""

    def __init__(self, scorer, header, sep=",", order=None):
        self.scorer = scorer
        self.json = header is None
        if self.json:  # the time's value: the last of equal keys, as json.loads reads it
            self.key = str(scorer.time)
            key = re.escape(str(scorer.time).encode())
            self.pattern = re.compile(rb'"' + key + rb'"\s*:\s*("([^"]*)"|-?[0-9][-+.eE0-9]*)')
        else:
            self.sep = sep.encode()
            self.n_fields = len(header)
            self.at = header.index(scorer.time)
        self.order = order
        self.plans = {}  # shape -> plan, or None (not read here)
        self.state = None  # what the last view was read under (fresh)

    def _reader(self):
        """The scorer's reader of text times (None before its first text time)."""
        texts = getattr(self.scorer, "_text_times", None)
        return None if texts is None else texts[1]

    def fresh(self) -> bool:
        """Whether the last view still holds: no shape learned or checked since, the
        order of the dates as it was."""
        return self.state == self._state()

    def _state(self):
        reader = self._reader()
        checked = 0
        if reader is not None:
            checked = sum(1 for e in reader._shapes.values() if e is not None and e[1] == 0)
        order = self.order
        held = None if order is None else (order.active, order.order, bool(order.held))
        return (reader is not None, checked, held)

    def _open(self) -> bool:
        """Lines may be read here: the order of the dates decided on a first line and
        holding none."""
        order = self.order
        if order is None or order.active is False:
            return True
        return order.active is True and order.order is None and not order.held

    def _plan_of(self, shape: bytes):
        plan = self.plans.get(shape, False)
        if plan is not False:
            return plan
        reader = self._reader()
        entry = reader._shapes.get(shape.decode("ascii"), False)
        if entry is False or (entry is not None and entry[1] > 0):
            return None  # (not learned or checked yet: its lines are the caller's)
        plan = None
        if entry is not None:
            plan = _plan(entry[0], shape)
            if plan is not None and self.order is not None:
                from ..utils._time import date_orders

                if date_orders(shape.decode("ascii")) is not None:
                    plan = None  # (a date whose order is in question: the order's)
        self.plans[shape] = plan
        return plan

    def _pieces(self, line: bytes):
        """(before, the time's text or None (not text, or not read here: made unreadable),
        after) of a line the C++ reader may read, or None (it leaves the line: kept as it
        came)."""
        if self.json:
            if b"\\" in line or line.count(b"{") > 1 or b"[" in line:
                # (escapes or nested values: the key's text may stand elsewhere than its
                # place: read by json.loads)
                return self._loaded(line)
            every = list(self.pattern.finditer(line))
            if not every:
                return None
            found = every[-1]
            start, end = found.span(1)
            return _ascii_time(line[:start], found.group(2), line[end:])
        if b'"' in line:
            return self._quoted(line)
        fields = line.split(self.sep)
        if len(fields) != self.n_fields:
            return None
        sep, at = self.sep, self.at
        time = fields[at]
        after = sep.join([b""] + fields[at + 1 :]) if at + 1 < len(fields) else b""
        if at + 1 == len(fields):  # (its carriage returns after it, as the reader strips them)
            time, after = time.rstrip(b"\r"), time[len(time.rstrip(b"\r")) :]
        before = sep.join(fields[:at] + [b""]) if at else b""
        return _ascii_time(before, time or None, after)

    def _loaded(self, line: bytes):
        """_pieces of a JSON line with escapes or nested values: the object as json.loads
        reads it (the Python reader's), written back as json.dumps writes it (the C++
        reader reads it alike: the last of equal keys, every string escaped to ASCII);
        made unreadable where it does not read or its time is no text."""
        try:
            record = json.loads(line.decode("utf-8"))
        except (ValueError, RecursionError):  # (UnicodeDecodeError among them)
            return _UNREAD
        if not isinstance(record, dict) or not isinstance(record.get(self.key), str):
            return _UNREAD
        time = record[self.key]
        record[self.key] = _MARK
        written = json.dumps(record).encode()
        if written.count(_MARK_JSON) != 1 or not time.isascii():
            return _UNREAD
        at = written.index(_MARK_JSON)
        return written[:at], time.encode() or None, written[at + len(_MARK_JSON) :]

    def _quoted(self, line: bytes):
        """_pieces of a CSV line with quotes: its fields as the csv module reads them (the
        Python reader's), the others written back as csv writes them (the C++ reader
        reads them alike); made unreadable where they do not read."""
        try:
            text = line.decode("utf-8").rstrip("\r")
            fields = next(csv.reader([text], delimiter=self.sep.decode()))
        except (UnicodeDecodeError, csv.Error, StopIteration):
            return _UNREAD
        if len(fields) != self.n_fields:
            return _UNREAD
        at, out = self.at, io.StringIO()
        writer = csv.writer(out, delimiter=self.sep.decode(), lineterminator="\n")
        writer.writerow(fields[:at] + [""] + fields[at + 1 :])
        written = out.getvalue()[:-1].encode()
        # (the time's place: the empty field after `at` separators outside quotes)
        cut = _field_start(written, self.sep, at)
        if cut is None or written[cut : cut + 1] not in (b"", self.sep):
            return _UNREAD
        return _ascii_time(written[:cut], fields[at].encode() or None, written[cut:])

    def view(self, data: bytes, begin: int):
        """(lines from ``begin`` rewritten, each line's start in them, its start in
        ``data``), or None where no line is read here."""
        self.state = self._state()
        if self._reader() is None or not self._open():
            return None
        lines = data[begin:].split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        pieces, by_shape = [], {}
        for k, line in enumerate(lines):
            got = self._pieces(line)
            if got is not None and got[1] is not None:
                by_shape.setdefault(got[1].translate(_DIGIT_TO_ZERO), []).append(k)
            pieces.append(got)
        times = {}
        for shape, rows in by_shape.items():
            plan = self._plan_of(shape)
            if plan is None:
                continue
            us = _read([pieces[k][1] for k in rows], plan)
            for k, value in zip(rows, us.tolist()):
                if value != np.iinfo(np.int64).min:
                    times[k] = value
        if not times:
            return None
        out, starts, origins = [], [], []
        new = old = 0
        unreadable = b'"~"' if self.json else b"~"
        for k, (line, got) in enumerate(zip(lines, pieces)):
            if got is not None:
                value = times.get(k)
                line_ = got[0] + (unreadable if value is None else str(value).encode()) + got[2]
            else:
                line_ = line
            out.append(line_)
            starts.append(new)
            origins.append(begin + old)
            new += len(line_) + 1
            old += len(line) + 1
        return b"\n".join(out) + b"\n", starts, origins
