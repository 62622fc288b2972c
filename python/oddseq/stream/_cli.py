"""``oddseq fit`` (a model file) and ``oddseq stream`` (alerts from events on stdin)."""

from __future__ import annotations

import argparse
import bisect
import contextlib
import csv
import gc
import json
import os
import re
import select
import sys
import time as clock
import zlib

from ..cli import (
    _PLAIN_WHOLE_NUMBER,
    CONTAMINATION_HELP,
    CONTEXT_HELP,
    ENTITY_FEATURES_HELP,
    FALSE_ALARM_RATE_HELP,
    add_reading_options,
    check_side_path,
    context_reading,
    cut_options,
    duration_option,
    fitted_context,
    funnel_option,
    header_advice,
    load_model,
    omitted_roles_note,
    read_log,
    read_side_table,
    reading_kwargs,
    recent_change_option,
    sequence_file_advice,
    shell_error_text,
    shell_warnings,
    shown_fields,
    whole_float_id,
)
from ._checks import Repeats, late_advice, late_text, too_late

__all__ = ["add_commands", "run"]

_SHOWN_MALFORMED = 20  # malformed lines reported one by one; the rest only counted
# Up to this many waiting events are scored one by one as they come (update_one: an
# alert leaves with its event); more, in one update (a DataFrame's fixed cost is spread).
_ONE_BY_ONE = 256
# Plain lines read in C++: the alerts raised within this many seconds of a first one
# (a burst: fresh entities crossing the cut together) are worded in one call and
# written in one write, none held back longer than about this.
_GATHER = 0.001
# StreamScorer's max_late_events default (newest events kept per entity to place late ones).
_MAX_LATE_EVENTS = 8
# Lines held while their dates read several ways (01/02/2017: day/month or month/day)
# and no line has settled the order: the most a stream holds before it stops, advising
# --dayfirst, --no-dayfirst or --time-format (about 10,000 short lines: a few MB).
_HOLD = 10_000
# --checkpoint-every's default, and what a write costs (said in --checkpoint's help).
_CHECKPOINT_EVERY = "5min"
_CHECKPOINT_FIGURES = (
    "Measured at 100,000 users of make_ecommerce (5.2 million events with items and prices; "
    "a loaded 2-core machine): a 77 MB file (about 770 bytes an entity), written in "
    "1.2-2.4 s (the memory then grows by the file's size), read back in 0.7-2 s; "
    "written every minute, at most about 4%% slower where the stream is busy all the time."
)


def add_commands(commands, between=None) -> None:
    """Add the ``fit`` and ``stream`` subcommands to the CLI's subparsers; ``between``
    adds others (``oddseq score``) after fit and before stream, so ``oddseq --help``
    lists them in the order they are used."""
    fit = commands.add_parser(
        "fit",
        help="fit a model on a log file and save it (for oddseq score and oddseq stream)",
        description="Fit the one-call model (AnomalyPipeline) on an event log and save it "
        "as a versioned .oddseq file (arrays + JSON, never pickle): oddseq score ranks the "
        "entities of a later log file with it, oddseq stream scores events as they arrive.",
    )
    fit.add_argument(
        "file", help="event log, .csv (.tsv, compressed too), .parquet or .jsonl (JSON lines)"
    )
    _roles(fit)
    fit.add_argument(
        "--category",
        help="column of item categories (with --item): category spread; a model with "
        "categories cannot stream",
    )
    add_reading_options(fit)
    fit.add_argument(
        "--session-gap",
        help="fit a model of sessions: split entities at gaps longer than this, with a "
        "unit: 30min, 90s, 1h (oddseq score splits a later file at the same gap; oddseq "
        "stream scores whole entities)",
    )
    fit.add_argument(
        "--method",
        default="auto",
        help="auto, kmeans, knn, lof, pca, dbscan, robust_z, iforest, ecod, markov, invariants "
        "(system logs: the counting relations sessions keep), or with the neural extra lstm, "
        "transformer or autoencoder, as oddseq detect --method; oddseq stream refuses "
        "markov, invariants and the neural ones (they read the sequences, not features)",
    )
    fit.add_argument("--min-events", type=int, default=1, help="leave out shorter entities")
    fit.add_argument("--contamination", default="auto", help=CONTAMINATION_HELP)
    fit.add_argument("--false-alarm-rate", type=float, help=FALSE_ALARM_RATE_HELP)
    fit.add_argument(
        "--funnel",
        help="the event of each purchase-funnel role, as oddseq detect --funnel: "
        "view=view,cart=add,buy=pay_ok (default: read from the event names)",
    )
    fit.add_argument(
        "--recent-change",
        action="store_true",
        help="also compare each entity's recent sessions (its last day) with its own past, "
        "as oddseq detect --recent-change: for hijacked accounts (needs --time; oddseq "
        "stream then takes events in time order, without --lateness; with --normal or a "
        "method scored in Python, one event at a time, about 3 ms an event)",
    )
    fit.add_argument(
        "--crowds",
        action="store_true",
        help="add crowd_peak, as oddseq detect does by default with --item and --time: the "
        "largest crowd of entities on one of an entity's items in one hour against the "
        "item's usual, counted among the entities of each file scored (oddseq stream cannot "
        "count them and refuses such a model)",
    )
    fit.add_argument(
        "--context",
        help=CONTEXT_HELP + "; oddseq score reads the same columns of the later file, "
        "each value's sharers counted over that file as over this one (fit and score "
        "files of like spans); oddseq stream cannot score such a model",
    )
    fit.add_argument(
        "--entity-features",
        metavar="FILE",
        help=ENTITY_FEATURES_HELP + "; oddseq score takes the later file's with the same "
        "option; oddseq stream cannot score such a model",
    )
    fit.add_argument(
        "--normal",
        action="store_true",
        help="FILE is normal behaviour only: fit normal-only, with the cut at the "
        "false-alarm rate of held-out normal scores (default: unsupervised)",
    )
    fit.add_argument(
        "--save",
        required=True,
        help="model file to write, e.g. model.oddseq (a name ending as a table or log "
        "does, .csv, .parquet, .jsonl, ..., is refused)",
    )
    fit.add_argument("--force", action="store_true", help="overwrite an existing model file")
    if between is not None:
        between(commands)
    stream = commands.add_parser(
        "stream",
        help="score entities as their events arrive on stdin; alerts as JSON lines",
        description="Read events as CSV (a header line first) or JSON lines from stdin "
        "(e.g. tail -n +1 -f access.log | oddseq stream ...; gzip-compressed input is read as "
        "its text), keep each entity's state, and write "
        "one JSON line per alert: an entity whose score crosses the model's threshold "
        "from below (again each time it crosses after falling back under). Malformed "
        "lines are skipped, counted and reported on stderr with their line numbers. "
        "Dates whose order one line does not tell (01/02/2017, two-digit years) are read "
        "as oddseq detect reads them, in the one order that fits every line: lines are "
        f"held (at most {_HOLD:,}) until a line leaves one order (13/02/2017), then read "
        "in it; a later line it does not read is malformed. Where the input ends or the "
        "hold is full with several orders fitting, the stream stops, naming them: "
        "--dayfirst, --no-dayfirst or --time-format decides at once. Warnings on stderr "
        "(alerts unchanged), once each, say where the events are not like the fitted "
        "data: other column names, over 5% of the first 10,000 events of types the "
        "model never saw, half or more of them or of a later 10,000 (the window named) "
        "without a value or item (of 50 entities or more, where the fitted ones had "
        "them), entities followed 3x longer than the "
        "fitted ones lasted, far "
        "more flagged than the model promises; and where the input is not as it should "
        "be: events dropped as too late past 5% of those seen (from the 1,000th on; "
        "--lateness), events repeating their entity's previous one (or another of its "
        "events at the same time) past 10% of the first "
        "10,000 (--drop-duplicates). A live stream ends by a signal: SIGINT (Ctrl-C) or "
        "SIGTERM scores what was read, writes --checkpoint FILE if given, and prints the "
        "summary (exit 130 or 143).",
    )
    stream.add_argument("--model", required=True, help="a model file from oddseq fit")
    _roles(stream)
    add_reading_options(stream, file=False)
    stream.add_argument(
        "--format", choices=["auto", "csv", "jsonl"], default="auto", help="input format"
    )
    stream.add_argument("--batch", type=int, default=10_000, help="most events per update")
    stream.add_argument(
        "--max-delay",
        "--flush-after",
        dest="max_delay",
        type=float,
        default=0.005,
        help="the longest an event waits to be scored, in seconds (default 0.005), where "
        "events are batched (a model scored outside C++): events are scored "
        "in one update when --batch of them wait or the first has waited this long (under "
        "load, batches grow with what arrived meanwhile), each alert judged at its event "
        "as one event at a time would judge it (the alerts do not depend on the batches; a "
        "model of --recent-change scored in Python takes one event at a time, about 3 ms "
        "an event). Plain CSV and JSON lines with "
        "the C++ scoring are read as they come and scored one by one, never held back "
        "(the alerts of a burst leave together, within about 1 ms of the first)",
    )
    stream.add_argument(
        "--lateness",
        default="0",
        help="accepted lateness, with a unit: 5s, 2min (default 0): an event up to this much "
        "older than its entity's newest is placed exactly among the entity's "
        "--max-late-events newest events; later or older ones are dropped and counted",
    )
    stream.add_argument(
        "--max-late-events",
        type=int,
        metavar="N",
        help="with --lateness: newest events kept per entity to place late events among "
        f"(default {_MAX_LATE_EVENTS}; about 24 bytes per entity each): raise it for input "
        "whose late events come behind more of their entity's events (a file not sorted "
        "by time within an entity)",
    )
    stream.add_argument(
        "--ttl", help="forget entities idle longer than this, with a unit: 1h, 30min"
    )
    stream.add_argument("--max-entities", type=int, help="cap on tracked entities")
    stream.add_argument(
        "--drop-duplicates",
        action="store_true",
        help="drop an event equal to its entity's previous one, or to another of its "
        "events at the same time, in the columns the stream "
        "reads (same event, time, item and value, compared as read: a time written 1.0 "
        "and 1 is one time; a line sent twice, a retry, or a batch of events sharing a "
        "time sent again in part), counted in the summary, as "
        "StreamScorer(drop_duplicates=True) drops them. Two equal events in one time are "
        "one (no stream can tell a line sent twice from two real ones without an event "
        "id: detect's --drop-duplicates takes them as one too). Less than --drop-duplicates of "
        "detect, fit and score (a row equal to "
        "any earlier row in every column of the file): a stream scores each event as it "
        "comes, so it keeps only each entity's events at its latest time to compare with; "
        "a file appended "
        "to itself comes back as events too late (dropped and counted; --lateness would "
        "score the copies again): de-duplicate it before streaming. The --calibrate file "
        "loses its rows equal to an earlier row in every column, as in detect. The lines "
        "are then read in Python (slower) and each tracked entity's events at its latest "
        "time kept (about 150 bytes an entity with one, at most 64, forgotten with the "
        "entity by --ttl and --max-entities). "
        "Without it, such repeats are warned about where they pass 10%% of the first "
        "10,000 events, as oddseq detect warns",
    )
    stream.add_argument(
        "--calibrate",
        metavar="FILE",
        help="a log of a normal period (CSV with a header line, or without one where "
        "--names is given, as for the stream; or Parquet; the same columns and --sep, in "
        "time order): replay it first and set the cut for alerts so that "
        "few of its entities ever cross it (the model's false-alarm rate, default 1%%), "
        "instead of the model's cut, which was set on whole histories (entities a few "
        "events in cross it on their way to typical)",
    )
    stream.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="keep the stream's state (every entity's, the counters, the stream's clock) in "
        "FILE, so that a stream stopped (a deploy, a crash, Ctrl-C, the end of its input) "
        "goes on where it stopped: where FILE exists the stream resumes from it (refused, "
        "before any input is read, where it was written by another model, another oddseq "
        "release series or other options that change the scores: the option is named; "
        "remove FILE to start fresh); FILE is written every --checkpoint-every, at the end "
        "of the input and on SIGTERM or Ctrl-C, atomically (FILE.tmp, then renamed: a crash "
        "mid-write leaves the previous one whole; FILE.lock is held while it runs: a second "
        "stream on FILE is refused). The resumed stream's alerts are those of "
        "one run straight through on the same events (scored one by one, or in batches "
        "with each alert judged at its event); their line numbers are of each run's "
        "own input (FILE records the lines read when written, of that run's input and of the "
        "source all runs read in turn, each run's CSV header line counted once; said on "
        "stderr at the resume: a source given from the next line loses nothing; an input "
        "whose first events are mostly older than those FILE holds, the same lines fed "
        "again, is refused, FILE left as it was, the line to start from named; events "
        "repeated at an entity's newest time would count twice). --calibrate's cut travels "
        "in FILE (its file is not replayed again). A checkpoint holds Python state: keep it "
        "where only the service writes (a new FILE is readable by its owner alone; a FILE "
        "replaced keeps its mode). " + _CHECKPOINT_FIGURES + " Give a service a stop "
        "timeout above the last write's time (said on stderr as a stream ends; systemd "
        "TimeoutStopSec, docker stop --time, Kubernetes terminationGracePeriodSeconds): a "
        "second signal or a kill mid-write leaves the previous FILE, and the events since it "
        "are lost (a stop with no line read since the last write does not write again). "
        "FILE.lock holds on one machine, and across machines on a network filesystem only "
        "where its mount forwards locks (NFS without nolock): give each machine its own "
        "FILE (a stream that finds FILE replaced under it does not overwrite it, and says "
        "so; exit 2 at the end)",
    )
    stream.add_argument(
        "--checkpoint-every",
        metavar="DURATION",
        help=f"with --checkpoint: how often FILE is written while events come (default "
        f"{_CHECKPOINT_EVERY}; 0: only at the end and on a signal); a crash (kill -9, power) "
        "loses the events since the last write. A write stops the stream for its time",
    )


