"""``oddseq fit`` (a model file) and ``oddseq stream`` (alerts from events on stdin)."""

from __future__ import annotations

import csv
import io
import json
import os
import select
import sys
import time as clock

__all__ = ["add_commands", "run"]

_SHOWN_MALFORMED = 20  # malformed lines reported one by one; the rest only counted


def add_commands(commands) -> None:
    """Add the ``fit`` and ``stream`` subcommands to the CLI's subparsers."""
    fit = commands.add_parser(
        "fit",
        help="fit a model on a log file and save it (for oddseq stream)",
        description="Fit the one-call model (AnomalyPipeline) on an event log and save it "
        "as a versioned .oddseq file (arrays + JSON, never pickle).",
    )
    fit.add_argument("file", help="event log, .csv (.tsv, compressed too) or .parquet")
    _roles(fit)
    fit.add_argument("--method", default="auto", help="auto, kmeans, knn, pca, robust_z, ...")
    fit.add_argument("--min-events", type=int, default=1, help="leave out shorter entities")
    fit.add_argument("--save", required=True, help="model file to write, e.g. model.oddseq")
    stream = commands.add_parser(
        "stream",
        help="score entities as their events arrive on stdin; alerts as JSON lines",
        description="Read events as CSV (a header line first) or JSON lines from stdin "
        "(e.g. tail -f access.log | oddseq stream ...), keep each entity's state, and write "
        "one JSON line per alert: an entity whose score first crosses the model's "
        "threshold. Malformed lines are skipped, counted and reported on stderr with "
        "their line numbers.",
    )
    stream.add_argument("--model", required=True, help="a model file from oddseq fit")
    _roles(stream)
    stream.add_argument(
        "--format", choices=["auto", "csv", "jsonl"], default="auto", help="input format"
    )
    stream.add_argument("--sep", default=",", help="CSV field separator (default ,)")
    stream.add_argument("--batch", type=int, default=10_000, help="most events per update")
    stream.add_argument(
        "--flush-after",
        type=float,
        default=0.05,
        help="seconds without new input after which waiting events are scored (default 0.05)",
    )
    stream.add_argument("--lateness", default="0", help="accepted lateness, e.g. 5s (default 0)")
    stream.add_argument("--ttl", help="forget entities idle longer than this, e.g. 1h")
    stream.add_argument("--max-entities", type=int, help="cap on tracked entities")


def _roles(parser) -> None:
    parser.add_argument("--entity", required=True, help="field of entity ids")
    parser.add_argument("--event", help="field of event types")
    parser.add_argument("--time", help="field of timestamps")
    parser.add_argument("--item", help="field of item ids")
    parser.add_argument("--value", help="field of numbers per event (a price)")
    parser.add_argument(
        "--time-unit", default="s", choices=["s", "ms", "us", "ns"], help="unit of numeric times"
    )


def run(args) -> int:
    """Run ``fit`` or ``stream``; 2 on bad input (the message on stderr)."""
    try:
        if args.command == "fit":
            return _fit(args)
        return _stream(args)
    except (ValueError, TypeError, OSError, ImportError) as error:
        text = " ".join(str(error).split()) or type(error).__name__
        print(f"oddseq {args.command}: {text}", file=sys.stderr)
        return 2


def _fit(args) -> int:
    import pandas as pd

    from .. import AnomalyPipeline
    from ..sequences import Sequences

    path = args.file
    if path.lower().endswith((".parquet", ".pq")):
        log = pd.read_parquet(path)
    elif path.lower().endswith((".csv", ".csv.gz", ".csv.zip", ".csv.bz2", ".csv.xz")):
        log = pd.read_csv(path)
    else:
        log = pd.read_csv(path, sep=None, engine="python")  # the separator sniffed
    seqs = Sequences.from_events(
        log,
        entity=args.entity,
        event=args.event,
        time=args.time,
        item=args.item,
        value=args.value,
        time_unit=args.time_unit,
    )
    pipe = AnomalyPipeline(method=args.method, min_events=args.min_events).fit(seqs)
    written = pipe.save(args.save)
    flagged = int(pipe.table_["is_anomaly"].sum())
    print(
        f"fitted on {len(seqs):,} entities ({flagged:,} flagged, threshold "
        f"{pipe.threshold_:.4g}); model written to {written}"
    )
    return 0


