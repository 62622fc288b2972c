"""Streaming benchmark (issue 19): events/s through StreamScorer.update in batches of
10,000 and one event at a time (update with a one-row frame, update_one, RiverAdapter),
the CLI's latency from an event's arrival to its alert at a fixed input rate, memory
per tracked entity, and River's HalfSpaceTrees on the same stream (when river is
installed).

A model is fitted on ``make_ecommerce(n_users=5000)``; the stream replays copies of that
log in time order (each copy with its own user ids), so the state holds
``copies x 5000`` entities at the end. Prints a table and writes
``benchmarks/results/stream.json``.

    python benchmarks/stream.py [--copies 4] [--one-at-a-time 3000] [--update-one 200000]
        [--river 20000] [--cli-rates 100000 20000] [--cli-seconds 5] [--recent-change]
    python benchmarks/stream.py --only-kinds [--kind-events 200000] [--kinds csv json ...]
        [--kind-text-times]

``--only-kinds`` times ``oddseq stream`` reading a file of each input kind (plain CSV,
quoted CSV, CSV with non-ASCII ids and names, plain JSON lines, JSON with escapes, JSON
with non-ASCII text): events/s from its own summary, and the share of lines its C++
reader leaves to the Python reader (counted in this process); ``--kind-text-times``
writes the times as text ("2019-10-01 00:00:00 UTC"), read a chunk at a time once
their shape is learned.

``--recent-change`` fits the model with ``AnomalyPipeline(recent_change=True)`` (each
entity's recent sessions against its own past, kept live by the stream's state).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.metrics import roc_auc_score
from oddseq.sequences import Sequences
from oddseq.stream import RiverAdapter, StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")


def replay(log: pd.DataFrame, copies: int) -> pd.DataFrame:
    span = int(log["timestamp"].max() - log["timestamp"].min()) + 1
    parts = []
    for c in range(copies):
        part = log.copy()
        part["user_id"] = part["user_id"] + c * 10_000_000
        part["timestamp"] = part["timestamp"] + c * span // copies  # copies interleave
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values("timestamp", kind="stable").reset_index(drop=True)


def how_soon(pipe, log: pd.DataFrame, labels, onsets, kinds, calibrate: bool = False) -> dict:
    """The first copy replayed in batches of 100 events: for each planted anomaly, how
    many of its events from its first anomalous one on (``onsets``) had arrived when
    its first alert came (alerts during the normal history before the onset are
    counted apart), by kind, and the share of normal users that crossed the threshold
    at some moment; ``calibrate``: with the threshold StreamScorer.calibrate sets on
    the same log."""
    early = StreamScorer(pipe, **ROLES)
    ordered = log.sort_values("timestamp", kind="stable")
    out = {}
    if calibrate:
        out["threshold"] = early.calibrate(ordered)
        out["fitted_threshold"] = pipe.threshold_
    alerted_at: dict = {}
    for at in range(0, len(ordered), 100):
        result = early.update(ordered.iloc[at : at + 100])
        fresh = result.alerts[result.alerts["new"]]
        for user in fresh.index:
            alerted_at.setdefault(user, int(result.scores.at[user, "length"]))
    at_alert = pd.Series(alerted_at, dtype=float).reindex(labels.index)
    anomalous = labels.to_numpy() == 1
    # events each anomaly had before its anomalous phase began
    before = (
        ordered[ordered["timestamp"] < ordered["user_id"].map(onsets)]
        .groupby("user_id")
        .size()
        .reindex(onsets.index, fill_value=0)
    )
    since_onset = (at_alert[onsets.index] - before).dropna()
    early_alerts = since_onset[since_onset <= 0]
    caught = since_onset[since_onset > 0]

    def quantiles(values):
        return {str(q): float(values.quantile(q)) for q in (0.1, 0.5, 0.9)} if len(values) else {}

    out.update(
        share_of_anomalies_alerted=float(len(caught) / anomalous.sum()),
        share_of_anomalies_alerted_before_onset=float(len(early_alerts) / anomalous.sum()),
        share_of_normal_users_alerted=float(at_alert[~anomalous].notna().mean()),
        events_since_onset_at_first_alert=quantiles(caught),
        by_kind={
            kind: dict(
                alerted=f"{int((kinds[caught.index] == kind).sum())}/{int((kinds == kind).sum())}",
                **quantiles(caught[kinds[caught.index] == kind]),
            )
            for kind in sorted(kinds[onsets.index].unique())
        },
    )
    return out


def refit_while_scoring(pipe, stream: pd.DataFrame, window: pd.DataFrame) -> dict:
    """The stream through ``update`` in batches of 10,000 twice on fresh scorers: once
    alone, once with ``refit(window)`` started in the background before the first
    batch. The refit's seconds (its call, then from the call to the first batch that
    found it done), the batches' times while it ran against the same batches without
    it, and the batch at which the new model took over."""

    def run(with_refit: bool):
        live = StreamScorer(pipe, **ROLES)
        started = time.perf_counter()
        future = live.refit(window) if with_refit else None
        call_seconds = time.perf_counter() - started
        fitted_at = None
        times, took_over = [], None
        for k, at in enumerate(range(0, len(stream), 10_000)):
            t = time.perf_counter()
            live.update(stream.iloc[at : at + 10_000])
            times.append(time.perf_counter() - t)
            if future is not None and fitted_at is None and future.done():
                fitted_at = time.perf_counter() - started
            if with_refit and took_over is None and live.threshold_history_:
                took_over = k
        if future is not None:
            future.result()
        return np.asarray(times), call_seconds, fitted_at, took_over, live.threshold_history_

    alone, _, _, _, _ = run(False)
    during, call_seconds, fitted_at, took_over, history = run(True)
    if took_over is None:
        raise RuntimeError("the refit did not finish within the stream; replay more copies")
    ms = 1e3
    return dict(
        events=len(stream),
        window_events=len(window),
        # the window's sequences are built in the caller's thread (bad input raises
        # there); the fit runs in the background
        refit_call_seconds=call_seconds,
        refit_seconds=fitted_at,
        took_over_at_batch=took_over,
        batches_during_refit=took_over,
        batch_ms_alone={
            "median": float(np.median(alone[:took_over]) * ms),
            "max": float(alone[:took_over].max() * ms),
        },
        batch_ms_during_refit={
            "median": float(np.median(during[:took_over]) * ms),
            "max": float(during[:took_over].max() * ms),
        },
        events_per_s_alone=float(10_000 * took_over / alone[:took_over].sum()),
        events_per_s_during_refit=float(10_000 * took_over / during[:took_over].sum()),
        threshold_change={k: history[0][k] for k in ("previous", "threshold", "n_fitted")},
    )


def per_event_features(events: pd.DataFrame):
    """(user per event, float64 rows): the per-entity features the River and PySAD
    peers get after each event (counts per type, length, mean gap), kept in a dict."""
    state: dict = {}
    users, rows = [], []
    for user, kind, t in zip(
        events["user_id"].tolist(),
        events["behavior"].astype(str).tolist(),
        events["timestamp"].tolist(),
    ):
        s = state.setdefault(user, {"pv": 0, "cart": 0, "fav": 0, "buy": 0, "n": 0, "t0": t})
        s[kind] = s.get(kind, 0) + 1
        s["n"] += 1
        users.append(user)
        rows.append(
            (s["pv"], s["cart"], s["fav"], s["buy"], s["n"], (t - s["t0"]) / max(s["n"] - 1, 1))
        )
    return users, np.asarray(rows, dtype=np.float64)


def pysad_peers(stream: pd.DataFrame, log: pd.DataFrame, labels, m: int):
    """PySAD's LODA and xStream (fit_score_partial per event) on the per-event
    features: events/s on the stream's first m events (features computed beforehand)
    and LODA's ROC-AUC on the first copy (each user's last score)."""
    try:
        import pysad
        from pysad.models import LODA, xStream
    except ImportError:
        return [], dict(installed=False)
    rows = []
    _, X = per_event_features(stream.head(m))
    for name, model in (("LODA", LODA(random_state=0)), ("xStream", xStream(random_state=0))):
        started = time.perf_counter()
        for x in X:
            model.fit_score_partial(x)
        rows.append(
            dict(
                case=f"PySAD {name} fit_score_partial on the same per-entity features "
                "(computed beforehand)",
                events=len(X),
                seconds=time.perf_counter() - started,
            )
        )
    users, X = per_event_features(log.sort_values("timestamp", kind="stable"))
    model, last = LODA(random_state=0), {}
    for user, x in zip(users, X):
        last[user] = model.fit_score_partial(x)
    scores = pd.Series(last).reindex(labels.index).to_numpy()
    return rows, dict(
        installed=True,
        version=getattr(pysad, "__version__", "?"),
        loda_roc_auc=float(roc_auc_score(labels.to_numpy(), scores)),
    )


def cli_latency(pipe, log: pd.DataFrame, rate: float, seconds: float, fmt: str = "csv") -> dict:
    """Feed ``oddseq stream`` CSV (``fmt="jsonl"``: JSON) lines at ``rate`` events/s for
    ``seconds`` (written in small chunks on a clock) and time, for each alert, its arrival
    on stdout after the write of the line it names: the event that raised it where the
    command scores event by event (plain lines with the C++ scoring), else the entity's
    last event in the scored batch, which understates the wait of its earlier events in
    that batch. The load average is recorded before and after."""
    import array
    import fcntl
    import gc
    import subprocess
    import sys
    import tempfile
    import termios
    import threading

    n = int(rate * seconds)
    events = replay(log, max(1, -(-n // len(log)))).head(n)
    events = events[list(ROLES.values())]
    if fmt == "csv":
        text = events.to_csv(index=False)
    else:  # the first event goes before the clock starts, as the CSV header does
        text = events.to_json(orient="records", lines=True)
    lines = text.encode().splitlines(keepends=True)
    written = np.zeros(len(lines))
    chunks, alerts = [], []
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model.oddseq"
        pipe.save(model)
        roles = [x for role, column in ROLES.items() for x in (f"--{role}", column)]
        process = subprocess.Popen(
            [sys.executable, "-m", "oddseq.cli", "stream", "--model", str(model), *roles],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
        )

        def read():
            # Whole chunks from the pipe, each stamped when it came (a line-iterating read
            # of an unbuffered pipe takes a syscall per byte); the alerts are parsed after
            # the run, so that this process's own work cannot delay the next read.
            fd = process.stdout.fileno()
            while chunk := os.read(fd, 1 << 16):
                chunks.append((time.perf_counter(), chunk))

        reader = threading.Thread(target=read)
        reader.start()
        # The CLI loads numpy, pandas and the model before it reads stdin: the clock
        # starts once it has read the first line (nothing left in the pipe), so that
        # events written while it was still loading do not count as latency.
        written[0] = time.perf_counter()
        process.stdin.write(lines[0])
        unread = array.array("i", [1])
        while unread[0] and process.poll() is None:
            fcntl.ioctl(process.stdin.fileno(), termios.FIONREAD, unread)
            time.sleep(0.01)
        time.sleep(0.2)
        load_before = os.getloadavg()[0]
        # No garbage collection in this process while the clock runs: a pass over the
        # replayed log's objects took up to 60 ms here, stamping the alerts read after it
        # late by as much.
        gc.collect()
        gc.disable()
        started = time.perf_counter()
        at = 1
        while at < len(lines):
            due = min(len(lines), 1 + int((time.perf_counter() - started) * rate))
            if due > at:
                written[at:due] = time.perf_counter()
                process.stdin.write(b"".join(lines[at:due]))
                at = due
            else:
                time.sleep(0.0002)
        offered = (len(lines) - 1) / (time.perf_counter() - started)
        process.stdin.close()
        process.wait()
        reader.join()
        gc.enable()
        partial = b""
        for seen, chunk in chunks:
            *complete, partial = (partial + chunk).split(b"\n")
            alerts.extend((seen, json.loads(line)) for line in complete if line)
        load_after = os.getloadavg()[0]
        summary = process.stderr.read().decode().strip().splitlines()[-1]
        process.stdout.close()
        process.stderr.close()
    latency = np.array([seen - written[alert["line"] - 1] for seen, alert in alerts]) * 1e3
    return dict(
        format=fmt,
        events=len(lines) - 1,
        target_rate=rate,
        achieved_input_rate=offered,
        alerts=len(alerts),
        latency_ms={
            q: float(np.percentile(latency, p)) if len(latency) else None
            for q, p in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))
        },
        cli_summary=summary,
        load_average_1min=[load_before, load_after],
    )


# The input kinds of --only-kinds: how the replayed events are written.
KINDS = ("csv", "csv-quoted", "csv-utf8", "json", "json-escaped", "json-utf8")


def kind_text(events: pd.DataFrame, kind: str, text_times: bool = False) -> str:
    """The events as a text log of ``kind`` (KINDS): plain CSV as pandas writes it; quoted
    CSV as R's write.csv and Python's QUOTE_NONNUMERIC write it (every text field quoted;
    item names with a comma in one in 3, with a quote, doubled, in one in 10); CSV with
    UTF-8 user ids and item names; JSON lines as pandas writes them; JSON lines as
    json.dumps writes them (non-ASCII as \\uXXXX, emoji as surrogate pairs, quotes and
    slashes escaped); JSON lines with UTF-8 text."""
    import csv
    import io

    users = events["user_id"].to_numpy()
    items = events["item_id"].to_numpy()
    frame = events[list(ROLES.values())].copy()
    if text_times:  # (as REES46 writes them)
        stamps = pd.to_datetime(frame["timestamp"], unit="s")
        frame["timestamp"] = stamps.dt.strftime("%Y-%m-%d %H:%M:%S UTC")
    if kind in ("csv", "json"):
        buffer = io.StringIO()
        if kind == "csv":
            frame.to_csv(buffer, index=False)
        else:
            frame.to_json(buffer, orient="records", lines=True)
        return buffer.getvalue()
    if kind == "csv-quoted":
        names = [
            f'Item {i}, "{i % 7}" pack'
            if i % 10 == 0
            else f"Item {i}, size {i % 5}"
            if i % 3 == 0
            else f"item-{i}"
            for i in items.tolist()
        ]
    elif kind in ("csv-utf8", "json-utf8", "json-escaped"):
        names = [
            f"Товар №{i} — café" if i % 3 == 0 else f"商品{i} 🛒" if i % 3 == 1 else f"item/{i}"
            for i in items.tolist()
        ]
    frame["item_id"] = names
    if kind in ("csv-utf8", "json-utf8", "json-escaped"):
        frame["user_id"] = [f"ü{u}" if u % 2 else str(u) for u in users.tolist()]
    if kind.startswith("csv"):
        buffer = io.StringIO()
        quoting = csv.QUOTE_NONNUMERIC if kind == "csv-quoted" else csv.QUOTE_MINIMAL
        frame.to_csv(buffer, index=False, quoting=quoting)
        return buffer.getvalue()
    ascii_only = kind == "json-escaped"
    records = frame.to_dict("records")
    if ascii_only:  # a quote in one name in 10, escaped
        for r, i in zip(records, items.tolist()):
            if i % 10 == 0:
                r["item_id"] = r["item_id"] + ' "boxed"'
    return "".join(json.dumps(r, ensure_ascii=ascii_only) + "\n" for r in records)


def lines_left(pipe, text: str, fmt: str) -> int:
    """Lines of ``text`` (CSV with its header line, or JSON lines) the C++ line reader
    leaves to the Python reader (each then applied through update_one, as the command's
    Python path does, so later lines read as they would)."""
    from oddseq.stream._cli import _number

    live = StreamScorer(pipe, **ROLES)
    data = text.encode()
    header = None
    if fmt == "csv":
        first = data.index(b"\n") + 1
        header = data[: first - 1].decode().replace('"', "").split(",")
        data = data[first:]
    feed = live._line_feed() if header is None else live._line_feed(",", header)
    at, left = 0, 0
    while at < len(data):
        stop, after, _, _ = live._feed_lines(feed, data, at)
        if stop == 2:
            end = data.index(b"\n", after)
            left += 1
            line = data[after:end].decode()
            import csv

            if header is None:
                record = json.loads(line)
                fields = [
                    None if record.get(c) in (None, "") else str(record[c]) for c in ROLES.values()
                ]
            else:
                fields = next(csv.reader([line]))
                fields = [f or None for f in fields]
            user, behavior, t, item, price = fields
            live.update_one(
                user, behavior, _number(t), item, None if price is None else float(price)
            )
            after = end + 1
        at = after
    return left


def kinds_speed(pipe, log: pd.DataFrame, kinds, n_events: int, text_times: bool = False) -> list:
    """For each input kind: ``oddseq stream`` reading a file of ``n_events`` events of
    that kind on stdin (events/s from the seconds its summary says, which leave out its
    start: imports and the model's load), and the lines its C++ reader leaves."""
    import subprocess
    import sys
    import tempfile

    events = replay(log, max(1, -(-n_events // len(log)))).head(n_events)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model.oddseq"
        pipe.save(model)
        roles = [x for role, column in ROLES.items() for x in (f"--{role}", column)]
        for kind in kinds:
            text = kind_text(events, kind, text_times)
            fmt = "csv" if kind.startswith("csv") else "jsonl"
            path = Path(tmp) / f"events.{fmt}"
            path.write_text(text, encoding="utf-8")
            # (times as text: the command reads them through TextTimeLines, not counted here)
            left = None if text_times else lines_left(pipe, text, fmt)
            load_before = os.getloadavg()[0]
            with open(path, "rb") as stdin:
                done = subprocess.run(
                    [sys.executable, "-m", "oddseq.cli", "stream", "--model", str(model), *roles],
                    stdin=stdin,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    check=True,
                )
            summary = done.stderr.decode().strip().splitlines()[-1]
            seconds = float(re.search(r"in ([0-9.]+) s$", summary).group(1))
            applied, alerts = (
                int(re.search(rf"([0-9,]+) {word}", summary).group(1).replace(",", ""))
                for word in ("events? applied", "alerts?")
            )
            rows.append(
                dict(
                    kind=kind,
                    events=n_events,
                    applied=applied,
                    alerts=alerts,
                    lines_left_to_python=left,
                    seconds=seconds,
                    events_per_s=n_events / seconds,
                    load=[load_before, os.getloadavg()[0]],
                )
            )
            print(rows[-1], flush=True)
    return rows


def speed(pipe, stream: pd.DataFrame, m: int) -> dict:
    """events/s of update in batches of 10,000 over the stream, and of update_one on its
    first ``m`` events as plain values, without and with a TTL of an hour (its idle
    sweeps), with the load average before and after."""
    import oddseq

    out = dict(oddseq=oddseq.__file__, load_before=os.getloadavg()[0])
    live = StreamScorer(pipe, **ROLES)
    started = time.perf_counter()
    for at in range(0, len(stream), 10_000):
        live.update(stream.iloc[at : at + 10_000])
    out["update_batches_per_s"] = len(stream) / (time.perf_counter() - started)
    head = stream.head(m).astype({"behavior": str})
    plain = list(zip(*(head[c].tolist() for c in ROLES.values())))
    for name, ttl in (("update_one_per_s", None), ("update_one_ttl_1h_per_s", 3600)):
        one = StreamScorer(pipe, ttl=ttl, **ROLES)
        started = time.perf_counter()
        for event in plain:
            one.update_one(*event)
        out[name] = len(plain) / (time.perf_counter() - started)
    out["load_after"] = os.getloadavg()[0]
    out["state_bytes_per_entity"] = live.memory_bytes() / live.counters["n_entities"]
    return out


def memory_replay(pipe, log: pd.DataFrame, n_events: int, ttl: float) -> dict:
    """Replay ``n_events``: copies of the log one after another in time, each copy with
    its own user ids, through update in batches of 10,000 with idle entities forgotten
    after ``ttl`` seconds; the state's bytes, the entities tracked and the process's
    resident memory at every tenth of the way."""
    ordered = log.sort_values("timestamp", kind="stable")[list(ROLES.values())]
    ordered = ordered.reset_index(drop=True)
    span = int(ordered["timestamp"].max() - ordered["timestamp"].min()) + 1
    live = StreamScorer(pipe, ttl=ttl, **ROLES)
    page = os.sysconf("SC_PAGE_SIZE")
    marks, done, copy = [], 0, 0
    step = max(n_events // 10, 1)
    started = time.perf_counter()
    while done < n_events:
        part = ordered.copy()
        part["user_id"] += copy * 10_000_000
        part["timestamp"] += copy * span
        copy += 1
        for at in range(0, len(part), 10_000):
            chunk = part.iloc[at : at + min(10_000, n_events - done)]
            live.update(chunk)
            done += len(chunk)
            if done // step > (done - len(chunk)) // step or done >= n_events:
                with open("/proc/self/statm") as statm:
                    resident = int(statm.read().split()[1]) * page
                marks.append(
                    dict(
                        events=done,
                        seconds=time.perf_counter() - started,
                        entities=live.counters["n_entities"],
                        evicted=live.counters["n_evicted_ttl"],
                        state_mb=live.memory_bytes() / 1e6,
                        state_bytes_per_entity=live.memory_bytes()
                        / max(live.counters["n_entities"], 1),
                        resident_mb=resident / 1e6,
                    )
                )
            if done >= n_events:
                break
    return dict(events=done, ttl_s=ttl, copy_span_s=span, marks=marks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument(
        "--one-at-a-time", type=int, default=3000, help="events fed to update() one per call"
    )
    parser.add_argument("--update-one", type=int, default=200_000, help="events fed to update_one")
    parser.add_argument(
        "--cli-rates", type=float, nargs="+", default=[100_000, 20_000], help="CLI input events/s"
    )
    parser.add_argument("--cli-seconds", type=float, default=5.0, help="CLI run (0: skip)")
    parser.add_argument("--only-cli", action="store_true", help="the CLI's latency alone")
    parser.add_argument("--cli-format", choices=["csv", "jsonl"], default="csv")
    parser.add_argument(
        "--only-speed", action="store_true", help="update in batches and update_one alone"
    )
    parser.add_argument(
        "--replay-events", type=int, default=0, help="a long replay with a TTL (0: skip)"
    )
    parser.add_argument("--only-replay", action="store_true", help="the long replay alone")
    parser.add_argument("--pysad", type=int, default=20000, help="events fed to PySAD (0: skip)")
    parser.add_argument("--only-pysad", action="store_true", help="the PySAD peers alone")
    parser.add_argument(
        "--only-soon", action="store_true", help="how soon alerts come, fitted and calibrated"
    )
    parser.add_argument("--river", type=int, default=20000, help="events fed to River")
    parser.add_argument(
        "--only-refit",
        type=int,
        default=0,
        metavar="COPIES",
        help="scoring while refit() runs in the background, over this many copies",
    )
    parser.add_argument(
        "--recent-change",
        action="store_true",
        help="fit with AnomalyPipeline(recent_change=True) (RecentChangeEncoder's columns)",
    )
    parser.add_argument(
        "--only-kinds", action="store_true", help="the CLI's events/s on each input kind"
    )
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--kind-events", type=int, default=200_000, help="events of each kind")
    parser.add_argument(
        "--kind-text-times", action="store_true", help="--only-kinds with times as text (UTC)"
    )
    parser.add_argument("--seed", type=int, default=0, help="make_ecommerce's random_state")
    parser.add_argument("--out", default="benchmarks/results/stream.json")
    args = parser.parse_args()

    data = make_ecommerce(n_users=args.users, random_state=args.seed)
    log, labels = data["events"], data["labels"]
    options = dict(recent_change=True) if args.recent_change else {}
    pipe = AnomalyPipeline(**options).fit(Sequences.from_events(log, **ROLES))
    if args.replay_events:
        span = int(log["timestamp"].max() - log["timestamp"].min()) + 1
        long = memory_replay(pipe, log, args.replay_events, ttl=span / 2)
        print(pd.DataFrame(long["marks"]).to_string(index=False))
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).with_name("stream_replay.json").write_text(json.dumps(long, indent=2))
        if args.only_replay:
            return
    if args.only_kinds:
        rows = kinds_speed(pipe, log, args.kinds, args.kind_events, args.kind_text_times)
        print(pd.DataFrame(rows).to_string(index=False))
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).with_name("stream_kinds.json").write_text(json.dumps(rows, indent=2))
        return
    if args.only_cli:
        for rate in args.cli_rates:
            print("cli:", cli_latency(pipe, log, rate, args.cli_seconds, args.cli_format))
        return
    if args.only_refit:
        print(json.dumps(refit_while_scoring(pipe, replay(log, args.only_refit), log), indent=1))
        return
    stream = replay(log, args.copies)
    n = len(stream)
    rows = []
    if args.only_soon:
        print("fitted:", how_soon(pipe, log, labels, data["onsets"], data["kinds"]))
        print(
            "calibrated:",
            how_soon(pipe, log, labels, data["onsets"], data["kinds"], calibrate=True),
        )
        return
    if args.only_pysad:
        peer_rows, peer = pysad_peers(stream, log, labels, args.pysad)
        for row in peer_rows:
            row["events_per_s"] = row["events"] / row["seconds"]
        print(pd.DataFrame(peer_rows).to_string(index=False), "\npysad:", peer)
        return

    if args.only_speed:
        print(json.dumps(speed(pipe, stream, args.update_one)))
        return

    # 1. The whole API in batches of 10,000: parse, C++ state, score the touched
    #    entities, alerts with reasons.
    live = StreamScorer(pipe, **ROLES)
    started = time.perf_counter()
    n_alerts = 0
    for at in range(0, n, 10_000):
        n_alerts += int(live.update(stream.iloc[at : at + 10_000]).alerts["new"].sum())
    seconds = time.perf_counter() - started
    n_entities = live.counters["n_entities"]
    rows.append(
        dict(case="update, batches of 10,000 (parse + state + score)", events=n, seconds=seconds)
    )
    memory = dict(
        entities=n_entities,
        state_bytes_per_entity=live.memory_bytes() / n_entities,
    )
    batch = pipe.score(Sequences.from_events(log, **ROLES))["score"]

    # 2. The C++ state alone, and the state with the touched entities' scores (C++
    #    scoring), in batches of 10,000 (arrays parsed beforehand).
    state_only = StreamScorer(pipe, **ROLES)
    parsed = [state_only._parse(stream.iloc[at : at + 10_000])[0] for at in range(0, n, 10_000)]
    started = time.perf_counter()
    for arrays in parsed:
        state_only._store.update(*arrays)
    rows.append(
        dict(
            case="C++ state update alone, batches of 10,000",
            events=n,
            seconds=time.perf_counter() - started,
        )
    )
    scored = StreamScorer(pipe, **ROLES)
    started = time.perf_counter()
    for arrays in parsed:
        scored._store.update_scored(scored._model, *arrays)
    rows.append(
        dict(
            case="C++ state update + scores of the touched entities, batches of 10,000",
            events=n,
            seconds=time.perf_counter() - started,
        )
    )

    # 3. One event at a time through the Python API.
    k = min(args.one_at_a_time, n)
    one = StreamScorer(pipe, **ROLES)
    started = time.perf_counter()
    for at in range(k):
        one.update(stream.iloc[at : at + 1])
    rows.append(
        dict(case="update, one event at a time", events=k, seconds=time.perf_counter() - started)
    )
    # update_one on plain values (what a consumer loop reading a queue has in hand).
    m = min(args.update_one, n)
    columns = ["user_id", "behavior", "timestamp", "item_id", "price"]
    head = stream.head(m).astype({"behavior": str})
    plain = list(zip(*(head[c].tolist() for c in columns)))
    fast = StreamScorer(pipe, **ROLES)
    n_new = 0
    started = time.perf_counter()
    for user, behavior, t, item, price in plain:
        n_new += fast.update_one(user, behavior, t, item, price).new
    rows.append(
        dict(
            case=f"update_one, one event a call (with the reasons of {n_new} new alerts)",
            events=m,
            seconds=time.perf_counter() - started,
        )
    )
    records = stream.head(m).to_dict("records")
    adapter = RiverAdapter(StreamScorer(pipe, **ROLES))
    started = time.perf_counter()
    for x in records:
        adapter.score_one(x)
        adapter.learn_one(x)
    rows.append(
        dict(
            case="RiverAdapter score_one + learn_one",
            events=m,
            seconds=time.perf_counter() - started,
        )
    )
    state_one = StreamScorer(pipe, **ROLES)
    codes = state_one._code_of
    raw_events = [(u, codes[b], t * 10**9, i, p) for u, b, t, i, p in plain]
    started = time.perf_counter()
    for user, code, ns, item, price in raw_events:
        state_one._store.update_one(user, False, code, ns, item, False, price, None)
    rows.append(
        dict(
            case="C++ state update alone, one event a call (the binding, no scoring)",
            events=m,
            seconds=time.perf_counter() - started,
        )
    )
    started = time.perf_counter()
    state_one = StreamScorer(pipe, **ROLES)
    for user, code, ns, item, price in raw_events:
        state_one._store.update_one(user, False, code, ns, item, False, price, state_one._model)
    rows.append(
        dict(
            case="C++ state update + score, one event a call (the binding)",
            events=m,
            seconds=time.perf_counter() - started,
        )
    )

    # 4. Quality: the final streaming scores of the first copy (ROC-AUC on the planted
    #    anomalies) and their largest difference from the batch scores.
    final = StreamScorer(pipe, max_exact_items=1 << 20, **ROLES).update(
        log.sort_values("timestamp", kind="stable")
    )
    scores = final.scores["score"].reindex(labels.index)
    quality = dict(
        oddseq_stream_roc_auc=float(roc_auc_score(labels.to_numpy(), scores.to_numpy())),
        max_abs_difference_from_batch=float(
            np.abs(scores.to_numpy() - batch.reindex(labels.index).to_numpy()).max()
        ),
    )

    # 4b. How soon, with the fitted threshold and one calibrated for the stream.
    quality.update(how_soon(pipe, log, labels, data["onsets"], data["kinds"]))
    quality["calibrated"] = how_soon(
        pipe, log, labels, data["onsets"], data["kinds"], calibrate=True
    )

    # 5. River's HalfSpaceTrees on per-entity features updated per event (counts per
    #    type, length, mean gap), score_one + learn_one on each event.
    river = dict(installed=False)
    try:
        from river import anomaly
    except ImportError:
        pass
    else:
        m = min(args.river, n)
        hst = anomaly.HalfSpaceTrees(seed=0)
        state: dict = {}
        last_score: dict = {}
        events = stream.head(m)
        started = time.perf_counter()
        for user, kind, t in zip(
            events["user_id"].tolist(),
            events["behavior"].astype(str).tolist(),
            events["timestamp"].tolist(),
        ):
            s = state.setdefault(
                user, {"pv": 0, "cart": 0, "fav": 0, "buy": 0, "n": 0, "t0": t, "t": t}
            )
            s[kind] = s.get(kind, 0) + 1
            s["n"] += 1
            s["t"] = t
            x = {
                "pv": s["pv"],
                "cart": s["cart"],
                "fav": s["fav"],
                "buy": s["buy"],
                "length": s["n"],
                "gap_mean": (s["t"] - s["t0"]) / max(s["n"] - 1, 1),
            }
            last_score[user] = hst.score_one(x)
            hst.learn_one(x)
        seconds = time.perf_counter() - started
        rows.append(
            dict(case="River HalfSpaceTrees score_one + learn_one", events=m, seconds=seconds)
        )
        # ROC-AUC of HST on the first copy, fed in time order, whole log.
        hst = anomaly.HalfSpaceTrees(seed=0)
        state, last_score = {}, {}
        ordered = log.sort_values("timestamp", kind="stable")
        for user, kind, t in zip(
            ordered["user_id"].tolist(),
            ordered["behavior"].astype(str).tolist(),
            ordered["timestamp"].tolist(),
        ):
            s = state.setdefault(
                user, {"pv": 0, "cart": 0, "fav": 0, "buy": 0, "n": 0, "t0": t, "t": t}
            )
            s[kind] = s.get(kind, 0) + 1
            s["n"] += 1
            s["t"] = t
            x = {
                "pv": s["pv"],
                "cart": s["cart"],
                "fav": s["fav"],
                "buy": s["buy"],
                "length": s["n"],
                "gap_mean": (s["t"] - s["t0"]) / max(s["n"] - 1, 1),
            }
            last_score[user] = hst.score_one(x)
            hst.learn_one(x)
        hst_scores = pd.Series(last_score).reindex(labels.index).to_numpy()
        import river as river_module

        river = dict(
            installed=True,
            version=river_module.__version__,
            hst_roc_auc=float(roc_auc_score(labels.to_numpy(), hst_scores)),
        )

    pysad = dict(installed=False)
    if args.pysad:
        peer_rows, pysad = pysad_peers(stream, log, labels, args.pysad)
        rows += peer_rows
    cli = (
        [cli_latency(pipe, log, rate, args.cli_seconds, args.cli_format) for rate in args.cli_rates]
        if args.cli_seconds
        else []
    )

    for row in rows:
        row["events_per_s"] = row["events"] / row["seconds"]
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 160)
    print(table.to_string(index=False, formatters={"events_per_s": "{:,.0f}".format}))
    print("memory:", memory)
    print("quality:", quality, "alerts:", n_alerts)
    print("river:", river)
    print("pysad:", pysad)
    print("cli:", cli)
    out = dict(
        rows=rows,
        pysad=pysad,
        cli=cli,
        memory=memory,
        quality=quality,
        river=river,
        n_alerts=n_alerts,
        machine=dict(python=platform.python_version(), processor=platform.processor()),
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