def _roles(parser) -> None:
    parser.add_argument("--entity", required=True, help="field of entity ids")
    parser.add_argument("--event", help="field of event types")
    parser.add_argument("--time", help="field of timestamps")
    parser.add_argument("--item", help="field of item ids")
    parser.add_argument("--value", help="field of numbers per event (a price)")


class _ReaderLeft(BrokenPipeError):
    """The alerts' reader closed standard output (``oddseq stream ... | head``)."""


class _Alerts:
    """Standard output as the stream writes its alerts: a broken pipe there is
    :class:`_ReaderLeft`, the quiet end of ``| head``, told apart from any other."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError as error:
            raise _ReaderLeft(*error.args) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError as error:
            raise _ReaderLeft(*error.args) from None


def run(args) -> int:
    """Run ``fit`` or ``stream``; 2 on bad input (the message on stderr)."""
    try:
        if args.command == "fit":
            return _fit(args)
        # (the stack: what the stream holds until it ends, --checkpoint's lock)
        with shell_warnings("stream"), contextlib.ExitStack() as held:
            return _stream(args, held)
    except (ValueError, TypeError, OSError, ImportError) as error:
        if isinstance(error, _ReaderLeft):
            # `oddseq stream ... | head`: the alerts' reader has what it wanted; the
            # stream ends quietly, as oddseq detect does there, not with "[Errno 32]".
            # Any other pipe's break is an error (RV s34 L6).
            from ..cli import _quiet

            _quiet(sys.stdout)
            return 0
        text = shell_error_text(error)
        print(f"oddseq {args.command}: {text}", file=sys.stderr)
        return 2


def _fit(args) -> int:
    from .. import AnomalyPipeline
    from .._pipeline import context_record, item_category_map
    from ..sequences import Sequences

    roles = dict(entity=args.entity, event=args.event, time=args.time, item=args.item)
    roles["value"] = args.value
    funnel = funnel_option(args.funnel)  # before the reading
    contamination = cut_options(args)
    recent_change_option(args)
    gap = duration_option(args.session_gap, "--session-gap")
    context = args.context.split(",") if args.context else None
    if context is not None and not all(c.strip() for c in context):
        raise ValueError(
            f"--context {args.context!r} names an empty column; give the side columns "
            "separated by commas, --context device_id,ip"
        )
    _check_save(args.save, args.force)  # before the fitting: a typo costs nothing
    check_side_path(args)
    with shell_warnings("fit"):
        log = read_log(args.file, args, [*roles.values(), args.category, *(context or ())])
        categories = item_category_map(log, args.item, args.category)
        seqs = Sequences.from_events(log, **roles, session_gap=gap, **reading_kwargs(args))
        side = fitted_context(log, context, gap, roles, args, read_side_table(args, log))
        pipe = AnomalyPipeline(
            method=args.method,
            contamination=contamination,
            false_alarm_rate=args.false_alarm_rate,
            min_events=args.min_events,
            item_categories=categories,
            recent_change=args.recent_change,
            funnel=funnel,
            crowds=args.crowds,
            entity_features=side,
        ).fit(seqs, normal=args.normal)
        if context is not None:  # (what oddseq score reads the later file's side table as)
            reading = context_reading(args)
            pipe.context_ = context_record(
                pipe, context, args.entity, args.time, reading, args.event
            )
    written = pipe.save(args.save)
    note = omitted_roles_note("fit", args, log.columns)  # with a model, not a refusal
    if note is not None:
        print(note, file=sys.stderr)
    flagged = int(pipe.table_["is_anomaly"].sum())
    if args.normal:
        # Data declared normal is not "flagged": its entities beyond the cut are the
        # false alarms the rate allows.
        rate = pipe.threshold_info_["false_alarm_rate"]
        beyond = f"{flagged:,} of the normal data lie beyond the cut: the false-alarm rate"
        beyond += "" if rate is None else f", {rate:g}"
    else:
        beyond = f"{flagged:,} flagged"
    print(
        f"fitted on {_counted(len(seqs), *_FITTED_ON[gap is not None])} ({beyond}; threshold "
        f"{pipe.threshold_:.4g}); model written to {written}"
    )
    return 0


# What oddseq fit's summary counts: entities, or sessions (--session-gap).
_FITTED_ON = {False: ("entity", "entities"), True: ("session", "sessions")}

# Names a model is never given: those of the tables and logs oddseq reads and writes
# (a model named m.csv is taken for a table by a reader, or replaces the log fitted).
_TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".json", ".jsonl", ".ndjson")


def _check_save(path_text: str, force: bool) -> None:
    """--save checked as -o is in detect and score: not a folder, in a folder that
    exists, not an existing file without --force; and never named as a table."""
    from pathlib import Path

    from ..cli import _COMPRESSED

    out = Path(path_text).expanduser()  # '~/m.oddseq', as save writes it
    suffixes = [x.lower() for x in out.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _TABLE_SUFFIXES:
        raise ValueError(
            f"--save {path_text} names a table ({''.join(out.suffixes)}), not a model: "
            f"--save writes a model file, e.g. --save {out.name.split('.')[0] or 'model'}"
            ".oddseq (a ranked table is oddseq score -o ... with it)"
        )
    if out.is_dir():
        raise ValueError(
            f"--save {path_text} is a folder; give a file name, e.g. {out / 'model.oddseq'}"
        )
    if not out.parent.is_dir():
        from .._persist import missing_folder

        raise ValueError(f"--save {path_text}: {missing_folder(out.parent)}")
    if out.exists() and not force:
        raise ValueError(
            f"--save {path_text} exists; pass --force to overwrite it, or choose another --save"
        )


_BOM = b"\xef\xbb\xbf"  # UTF-8's byte-order mark
_GZIP = b"\x1f\x8b"  # gzip's magic number: oddseq stream < events.csv.gz
#: A line that is the CSV header line again, skipped (counted malformed).
HEADER_AGAIN = (
    "the header line again (files joined, each with its header, as cat a.csv b.csv joins them?)"
)
# A line that is the --names (input with a header line given --names too).
NAMES_AGAIN = "a header line, the --names' columns (--names is for input without one)"


def _header_lines(data: bytes, header: bytes):
    """(start, end) of each line of ``data`` that is ``header`` (its end after the
    newline; a UTF-8 byte-order mark before it counts in): cheap where there is none
    (one search of the bytes)."""
    found, at = [], data.find(header)
    while at >= 0:
        end = at + len(header)
        start = at - len(_BOM) if data[max(0, at - len(_BOM)) : at] == _BOM else at
        if (start == 0 or data[start - 1 : start] == b"\n") and (
            data[end : end + 1] == b"\n" or data[end : end + 2] == b"\r\n"
        ):
            found.append((start, data.index(b"\n", end) + 1))
        at = data.find(header, end)
    return found


class _Lines:
    """Complete lines from a file descriptor as they come, with a timeout: a list of
    lines (bytes), empty when none came in time; ``eof`` once the input ended."""

    def __init__(self, fd, stop=None):
        self.fd, self.partial, self.eof = fd, b"", False
        self.stop = stop  # a descriptor readable once the stream is to stop (or None)
        # The input's first bytes, until a UTF-8 byte-order mark is ruled out or dropped
        # (a spreadsheet's "CSV UTF-8" export starts with one, which oddseq detect reads).
        self.opening = b""
        # gzip-compressed input (< events.csv.gz, as oddseq detect reads a .csv.gz): its
        # first bytes until told (None once told), then the decompressor of its member
        self.magic, self.inflate = b"", None

    def read(self, timeout):
        data = self.read_chunk(timeout)
        return data.split(b"\n")[:-1] if data else []

    def read_chunk(self, timeout):
        """What has come, up to its last complete line, as one bytes object (each line
        ending in a newline; the input's last line given one): whatever is there, without
        waiting for more."""
        watched = [self.fd] if self.stop is None else [self.fd, self.stop]
        ready, _, _ = select.select(watched, [], [], timeout)
        if not ready:
            return b""
        if self.stop is not None and self.stop in ready:
            # Stopped (a signal): as the end of the input; a line cut short is not read.
            self.eof, self.partial = True, b""
            return b""
        chunk = os.read(self.fd, 1 << 20)
        if chunk:
            chunk = self._text(chunk)
            if not chunk:  # (compressed bytes that gave no text yet, or one byte)
                return b""
        if not chunk:  # the end of the input (os.read's own answer)
            self.eof = True
            if self.magic:  # (one byte in all)
                self.opening, self.magic = (self.opening or b"") + self.magic, None
            if self.inflate is not None and not self.inflate.eof:
                print(
                    "oddseq stream: warning: the gzip-compressed input ended before its end "
                    "(cut short): its last line may be missing",
                    file=sys.stderr,
                )
            rest, self.partial = (self.opening or b"") + self.partial, b""
            self.opening = None
            return rest + b"\n" if rest.strip() else b""
        if self.opening is not None:
            chunk, self.opening = self.opening + chunk, None
            if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
                self.opening = chunk  # (the mark may come in pieces)
                return b""
            if chunk.startswith(_BOM):
                chunk = chunk[len(_BOM) :]
                if not chunk:  # the mark came alone: more is to come
                    return b""
        data = self.partial + chunk
        cut = data.rfind(b"\n") + 1
        self.partial = data[cut:]
        return data[:cut]

    def _text(self, chunk: bytes) -> bytes:
        """Bytes read as the text they carry: gzip-compressed input decompressed (its
        members one after another, as zcat reads them)."""
        if self.magic is not None:
            chunk, self.magic = self.magic + chunk, b""
            if len(chunk) < len(_GZIP):
                self.magic = chunk
                return b""
            self.magic = None
            if chunk.startswith(_GZIP):
                self.inflate = zlib.decompressobj(wbits=31)
        if self.inflate is None:
            return chunk
        text = []
        while chunk:
            if self.inflate.eof:  # the next member, past zero bytes that pad the file
                chunk = chunk.lstrip(b"\0")  # (written in blocks; gzip ignores them)
                if not chunk:
                    break
                self.inflate = zlib.decompressobj(wbits=31)
            try:
                text.append(self.inflate.decompress(chunk))
            except zlib.error as error:
                raise ValueError(
                    f"stdin starts as gzip-compressed data but does not decompress ({error}): "
                    "is the file whole? (gzip -t FILE.gz tells)"
                ) from None
            chunk = self.inflate.unused_data
        return b"".join(text)


class _Signals:
    """SIGINT (Ctrl-C) and SIGTERM while a stream runs: the first ends it as the end of
    its input does (what was read is scored, the end's checks run, the summary is
    said), by a byte on a pipe that the reading's select watches, so that no exception
    lands amid an event's bookkeeping; a second one ends the process at once (the
    signal's default). Where handlers cannot be set (not the main thread), nothing."""

    _NAMES = ("SIGINT", "SIGTERM")

    def __init__(self):
        self.caught = None  # the first signal's number
        self._saved, self._pipe = {}, None

    def start(self):
        """Handlers set; the descriptor that becomes readable on a signal, or None."""
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            return None
        self._pipe = os.pipe()
        os.set_blocking(self._pipe[1], False)
        for name in self._NAMES:
            number = getattr(signal, name)
            self._saved[number] = signal.signal(number, self._caught)
        return self._pipe[0]

    def _caught(self, number, frame):
        import signal

        if self.caught is None:
            self.caught = number
            with contextlib.suppress(OSError):
                os.write(self._pipe[1], b"\0")
        signal.signal(number, signal.SIG_DFL)  # a second one ends the process at once

    def name(self):
        """The signal that stopped the stream (``SIGINT``), or None."""
        import signal

        return None if self.caught is None else signal.Signals(self.caught).name

    def stop(self):
        """The handlers as they were; the pipe closed."""
        import signal

        for number, handler in self._saved.items():
            signal.signal(number, handler)
        self._saved = {}
        if self._pipe is not None:
            for fd in self._pipe:
                os.close(fd)
            self._pipe = None


class _Reader:
    """Events from lines of CSV (a header line first) or JSON objects, a batch at a
    time: (columns as lists of str or None, their line numbers); malformed lines are
    reported with their numbers (the first ``_SHOWN_MALFORMED``) and counted."""

    def __init__(self, args, columns, required):
        self.args, self.columns, self.required = args, columns, required
        # JSON ids read as the batch reads them (_json_id): 463.0 is the id 463; and
        # text ids (CSV fields, JSON strings) as its as_labels does: "463.0" too.
        self.id_columns = {c for c in (args.entity, args.item) if c}
        self.id_at = [i for i, c in enumerate(columns) if c in self.id_columns]
        self.fmt, self.header, self.at = args.format, None, None
        self.malformed = []  # the first _SHOWN_MALFORMED line numbers
        self.n_malformed = 0
        self.time_advice = ""  # said once in the summary (bad_time)
        self.time_judged = False  # the first unreadable time judged (bad_time)
        self.header_text = None  # the CSV header line, to tell it again (cat a.csv b.csv)
        self.again = HEADER_AGAIN  # what such a line is said to be
        if args.names:
            if self.fmt == "jsonl":
                raise ValueError("--names is for CSV without a header line; leave it out")
            self.fmt = "csv"
            self._set_header(None, [n.strip() for n in args.names.split(",")])
            # (a header line all the same: the names joined as the input writes them)
            self.header_text, self.again = (args.sep or ",").join(self.header), NAMES_AGAIN

    def bad(self, number, why):
        self.n_malformed += 1
        if self.n_malformed <= _SHOWN_MALFORMED:
            self.malformed.append(number)
            print(f"oddseq stream: line {number}: {why}; skipped", file=sys.stderr)

    def bad_time(self, number, text):
        """A line whose time does not read; without --time-format, where the first such
        time reads as a web server's log time, the format that reads it is said once, in
        the summary (``time_advice``), as oddseq detect's refusal names it (judged on
        that one: not again on each unreadable time)."""
        shown = str(text)[:40]
        self.bad(number, f"unreadable time {shown!r}")
        if self.time_judged or self.args.time_format is not None:
            return
        self.time_judged = True
        import pandas as pd

        from ..utils._time import _common_log_format

        web = _common_log_format(pd.Series([str(text)], dtype=object))
        if web is not None:
            self.time_advice = (
                f"; the first unreadable time, {shown!r}, reads as a web server's log time "
                f"(24/Nov/2017:16:02:43 +0000): pass --time-format '{web}'"
            )

    def _csv_header(self, number, text):
        fields = _split(text, self.args.sep)
        self._set_header(number, [f.strip() for f in fields])
        self.header_text = text

    def header_again(self, text) -> bool:
        """Whether a line is the CSV header line again (files joined, each with its
        header: cat a.csv b.csv), reported as such, skipped."""
        return self.header_text is not None and text.lstrip("\ufeff") == self.header_text

    def _set_header(self, number, header):
        """The columns of the CSV lines: the header line ``number``, or --names (None)."""
        self.header = header
        absent = [c for c in self.columns if c not in self.header]
        if absent:
            if number is None:
                raise ValueError(f"--names lacks {absent}; it has {self.header}")
            advice = sequence_file_advice(self.header, "stream") or header_advice(
                self.header, self.args.sep, False
            )
            raise ValueError(
                f"the CSV header (line {number}) lacks {absent}; it has "
                f"{shown_fields(self.header)}{advice}"
            )
        self.at = [self.header.index(c) for c in self.columns]

    def _fields(self, number, text):
        """The wanted fields of one line, or None (reported) when it is malformed."""
        fields = self.values(text)
        return self.bad(number, fields) if isinstance(fields, str) else fields

    def values(self, text):
        """The wanted fields of one line (text, None where empty), or why it is malformed."""
        if self.fmt == "jsonl":
            try:
                record = json.loads(text)
            except (ValueError, RecursionError) as error:  # (nested too deep for json.loads)
                return f"not JSON ({error})"
            if not isinstance(record, dict):
                return "not a JSON object"
            ids = self.id_columns
            return [
                None
                if record.get(c) in (None, "")
                else (whole_float_id(_json_id(record[c])) if c in ids else str(record[c]))
                for c in self.columns
            ]
        sep = self.args.sep
        # Plain lines split directly; quoted fields through the csv module.
        try:
            fields = text.split(sep) if '"' not in text else _split(text, sep)
        except csv.Error as error:  # e.g. a lone carriage return inside a quoted line
            return f"not CSV ({error})"
        if len(fields) != len(self.header):
            return f"{len(fields)} fields, the header has {len(self.header)}"
        values = [fields[j] or None for j in self.at]
        for i in self.id_at:
            values[i] = whole_float_id(values[i])
        return values

    def parse(self, lines):
        """The events of these (number, bytes) lines as column lists, and line numbers."""
        columns = [[] for _ in self.columns]
        numbers = []
        n_required = [self.columns.index(c) for c in self.required]
        for number, raw in lines:
            try:
                text = raw.decode("utf-8").rstrip("\r")
            except UnicodeDecodeError:
                self.bad(number, "not UTF-8 text")
                continue
            if not text.strip():
                continue
            if self.fmt == "auto":
                self.fmt = "jsonl" if text.lstrip().startswith("{") else "csv"
            if self.fmt == "csv" and self.header is None:
                self._csv_header(number, text)
                continue
            if self.header_again(text):
                self.bad(number, self.again)
                continue
            fields = self._fields(number, text)
            if fields is None:
                continue
            # (blank text is missing, as the sequences read an id or type of it)
            empty = [
                self.columns[j]
                for j in n_required
                if fields[j] is None or (type(fields[j]) is str and fields[j].isspace())
            ]
            if empty:
                self.bad(number, f"no {', '.join(empty)}")
                continue
            for column, value in zip(columns, fields):
                column.append(value)
            numbers.append(number)
        return columns, numbers


class _Repeats(Repeats):
    """The stream's repeats (:class:`oddseq.stream._checks.Repeats`: counted on the
    first ``WINDOW`` events and warned about once where they pass the batch's share;
    duplicated lines: each line sent twice, a retry), its events compared as their
    fields' text, each entity's events at its latest time kept while the window is open
    (:func:`oddseq.stream._checks.in_run`). Not used
    with --drop-duplicates: the scorer drops the repeats then
    (``StreamScorer(drop_duplicates=True)``, comparing the values the lines mean), and
    there is nothing to warn of."""

    def __init__(self, columns, at: int = 1):
        super().__init__()
        self.columns = columns
        self.at = at  # the time's position among a line's fields after the entity

    def take(self, lists, numbers):
        """The events (column lists, line numbers), counted while the window is open."""
        if self.done or not numbers:
            return lists, numbers
        for row in zip(*lists):
            if self.n_seen >= self.window:
                break
            self.one(row[0], tuple(row[1:]), self.at)
        return lists, numbers

    def lines(self, reader, data: bytes) -> None:
        """The complete lines of ``data`` (read in C++) counted while the window is open."""
        if self.done:
            return
        for raw in data.split(b"\n"):
            if self.n_seen >= self.window:
                return
            text = raw.decode("utf-8", "replace").rstrip("\r")
            if text.strip():
                values = reader.values(text)
                if not isinstance(values, str) and values[0] is not None:
                    self.one(values[0], tuple(values[1:]), self.at)

    def judge(self, final: bool = False) -> None:
        """The warning, once, where the repeats pass the batch's share."""
        if super().judge(final):
            advice = (
                "--drop-duplicates drops an event equal to its entity's previous one, or to "
                "another of its events at the same time, unless such repeats are real"
            )
            text = self.text(self.columns[1:], "line", advice)
            print(f"oddseq stream: warning: {text}", file=sys.stderr)


class _DateOrder:
    """The order of dates that read several ways one line at a time (two-digit years,
    ``17/06/09``; day and month, ``01/02/2017``), settled as the batch reads a column:
    the orders that fit every line so far are kept; while several fit, the lines are
    held (in their order, at most ``_HOLD``); once one is left, the held lines and every
    later one are read in it (their dates written as ISO dates). A later line it does not
    read is malformed. The stream stops, with the batch's refusal, where ``_HOLD`` lines
    or the end of the input come with several orders still fitting.

    Not used where --dayfirst/--no-dayfirst or --time-format decides, nor where the
    first time is a number (the column is read as numbers, as the batch reads it).
    Held lines wait for their scores: a live stream dated the 1st-12th of a month holds
    until a 13th comes; the bound is a count, not --lateness (0 by default) or a span of
    time, because the held lines' times are unknown until the order is settled."""

    def __init__(self, reader, at, name):
        self.reader, self.at, self.name = reader, at, name
        self.active = None  # None: undecided until the first time
        self.orders = None  # the orders every date so far fits
        self.held = []  # (line number, fields) waiting for the order
        self.order = self.settled_by = None
        self.n_held = 0  # lines held until the order was settled

    def take(self, lists, numbers):
        """The events of these lines to apply now (column lists, line numbers): held
        ones released where this settles the order, held ones left out."""
        if self.active is False or not numbers:
            return lists, numbers
        if self.active is None:
            self.active = not isinstance(_number(lists[self.at][0]), (int, float))
            if not self.active:
                return lists, numbers
        rows = []
        for number, fields in zip(numbers, zip(*lists)):
            rows += self._row(number, fields) or ()
        if not rows:
            return [[] for _ in lists], []
        return [list(c) for c in zip(*(f for _, f in rows))], [n for n, _ in rows]

    def _row(self, number, fields):
        """[(number, fields)] to apply now (several where this one settles the order), or
        None (held, or malformed)."""
        from ..utils._time import date_in_order, date_orders

        text = fields[self.at]
        if self.order is not None:
            read = date_in_order(text, self.order)
            if read is None:
                line, first = self.settled_by
                return self.reader.bad(
                    number,
                    f"time {text[:40]!r} does not read as a date {self.order}, the order "
                    f"line {line} ({first[:40]!r}) settled",
                )
            return [(number, (*fields[: self.at], read, *fields[self.at + 1 :]))]
        orders = date_orders(text)
        if orders is None:
            if not self.held:
                return [(number, fields)]
            self.held.append((number, fields))  # kept in its place among the held
            return self._bound()
        fit = orders if self.orders is None else orders & self.orders
        if not orders:
            return self.reader.bad(number, f"time {text[:40]!r} is no date in any order")
        if not fit:
            return self.reader.bad(
                number,
                f"time {text[:40]!r} reads only as {' or '.join(sorted(orders))}, and the "
                f"earlier lines' dates as {' or '.join(sorted(self.orders))}",
            )
        self.orders = fit
        self.held.append((number, fields))
        if len(fit) > 1:
            return self._bound()
        (self.order,) = fit
        self.settled_by = (number, text)
        held, self.held = self.held, []
        self.n_held = len(held) - 1
        print(
            f"oddseq stream: line {number} ({text[:40]!r}) settles the order of the dates: "
            f"{self.order}; the {_counted(self.n_held, 'line')} held until then read so",
            file=sys.stderr,
        )
        return [
            (n, (*f[: self.at], date_in_order(f[self.at], self.order), *f[self.at + 1 :]))
            for n, f in held
        ]

    def _bound(self):
        if len(self.held) >= _HOLD:
            self.refuse(f"no line of the first {_HOLD:,} held (the most a stream holds)")
        return None

    def finish(self, ended="the input ended"):
        """At the end of the input (``ended`` says how): a ValueError where lines are
        held, unsettled."""
        if self.held:
            self.refuse(f"{ended} with {_counted(len(self.held), 'line')} held, and none")

    def refuse(self, why):
        """The batch's refusal of the held dates (its readings and fixes), once."""
        import pandas as pd

        from ..utils._time import parse_times

        texts = pd.Series([f[self.at] for _, f in self.held], dtype=object)
        try:
            parse_times(texts, self.name, unit_warning=False)
            said = (
                f"column {self.name!r} has dates such as {texts.iloc[0]!r} that read "
                f"{len(self.orders)} ways ({', '.join(sorted(self.orders))}); pass the one "
                "that is right with --dayfirst, --no-dayfirst or --time-format"
            )
        except (ValueError, TypeError) as error:
            said = " ".join(str(error).split())
        raise ValueError(f"{why} settles the order of the dates: {said}")

    def said(self) -> str:
        """The summary's words on the order settled, or ''."""
        if self.order is None:
            return ""
        return (
            f", dates read {self.order} (settled by line {self.settled_by[0]}; "
            f"{_counted(self.n_held, 'line')} held until then)"
        )


def _stream(args, held) -> int:
    """``oddseq stream``; ``held``: an ExitStack that releases what the stream holds
    (--checkpoint's lock) when it ends, refused or not."""
    import numpy as np
    import pandas as pd

    from ..sequences._sequences import unreadable_numbers
    from ..utils._time import (
        _DIGITS_STREAM,
        _SERIAL_MIN,
        _serial_facts,
        digits_judged,
        serial_judged,
    )
    from ._scorer import StreamScorer, fitted_on_parts
    from ._text_lines import US as text_times_us
    from ._text_lines import TextTimeLines

    if args.batch < 1:
        raise ValueError(f"--batch must be at least 1, got {args.batch}")
    if not args.max_delay >= 0:
        raise ValueError(f"--max-delay must be a number of seconds >= 0, got {args.max_delay}")
    if args.max_entities is not None and not 1 <= args.max_entities < 2**31:
        raise ValueError(
            "--max-entities must be a whole number from 1 to 2,147,483,647, "
            f"got {args.max_entities}"
        )
    lateness = duration_option(args.lateness, "--lateness", zero=True)
    max_late_events = _max_late_events(args.max_late_events, lateness)
    pipe = load_model(args.model)
    split = fitted_on_parts(pipe)
    if split is not None:
        # StreamScorer's own words name Python's ways (session_gap, Sequences.windows).
        kind, _, gap = split
        refit = "fit a model on whole entities: oddseq fit FILE --entity ... --save MODEL"
        if kind == "windows":
            raise ValueError(
                f"--model {args.model} was fitted on windows of each entity's events (in "
                "Python, Sequences.windows or time_windows), and oddseq stream follows "
                "whole entities from their first event, whose histories grow past any "
                f"window. To stream, {refit}"
            )
        how = (
            f"split at gaps over {gap} (oddseq fit --session-gap, or in Python session_gap={gap!r})"
            if gap
            else ""
        )
        score = (
            f"oddseq score --model {args.model} ranks a later file by its sessions (split "
            "at the fitted gap); to stream, "
            if gap
            else "To stream, "
        )
        raise ValueError(
            f"--model {args.model} was fitted on sessions {how or '(in Python, session_gap=...)'}"
            ", and oddseq stream follows whole entities from their first event, which a "
            "sessions model reads as sessions days long (97% of a shop's users flagged). "
            f"{score}{refit}"
        )
    if getattr(pipe, "item_categories", None) is not None:
        # StreamScorer's own words name its Python argument (item_categories).
        raise ValueError(
            f"--model {args.model} was fitted with item categories (oddseq fit --category, "
            "item_categories in Python): its category features need every earlier "
            "session's categories and cannot be computed live; to stream, run oddseq fit "
            "again without --category (oddseq score ranks a later file with this model)"
        )
    if args.drop_duplicates and args.time is None:
        raise ValueError(
            "--drop-duplicates drops an event equal to its entity's previous one, time "
            "included: give --time too"
        )
    ttl = duration_option(args.ttl, "--ttl")
    # --checkpoint: checked (and resumed from) before any input is read
    keeper = _checkpoint(args, lateness, ttl, max_late_events)
    if keeper is not None:
        held.callback(keeper.close)
    resumed = keeper.resume(pipe) if keeper is not None and keeper.check() else None
    # This run's late-event counts start from the checkpoint's (the warning's share is
    # of this run's events), and its first events are judged for a replay (_replayed).
    before_run = {"n_late_dropped": 0, "n_events": 0}
    # The lines FILE says were read: by its last run of that run's input, and of the
    # source in all runs since the first (each resumed run's own header line not
    # counted again): None on a fresh run.
    last_read = lines_in_all = None
    if resumed is not None:
        scorer, shell, header = resumed
        print(f"oddseq stream: {_resumed_text(keeper.text, header)}", file=sys.stderr)
        before_run = {key: scorer.counters[key] for key in before_run}
        last_read, lines_in_all = int(header["lines_read"]), int(header["lines_in_all"])
    else:
        scorer = StreamScorer(
            pipe,
            entity=args.entity,
            event=args.event,
            time=args.time,
            item=args.item,
            value=args.value,
            lateness=lateness,
            ttl=ttl,
            max_entities=args.max_entities,
            max_late_events=max_late_events,
            # --drop-duplicates: the events compared as the scorer reads them (the values
            # the lines mean: 1.0 and 1 are one time), as StreamScorer(drop_duplicates=True)
            drop_duplicates=args.drop_duplicates,
            **reading_kwargs(args),
        )
        shell = {}
    # Alerts write ids as the fitted log's table had them (numbers where its ids were).
    numeric_ids = _fitted_ids_numeric(scorer.pipeline)
    # Alerts raised before an entity had as many events as the shortest fitted one.
    early = _EarlyAlerts(scorer.pipeline)
    # The summary counts this run's events: a resumed scorer's counters are of all runs.
    counted_before = scorer.counters
    # Events too late and repeats: said below in the shell's words, not the scorer's.
    scorer._input.quiet()
    # A repeat dropped by update_one writes nothing: its answer need not be scored (the
    # entity as it stands, through the detector: 245 s where 2 s for 10,472 repeats).
    scorer._standing_answers = False
    scorer._check_left = scorer._checks.left()
    if args.calibrate is not None and resumed is not None:
        print(
            f"oddseq stream: the cut calibrated on {args.calibrate} ({scorer.threshold_:.4g}) "
            f"resumed from {keeper.text}; the file is not replayed again",
            file=sys.stderr,
        )
    elif args.calibrate is not None:
        before = scorer.threshold_
        wanted = [args.entity, args.event, args.time, args.item, args.value]
        # Its header line, or (none) --names, as the stream on stdin is written.
        # (its format by its name or first line, as the batch reads a file: not --format,
        # which is the stdin's)
        own = argparse.Namespace(
            **{**vars(args), "names": _calibrate_names(args, wanted), "format": "auto"}
        )
        try:
            normal = read_log(args.calibrate, own, wanted)
        except (ValueError, FileNotFoundError) as error:
            raise ValueError(f"--calibrate {error}") from None
        normal = _in_time_order(normal, args)
        cut = scorer.calibrate(normal)
        entities = _counted(scorer.threshold_history_[-1]["calibrated_on"], "entity", "entities")
        print(
            f"oddseq stream: calibrated the cut on {entities} of {args.calibrate}: "
            f"{before:.4g} -> {cut:.4g}",
            file=sys.stderr,
        )
    required = [c for c in (args.entity, args.event, args.time) if c is not None]
    roles = dict(entity=args.entity, event=args.event, time=args.time, item=args.item)
    roles["value"] = args.value
    columns = [c for c in (args.entity, args.event, args.time, args.item, args.value) if c]
    lines = _Lines(sys.stdin.fileno())
    reader = _Reader(args, columns, required)
    # Repeats are judged (as the batch judges them) where the events have times, and
    # not dropped here: with --drop-duplicates the scorer drops them (nothing to warn of).
    repeats = None
    if args.time is not None and not args.drop_duplicates:
        repeats = _Repeats(columns, columns.index(args.time) - 1)
    order = None
    if args.time is not None and args.time_format is None and args.dayfirst is None:
        order = _DateOrder(reader, columns.index(args.time), args.time)
        if shell.get("date_order"):  # settled by an earlier run of the checkpoint
            order.order, order.settled_by = shell["date_order"][0], tuple(shell["date_order"][1])
    waiting = []  # (line number, bytes) not yet scored
    text_lines = text_feed = None  # CSV lines of text times (_text_lines), and their feed
    first_at = 0.0  # when the oldest of them arrived
    n_lines = n_alerts = 0
    out = _Alerts(sys.stdout)

    def frame_of(lists):
        frame = pd.DataFrame(dict(zip(columns, lists)), columns=columns, dtype=object)
        if args.time is not None and len(frame) and args.time_format is None:
            times = frame[args.time]
            numeric = pd.to_numeric(times, errors="coerce")
            unread = numeric.isna().to_numpy().copy()
            if unread.any():
                # Not numbers: dates as text, checked one by one (the rare case).
                unread[unread] = ~np.array([_time_ok(v) for v in times[unread]], dtype=bool)
            else:
                frame[args.time] = numeric
            return frame, unread
        return frame, np.zeros(len(frame), dtype=bool)

    def flush():
        while waiting:  # at most --batch events per update
            # (a resumed run's first lines alone, judged for a replay before the rest)
            size = args.batch if replay_judged else min(args.batch, _REPLAY_JUDGED_AT)
            part = waiting[:size]
            del waiting[:size]
            score(part)
            if not replay_judged:
                say_late()

    slot = {role: columns.index(c) for role, c in roles.items() if c is not None}

    def field(fields, role):
        return fields[slot[role]] if role in slot else None

    def known(time):
        """Whether a text time is of a shape the scorer reads fast (so it is a time)."""
        texts = getattr(scorer, "_text_times", None)
        return type(time) is str and texts is not None and texts[1].known(time)

    def score_each(part, counted=False):
        """Each event scored as it came (update_one): an alert leaves with its event.
        ``counted``: lines the repeats have counted (a line the C++ reader left, its
        chunk counted whole: counted again, an entity's one line repeated itself)."""
        nonlocal n_alerts
        lists, numbers = reader.parse(part)
        if order is not None:
            lists, numbers = order.take(lists, numbers)
        if repeats is not None and not counted:
            lists, numbers = repeats.take(lists, numbers)
        for number, fields in zip(numbers, zip(*lists)):
            entity, time, value = field(fields, "entity"), field(fields, "time"), None
            if time is not None and args.time_format is None:  # else the format reads it
                text, time = time, _number(time)
                if not isinstance(time, int) and not (known(time) or _time_ok(time)):
                    # The text as written: a number such as 1e999 reads as inf.
                    reader.bad_time(number, text)
                    continue
            if "value" in slot and fields[slot["value"]] is not None:
                text = fields[slot["value"]]
                try:
                    value = float(text)
                except ValueError:  # blank or NA-like text is missing, else malformed
                    if unreadable_numbers(pd.Series([text], dtype=object)).iloc[0]:
                        reader.bad(number, f"unreadable value {str(text)[:40]!r}")
                        continue
                    value = None
            try:
                event = scorer.update_one(
                    entity, field(fields, "event"), time, field(fields, "item"), value
                )
            except (ValueError, TypeError) as error:
                reader.bad(number, _one_line(error))
                continue
            if event.new:
                record = {
                    "entity": _alert_id(entity, numeric_ids),
                    "score": round(event.score, 6),
                    "threshold": round(scorer.threshold_, 6),
                    "events": event.length,
                    "line": number,
                    "reason": event.reason,
                }
                out.write(json.dumps(record) + "\n")
                n_alerts += 1
                early.note(event.length)
        out.flush()

    def score(part):
        lists, numbers = reader.parse(part)
        if order is not None:
            lists, numbers = order.take(lists, numbers)
        if repeats is not None:
            lists, numbers = repeats.take(lists, numbers)
        # Lines held for the order of their dates come with the line that settled it:
        # scored --batch at a time, as they would have been. A model of recent change
        # scored in Python, whose batch is judged at its end (StreamScorer._update_each):
        # one event at a time, so that its alerts do not depend on how lines came in
        # batches (review RV s35 M4: make_ecommerce seed 821, 6 alerts at --batch 37, 4
        # at 10000; about 3 ms an event).
        size = 1 if scorer._model is None and scorer._change is not None else args.batch
        for start in range(0, len(numbers), size):
            end = start + size
            score_batch([c[start:end] for c in lists], numbers[start:end])

    def score_batch(lists, numbers):
        nonlocal n_alerts
        frame, unread = frame_of(lists)
        if unread.any():
            for at in np.flatnonzero(unread):
                reader.bad_time(numbers[at], frame[args.time].iloc[at])
            frame = frame.loc[~unread].reset_index(drop=True)
            numbers = [n for n, u in zip(numbers, unread.tolist()) if not u]
            if args.time is not None and len(frame):
                numeric = pd.to_numeric(frame[args.time], errors="coerce")
                if numeric.notna().all():
                    frame[args.time] = numeric
        if args.value is not None and len(frame):
            # A value as oddseq detect reads it: text that is no number ('$12.50') is
            # a malformed line, not a missing value.
            unread = unreadable_numbers(frame[args.value].astype(object)).to_numpy()
            if unread.any():
                for at in np.flatnonzero(unread):
                    text = str(frame[args.value].iloc[at])[:40]
                    reader.bad(numbers[at], f"unreadable value {text!r}")
                frame = frame.loc[~unread].reset_index(drop=True)
                numbers = [n for n, u in zip(numbers, unread.tolist()) if not u]
        if not len(frame):
            return
        try:
            # Each alert judged at its event, as one event at a time would judge it:
            # the alerts do not depend on how the lines came in batches.
            result, crossings = scorer._update_each(frame)
        except (ValueError, TypeError):
            # A row the batch could not take (times in two styles, say): one at a time,
            # each bad row reported with its line number.
            results, crossings = [], []
            for at, number in enumerate(numbers):
                try:
                    one, crossed = scorer._update_each(frame_of([[v] for v in frame.iloc[at]])[0])
                except (ValueError, TypeError) as error:
                    reader.bad(number, _one_line(error))
                    continue
                results.append(one)
                crossings = None if crossed is None or crossings is None else crossings
                if crossings is not None:
                    crossings += [(at, *rest) for _, *rest in crossed]
            result = _merge(results)
        if crossings is not None:
            ids = frame[args.entity].tolist()
            for row, score, length, reason in crossings:
                record = {
                    "entity": _alert_id(ids[row], numeric_ids),
                    "score": round(score, 6),
                    "threshold": round(scorer.threshold_, 6),
                    "events": length,
                    "line": int(numbers[row]),
                    "reason": reason,
                }
                out.write(json.dumps(record) + "\n")
                n_alerts += 1
                early.note(length)
            if crossings:
                out.flush()
            return
        fresh = result.alerts[result.alerts["new"]]
        if len(fresh):
            last_line = pd.Series(numbers, index=frame[args.entity]).groupby(level=0).last()
            for entity, alert in fresh.iterrows():
                record = {
                    "entity": _alert_id(entity, numeric_ids),
                    "score": round(float(alert["score"]), 6),
                    "threshold": round(float(alert["threshold"]), 6),
                    "events": int(result.scores.at[entity, "length"]),
                    "line": int(last_line.get(entity, -1)),
                    "reason": alert["reason"],
                }
                out.write(json.dumps(record) + "\n")
                n_alerts += 1
                early.note(record["events"])
            out.flush()

    def reader_waits_for_header():
        return reader.fmt != "jsonl" and reader.header is None

    # None where lateness is refused (recent_change=True): nothing to advise
    late_accepted = scorer.lateness_ns_ > 0 if scorer._change is None else None
    late_said = False

    replay_judged = resumed is None  # (a fresh run has nothing to replay)

    def say_late():
        """A warning, once, while the stream runs, where the events dropped as too late
        pass LATE_SHARE of those seen (from LATE_FROM on: ``too_late``), with the summary's advice:
        a live stream ends by a signal, and its summary may never be read."""
        nonlocal late_said, replay_judged
        if repeats is not None:
            repeats.judge()
        counts = dict(scorer.counters)
        for key, earlier in before_run.items():
            counts[key] -= earlier
        if not replay_judged:
            header_line = reader.fmt != "jsonl" and not args.names
            replay_judged = _replayed(
                counts, keeper.text, last_read, lines_in_all, header_line, lines.inflate is not None
            )
        if late_said:
            return
        got = too_late(counts)
        if got is None:
            return
        late_said = True
        advice = _late_advice(counts, max_late_events, late_accepted)
        text = late_text(*got, advice, "the summary at the end counts them all")
        print(f"oddseq stream: warning: {text}", file=sys.stderr)

    # The first numeric times (distinct, at most _DIGITS_STREAM) for the clock and
    # date digit check, until it is done. The unit is judged on the first event (a
    # number in another unit is off by a factor of 1,000 or more: one shows it); the
    # digits need 20 distinct values or more (203615 alone is a fine number of
    # seconds), which a stream's first batch, often one event, seldom holds: they are
    # judged at the first count of times that can decide, not on the first batch alone.
    # So are spreadsheet serial dates (43063.67: days since 1899-12-30), on the first
    # _SERIAL_MIN numbers (unless --calibrate's file was judged so).
    digits = set()
    digits_done = args.time is None or args.time_format is not None
    serial = []
    serial_done = digits_done or scorer._serial is None
    scorer._digits = None  # judged here, on every path (the C++ reader's lines too)
    scorer._serial = None

    def check_unit(data):
        """The first event's time against --time-unit: a warning with the fix (once)
        when the number lands outside 1990-2100 and in another unit inside; then the
        times until the digit check is done (numbers that all read as HHMMSS or dates:
        a warning with the fix, as oddseq detect gives), and the serial-date check."""
        nonlocal digits_done, serial_done
        if digits_done and serial_done and scorer._unit_checked:
            return
        if args.time_format is not None or reader_waits_for_header():
            return
        for raw in data[:65536].split(b"\n")[:-1]:
            text = raw.decode("utf-8", "replace").strip()
            if not text or reader.header_again(text):
                continue
            try:
                if reader.fmt == "jsonl":
                    value = json.loads(text).get(args.time)
                else:
                    fields = _split(text, args.sep)
                    value = fields[reader.header.index(args.time)]
            except (ValueError, AttributeError, IndexError, csv.Error, RecursionError):
                continue  # a malformed line: reported where it is read
            if value is None or value == "":
                continue
            number = _number(str(value))
            scorer._check_unit(number)
            if digits_done and serial_done:
                return
            if not isinstance(number, (int, float)) or isinstance(number, bool):
                digits_done = serial_done = True  # times as text: no digits to judge
                return
            if number == number and abs(number) != float("inf"):  # else malformed
                if not digits_done:
                    digits.add(number)
                if not serial_done and len(serial) < _SERIAL_MIN:
                    serial.append(number)
            if (digits_done or len(digits) >= _DIGITS_STREAM) and (
                serial_done or len(serial) >= _SERIAL_MIN
            ):
                break
        judge_digits(final=False)
        judge_serial()

    def judge_serial():
        nonlocal serial_done
        if serial_done or not serial:
            return
        values = np.asarray(serial, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        if serial_judged(args.time, args.time_unit, _serial_facts(values, low, high), low, high):
            serial_done = True
            serial.clear()

    def judge_digits(final):
        nonlocal digits_done
        if digits_done:
            return
        full = final or len(digits) >= _DIGITS_STREAM  # nothing more is kept
        if digits_judged(args.time, args.time_unit, sorted(digits), full):
            digits_done = True
            digits.clear()

    def feed_chunk(data):
        """Complete lines of CSV or JSON through the C++ reader (:func:`feed_lines`); a
        line that is the CSV header again is reported, not read (the C++ reader would
        take it for an event where its fields read as one: no --time)."""
        nonlocal n_lines
        header = reader.header_text
        if header is None or header.encode() not in data:
            return feed_lines(data)
        at = 0
        for start, end in _header_lines(data, header.encode()):
            feed_lines(data[at:start])
            n_lines += 1
            reader.bad(n_lines, reader.again)
            at = end
        feed_lines(data[at:])

    def feed_lines(data):
        """Complete lines of CSV or JSON through the C++ reader: each event applied and
        scored as it comes; the alerts raised within _GATHER of the first are worded in
        one call and written in one write; a line it leaves (quoted, escaped, not ASCII,
        malformed, a time as text) through score_each."""
        nonlocal n_lines, n_alerts
        if not data:
            return
        if not replay_judged:
            # A resumed run's first lines alone, judged for a replay of what its
            # checkpoint read (say_late: _replayed) before the rest is applied.
            cut = _after_lines(data, _REPLAY_JUDGED_AT)
            if cut < len(data):
                feed_lines(data[:cut])
                say_late()
                feed_lines(data[cut:])
                return
        check_unit(data)
        if repeats is not None:
            repeats.lines(reader, data)
        at = 0
        # (text times read: text_lines.view) the lines from `at` rewritten, made again
        # where a line left to score_each taught the reader of text times a shape
        view, stale = None, text_lines is not None
        while at < len(data):
            if stale or (text_lines is not None and not text_lines.fresh()):
                view, stale = text_lines.view(data, at), False
                place = 0  # where in the view `at` is
            if view is None:
                stop, after, n, alerts = scorer._feed_lines(feed, data, at, _GATHER)
            else:
                lines_, starts, origins = view
                stop, after, n, alerts = scorer._feed_lines(
                    text_feed, lines_, place, _GATHER, time_factor=text_times_us
                )
            if alerts:
                threshold = round(scorer.threshold_, 6)
                records = [
                    json.dumps(
                        {
                            "entity": _alert_id(entity.decode(), numeric_ids),
                            "score": round(score, 6),
                            "threshold": threshold,
                            "events": length,
                            "line": n_lines + line,
                            "reason": reason,
                        }
                    )
                    for line, entity, score, length, reason in alerts
                ]
                out.write("\n".join(records) + "\n")
                out.flush()
                n_alerts += len(alerts)
                for alert in alerts:
                    early.note(alert[3])
            n_lines += n
            if view is not None:  # (the line at `after`, as it came)
                k = bisect.bisect_right(starts, after) - 1
                if after >= len(lines_):
                    place, after = len(lines_), len(data)
                else:
                    place, after = after, origins[k]
            if stop == 2:
                end = data.index(b"\n", after)
                n_lines += 1
                score_each([(n_lines, data[after:end])], counted=True)
                if view is not None:
                    place = starts[k + 1] if k + 1 < len(starts) else len(lines_)
                after = end + 1
            at = after

    prelude = 0  # this run's lines before its first event's (the CSV header line)

    def lines_read():
        """This run's lines whose events are in the state: those read, but for lines
        held for the order of their dates (the file says the lines read before the
        first of them: a replay from there)."""
        return n_lines if order is None or not order.held else order.held[0][0] - 1

    def checkpoint_state():
        """(the scorer, the shell's own state, the counts said in the file's header)."""
        counted = scorer.counters
        settled = None if order is None or order.order is None else order
        own = {
            "date_order": None if settled is None else [settled.order, list(settled.settled_by)],
        }
        read = lines_read()
        counts = {
            "events": int(counted["n_events"]),
            "entities": int(counted["n_entities"]),
            "newest_event_ns": int(scorer._store.watermark),
            "lines_read": read,
            # The source's lines in all runs: a resumed run's input is the source's next
            # lines after a header line of its own (head -n 1; tail -n +N).
            "lines_in_all": read if lines_in_all is None else lines_in_all + max(0, read - prelude),
        }
        return scorer, own, counts

    # What loading numpy, pandas and the model left (hundreds of thousands of objects)
    # is collected once and frozen: the collector's full passes while streaming then walk
    # only what the stream itself keeps, not all of it (a full pass over it took 80-160
    # ms, delaying every alert waiting behind it). Unfrozen at the end (main() may run
    # in a caller's process); left alone where the caller keeps a frozen heap of its own.
    froze = gc.get_freeze_count() == 0
    if froze:
        gc.collect()
        gc.freeze()
    # SIGINT (Ctrl-C) and SIGTERM end a live stream (tail -f | oddseq stream) as the end
    # of its input does: read as eof by the loops below, then the summary.
    signals = _Signals()
    lines.stop = signals.start()
    try:
        started = clock.perf_counter()
        # The first lines settle the format and (CSV) the header.
        pending = b""  # complete lines read and not yet taken
        while reader_waits_for_header():
            if not pending:
                if lines.eof:
                    break
                pending = lines.read_chunk(None)
                continue
            cut = pending.find(b"\n") + 1
            raw = pending[: cut - 1]
            first = raw.decode("utf-8", "replace").strip()
            if reader.fmt == "auto" and first.startswith("{"):
                reader.fmt = "jsonl"  # this line is the first event
                break
            if reader.fmt != "csv" and (first == "[" or first.startswith("[{")):
                raise ValueError(
                    "stdin is a JSON array (it starts with '['); oddseq stream reads JSON "
                    "lines, one object a line, as they come: convert it first (jq -c '.[]' "
                    "FILE.json | oddseq stream ...; in pandas, df.to_json(path, "
                    'orient="records", lines=True)), or score the file whole with oddseq '
                    "score"
                )
            pending = pending[cut:]
            n_lines += 1
            reader.parse([(n_lines, raw)])
        prelude = n_lines
        if keeper is not None and resumed is not None:
            keeper.last_progress = prelude  # (FILE holds what came before this run)
        if args.time_format is not None:
            feed = None  # the C++ reader would take times such as 20171201 for numbers
        elif args.drop_duplicates:
            # Each event compared with its entity's previous one in Python, then scored
            # one by one (update_one), as the C++ reader scores lines.
            feed = None
        elif reader.fmt == "jsonl":
            feed = scorer._line_feed()
        else:
            feed = None if reader.header is None else scorer._line_feed(args.sep, reader.header)
        if feed is not None and args.time is not None:
            # Lines of text times: read a chunk at a time once their shape's format is
            # checked, then through a C++ reader of times in microseconds.
            if reader.fmt == "jsonl":
                text_feed = scorer._line_feed(time_factor=text_times_us)
                text_lines = TextTimeLines(scorer, None, order=order)
            else:
                text_feed = scorer._line_feed(args.sep, reader.header, time_factor=text_times_us)
                text_lines = TextTimeLines(scorer, reader.header, args.sep, order)
        if feed is not None:
            # Whatever has come is read at once, with no batching delay.
            feed_chunk(pending)
            say_late()
            while not lines.eof:
                feed_chunk(lines.read_chunk(None if keeper is None else keeper.wait(lines_read())))
                say_late()
                if keeper is not None:
                    keeper.tick(lines_read(), checkpoint_state)
            pending = b""
        check_unit(pending)
        for raw in pending.split(b"\n")[:-1]:
            n_lines += 1
            waiting.append((n_lines, raw))
        first_at = clock.perf_counter()
        while not lines.eof:
            wait = (
                None if not waiting else max(0.0, first_at + args.max_delay - clock.perf_counter())
            )
            if keeper is not None:
                due = keeper.wait(lines_read())
                wait = due if wait is None else wait if due is None else min(wait, due)
            got = lines.read(wait)
            now = clock.perf_counter()
            if got and not waiting:
                first_at = now
            if got:
                check_unit(b"\n".join(got) + b"\n")
            for raw in got:
                n_lines += 1
                waiting.append((n_lines, raw))
            few = len(waiting) <= _ONE_BY_ONE or args.drop_duplicates
            if waiting and few and not reader_waits_for_header():
                # Few (or --drop-duplicates, read in Python as the C++ reader reads): at
                # once, one by one.
                if not replay_judged:  # (a resumed run's first lines judged first)
                    score_each(waiting[:_REPLAY_JUDGED_AT])
                    del waiting[:_REPLAY_JUDGED_AT]
                    say_late()
                score_each(waiting)
                waiting.clear()
            elif waiting and (
                len(waiting) >= args.batch or now - first_at >= args.max_delay or not got
            ):
                flush()
            say_late()
            if keeper is not None and keeper.due(lines_read()):
                flush()  # (the lines read are in the state written)
                keeper.tick(lines_read(), checkpoint_state)
        flush()
        # The checkpoint at the end of the input or on a signal, before the end's
        # checks (which may refuse the input: its events are kept all the same).
        kept = None if keeper is None else _last_checkpoint(keeper, lines_read(), checkpoint_state)
        if order is not None:
            try:
                stopped = signals.name()
                order.finish("the input ended" if stopped is None else f"{stopped} stopped it")
            except ValueError as error:
                if signals.caught is None:
                    raise
                # Stopped by a signal: the held lines are said, and the summary follows.
                print(f"oddseq stream: {_one_line(error)}", file=sys.stderr)
        judge_digits(final=True)
        if repeats is not None:
            repeats.judge(final=True)
        scorer._checks.finish()  # scoring's checks on an input shorter than their window
        counts = scorer.counters
        counts = {k: v if k == "n_entities" else v - counted_before[k] for k, v in counts.items()}
        seconds = clock.perf_counter() - started
        summary = _summary(
            n_lines,
            n_alerts,
            reader.malformed,
            counts,
            seconds,
            max_late_events,
            late=late_accepted,
            n_malformed=reader.n_malformed,
            dates="" if order is None else order.said(),
            stopped=signals.name(),
            repeats_dropped=counts["n_duplicates_dropped"] if args.drop_duplicates else None,
        )
        out.flush()
        said = early.said(
            n_alerts, resumed=resumed is not None, warming=keeper is not None and resumed is None
        )
        if said:  # (before the summary, which ends the run's words)
            print(f"oddseq stream: {said}", file=sys.stderr)
        print(summary + reader.time_advice, file=sys.stderr)
        if kept is not None:  # the state is lost: said last, and the exit tells
            print(f"oddseq stream: {kept}", file=sys.stderr)
            return 2
        # As a shell reports a command ended by a signal: 128 + its number (130, 143).
        return 0 if signals.caught is None else 128 + signals.caught
    finally:
        signals.stop()
        if froze:
            gc.unfreeze()


def _max_late_events(value, lateness):
    """--max-late-events checked in shell words (StreamScorer's name its Python one)."""
    if value is None:
        return _MAX_LATE_EVENTS
    if not 1 <= value < 2**31:
        raise ValueError(
            f"--max-late-events must be a whole number from 1 to {2**31 - 1:,} (newest "
            f"events kept per entity to place late events among), got {value}"
        )
    from ..utils._time import duration_ns

    if lateness == 0 or duration_ns(lateness, "--lateness") == 0:
        raise ValueError(
            f"--max-late-events {value} places late events that --lateness accepts, and "
            "--lateness is 0 (every late event is dropped); give --lateness too, e.g. "
            f"--lateness 5min --max-late-events {value}"
        )
    return value


def _checkpoint(args, lateness, ttl, max_late_events):
    """The --checkpoint of this run (None without one), with the options that change
    the scores as the file records them: {option: (value compared, text shown)}."""
    from pathlib import Path

    from ..utils._time import duration_ns
    from ._checkpoint import GIVEN, UNSET, Checkpoint, file_sha256

    if args.checkpoint is None:
        if args.checkpoint_every is not None:
            raise ValueError(
                f"--checkpoint-every {args.checkpoint_every} says how often --checkpoint FILE "
                "is written; give --checkpoint FILE too"
            )
        return None
    every = duration_option(
        args.checkpoint_every or _CHECKPOINT_EVERY, "--checkpoint-every", zero=True
    )
    every_s = 0.0 if every == 0 else duration_ns(every, "--checkpoint-every") / 1e9
    unset, on = UNSET, GIVEN

    def given(value, text=None):
        return (value, unset if value is None else str(value if text is None else text))

    calibrate = None
    if args.calibrate is not None:
        source = Path(args.calibrate).expanduser()
        digest = file_sha256(source) if source.is_file() else f"missing {args.calibrate}"
        calibrate = (digest, f"{args.calibrate} (SHA-256 {digest[:12]}...)")
    options = {
        "--entity": given(args.entity),
        "--event": given(args.event),
        "--time": given(args.time),
        "--item": given(args.item),
        "--value": given(args.value),
        "--time-unit": given(args.time_unit),
        "--time-format": given(args.time_format),
        "--dayfirst": (
            args.dayfirst,
            {None: unset, True: on, False: "off (--no-dayfirst)"}[args.dayfirst],
        ),
        "--lateness": (0 if lateness == 0 else duration_ns(lateness, "--lateness"), args.lateness),
        "--max-late-events": given(max_late_events),
        "--ttl": given(None if ttl is None else duration_ns(ttl, "--ttl"), ttl),
        "--max-entities": given(args.max_entities),
        "--drop-duplicates": (
            bool(args.drop_duplicates),
            on if args.drop_duplicates else unset,
        ),
        "--calibrate": calibrate or (None, unset),
    }
    model = Path(args.model).expanduser()
    return Checkpoint(args.checkpoint, every_s, args.model, file_sha256(model), options)


# The events of a resumed run judged for a replay of what its checkpoint holds.
_REPLAY_JUDGED_AT = 20


def _after_lines(data: bytes, n: int) -> int:
    """The offset just after the ``n``-th line of ``data`` (its length if it has fewer)."""
    at = 0
    for _ in range(n):
        end = data.find(b"\n", at)
        if end < 0:
            return len(data)
        at = end + 1
    return at


def _replayed(
    counts, path_text: str, last: int, in_all: int, header_line: bool, gzipped: bool = False
) -> bool:
    """Whether this resumed run's first events are judged (from _REPLAY_JUDGED_AT
    seen on); refused (ValueError, before the checkpoint is written again) where most of
    them are older than what the checkpoint holds: the input replays lines it has read
    (the same file fed again, a queue redelivering after the restart). Applied, they
    would be dropped as too late, or applied twice at an entity's newest time.
    ``last``: the lines the checkpoint's last run read of its input; ``in_all``: of the
    source, in all runs; ``header_line``: the input starts with a CSV header line;
    ``gzipped``: it came gzip-compressed (the lines are those zcat gives)."""
    dropped, applied = counts["n_late_dropped"], counts["n_events"]
    if dropped + applied < _REPLAY_JUDGED_AT:
        return False
    if dropped * 2 <= dropped + applied:
        return True

    def fed(after: int) -> str:
        if gzipped:  # (its lines as zcat gives them)
            tail = f"zcat FILE | tail -n +{after + 1}"
            return f"(zcat FILE | head -n 1; {tail})" if header_line else tail
        tail = f"tail -n +{after + 1} FILE"
        return f"(head -n 1 FILE; {tail})" if header_line else tail

    kind = ("gzip-compressed " if gzipped else "") + ("CSV file" if header_line else "file")
    if last == in_all:  # (one run, or the runs before the last read no line)
        read = f"it has read {in_all:,} lines of the input"
        advice = f"the same {kind} fed again: {fed(in_all)} | oddseq stream ..."
    else:
        read = (
            f"its runs have read {in_all:,} lines of their source, the last run {last:,} "
            "of its own input"
        )
        advice = (
            f"the same {kind} that the runs read in turn, fed again: {fed(in_all)} | "
            f"oddseq stream ...; a file the last run alone read: {fed(last)}"
        )
    raise ValueError(
        f"--checkpoint {path_text}: {dropped:,} of the first {dropped + applied:,} events "
        "of this input are older than the events the checkpoint holds (dropped as too "
        f"late): the input replays lines the checkpoint has read ({read}). Give only the "
        f"lines after those ({advice}), or remove {path_text} to start fresh; it is left "
        "as it was"
    )


def _resumed_text(path_text, header) -> str:
    """The words on stderr where a stream resumes from its checkpoint."""
    import pandas as pd

    newest = header.get("newest_event_ns") or 0
    clock_text = (
        f"; its newest event at {pd.Timestamp(newest, unit='ns').isoformat()} UTC"
        if newest > 0 and newest < 2**63 - 1
        else ""
    )
    last, in_all = header.get("lines_read", 0), header.get("lines_in_all", 0)
    runs = "" if last == in_all else f", line {in_all:,} of the source its runs read in turn"
    return (
        f"resumed from --checkpoint {path_text} (written {header.get('written_at')} after "
        f"line {last:,} of that run's input{runs}{clock_text}): "
        f"{_counted(header.get('entities', 0), 'entity', 'entities')} tracked, "
        f"{_counted(header.get('events', 0), 'event')} applied before"
    )


def _last_checkpoint(keeper, read, state):
    """The checkpoint written at the end (its words on stderr); what went wrong, or None.
    Not written again where no line was read since FILE was written or read (its state
    and counts are those): a stop, or a restart fed nothing, is not slowed by a write."""
    if keeper.last_progress == read and keeper.overtaken is None:
        since = "its last write" if keeper.n_written else "this run resumed from it"
        print(
            f"oddseq stream: --checkpoint {keeper.text} left as it was (no line read since "
            f"{since}); the same command resumes from it",
            file=sys.stderr,
        )
        return None
    from ._checkpoint import Overtaken

    try:
        size = keeper.write(read, *state())
    except Overtaken as error:
        return f"the checkpoint could not be written: {error}; the state of this run is lost"
    except (OSError, MemoryError) as error:
        return (
            f"the checkpoint --checkpoint {keeper.text} could not be written "
            f"({type(error).__name__}: {error}): the state of this run is lost (the file "
            "holds the previous one, if any)"
        )
    print(
        f"oddseq stream: checkpoint written to {keeper.text} ({size / 1e6:.1f} MB in "
        f"{keeper.last_s:.2f} s; {keeper.n_written} writes in {keeper.written_s:.2f} s); the "
        "same command resumes from it",
        file=sys.stderr,
    )
    return None


def _late_advice(counts, max_late_events, late_accepted=None) -> str:
    """The summary's advice on events dropped as too late, where an option would place
    them: --lateness where it is 0 (``late_accepted`` False), --max-late-events for
    those within --lateness but behind the newest events kept."""
    return late_advice(counts, max_late_events, late_accepted, words="shell")


def _split(text: str, sep: str) -> list:
    """A CSV line's fields: through the csv module (quoted fields) where the separator
    is one character, which it needs; at the separator's text where it is several."""
    return next(csv.reader([text], delimiter=sep)) if len(sep) == 1 else text.split(sep)


def _calibrate_names(args, wanted):
    """--names for the --calibrate file: None where it has a header line (its first line
    names one of the wanted columns; Parquet), else --names, as for the stream: a file
    written as the stream is, without a header line, is read with the same names."""
    if not args.names:
        return None
    from pathlib import Path

    from ..cli import _COMPRESSED, _guess_separator, _open_text, _sniff_encoding

    source = Path(args.calibrate).expanduser()  # "~/early.csv", as read_log reads it
    suffix = source.suffix.lower()
    if not source.is_file() or suffix in (".parquet", ".pq", ".zip", ".zst"):
        return None  # Parquet names its columns; a zip is not peeked (pandas opens it)
    encoding = getattr(args, "encoding", None) or (
        "utf-8" if suffix in _COMPRESSED else _sniff_encoding(source)
    )
    try:
        with _open_text(source, encoding) as f:
            first = f.readline().rstrip("\r\n")
        if first.lstrip().startswith("{"):
            return None  # JSON lines: each object names its fields
        sep = args.sep or _guess_separator(source, encoding)
        fields = {f.strip().strip('"') for f in first.split(sep)}
    except (OSError, UnicodeDecodeError, LookupError, ValueError):
        return None  # read_log says what is wrong with the file
    return None if fields & {c for c in wanted if c} else args.names


def _in_time_order(normal, args):
    """The --calibrate log in time order: a replay reads it as events arriving, so a
    file in another order (grouped by entity, as exports often are) is sorted by --time,
    stable (events at one time keep their order), and that is said on stderr."""
    if args.time is None or len(normal) < 2:
        return normal
    import numpy as np

    from ..utils._time import parse_times

    try:
        ns, bad, _ = parse_times(
            normal[args.time],
            args.time,
            time_unit=args.time_unit,
            time_format=args.time_format,
            dayfirst=args.dayfirst,
            unit_warning=False,
        )
    except (ValueError, TypeError) as error:
        raise ValueError(f"--calibrate {args.calibrate}: {error}") from None
    # Rows without a time do not put a file out of order; sorted, they go last (the
    # replay counts them malformed).
    if not (np.diff(ns if bad is None else ns[~bad]) < 0).any():
        return normal
    if bad is not None:
        ns = np.where(bad, np.iinfo(np.int64).max, ns)
    print(
        f"oddseq stream: {args.calibrate} is not in time order; replaying it sorted by "
        f"{args.time} (stable)",
        file=sys.stderr,
    )
    return normal.iloc[np.argsort(ns, kind="stable")]


def _counted(count: int, word: str, words: str | None = None) -> str:
    """``1 alert``, ``2 alerts``, ``1 entity`` / ``3 entities`` (``words``)."""
    return f"{count:,} " + (word if count == 1 else words or word + "s")


def _summary(
    n_lines,
    n_alerts,
    malformed,
    counts,
    seconds,
    max_late_events=_MAX_LATE_EVENTS,
    late=None,
    n_malformed=None,
    dates="",
    stopped=None,
    repeats_dropped=None,
):
    """The closing line on stderr: what was read, applied, alerted, skipped and kept.
    ``malformed``: the first malformed lines' numbers, of ``n_malformed`` (default: as
    many as given); ``dates``: the words on the order of the dates settled, if any;
    ``stopped``: the signal that ended the stream (``SIGINT``), if one did;
    ``repeats_dropped``: the events --drop-duplicates dropped (None: not given)."""
    n_malformed = len(malformed) if n_malformed is None else n_malformed
    shown = ", ".join(map(str, malformed[:_SHOWN_MALFORMED]))
    more = (
        "" if n_malformed <= _SHOWN_MALFORMED else f" and {n_malformed - _SHOWN_MALFORMED:,} more"
    )
    where = f" ({'line' if n_malformed == 1 else 'lines'} {shown}{more})" if n_malformed else ""
    ended = "" if stopped is None else f"stopped by {stopped}: "
    return (
        f"oddseq stream: {ended}{_counted(n_lines, 'line')}, "
        f"{_counted(counts['n_events'], 'event')} applied, {_counted(n_alerts, 'alert')}, "
        f"{_counted(n_malformed, 'malformed line')}{where}{dates}, "
        f"{counts['n_late_dropped']:,} too late{_late_advice(counts, max_late_events, late)}, "
        + ("" if repeats_dropped is None else f"{_counted(repeats_dropped, 'repeat')} dropped, ")
        + f"{counts['n_invalid']:,} invalid, "
        f"{counts['n_evicted_ttl']:,} evicted idle, {counts['n_evicted_cap']:,} evicted at "
        f"the cap, {_counted(counts['n_entities'], 'entity', 'entities')} tracked, in "
        f"{seconds:.2f} s"
    )


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


def _one_line(error) -> str:
    """An error's message on one line, whole up to 600 characters: long enough for the
    advice at its end (--dayfirst ...), short where it quotes a huge field."""
    text = " ".join(str(error).split())
    return text if len(text) <= 600 else text[:597] + "..."


_INTEGER_TEXT = re.compile(_PLAIN_WHOLE_NUMBER)


class _EarlyAlerts:
    """Counts the alerts raised at fewer events than the shortest fitted entity had (its
    ``length`` feature's fitted minimum): a model fitted on whole histories reads the
    start of one as odd, and a stream that starts with entities of long histories alerts
    on each (trial s42b: 432 alerts on 300 of 300 users of 26-165 events, 246 at their
    first event, "events 1 (entities like it have 56)"). :meth:`said`: the note for the
    end of the run where they are most of the alerts, with the warm start that helps."""

    def __init__(self, pipeline):
        self.shortest = None
        names = getattr(pipeline, "feature_names_", None)
        names = [] if names is None else list(names)
        raw_range = getattr(pipeline, "_raw_range", None)
        if "length" in names and raw_range is not None:
            self.shortest = int(raw_range[0][names.index("length")])
        self.n_early = 0

    def note(self, length) -> None:
        if self.shortest is not None and int(length) < self.shortest:
            self.n_early += 1

    def said(self, n_alerts: int, resumed: bool = False, warming: bool = False) -> str:
        """The note, or "". ``resumed``: a run from a checkpoint, warm already: its early
        alerts are of entities new to the stream, which have no history to replay.
        ``warming``: a first run writing a checkpoint, the warm start itself (review RV2
        s42 M3: it was told to do what it was doing)."""
        if self.n_early < _EARLY_ALERTS_MIN or 2 * self.n_early < n_alerts:
            return ""
        said = (
            f"{self.n_early:,} of the {n_alerts:,} alerts came at fewer events than the "
            f"shortest fitted entity had ({self.shortest:,}): a model fitted on whole "
            "histories reads a history's start as odd. "
        )
        if resumed:
            return said + (
                "These entities are new to the stream; a model fitted with --min-events N "
                "(oddseq fit) alerts on an entity from its N-th event on"
            )
        if warming:
            return said + (
                "Where this run replayed the history, it is the warm start: set its alerts "
                "aside and run the new events with the same --checkpoint FILE"
            )
        return said + (
            "Warm the stream on the history first: replay it with --checkpoint FILE (its "
            "alerts set aside), then run the new events with the same --checkpoint FILE "
            "(docs/stream.md, Alerts on arrival)"
        )


# _EarlyAlerts says its note only from this many such alerts on.
_EARLY_ALERTS_MIN = 10


def _fitted_ids_numeric(pipeline) -> bool | None:
    """Whether the model's fitted entity ids were integers (its table's index, the
    entity level of a table of sessions): a column the batch reads as numbers only where
    every id is a plain integer (``cli.as_labels``), so a stream writes an id "17" as the
    number 17 only where the fitted ids were numbers (a log of ids 17, u17 and 0123 keeps
    "17" text in its table: review s42 M2). None where the model keeps no table."""
    table = getattr(pipeline, "table_", None)
    if table is None:
        return None
    index = table.index
    if getattr(index, "nlevels", 1) > 1:
        index = index.levels[0]
    return index.dtype.kind in "iu"


def _alert_id(entity, numeric: bool | None = None):
    """An entity id as an alert writes it: text that is a plain integer (no sign of +,
    no leading zero, within int64) as that JSON number where the fitted ids were numbers
    (``numeric``; None: not known, any such text), as ``oddseq score``'s table and
    pandas read such ids, so that alerts join the table without a cast (trial s41 F8);
    other text as written ("0123", "u17")."""
    if isinstance(entity, str) and numeric is not False and _INTEGER_TEXT.fullmatch(entity):
        number = int(entity)
        if -(2**63) <= number < 2**63:
            return number
    item = getattr(entity, "item", None)  # a NumPy scalar: its Python value, for json
    return item() if callable(item) else entity


def _json_id(value):
    """A JSON id (entity, item) as text, as the batch's JSON reader writes it
    (cli._json_text, after pandas' read_json): a whole float as its integer (463.0 is
    463: JSON readers keep no difference, and pandas writes integer ids of a column with
    a null as floats), NaN missing (None), anything else as Python writes it."""
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer() and abs(value) < 2**63:
            return str(int(value))
    return str(value)


def _number(text):
    """A field as int, else float, else the text itself."""
    try:
        return int(text)
    except ValueError:
        pass
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