class _Lines:
    """Complete lines from a file descriptor as they come, with a timeout: (lines, eof)."""

    def __init__(self, fd):
        self.fd, self.partial, self.eof = fd, b"", False

    def read(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return []
        chunk = os.read(self.fd, 1 << 16)
        if not chunk:
            self.eof = True
            rest, self.partial = self.partial, b""
            return [rest] if rest.strip() else []
        *lines, self.partial = (self.partial + chunk).split(b"\n")
        return lines


def _stream(args) -> int:
    import pandas as pd

    from .. import load
    from ._scorer import StreamScorer

    if args.batch < 1:
        raise ValueError(f"--batch must be at least 1, got {args.batch}")
    pipe = load(args.model)
    scorer = StreamScorer(
        pipe,
        entity=args.entity,
        event=args.event,
        time=args.time,
        item=args.item,
        value=args.value,
        time_unit=args.time_unit,
        lateness=_duration(args.lateness),
        ttl=None if args.ttl is None else _duration(args.ttl),
        max_entities=args.max_entities,
    )
    required = [c for c in (args.entity, args.event, args.time) if c is not None]
    columns = [c for c in (args.entity, args.event, args.time, args.item, args.value) if c]
    lines = _Lines(sys.stdin.fileno())
    fmt, header = args.format, None
    rows, row_lines = [], []
    n_lines = n_alerts = 0
    malformed = []
    out = sys.stdout

    def bad(number, why):
        malformed.append(number)
        if len(malformed) <= _SHOWN_MALFORMED:
            print(f"oddseq stream: line {number}: {why}; skipped", file=sys.stderr)

    def parse(number, text):
        nonlocal fmt, header
        if not text.strip():
            return None
        if fmt == "auto":
            fmt = "jsonl" if text.lstrip().startswith("{") else "csv"
        if fmt == "jsonl":
            try:
                record = json.loads(text)
            except ValueError as error:
                return bad(number, f"not JSON ({error})")
            if not isinstance(record, dict):
                return bad(number, "not a JSON object")
        else:
            fields = next(csv.reader(io.StringIO(text), delimiter=args.sep))
            if header is None:
                header = [f.strip() for f in fields]
                absent = [c for c in columns if c not in header]
                if absent:
                    raise ValueError(
                        f"the CSV header (line {number}) lacks {absent}; it has {header}"
                    )
                return None
            if len(fields) != len(header):
                return bad(number, f"{len(fields)} fields, the header has {len(header)}")
            record = dict(zip(header, fields))
        empty = [c for c in required if record.get(c) in (None, "")]
        if empty:
            return bad(number, f"no {', '.join(empty)}")
        if args.time is not None and not _time_ok(record[args.time]):
            return bad(number, f"unreadable time {str(record[args.time])[:40]!r}")
        return {c: (None if record.get(c) in (None, "") else str(record[c])) for c in columns}

    def frame_of(records):
        frame = pd.DataFrame(records, columns=columns, dtype=object)
        if args.time is not None:
            numeric = pd.to_numeric(frame[args.time], errors="coerce")
            if numeric.notna().all():
                frame[args.time] = numeric
        return frame

    def flush():
        nonlocal n_alerts
        if not rows:
            return
        try:
            result = scorer.update(frame_of(rows))
        except (ValueError, TypeError):
            # A row the batch could not take (times in two styles, say): one at a time,
            # each bad row reported with its line number.
            results = []
            for row, number in zip(rows, row_lines):
                try:
                    results.append(scorer.update(frame_of([row])))
                except (ValueError, TypeError) as error:
                    bad(number, " ".join(str(error).split())[:200])
            result = _merge(results)
        frame = frame_of(rows)
        fresh = result.alerts[result.alerts["new"]]
        last_line = pd.Series(row_lines, index=frame[args.entity]).groupby(level=0).last()
        for entity, alert in fresh.iterrows():
            record = {
                "entity": entity,
                "score": round(float(alert["score"]), 6),
                "threshold": round(float(alert["threshold"]), 6),
                "events": int(result.scores.at[entity, "length"]),
                "line": int(last_line.get(entity, -1)),
                "reason": alert["reason"],
            }
            out.write(json.dumps(record) + "\n")
            n_alerts += 1
        out.flush()
        rows.clear()
        row_lines.clear()

    started = clock.perf_counter()
    while not lines.eof:
        got = lines.read(args.flush_after if rows else None)
        if not got and not lines.eof:
            flush()  # no new line for --flush-after seconds: score what waits
            continue
        for raw in got:
            n_lines += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                bad(n_lines, "not UTF-8 text")
                continue
            record = parse(n_lines, text.rstrip("\r"))
            if record is not None:
                rows.append(record)
                row_lines.append(n_lines)
                if len(rows) >= args.batch:
                    flush()
    flush()
    counts = scorer.counters
    seconds = clock.perf_counter() - started
    shown = ", ".join(map(str, malformed[:_SHOWN_MALFORMED]))
    more = (
        ""
        if len(malformed) <= _SHOWN_MALFORMED
        else f" and {len(malformed) - _SHOWN_MALFORMED} more"
    )
    print(
        f"oddseq stream: {n_lines:,} lines, {counts['n_events']:,} events applied, "
        f"{n_alerts:,} alerts, {len(malformed):,} malformed lines"
        + (f" (lines {shown}{more})" if malformed else "")
        + f", {counts['n_late_dropped']:,} too late, {counts['n_invalid']:,} invalid, "
        f"{counts['n_evicted_ttl']:,} evicted idle, {counts['n_evicted_cap']:,} evicted at "
        f"the cap, {counts['n_entities']:,} entities tracked, in {seconds:.2f} s",
        file=sys.stderr,
    )
    return 0


def _merge(results):
    """One StreamUpdate of several (each entity's last row)."""
    import pandas as pd

    from ._scorer import StreamUpdate

    def last(frames):
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame(columns=["score", "threshold", "new", "reason", "length"])
        both = pd.concat(frames)
        return both[~both.index.duplicated(keep="last")]

    return StreamUpdate(last([r.scores for r in results]), last([r.alerts for r in results]))


def _duration(text):
    """A duration option: seconds as a number, or text such as 5s or 30min."""
    try:
        return float(text)
    except ValueError:
        return text


def _time_ok(value) -> bool:
    import numpy as np
    import pandas as pd

    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        pass
    try:
        return pd.Timestamp(value) is not pd.NaT
    except (TypeError, ValueError, OverflowError):
        return False
